package deploy

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/marathon"
	"github.com/dcos-vsphere/dcos-vsphere/registry"
)

// ArchiveURI is the URI every app pulling from the registry fetches: the
// archive the installer and `acs sync` put on every agent.
const ArchiveURI = "file://" + registry.ArchivePath

// Defaults of Options.
const (
	DefaultWait = 5 * time.Minute
)

// Registry is cluster.yaml's registry: the credentials the agents' archive
// carries, checked from here before anything is deployed.
type Registry struct {
	Credentials registry.Credentials
	CAFile      string
	RootCAs     *x509.CertPool // tests
}

// Options of Prepare and Deploy.
type Options struct {
	// Image is --image ("" = the app's own image). A reference without a
	// registry host names a repository of Registry.
	Image string
	// Registry is nil when cluster.yaml has no registry section.
	Registry *Registry
	// ByTag keeps the tag in the definition (with forcePullImage) instead
	// of pinning the digest it names now.
	ByTag bool
	// Force replaces a deployment that holds the app (Marathon's force).
	Force bool
	// Strict refuses to deploy on a cluster where an agent lacks the
	// current archive (default: name them and deploy).
	Strict bool
	// Wait bounds the wait for each cluster's deployment (default 5 min).
	Wait time.Duration
	// MaxFailures, Interval: marathon.WaitOptions.
	MaxFailures int
	Interval    time.Duration
	// Progress receives lines for people (may be nil).
	Progress func(cluster, msg string)
}

func (o Options) progress(cluster, format string, args ...any) {
	if o.Progress != nil {
		o.Progress(cluster, fmt.Sprintf(format, args...))
	}
}

// Plan is the app as it will be deployed on every cluster.
type Plan struct {
	App *marathon.App `json:"-"`
	// Image is the image as given; Reference what the definition says
	// (the digest pinned, unless ByTag); Digest the manifest digest.
	Image      string   `json:"image"`
	Reference  string   `json:"reference"`
	Digest     string   `json:"digest,omitempty"`
	OnRegistry bool     `json:"onRegistry"`
	Warnings   []string `json:"warnings,omitempty"`
}

// Prepare resolves the image and edits the definition; it touches no
// cluster. An image on the registry is checked from here with
// cluster.yaml's credentials (those of the agents' archive): a wrong or
// expired secret, a missing tag, no pull right fail here (*registry.Error),
// before anything is deployed.
func Prepare(ctx context.Context, app *marathon.App, o Options) (*Plan, error) {
	a := app.Clone()
	image := o.Image
	fromFlag := image != ""
	if image == "" {
		image = a.Image()
	}
	if image == "" {
		return nil, &marathon.AppError{File: a.File(), Field: "container.docker.image", Msg: "no image: set it in the app definition or give --image"}
	}
	p := &Plan{App: a, Image: image, Reference: image}
	host := marathon.ImageHost(image)
	var regHost string
	if o.Registry != nil {
		regHost = o.Registry.Credentials.Host()
	}
	if fromFlag && host == "" && regHost != "" {
		image = regHost + "/" + image // a repository of cluster.yaml's registry
		p.Image, p.Reference, host = image, image, regHost
	}
	switch {
	case regHost != "" && host == regHost:
		p.OnRegistry = true
	case regHost != "" && host != "":
		p.Warnings = append(p.Warnings, fmt.Sprintf("image %s is not on the registry %s of cluster.yaml: no credentials are added for it", image, regHost))
	case host == "" && regHost == "":
	}
	if p.OnRegistry {
		ref, repo, err := registry.ParseImage(regHost, image)
		if err != nil {
			return nil, fmt.Errorf("--image: %w", err)
		}
		check := repo.RepositoryStr() + ":latest"
		if ref != nil {
			check = strings.TrimPrefix(ref.Name(), regHost+"/")
		}
		res, err := registry.Check(ctx, o.Registry.Credentials, registry.CheckOptions{CAFile: o.Registry.CAFile, RootCAs: o.Registry.RootCAs, Image: check})
		if err != nil {
			return nil, err
		}
		p.Digest = res.Image.Digest
		if o.ByTag {
			p.Reference = regHost + "/" + check
		} else {
			p.Reference = regHost + "/" + repo.RepositoryStr() + "@" + p.Digest
		}
		a.SetLabel(marathon.LabelImage, regHost+"/"+check)
		a.SetLabel(marathon.LabelDigest, p.Digest)
		a.EnsureURI(ArchiveURI)
	}
	a.SetImage(p.Reference)
	if p.OnRegistry && o.ByTag {
		a.SetForcePull(true)
	}
	p.Warnings = append(p.Warnings, a.Lint(regHost, ArchiveURI)...)
	return p, nil
}

// Result is a deploy on one or more clusters.
type Result struct {
	App       string          `json:"app"`
	Image     string          `json:"image"`
	Reference string          `json:"reference"`
	Digest    string          `json:"digest,omitempty"`
	Warnings  []string        `json:"warnings,omitempty"`
	Clusters  []ClusterResult `json:"clusters"`
}

// Cluster deploy states.
const (
	StatusDeployed   = "deployed"
	StatusFailed     = "failed"
	StatusRefused    = "refused"     // nothing changed on it (--strict, a lock, an invalid definition)
	StatusNotStarted = "not-started" // an earlier cluster failed
)

// ClusterResult is the deploy on one cluster.
type ClusterResult struct {
	Cluster         string `json:"cluster"`
	Marathon        string `json:"marathon,omitempty"`
	MarathonVersion string `json:"marathonVersion,omitempty"`
	Status          string `json:"status"`
	Created         bool   `json:"created,omitempty"`
	DeploymentID    string `json:"deploymentId,omitempty"`
	Version         string `json:"version,omitempty"`
	// BeforeImage is what the app ran before ("" when it is new).
	BeforeImage string `json:"beforeImage,omitempty"`
	// Digest is what the app's current definition runs; Running how many
	// of Instances tasks run it.
	Digest    string          `json:"digest,omitempty"`
	Running   int             `json:"running"`
	Instances int             `json:"instances"`
	Tasks     []marathon.Task `json:"tasks,omitempty"`
	// Agents is the survey of the agents' archive before the deploy.
	Agents   []AgentArchive `json:"agents,omitempty"`
	Warnings []string       `json:"warnings,omitempty"`
	Failures []Failure      `json:"failures,omitempty"`
	Error    string         `json:"error,omitempty"`
}

// OK reports whether every cluster was deployed.
func (r *Result) OK() bool {
	for _, c := range r.Clusters {
		if c.Status != StatusDeployed {
			return false
		}
	}
	return len(r.Clusters) > 0
}

// Deploy puts p on each cluster in order (ACS, the integration cluster,
// first when both are given) and stops at the first that fails: the
// others are not started. It returns the result with the first error.
func Deploy(ctx context.Context, p *Plan, clusters []Cluster, o Options) (*Result, error) {
	res := &Result{App: p.App.ID(), Image: p.Image, Reference: p.Reference, Digest: p.Digest, Warnings: p.Warnings}
	var first error
	for _, c := range clusters {
		if first != nil {
			res.Clusters = append(res.Clusters, ClusterResult{Cluster: c.Name(), Status: StatusNotStarted,
				Error: "not deployed: the deploy on " + res.Clusters[len(res.Clusters)-1].Cluster + " failed"})
			continue
		}
		cr, err := deployOne(ctx, p, c, o)
		if err != nil {
			cr.Error = err.Error()
			first = err
		}
		res.Clusters = append(res.Clusters, cr)
	}
	return res, first
}

func deployOne(ctx context.Context, p *Plan, c Cluster, o Options) (ClusterResult, error) {
	name := c.Name()
	mc := c.Marathon()
	cr := ClusterResult{Cluster: name, Marathon: mc.URL(), Status: StatusRefused, Instances: p.App.Instances()}
	if p.OnRegistry {
		agents, warns, err := c.Archives(ctx)
		cr.Agents, cr.Warnings = agents, append(cr.Warnings, warns...)
		if err != nil {
			cr.Warnings = append(cr.Warnings, "could not survey the agents' "+ArchiveURI+": "+err.Error())
			o.progress(name, "warning: could not survey the agents' archive: %v", err)
		}
		var lacking []string
		for _, a := range agents {
			if !a.OK() {
				lacking = append(lacking, fmt.Sprintf("%s (%s): %s: %s", a.Name, a.IP, a.State, a.Detail))
			}
		}
		o.progress(name, "%d of %d agents have the current %s", len(agents)-len(lacking), len(agents), registry.ArchivePath)
		if len(lacking) > 0 {
			w := fmt.Sprintf("%d agent(s) lack the current %s, so a task placed there cannot pull %s: %s. Fix: %s",
				len(lacking), registry.ArchivePath, p.Reference, strings.Join(lacking, "; "), c.Fix())
			cr.Warnings = append(cr.Warnings, w)
			o.progress(name, "warning: %s", w)
			if o.Strict {
				return cr, &NotReadyError{Cluster: name, Agents: lacking, Fix: c.Fix()}
			}
		}
	}
	before, err := mc.App(ctx, p.App.ID())
	switch {
	case errors.Is(err, marathon.ErrNoApp):
		before = nil
	case err != nil:
		return cr, err
	default:
		cr.BeforeImage = before.Image()
	}
	d, err := mc.PutApp(ctx, p.App, o.Force)
	if err != nil {
		return cr, err
	}
	cr.Status, cr.Created, cr.DeploymentID, cr.Version = StatusFailed, d.Created, d.ID, d.Version
	verb := "updated"
	if d.Created {
		verb = "created"
	}
	o.progress(name, "PUT %s/v2/apps%s: %s, deployment %s (version %s)", mc.URL(), p.App.ID(), verb, d.ID, d.Version)
	wctx, cancel := context.WithTimeout(ctx, orDefault(o.Wait, DefaultWait))
	defer cancel()
	prog, werr := mc.WaitDeployed(wctx, p.App.ID(), d, marathon.WaitOptions{Interval: o.Interval, MaxFailures: o.MaxFailures, Before: before,
		OnProgress: func(pr marathon.Progress) { o.progress(name, "deployment %s: %s", d.ID, pr) }})
	cr.Tasks, cr.Failures = prog.Tasks, explain(prog.Failures, cr.Agents, c.Fix(), p.App)
	if st, err := mc.Status(ctx, p.App.ID()); err == nil {
		cr.Digest, cr.Running, cr.Instances = st.Digest, st.Running, st.Instances
	}
	var fe *marathon.FailedError
	switch {
	case werr == nil:
		cr.Status = StatusDeployed
		o.progress(name, "deployed: %d of %d tasks run %s", cr.Running, cr.Instances, orDefault(cr.Digest, p.Reference))
		return cr, nil
	case errors.As(werr, &fe):
		return cr, &FailedError{Cluster: name, App: p.App.ID(), DeploymentID: d.ID, Failures: cr.Failures}
	case errors.Is(werr, context.DeadlineExceeded) && ctx.Err() == nil:
		return cr, &TimeoutError{Cluster: name, App: p.App.ID(), DeploymentID: d.ID, Wait: orDefault(o.Wait, DefaultWait), Progress: prog, Failures: cr.Failures}
	}
	return cr, werr
}

func orDefault[T comparable](v, d T) T {
	var zero T
	if v == zero {
		return d
	}
	return v
}
