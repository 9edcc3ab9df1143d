package installer

import (
	"context"
	"fmt"
	"strings"

	"github.com/dcos-vsphere/dcos-vsphere/registry"
)

// The shared registry (ACR) on the vSphere cluster: DC/OS 1.9 gets only
// cluster_docker_credentials_enabled, so every agent's Mesos agent reads
// registry.CredentialsPath (its --docker_config); the installer writes that
// file and registry.ArchivePath (for "uris": ["file:///etc/docker.tar.gz"])
// on each agent before dcos_install.sh, and registry rotate rewrites them.
// The secret never goes into genconf/, the served config, an event or a
// process argument: files travel by SFTP and are installed as root.

func (r *Run) hasRegistry() bool { return r.Cluster.Registry.Server != "" }

// registryCredentials are cluster.yaml's registry credentials.
func (r *Run) registryCredentials() registry.Credentials {
	g := r.Cluster.Registry
	return registry.Credentials{Server: g.Server, Username: g.Username, Password: g.Password.Value()}
}

// registryFiles are the files every agent must have (nil without a
// registry section), built once per run.
func (r *Run) registryFiles() ([]registry.NodeFile, error) {
	if !r.hasRegistry() {
		return nil, nil
	}
	r.regOnce.Do(func() {
		r.regFiles, r.regErr = registry.NodeFiles(r.registryCredentials())
		if r.regErr != nil {
			r.regErr = fmt.Errorf("registry: %w", r.regErr)
		}
	})
	return r.regFiles, r.regErr
}

// registryArchive is the docker.tar.gz of registryFiles.
func (r *Run) registryArchive() ([]byte, error) {
	files, err := r.registryFiles()
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if f.Path == registry.ArchivePath {
			return f.Data, nil
		}
	}
	return nil, fmt.Errorf("registry: no %s among the node files", registry.ArchivePath)
}

func isAgent(role string) bool { return role == RoleAgent || role == RolePublicAgent }

// registryProblems says how an agent's registry files differ from what
// cluster.yaml wants (nil: in place, or nothing to check). unknown is true
// when the node's files could not be read.
func (r *Run) registryProblems(name, role string) (problems []registry.Problem, unknown bool) {
	if !r.hasRegistry() || !isAgent(role) {
		return nil, false
	}
	want, err := r.registryFiles()
	if err != nil {
		return nil, true
	}
	f := r.facts(name)
	if f == nil || f.Registry == nil {
		return nil, true
	}
	return f.Registry.Compare(want), false
}

func problemsText(ps []registry.Problem) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.String()
	}
	return strings.Join(parts, "; ")
}

// registryAction is what install does to agent n for the registry ("":
// nothing).
func (r *Run) registryAction(n VMSpec) string {
	ps, unknown := r.registryProblems(n.Name, n.Role)
	if len(ps) == 0 && !unknown {
		return "" // in place, or no registry / not an agent
	}
	return writeRegistryWhat
}

// writeRegistryWhat is the action of writing an agent's registry files,
// planned and done.
const writeRegistryWhat = "write the registry credentials (" + registry.CredentialsPath + ", " + registry.ArchivePath + ", root 0600)"

// prepareRegistry puts the registry files on agent n right before its
// install (installDCOS.prepare): the Mesos agent does not start without
// its --docker_config. Files already in place are left alone.
func prepareRegistry(ctx context.Context, r *Run, n VMSpec) error {
	if !r.hasRegistry() || !isAgent(n.Role) {
		return nil
	}
	_, err := r.writeRegistryFiles(ctx, n)
	return err
}

// writeRegistryFiles writes the registry files that differ on n and
// checks the result; it returns the paths written.
func (r *Run) writeRegistryFiles(ctx context.Context, n VMSpec) ([]string, error) {
	want, err := r.registryFiles()
	if err != nil {
		return nil, err
	}
	c := r.conn(n.Name)
	state, err := readRegistryState(ctx, c)
	if err != nil {
		return nil, err
	}
	if state.Legacy() {
		return nil, &ConflictError{Msg: legacyMessage(r, []string{n.Name})}
	}
	bad := map[string]bool{}
	for _, p := range state.Compare(want) {
		bad[p.Path] = true
	}
	var wrote []string
	for _, f := range want {
		if !bad[f.Path] {
			continue
		}
		r.step(n.Name, "write "+f.Path)
		if err := c.WriteFile(ctx, f.Data, f.Path, f.Mode); err != nil {
			return wrote, fmt.Errorf("write %s: %w", f.Path, err)
		}
		wrote = append(wrote, f.Path)
	}
	if len(wrote) == 0 {
		return nil, nil
	}
	after, err := readRegistryState(ctx, c)
	if err != nil {
		return wrote, err
	}
	if ps := after.Compare(want); len(ps) > 0 {
		return wrote, fmt.Errorf("registry files after writing them: %s", problemsText(ps))
	}
	r.did(n.Name, writeRegistryWhat)
	r.emit(Event{Kind: Info, Node: n.Name, Message: "wrote " + strings.Join(wrote, ", ")})
	r.setRegistryState(n.Name, after)
	return wrote, nil
}

func (r *Run) setRegistryState(name string, st registry.NodeState) {
	r.withNode(name, func(nd *node) {
		if nd.facts != nil {
			f := *nd.facts
			f.Registry = &st
			nd.facts = &f
		}
	})
}

// registryStateScript reads the registry files' facts (no contents).
func registryStateScript() Script {
	return Script{Name: "registry-state", Body: registry.NodeCheckScript()}
}

func readRegistryState(ctx context.Context, c Conn) (registry.NodeState, error) {
	out, err := c.Run(ctx, registryStateScript(), nil)
	if err != nil {
		return registry.NodeState{}, fmt.Errorf("read the registry files: %w", err)
	}
	return registry.ParseNodeState(out)
}

// legacyNodes are the nodes that run with DC/OS-owned registry
// credentials (installed with cluster_docker_credentials in config.yaml).
func (r *Run) legacyNodes() []string {
	var out []string
	for _, n := range r.dcosNodes() {
		if f := r.facts(n.Name); f != nil && f.Registry != nil && f.Registry.Legacy() {
			out = append(out, n.Name)
		}
	}
	return out
}

func legacyMessage(r *Run, nodes []string) string {
	return fmt.Sprintf("cluster %s was installed the old way: %s hold(s) the registry credentials inside the DC/OS config (%s, from cluster_docker_credentials), "+
		"which the bootstrap node serves over plain HTTP and which can only change with a new DC/OS config. dcos-vsphere does not change that behind your back: "+
		"keep the cluster as it is (then remove registry.server from cluster.yaml and manage the credentials as before), or reinstall it with this version "+
		"so that the agents read %s", r.Cluster.Name, strings.Join(nodes, ", "), registry.LegacyCredentialsPath, registry.CredentialsPath)
}

// checkRegistry logs in to the registry from here the way a docker client
// on an agent would (registry check), before anything is created: wrong
// credentials would only show as failing pulls much later.
type checkRegistry struct {
	// rotating: registry rotate (no advice to run it)
	rotating bool
}

func (checkRegistry) ID() PhaseID   { return PhaseRegistryCheck }
func (checkRegistry) Title() string { return "Check registry" }
func (checkRegistry) Describe() string {
	return "log in to registry.server with cluster.yaml's credentials (token flow) and pull registry.checkImage, from this machine"
}
func (checkRegistry) ReadOnly() {}

func (checkRegistry) ShouldRun(r *Run) (bool, string) {
	if !r.hasRegistry() {
		return false, "no registry section"
	}
	return true, ""
}

func (p checkRegistry) Run(ctx context.Context, r *Run) error {
	if nodes := r.legacyNodes(); len(nodes) > 0 {
		return &ConflictError{Msg: legacyMessage(r, nodes)}
	}
	if _, err := r.registryFiles(); err != nil {
		return err
	}
	// Installed agents are not rewritten by install (their Mesos agent
	// must be restarted to read new credentials): say so.
	for _, n := range r.byRole(RoleAgent, RolePublicAgent) {
		if p.rotating {
			break
		}
		if f := r.facts(n.Name); f == nil || f.DCOS != DCOSInstalled {
			continue
		}
		if ps, unknown := r.registryProblems(n.Name, n.Role); len(ps) > 0 {
			r.emit(Event{Kind: Warning, Node: n.Name, Message: "registry files differ from cluster.yaml's credentials (" + problemsText(ps) + "): run `dcos-vsphere registry rotate`"})
		} else if unknown {
			r.emit(Event{Kind: Warning, Node: n.Name, Message: "could not read the registry files"})
		}
	}
	if r.CheckRegistry == nil {
		return nil
	}
	msg, err := r.CheckRegistry(ctx)
	if err != nil {
		return err
	}
	r.emit(Event{Kind: Info, Message: msg})
	return nil
}
