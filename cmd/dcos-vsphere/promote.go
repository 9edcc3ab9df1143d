package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/internal/fsutil"
	"github.com/dcos-vsphere/dcos-vsphere/registry"
)

// promotionsFile is the record of promotions in the cluster's state
// directory: one JSON object per line.
const promotionsFile = "promotions.log"

type promoteFlags struct {
	config, from, toRepo string
	to                   []string
	force                bool
	timeout              time.Duration
}

func newPromoteCmd(g *globalOptions) *cobra.Command {
	f := &promoteFlags{}
	cmd := &cobra.Command{
		Use:   "promote IMAGE [--config FILE] --from TAG|DIGEST --to TAG [--to TAG ...]",
		Short: "Put an image's manifest under new tags in the registry (same digest): integration-ready to production-ready",
		Long: `promote reads the manifest of IMAGE:FROM (a tag, or a digest sha256:...) in cluster.yaml's
registry and puts the same bytes under every --to tag, so the promoted image has the
same digest (what runs on the integration cluster is what goes to production). With
--to-repo the tags are in another repository: a copy whose layers are mounted from the
source repository. IMAGE is a repository of the registry (myapp, team/myapp, or with the
registry host), or repository:tag instead of --from.

Nothing changes unless every check passes first: the login, the source tag or digest
(exit 1 when it does not exist), the right to push (exit 3: the AcrPush role or the
admin user is needed; a pull-only service principal is refused), and version tags:
a tag such as 1.4.2 or v2 that already names another digest is not moved without
--force (exit 2). A moving tag (production-ready) moves, and its previous digest is
reported for a rollback. Every tag is read back. The promotion is recorded in
<state dir>/promotions.log (time, user, source, digest, tags and their previous digests).

With -o json, stdout is one JSON object: ok, server, username, source, digest,
mediaType, crossRepository, tags (reference, previous, action: tagged, moved,
unchanged), record, and error (kind, message, exitCode) on failure.`,
		Example: `  dcos-vsphere promote myapp --from integration-ready --to production-ready --config cluster.yaml
  dcos-vsphere promote myapp --from integration-ready --to production-ready --to 1.4.2 --config cluster.yaml
  dcos-vsphere promote myapp --from sha256:4f1c... --to production-ready --config cluster.yaml   # roll back
  dcos-vsphere promote team/myapp:integration-ready --to-repo prod/myapp --to 1.4.2 --config cluster.yaml -o json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{fmt.Errorf("promote takes one IMAGE (a repository of the registry), got %d arguments", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return runPromote(cmd, g, f, args[0]) },
	}
	fs := cmd.Flags()
	fs.StringVarP(&f.config, "config", "c", "", configFlagHelp+"; its registry section")
	fs.StringVar(&f.from, "from", "", "the tag (or digest sha256:...) to promote")
	fs.StringArrayVar(&f.to, "to", nil, "a tag to put the image under (repeat for several: production-ready, 1.4.2)")
	fs.StringVar(&f.toRepo, "to-repo", "", "put the tags in this repository instead (a copy with blob mounts)")
	fs.BoolVar(&f.force, "force", false, "move a version tag that already names another digest")
	fs.DurationVar(&f.timeout, "timeout", registry.DefaultPromoteTimeout, "limit for the whole promotion")
	return cmd
}

// promoteSource is IMAGE with --from: repo:tag or repo@sha256:...
func promoteSource(image, from string) (string, error) {
	last := image[strings.LastIndexByte(image, '/')+1:]
	tagged := strings.ContainsAny(last, ":@")
	switch {
	case from == "" && !tagged:
		return "", errors.New("--from is required: the tag (or digest) of " + image + " to promote")
	case from != "" && tagged:
		return "", fmt.Errorf("give the source once: %s already names a tag or digest, and --from %s another", image, from)
	case from == "":
		return image, nil
	case strings.HasPrefix(from, "sha256:"):
		return image + "@" + from, nil
	}
	return image + ":" + from, nil
}

func runPromote(cmd *cobra.Command, g *globalOptions, f *promoteFlags, image string) error {
	if len(f.to) == 0 {
		return usageError{errors.New("--to is required: the tag(s) to promote to")}
	}
	if f.timeout <= 0 {
		return usageError{fmt.Errorf("--timeout must be positive, not %s", f.timeout)}
	}
	src, err := promoteSource(image, f.from)
	if err != nil {
		return usageError{err}
	}
	c, err := loadRegistryCluster(cmd, &f.config)
	if err != nil {
		return err
	}
	r := c.Registry
	if _, _, err := registry.ParseImage(r.Server, src); err != nil {
		return usageError{err}
	}
	creds := registryCreds(r)
	res, perr := registry.Promote(cmd.Context(), creds, registry.PromoteOptions{CAFile: r.CAFile, Source: src, Tags: f.to, DestRepo: f.toRepo, Force: f.force, Timeout: f.timeout})
	if res == nil {
		res = &registry.PromoteResult{Server: creds.Host(), Username: creds.Username, Source: src}
	}
	rep := promoteReport{OK: perr == nil, PromoteResult: res, Error: checkErrorOf(perr)}
	if perr == nil {
		if rep.Record, err = recordPromotion(c, res); err != nil {
			fmt.Fprintln(cmd.ErrOrStderr(), "warning: the promotion is done but not recorded:", err)
		}
	}
	if err := writeResult(cmd, g, rep, func(w io.Writer) error { return writePromoteText(w, rep, image) }); err != nil {
		return err
	}
	if perr != nil {
		return reportedError{perr}
	}
	return nil
}

// promoteReport is the one JSON object of `promote -o json`.
type promoteReport struct {
	OK bool `json:"ok"`
	*registry.PromoteResult
	Record string      `json:"record,omitempty"`
	Error  *checkError `json:"error,omitempty"`
}

func writePromoteText(w io.Writer, rep promoteReport, image string) error {
	res := rep.PromoteResult
	if !rep.OK {
		fmt.Fprintf(w, "not promoted: %s (user %s); nothing was changed\n", res.Source, res.Username)
		return nil
	}
	fmt.Fprintf(w, "promoted %s/%s (%s):\n", res.Server, strings.TrimPrefix(res.Source, res.Server+"/"), res.Digest)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	var moved []registry.PromotedTag
	for _, t := range res.Tags {
		prev := ""
		if t.Action == registry.ActionMoved {
			prev = "was " + t.Previous
			moved = append(moved, t)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", t.Reference, t.Action, prev)
	}
	_ = tw.Flush()
	for _, t := range moved {
		fmt.Fprintf(w, "roll back %s: dcos-vsphere promote %s --from %s --to %s --config <cluster.yaml>\n", t.Reference, image, t.Previous, t.Reference[strings.LastIndexByte(t.Reference, ':')+1:])
	}
	if rep.Record != "" {
		fmt.Fprintf(w, "recorded in %s\n", rep.Record)
	}
	return nil
}

// recordPromotion appends the promotion to <state dir>/promotions.log
// (0600, rewritten atomically) and returns its path.
func recordPromotion(c *config.Cluster, res *registry.PromoteResult) (string, error) {
	path := filepath.Join(c.StateDir(), promotionsFile)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return "", err
	}
	line, err := json.Marshal(struct {
		Time string `json:"time"`
		*registry.PromoteResult
	}{time.Now().UTC().Format(time.RFC3339), res})
	if err != nil {
		return "", err
	}
	return path, fsutil.WriteAtomic(path, append(append(old, line...), '\n'), 0o600)
}
