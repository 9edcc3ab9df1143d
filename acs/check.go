package acs

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// FetchCheck unpacks the archive on the agent the way the Mesos fetcher
// does for "uris": ["file:///etc/docker.tar.gz"] (as root, tar -C
// <fresh sandbox> -xf) and checks that the sandbox then holds
// .docker/config.json with an auths entry for registryHost (host[:port]
// exactly as image references name it).
func FetchCheck(registryHost string) AgentCheck {
	return AgentCheck{Name: "fetch like Mesos", Run: func(ctx context.Context, _ Agent, r Remote) error {
		out, err := r.Run(ctx, `s=$(mktemp -d /tmp/dcos-vsphere-fetch.XXXXXX); trap 'rm -rf -- "$s"' EXIT; `+
			`tar -C "$s" -xf `+ArchivePath+` && cat -- "$s/.docker/config.json"`, true)
		if err != nil {
			return err
		}
		var doc struct {
			Auths map[string]struct {
				Auth string `json:"auth"`
			} `json:"auths"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			return fmt.Errorf("the unpacked .docker/config.json is not a Docker config: %w", err)
		}
		if e, ok := doc.Auths[registryHost]; !ok || e.Auth == "" {
			return fmt.Errorf("the unpacked .docker/config.json has no auth for %s", registryHost)
		}
		return nil
	}}
}

// PullCheck pulls image on the agent the way the Mesos Docker
// containerizer does with a fetched archive: HOME=<sandbox with the
// unpacked .docker/> docker pull <image>, as root. It needs docker on the
// agent (acs-engine installs docker-engine 1.13.1) and the agent's way to
// the registry.
func PullCheck(image string) AgentCheck {
	return AgentCheck{Name: "docker pull " + image, Run: func(ctx context.Context, _ Agent, r Remote) error {
		q := "'" + strings.ReplaceAll(image, "'", `'\''`) + "'"
		_, err := r.Run(ctx, `s=$(mktemp -d /tmp/dcos-vsphere-pull.XXXXXX); trap 'rm -rf -- "$s"' EXIT; `+
			`tar -C "$s" -xf `+ArchivePath+` && HOME="$s" docker pull `+q, true)
		return err
	}}
}
