package registry

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

// Where the credentials go on every agent and public agent.
const (
	// CredentialsPath is the Mesos agent's --docker_config when config.yaml
	// says cluster_docker_credentials_enabled: true and carries no
	// credentials (DC/OS 1.9: MESOS_DOCKER_CONFIG=file://<this>). The agent
	// does not start while it is missing.
	CredentialsPath = "/etc/mesosphere/docker_credentials"
	// ArchivePath is the docker.tar.gz Marathon apps fetch with
	// "uris": ["file:///etc/docker.tar.gz"] (the same path as on ACS).
	ArchivePath = "/etc/docker.tar.gz"
	// LegacyCredentialsPath is where DC/OS 1.9 puts DC/OS-owned
	// credentials (cluster_docker_credentials in config.yaml): inside the
	// dcos-config package the bootstrap node serves. Its presence marks a
	// cluster installed the old way.
	LegacyCredentialsPath = "/opt/mesosphere/etc/docker_credentials"
	// mesosSlaveCommon is where DC/OS writes the agents' MESOS_* flags.
	mesosSlaveCommon = "/opt/mesosphere/etc/mesos-slave-common"
)

// FileMode is the mode of both files: they hold the password.
const FileMode os.FileMode = 0o600

// NodeFile is a file to place on a node, root:root with Mode.
type NodeFile struct {
	Path   string
	Mode   os.FileMode
	Data   []byte // secret: never log it
	SHA256 string // of Data, as sha256sum prints it
}

// String names the file without its content.
func (f NodeFile) String() string {
	return fmt.Sprintf("%s (%04o, sha256 %.12s…)", f.Path, f.Mode, f.SHA256)
}

// GoString keeps %#v from printing the content.
func (f NodeFile) GoString() string { return "registry.NodeFile{" + f.String() + "}" }

// NodeFiles are the two files every agent and public agent gets before
// dcos_install.sh (and again, where their sha256 differs, on rotation):
// CredentialsPath (the Docker config.json) and ArchivePath (the same in
// .docker/config.json of a reproducible docker.tar.gz).
func NodeFiles(c Credentials) ([]NodeFile, error) {
	cfg, err := DockerConfigJSON(c)
	if err != nil {
		return nil, err
	}
	arch, err := Archive(c)
	if err != nil {
		return nil, err
	}
	return []NodeFile{
		{Path: CredentialsPath, Mode: FileMode, Data: cfg, SHA256: SHA256(cfg)},
		{Path: ArchivePath, Mode: FileMode, Data: arch, SHA256: SHA256(arch)},
	}, nil
}

// AgentUnit is the systemd unit to restart after CredentialsPath changed
// (Mesos reads a file:// flag once, at start).
func AgentUnit(public bool) string {
	if public {
		return "dcos-mesos-slave-public"
	}
	return "dcos-mesos-slave"
}

// NodeCheckScript is a read-only bash script (run as root) that prints
// what ParseNodeState reads: for CredentialsPath, ArchivePath and
// LegacyCredentialsPath a line "file PATH MODE UID:GID SHA256",
// "missing PATH" or "notfile PATH" (tab-separated), and the agent's
// MESOS_DOCKER_CONFIG as "flag VALUE" when DC/OS set one. It prints
// hashes, never contents, and takes nothing secret as an argument.
func NodeCheckScript() string { return nodeCheckScript("") }

func nodeCheckScript(root string) string {
	var b strings.Builder
	b.WriteString("set -u\n")
	fmt.Fprintf(&b, "for f in %s %s %s; do\n", shellQuote(root+CredentialsPath), shellQuote(root+ArchivePath), shellQuote(root+LegacyCredentialsPath))
	b.WriteString(`  if [ -f "$f" ] && [ ! -L "$f" ]; then
    printf 'file\t%s\t%s\t%s\t%s\n' "$f" "$(stat -c %a -- "$f")" "$(stat -c %u:%g -- "$f")" "$(sha256sum < "$f" | cut -d' ' -f1)"
  elif [ -e "$f" ] || [ -L "$f" ]; then printf 'notfile\t%s\n' "$f"
  else printf 'missing\t%s\n' "$f"; fi
done
`)
	fmt.Fprintf(&b, "v=\nif [ -r %[1]s ]; then v=$(sed -n '/^MESOS_DOCKER_CONFIG=/{s///p;q}' %[1]s); fi\n", shellQuote(root+mesosSlaveCommon))
	b.WriteString(`if [ -n "$v" ]; then printf 'flag\t%s\n' "$v"; fi` + "\n")
	return b.String()
}

// FileFacts is what NodeCheckScript saw of one file.
type FileFacts struct {
	Exists  bool
	Regular bool
	Mode    os.FileMode
	UID     int
	GID     int
	SHA256  string
}

// NodeState is the parsed output of NodeCheckScript.
type NodeState struct {
	Files map[string]FileFacts // by path
	// DockerConfigFlag is MESOS_DOCKER_CONFIG as DC/OS wrote it for the
	// agent ("file:///etc/mesosphere/docker_credentials"), "" when unset.
	DockerConfigFlag string
}

// ParseNodeState reads NodeCheckScript's output.
func ParseNodeState(out string) (NodeState, error) { return parseNodeState(out, "") }

func parseNodeState(out, root string) (NodeState, error) {
	s := NodeState{Files: map[string]FileFacts{}}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Split(line, "\t")
		path := ""
		if len(f) > 1 {
			path = strings.TrimPrefix(f[1], root)
		}
		switch {
		case f[0] == "file" && len(f) == 5:
			mode, err := strconv.ParseUint(f[2], 8, 32)
			if err != nil {
				return s, fmt.Errorf("node file check: bad mode in %q", line)
			}
			var uid, gid int
			if _, err := fmt.Sscanf(f[3], "%d:%d", &uid, &gid); err != nil {
				return s, fmt.Errorf("node file check: bad owner in %q", line)
			}
			s.Files[path] = FileFacts{Exists: true, Regular: true, Mode: os.FileMode(mode), UID: uid, GID: gid, SHA256: f[4]}
		case f[0] == "notfile" && len(f) == 2:
			s.Files[path] = FileFacts{Exists: true}
		case f[0] == "missing" && len(f) == 2:
			s.Files[path] = FileFacts{}
		case f[0] == "flag" && len(f) == 2:
			s.DockerConfigFlag = f[1]
		case line == "":
		default:
			return s, fmt.Errorf("node file check: unexpected line %q", line)
		}
	}
	for _, p := range []string{CredentialsPath, ArchivePath} {
		if _, ok := s.Files[p]; !ok {
			return s, fmt.Errorf("node file check: no line for %s", p)
		}
	}
	return s, nil
}

// Problem is one way a node's file differs from what it should be.
type Problem struct {
	Path string
	// What is wrong: "missing", "not a regular file", "mode 0644, want
	// 0600", "owner 1000:1000, want root", "stale: sha256 differs (other
	// credentials)".
	What string
}

func (p Problem) String() string { return p.Path + ": " + p.What }

// Compare lists how the node's files differ from want (NodeFiles); none
// when they are all in place. Only hashes are compared.
func (s NodeState) Compare(want []NodeFile) []Problem {
	var out []Problem
	for _, w := range want {
		f := s.Files[w.Path]
		switch {
		case !f.Exists:
			out = append(out, Problem{w.Path, "missing"})
			continue
		case !f.Regular:
			out = append(out, Problem{w.Path, "not a regular file"})
			continue
		}
		if f.Mode.Perm() != w.Mode {
			out = append(out, Problem{w.Path, fmt.Sprintf("mode %04o, want %04o", f.Mode.Perm(), w.Mode)})
		}
		if f.UID != 0 || f.GID != 0 {
			out = append(out, Problem{w.Path, fmt.Sprintf("owner %d:%d, want root (0:0)", f.UID, f.GID)})
		}
		if f.SHA256 != w.SHA256 {
			out = append(out, Problem{w.Path, "stale: sha256 differs (other credentials than cluster.yaml's)"})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// Legacy reports whether the node runs with DC/OS-owned credentials: the
// cluster was installed with cluster_docker_credentials in config.yaml,
// so the password is in the served dcos-config package and can only
// change with a new DC/OS config. Such a cluster is reported, never
// "fixed" behind the admin's back.
func (s NodeState) Legacy() bool {
	return s.Files[LegacyCredentialsPath].Exists || s.DockerConfigFlag == "file://"+LegacyCredentialsPath
}

// shellQuote quotes s for bash.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
