package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/deploy"
	"github.com/dcos-vsphere/dcos-vsphere/marathon"
	"github.com/dcos-vsphere/dcos-vsphere/registry"
)

// tokenEnv is the DC/OS CLI's environment variable for its login token
// (core.dcos_acs_token): deploy sends it to a vSphere cluster with
// oauth_enabled.
const tokenEnv = "DCOS_ACS_TOKEN"

// clusterFlags are the flags deploy and deploy status share.
type clusterFlags struct {
	config, cluster, vsphereURL, tokenFile string
	connectTimeout                         time.Duration
}

func (f *clusterFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVarP(&f.config, "config", "c", "", configFlagHelp)
	fs.StringVar(&f.cluster, "cluster", "", "where: vsphere, acs or both (both: ACS, the integration cluster, first)")
	fs.StringVar(&f.vsphereURL, "vsphere-url", "", "the vSphere cluster's Admin Router (default: http://<master> of cluster.yaml, each in turn)")
	fs.StringVar(&f.tokenFile, "token-file", "", "a file with the DC/OS login token for the vSphere cluster (default $"+tokenEnv+"); needed when oauth_enabled is true")
	fs.DurationVar(&f.connectTimeout, "connect-timeout", time.Minute, "limit for reaching each cluster's Marathon")
}

// targets are the clusters --cluster names, ACS first.
func (f *clusterFlags) targets() ([]string, error) {
	switch f.cluster {
	case deploy.VSphere, deploy.ACS:
		return []string{f.cluster}, nil
	case "both":
		return []string{deploy.ACS, deploy.VSphere}, nil
	case "":
		return nil, errors.New("--cluster is required: vsphere, acs or both")
	}
	return nil, fmt.Errorf("--cluster %q: want vsphere, acs or both", f.cluster)
}

// load reads the config and checks what the targets need.
func (f *clusterFlags) load(cmd *cobra.Command, targets []string) (*config.Cluster, error) {
	c, err := loadCluster(cmd, &f.config)
	if err != nil {
		return nil, err
	}
	for _, t := range targets {
		if t == deploy.ACS && !c.ACS.Enabled() {
			return nil, usageError{fmt.Errorf("--cluster %s: %s has no acs section (acs.masterFQDN, acs.keyFile or acs.agent)", f.cluster, f.config)}
		}
	}
	if c.Registry.Server != "" {
		if err := c.CheckRegistryFiles(); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (f *clusterFlags) token() (string, error) {
	if f.tokenFile != "" {
		b, err := os.ReadFile(f.tokenFile)
		if err != nil {
			return "", usageError{fmt.Errorf("--token-file: %w", err)}
		}
		return strings.TrimSpace(string(b)), nil
	}
	return strings.TrimSpace(os.Getenv(tokenEnv)), nil
}

// connect reaches every target's Marathon before anything is changed; on
// failure the ones reached are closed.
func (f *clusterFlags) connect(cmd *cobra.Command, c *config.Cluster, targets []string) ([]deploy.Cluster, error) {
	token, err := f.token()
	if err != nil {
		return nil, err
	}
	var want []registry.NodeFile
	var archive []byte
	if c.Registry.Server != "" {
		creds := registryCreds(c.Registry)
		if want, err = registry.NodeFiles(creds); err != nil {
			return nil, usageError{fmt.Errorf("registry: %w", err)}
		}
		archive = want[1].Data
	}
	var out []deploy.Cluster
	for _, t := range targets {
		ctx, cancel := context.WithTimeout(cmd.Context(), f.connectTimeout)
		var cl deploy.Cluster
		switch t {
		case deploy.ACS:
			cl, err = deploy.ConnectACS(ctx, deploy.ACSOptions{Config: acsConfig(c, cmd), ConfigPath: f.config, Archive: archive})
		default:
			cl, err = deploy.ConnectVSphere(ctx, deploy.VSphereOptions{Config: c, ConfigPath: f.config, URL: f.vsphereURL, Token: token, Want: want})
		}
		cancel()
		if err != nil {
			closeAll(out)
			return nil, err
		}
		out = append(out, cl)
	}
	return out, nil
}

func closeAll(cs []deploy.Cluster) {
	for _, c := range cs {
		_ = c.Close()
	}
}

type deployFlags struct {
	clusterFlags
	image        string
	byTag, force bool
	strict       bool
	wait         time.Duration
	maxFailures  int
	printApp     bool
}

func newDeployCmd(g *globalOptions) *cobra.Command {
	f := &deployFlags{}
	cmd := &cobra.Command{
		Use:   "deploy APP.json [--config FILE] --cluster vsphere|acs|both [--image REF]",
		Short: "Deploy a Marathon app on the vSphere cluster, the ACS cluster or both, with the same image digest",
		Long: `deploy puts the Marathon app definition APP.json (as you write it for Marathon 1.4) on the
vSphere DC/OS cluster (through a master's Admin Router), the ACS one (through the ACS
master's SSH: a local forward to its Admin Router), or both (ACS first; vSphere is not
touched when the ACS deploy fails).

The image is --image, or the definition's container.docker.image; --image without a
registry host names a repository of cluster.yaml's registry (myapp:production-ready).
An image on that registry is first checked from here with cluster.yaml's credentials
(those of the agents' /etc/docker.tar.gz): a wrong or expired secret or a missing tag
stops the deploy before anything changes. Its tag is resolved to the digest it names
now, and the definition pins that digest (repo@sha256:..., labels dcos-vsphere/image and
dcos-vsphere/digest), so both clusters run the same bytes and a new digest is a rolling
update (--by-tag keeps the tag, with forcePullImage). "uris" gets
file:///etc/docker.tar.gz ("fetch" when the definition uses it). Combinations that
cannot pull from ACR on DC/OS 1.9 are warned about (container.type MESOS; a task user
that cannot read the root 0600 archive).

Before deploying it surveys every agent of the cluster (vSphere: each agent the Mesos
master lists, over SSH, as status reads it; ACS: as acs sync --dry-run would) and names
the agents without the current archive and the command that fixes it (--strict refuses
then). The deploy is PUT /v2/apps/<id> (create, or a rolling update: new tasks start
before old ones stop), never a delete; only that app is touched. Then it waits (--wait)
until the deployment is done and every task of the new version runs, printing progress;
a task failure is named with its agent, Mesos' message, its cause and the fix, and
--max-failures failures end the wait (the deployment goes on retrying in Marathon, the
old tasks keep running). A deployment still holding the app is replaced only with
--force (still a rolling update). At the end it shows the digest each cluster runs.

The vSphere cluster needs a DC/OS login token when oauth_enabled is true (the DC/OS
1.9 default; cluster.yaml examples turn it off): DCOS_ACS_TOKEN or --token-file.

Exit codes: 0 deployed everywhere asked; 1 a deployment failed or did not finish,
or --strict refused; 2 bad usage, config or app definition (with file:line:column);
3 a cluster, the registry or an SSH login cannot be reached or refuses the login
(nothing deployed).`,
		Example: `  dcos-vsphere deploy myapp.json --config cluster.yaml --cluster acs --image myapp:integration-ready
  dcos-vsphere promote myapp --from integration-ready --to production-ready --config cluster.yaml
  dcos-vsphere deploy myapp.json --config cluster.yaml --cluster vsphere --image myapp:production-ready
  dcos-vsphere deploy status /myapp --config cluster.yaml --cluster both`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{fmt.Errorf("deploy takes one APP.json (a Marathon app definition), got %d arguments", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return runDeploy(cmd, g, f, args[0]) },
	}
	f.register(cmd)
	fs := cmd.Flags()
	fs.StringVar(&f.image, "image", "", "the image to run (tag or digest; without a host: a repository of cluster.yaml's registry)")
	fs.BoolVar(&f.byTag, "by-tag", false, "keep the tag in the app definition (with forcePullImage) instead of pinning its digest")
	fs.BoolVar(&f.force, "force", false, "replace a deployment that still holds the app (Marathon's force; still a rolling update)")
	fs.BoolVar(&f.strict, "strict", false, "do not deploy on a cluster where an agent lacks the current /etc/docker.tar.gz")
	fs.DurationVar(&f.wait, "wait", deploy.DefaultWait, "limit for each cluster's deployment to finish")
	fs.IntVar(&f.maxFailures, "max-failures", marathon.DefaultMaxFailures, "task failures of the new version that end the wait")
	fs.BoolVar(&f.printApp, "print-app", false, "print the app definition as it would be deployed and stop (checks the image; touches no cluster)")
	cmd.AddCommand(newDeployStatusCmd(g))
	return cmd
}

func runDeploy(cmd *cobra.Command, g *globalOptions, f *deployFlags, file string) error {
	targets, err := f.targets()
	if err != nil {
		return usageError{err}
	}
	if f.wait <= 0 || f.maxFailures <= 0 {
		return usageError{errors.New("--wait and --max-failures must be positive")}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return usageError{fmt.Errorf("read the app definition: %w", err)}
	}
	app, err := marathon.ParseApp(data, file)
	if err != nil {
		return err
	}
	c, err := f.load(cmd, targets)
	if err != nil {
		return err
	}
	stderr := cmd.ErrOrStderr()
	o := deploy.Options{Image: f.image, ByTag: f.byTag, Force: f.force, Strict: f.strict, Wait: f.wait, MaxFailures: f.maxFailures,
		Progress: func(cluster, msg string) { fmt.Fprintf(stderr, "%s: %s\n", cluster, msg) }}
	if c.Registry.Server != "" {
		o.Registry = &deploy.Registry{Credentials: registryCreds(c.Registry),
			CAFile: c.Registry.CAFile}
	}
	plan, err := deploy.Prepare(cmd.Context(), app, o)
	if err != nil {
		return err
	}
	for _, w := range plan.Warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
	if plan.OnRegistry {
		fmt.Fprintf(stderr, "image %s is %s in %s\n", plan.Image, plan.Digest, o.Registry.Credentials.Host())
	}
	if f.printApp {
		b, err := plan.App.JSON()
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s\n", b)
		return err
	}
	clusters, err := f.connect(cmd, c, targets)
	if err != nil {
		return err
	}
	defer closeAll(clusters)
	res, derr := deploy.Deploy(cmd.Context(), plan, clusters, o)
	if err := writeResult(cmd, g, deployReportOf(res, derr), func(w io.Writer) error { return writeDeployText(w, res) }); err != nil {
		return err
	}
	if derr != nil {
		return reportedError{derr}
	}
	return nil
}

// deployReport is the one JSON object of `deploy -o json`.
type deployReport struct {
	OK bool `json:"ok"`
	*deploy.Result
	Error *errorBody `json:"error,omitempty"`
}

func deployReportOf(res *deploy.Result, err error) deployReport {
	rep := deployReport{OK: err == nil && res.OK(), Result: res}
	if err != nil {
		rep.Error = &errorBody{Message: err.Error(), ExitCode: exitCodeOf(err, false)}
	}
	return rep
}

func writeDeployText(w io.Writer, res *deploy.Result) error {
	fmt.Fprintf(w, "app %s, image %s", res.App, res.Image)
	if res.Digest != "" {
		fmt.Fprintf(w, " (%s)", res.Digest)
	}
	fmt.Fprintln(w)
	for _, c := range res.Clusters {
		fmt.Fprintf(w, "%s: %s", c.Cluster, c.Status)
		if c.DeploymentID != "" {
			fmt.Fprintf(w, ", deployment %s", c.DeploymentID)
		}
		if c.Status == deploy.StatusDeployed {
			fmt.Fprintf(w, ": %d of %d tasks run %s", c.Running, c.Instances, c.Digest)
		}
		if c.BeforeImage != "" && c.BeforeImage != res.Reference && c.Status == deploy.StatusDeployed {
			fmt.Fprintf(w, " (was %s)", c.BeforeImage)
		}
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		for _, t := range c.Tasks {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", t.ID, t.Host, t.State)
		}
		_ = tw.Flush()
		for _, a := range c.Agents {
			if !a.OK() {
				fmt.Fprintf(w, "  agent %s (%s): archive %s: %s\n", a.Name, a.IP, a.State, a.Detail)
			}
		}
		told := map[string]bool{}
		for _, x := range c.Failures {
			fmt.Fprintf(w, "  failed: task %s on %s: %s\n", x.Task, x.Agent, x.Message)
			if key := x.Cause + x.Fix; !told[key] {
				told[key] = true
				fmt.Fprintf(w, "    cause: %s\n", x.Cause)
				if x.Fix != "" {
					fmt.Fprintf(w, "    fix: %s\n", x.Fix)
				}
			}
		}
	}
	digests := map[string]bool{}
	n := 0
	for _, c := range res.Clusters {
		if c.Status == deploy.StatusDeployed {
			digests[c.Digest] = true
			n++
		}
	}
	if n > 1 && len(digests) == 1 {
		fmt.Fprintf(w, "all %d clusters run %s\n", n, res.Digest)
	}
	return nil
}

func newDeployStatusCmd(g *globalOptions) *cobra.Command {
	f := &clusterFlags{}
	cmd := &cobra.Command{
		Use:   "status APP_ID [--config FILE] --cluster vsphere|acs|both",
		Short: "Show a deployed app on each cluster: image, digest, tasks per state and version; exit 4 when not settled",
		Long: `status reads the app APP_ID (e.g. /myapp) from Marathon on each cluster: the image and digest
of its current definition, its tasks per state, the versions they run (each with its
image and digest: during a rolling update both), deployments in progress and the last
task failure. It changes nothing. With -o json, one object: app, clusters (cluster,
marathon, found, settled, app, error) and sameDigest. Exit 4 when the app is missing on
a cluster, a deployment is in progress, or fewer tasks than instances run the current
definition; 3 when a cluster cannot be reached.`,
		Example: `  dcos-vsphere deploy status /myapp --config cluster.yaml --cluster both
  dcos-vsphere deploy status /myapp --config cluster.yaml --cluster both -o json | jq .sameDigest`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{fmt.Errorf("deploy status takes one APP_ID, got %d arguments", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := marathon.NormalizeID(args[0])
			if err != nil {
				return usageError{err}
			}
			targets, err := f.targets()
			if err != nil {
				return usageError{err}
			}
			c, err := f.load(cmd, targets)
			if err != nil {
				return err
			}
			clusters, err := f.connect(cmd, c, targets)
			if err != nil {
				return err
			}
			defer closeAll(clusters)
			res, serr := deploy.Status(cmd.Context(), id, clusters)
			if err := writeResult(cmd, g, res, func(w io.Writer) error { return writeStatusText(w, res) }); err != nil {
				return err
			}
			switch {
			case serr != nil:
				return reportedError{serr}
			case !res.Settled():
				return reportedError{exitError{fmt.Errorf("app %s is not settled on every cluster", id), exitUnhealthy}}
			}
			return nil
		},
	}
	f.register(cmd)
	return cmd
}

func writeStatusText(w io.Writer, res *deploy.StatusResult) error {
	for _, c := range res.Clusters {
		if !c.Found {
			fmt.Fprintf(w, "%s: %s\n", c.Cluster, c.Error)
			continue
		}
		a := c.App
		state := "settled"
		if !c.Settled {
			state = "NOT settled"
		}
		fmt.Fprintf(w, "%s: app %s %s: %d of %d tasks running, image %s", c.Cluster, a.ID, state, a.Running, a.Instances, a.Image)
		if a.Digest != "" && marathon.DigestOf(a.Image) == "" {
			fmt.Fprintf(w, " (%s)", a.Digest)
		}
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		for _, v := range a.Versions {
			var states []string
			for s, n := range v.Tasks {
				states = append(states, fmt.Sprintf("%d %s", n, s))
			}
			fmt.Fprintf(tw, "  version %s\t%s\t%s\t%s\n", v.Version, orDash(v.Digest), strings.Join(states, ", "), strings.Join(v.Hosts, " "))
		}
		_ = tw.Flush()
		for _, d := range a.Deployments {
			fmt.Fprintf(w, "  deployment %s in progress\n", d)
		}
		if f := a.LastFailure; f != nil {
			fmt.Fprintf(w, "  last task failure (%s, version %s) on %s: %s\n", f.Timestamp, f.Version, f.Host, f.Message)
		}
	}
	if res.SameDigest && len(res.Clusters) > 1 {
		fmt.Fprintf(w, "every cluster runs %s\n", res.Clusters[0].App.Digest)
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
