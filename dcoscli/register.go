package dcoscli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/dcos-vsphere/dcos-vsphere/internal/fsutil"
)

// Names in the CLI's directory.
const (
	DirEnv       = "DCOS_DIR"    // CLI 0.5+: the directory itself
	ClustersDir  = "clusters"    // per-cluster directories
	ConfigFile   = "dcos.toml"   // in a cluster directory; also the legacy global file
	AttachedFile = "attached"    // empty marker: the cluster commands act on
	Legacy04Dir  = "cli-0.4"     // our DCOS_CONFIG files for CLI 0.4.x
	configEnv04  = "DCOS_CONFIG" // CLI 0.4.x: the one config file
)

// clusterID is what CLI 0.5 lists as a cluster directory (uuid4, as
// DC/OS's bootstrap generates it).
var clusterID = regexp.MustCompile(`^[a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12}$`)

// ValidClusterID reports whether id is a DC/OS cluster id the CLI lists.
func ValidClusterID(id string) bool { return clusterID.MatchString(id) }

// DefaultDir is $DCOS_DIR, else ~/.dcos.
func DefaultDir() (string, error) {
	if d := os.Getenv(DirEnv); d != "" {
		return filepath.Abs(d)
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the DC/OS CLI directory: %w (set %s)", err, DirEnv)
	}
	return filepath.Join(home, ".dcos"), nil
}

// Cluster is one cluster to register.
type Cluster struct {
	ID   string // CLUSTER_ID (/var/lib/dcos/cluster-id on a master)
	Name string // [cluster] name (DC/OS cluster_name)
	URL  string // [core] dcos_url
	// SSLVerify is [core] ssl_verify: "false" (default), "true" or a CA
	// bundle path. Only used for new entries.
	SSLVerify string
}

// Options tune Register.
type Options struct {
	// Dir is the CLI directory (default DefaultDir()).
	Dir string
	// LegacyClusterID is the CLUSTER_ID of the cluster a legacy dcos.toml
	// points at, for when its /metadata cannot be read (a cluster with
	// auth, or one not reachable from here).
	LegacyClusterID string
	// HTTPClient reads <dcos_url>/metadata of a legacy configuration
	// (default: 5 s timeout, TLS as its ssl_verify says).
	HTTPClient *http.Client
}

// Result says what Register did.
type Result struct {
	Dir      string     `json:"dir"`
	Migrated *Migration `json:"migrated,omitempty"`
	Clusters []Entry    `json:"clusters"`
	// Attached is the id of the attached cluster after the run.
	Attached string   `json:"attached,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

// Migration is the legacy dcos.toml moved into the per-cluster layout.
type Migration struct {
	From      string `json:"from"`
	ClusterID string `json:"clusterId"`
	URL       string `json:"url"`
	Path      string `json:"path"`
}

// Entry actions.
const (
	Created   = "created"
	Updated   = "updated" // dcos_url changed, everything else kept
	Unchanged = "unchanged"
)

// Entry is one registered cluster.
type Entry struct {
	ID       string `json:"id"`
	Name     string `json:"name"` // as the file says (an existing entry keeps its own)
	URL      string `json:"url"`
	Path     string `json:"path"`
	Action   string `json:"action"`
	OldURL   string `json:"oldUrl,omitempty"`
	Attached bool   `json:"attached"`
	// Legacy04Path is the DCOS_CONFIG file for CLI 0.4.x and its action.
	Legacy04Path   string `json:"cli04Path"`
	Legacy04Action string `json:"cli04Action"`
	// Commands are the shell lines that use this cluster.
	Commands []string `json:"commands"`
}

// Register writes each cluster's entry (see the package comment). It
// stops before changing anything when an input is invalid, a legacy
// dcos.toml cannot be migrated, or an existing entry cannot be read.
func Register(ctx context.Context, o Options, clusters ...Cluster) (Result, error) {
	var res Result
	if len(clusters) == 0 {
		return res, errors.New("register DC/OS CLI clusters: nothing to register")
	}
	seen := map[string]bool{}
	for i, c := range clusters {
		switch {
		case !ValidClusterID(c.ID):
			return res, fmt.Errorf("register %q for the DC/OS CLI: cluster id %q is not a DC/OS cluster id (a lowercase uuid4 such as /var/lib/dcos/cluster-id holds)", c.Name, c.ID)
		case c.Name == "":
			return res, fmt.Errorf("register cluster %s for the DC/OS CLI: no name", c.ID)
		case seen[c.ID]:
			return res, fmt.Errorf("register %q for the DC/OS CLI: cluster id %s is given twice", c.Name, c.ID)
		}
		seen[c.ID] = true
		u, err := url.Parse(c.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return res, fmt.Errorf("register %q for the DC/OS CLI: dcos_url %q is not an http(s) URL", c.Name, c.URL)
		}
		if clusters[i].SSLVerify == "" {
			clusters[i].SSLVerify = "false"
		}
	}
	dir := o.Dir
	if dir == "" {
		var err error
		if dir, err = DefaultDir(); err != nil {
			return res, err
		}
	}
	res.Dir = dir
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return res, fmt.Errorf("create the DC/OS CLI directory: %w", err)
	}

	// Migrate first: CLI 0.5 migrates only while clusters/ does not
	// exist. Migration happens only when there is no clusters/ at all, so
	// the entries read next include the migrated one.
	mig, err := migrateLegacy(ctx, dir, o)
	if err != nil {
		return res, err
	}
	res.Migrated = mig

	// Read every existing entry before writing: a broken one stops the
	// run with nothing changed.
	type existing struct {
		path string
		data []byte
		doc  map[string]any
		mode os.FileMode
	}
	old := map[string]existing{}
	for _, c := range clusters {
		p := filepath.Join(dir, ClustersDir, c.ID, ConfigFile)
		data, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return res, fmt.Errorf("read DC/OS CLI entry %s: %w", p, err)
		}
		doc, err := decode(data)
		if err != nil {
			return res, fmt.Errorf("read DC/OS CLI entry %s: not valid TOML (%v); fix or remove it, nothing was changed", p, err)
		}
		st, err := os.Stat(p)
		if err != nil {
			return res, err
		}
		old[c.ID] = existing{p, data, doc, st.Mode().Perm()}
	}
	before, err := clusterDirs(dir)
	if err != nil {
		return res, err
	}

	for _, c := range clusters {
		e := Entry{ID: c.ID, Name: c.Name, URL: c.URL, Path: filepath.Join(dir, ClustersDir, c.ID, ConfigFile)}
		if ex, ok := old[c.ID]; ok {
			cur, _ := coreString(ex.doc, "dcos_url")
			if n := clusterName(ex.doc); n != "" {
				e.Name = n
			}
			if cur == c.URL {
				e.Action = Unchanged
			} else {
				out, rewritten, err := setCoreURL(ex.data, ex.doc, c.URL)
				if err != nil {
					return res, fmt.Errorf("update dcos_url in %s: %w", ex.path, err)
				}
				mode := ex.mode
				if mode&0o077 != 0 {
					mode = 0o600 // the CLI refuses group/other access anyway
				}
				if err := fsutil.WriteAtomic(ex.path, out, mode); err != nil {
					return res, fmt.Errorf("update DC/OS CLI entry: %w", err)
				}
				e.Action, e.OldURL = Updated, cur
				if rewritten {
					res.Warnings = append(res.Warnings, fmt.Sprintf("%s: dcos_url could not be changed in place; the file was re-encoded with every key kept (comments and layout were not)", ex.path))
				}
			}
		} else {
			if err := fsutil.WriteAtomic(e.Path, newEntry(c.URL, c.SSLVerify, c.Name), 0o600); err != nil {
				return res, fmt.Errorf("create DC/OS CLI entry for %q: %w", c.Name, err)
			}
			_ = os.Chmod(filepath.Dir(e.Path), 0o700)
			e.Action = Created
		}
		lp, action, err := writeLegacy04(dir, c)
		if err != nil {
			return res, err
		}
		e.Legacy04Path, e.Legacy04Action = lp, action
		res.Clusters = append(res.Clusters, e)
	}

	attached, warn, err := ensureAttached(dir, before, clusters[0].ID)
	if err != nil {
		return res, err
	}
	res.Attached = attached
	res.Warnings = append(res.Warnings, warn...)
	res.Warnings = append(res.Warnings, nameClashes(dir, res.Clusters)...)
	for i := range res.Clusters {
		e := &res.Clusters[i]
		e.Attached = e.ID == attached
		e.Commands = []string{
			"dcos cluster attach " + e.Name,
			fmt.Sprintf("DCOS_CLUSTER=%s dcos node", e.Name),
			fmt.Sprintf("%s=%s dcos node", configEnv04, e.Legacy04Path),
		}
	}
	return res, nil
}

// ensureAttached leaves an attached cluster as it is. With none, it
// attaches the only cluster that existed before (the CLI treats a lone
// cluster as attached, so it stays the current one), else first.
func ensureAttached(dir string, before []string, first string) (string, []string, error) {
	ids, err := clusterDirs(dir)
	if err != nil {
		return "", nil, err
	}
	var attached []string
	for _, id := range ids {
		if _, err := os.Stat(filepath.Join(dir, ClustersDir, id, AttachedFile)); err == nil {
			attached = append(attached, id)
		}
	}
	switch {
	case len(attached) == 1:
		return attached[0], nil, nil
	case len(attached) > 1:
		return "", []string{fmt.Sprintf("%d clusters are marked attached in %s (%s); the DC/OS CLI refuses that: run `dcos cluster attach NAME`", len(attached), filepath.Join(dir, ClustersDir), strings.Join(attached, ", "))}, nil
	}
	target := first
	if len(before) == 1 {
		target = before[0]
	}
	p := filepath.Join(dir, ClustersDir, target, AttachedFile)
	if err := fsutil.WriteAtomic(p, nil, 0o600); err != nil {
		return "", nil, fmt.Errorf("attach cluster %s for the DC/OS CLI: %w", target, err)
	}
	return target, nil, nil
}

// clusterDirs lists the cluster directories the CLI sees (uuid4 names).
func clusterDirs(dir string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(dir, ClustersDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list DC/OS CLI clusters: %w", err)
	}
	var ids []string
	for _, e := range entries {
		if e.IsDir() && ValidClusterID(e.Name()) {
			ids = append(ids, e.Name())
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// nameClashes warns when another cluster has the name of a registered one:
// DCOS_CLUSTER=<name> and `dcos cluster attach <name>` would be ambiguous.
func nameClashes(dir string, regs []Entry) []string {
	ids, _ := clusterDirs(dir)
	var warns []string
	for _, e := range regs {
		for _, id := range ids {
			if id == e.ID {
				continue
			}
			data, err := os.ReadFile(filepath.Join(dir, ClustersDir, id, ConfigFile))
			if err != nil {
				continue
			}
			if doc, err := decode(data); err == nil && clusterName(doc) == e.Name {
				warns = append(warns, fmt.Sprintf("cluster %s is also named %q; use the id with DCOS_CLUSTER or rename one with `dcos cluster rename`", id, e.Name))
			}
		}
	}
	return warns
}

// unsafeName matches what a cluster name may not put in a file name.
var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// writeLegacy04 writes cli-0.4/<name>.toml for CLI 0.4.x (no [cluster]
// table: 0.4.x validates sections it knows). An existing file keeps
// everything but dcos_url.
func writeLegacy04(dir string, c Cluster) (string, string, error) {
	name := strings.Trim(unsafeName.ReplaceAllString(c.Name, "-"), "-.")
	if name == "" {
		name = c.ID
	}
	p := filepath.Join(dir, Legacy04Dir, name+".toml")
	data, err := os.ReadFile(p)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := fsutil.WriteAtomic(p, newEntry(c.URL, c.SSLVerify, ""), 0o600); err != nil {
			return "", "", fmt.Errorf("write the DC/OS CLI 0.4 config for %q: %w", c.Name, err)
		}
		return p, Created, nil
	case err != nil:
		return "", "", fmt.Errorf("read %s: %w", p, err)
	}
	doc, err := decode(data)
	if err != nil {
		return "", "", fmt.Errorf("read %s: not valid TOML (%v); fix or remove it", p, err)
	}
	if cur, _ := coreString(doc, "dcos_url"); cur == c.URL {
		return p, Unchanged, nil
	}
	out, _, err := setCoreURL(data, doc, c.URL)
	if err != nil {
		return "", "", fmt.Errorf("update dcos_url in %s: %w", p, err)
	}
	if err := fsutil.WriteAtomic(p, out, 0o600); err != nil {
		return "", "", err
	}
	return p, Updated, nil
}

// Preview says what Register would do to each cluster's entry (Action
// created, updated or unchanged; OldURL), reading but writing nothing:
// plan's view. migrate is true when a legacy dcos.toml would be migrated
// first.
func Preview(o Options, clusters ...Cluster) (entries []Entry, migrate bool, err error) {
	dir := o.Dir
	if dir == "" {
		if dir, err = DefaultDir(); err != nil {
			return nil, false, err
		}
	}
	if _, err := os.Stat(filepath.Join(dir, ClustersDir)); errors.Is(err, os.ErrNotExist) {
		if _, err := os.Stat(filepath.Join(dir, ConfigFile)); err == nil {
			migrate = true
		}
	}
	for _, c := range clusters {
		e := Entry{ID: c.ID, Name: c.Name, URL: c.URL, Path: filepath.Join(dir, ClustersDir, c.ID, ConfigFile), Action: Created}
		data, err := os.ReadFile(e.Path)
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return nil, migrate, fmt.Errorf("read DC/OS CLI entry %s: %w", e.Path, err)
		default:
			doc, err := decode(data)
			if err != nil {
				return nil, migrate, fmt.Errorf("read DC/OS CLI entry %s: not valid TOML (%v); fix or remove it", e.Path, err)
			}
			if n := clusterName(doc); n != "" {
				e.Name = n
			}
			cur, _ := coreString(doc, "dcos_url")
			e.Action = Unchanged
			if cur != c.URL {
				e.Action, e.OldURL = Updated, cur
			}
		}
		entries = append(entries, e)
	}
	return entries, migrate, nil
}
