package installer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// GenconfFiles are the DC/OS genconf inputs the bootstrap node gets.
type GenconfFiles struct {
	ConfigYAML     []byte
	IPDetect       []byte
	IPDetectPublic []byte // nil unless configured
}

// SHA256 identifies this exact DC/OS configuration (config.yaml and the
// ip-detect scripts): what the cluster was installed from.
func (g GenconfFiles) SHA256() string {
	h := sha256.New()
	for _, part := range [][]byte{g.ConfigYAML, g.IPDetect, g.IPDetectPublic} {
		fmt.Fprintf(h, "%d:", len(part))
		h.Write(part)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// checkConfig refuses, before anything is created or written, a DC/OS
// config that differs from the one the running cluster was installed from
// (DC/OS 1.9 cannot change it: a new config id would split the cluster).
// The truth is the nodes: their marks and the dcos-config package they
// run; the bootstrap node's genconf/serve and the state file only help
// where nodes say nothing.
type checkConfig struct{}

func (checkConfig) ID() PhaseID   { return PhaseCheckConfig }
func (checkConfig) Title() string { return "Check DC/OS config" }
func (checkConfig) Describe() string {
	return "the DC/OS config rendered from cluster.yaml must be the one the running cluster was installed from"
}
func (checkConfig) ReadOnly() {}

// runningConfig is what the cluster's nodes say about their config.
type runningConfig struct {
	// bySHA maps a config sha (from node marks) to the nodes that say so.
	bySHA map[string][]string
	// byPackage maps a dcos-config package to the nodes running it.
	byPackage map[string][]string
	// dcosNodes counts nodes where DC/OS setup started (partly or fully).
	dcosNodes int
	// served is the bootstrap node's genconf/serve, if generated.
	servedSHA string
}

func (r *Run) runningConfig() runningConfig {
	rc := runningConfig{bySHA: map[string][]string{}, byPackage: map[string][]string{}}
	r.mu.Lock()
	defer r.mu.Unlock()
	for name, n := range r.nodes {
		f := n.facts
		if f == nil || n.vm == nil {
			continue
		}
		if n.spec.Role == RoleBootstrap {
			if f.ServeGenerated {
				rc.servedSHA = f.ServedConfigSHA256
			}
			continue
		}
		if f.DCOS == DCOSNotInstalled {
			continue
		}
		rc.dcosNodes++
		if f.Mark != nil && f.Mark.ConfigSHA256 != "" {
			rc.bySHA[f.Mark.ConfigSHA256] = append(rc.bySHA[f.Mark.ConfigSHA256], name)
		}
		if f.ConfigPackage != "" {
			rc.byPackage[f.ConfigPackage] = append(rc.byPackage[f.ConfigPackage], name)
		}
	}
	for _, m := range []map[string][]string{rc.bySHA, rc.byPackage} {
		for _, names := range m {
			sort.Strings(names)
		}
	}
	return rc
}

// runningPackage is the one dcos-config package the cluster's nodes run
// ("" when none runs DC/OS yet).
func (rc runningConfig) runningPackage() string {
	for p := range rc.byPackage {
		return p
	}
	return ""
}

func (checkConfig) Run(_ context.Context, r *Run) error {
	want := r.Files.SHA256()
	rc := r.runningConfig()
	restore := "DC/OS 1.9 cannot change a running cluster's config: restore the dcos, network and nodes.masters settings " +
		"the cluster was installed with (or destroy and reinstall the cluster)"
	if len(rc.byPackage) > 1 {
		var parts []string
		for p, names := range rc.byPackage {
			parts = append(parts, fmt.Sprintf("%s on %s", p, strings.Join(names, ", ")))
		}
		sort.Strings(parts)
		return &ConflictError{Msg: "the cluster's nodes run different DC/OS configs (" + strings.Join(parts, "; ") + "); " +
			"a split cluster cannot be repaired by this tool: reinstall the nodes that run the odd one"}
	}
	for sha, names := range rc.bySHA {
		if sha != want {
			return &ConflictError{Msg: fmt.Sprintf("the DC/OS part of the config changed since the cluster was installed: %s run(s) config %s, cluster.yaml now renders %s; %s",
				strings.Join(names, ", "), shortID(sha), shortID(want), restore)}
		}
	}
	if rc.dcosNodes > 0 && len(rc.bySHA) == 0 {
		// Nodes without marks (installed by an older version): the served
		// directory, else the state file, says what they run.
		var known, from string
		if rc.servedSHA != "" {
			known, from = rc.servedSHA, "the bootstrap node's genconf/serve"
		} else {
			r.State.View(func(st *State) { known = st.ConfigSHA256 })
			from = "the state file"
		}
		if known != "" && known != want {
			return &ConflictError{Msg: fmt.Sprintf("the DC/OS part of the config changed since the cluster was installed: %s says config %s, cluster.yaml now renders %s; %s",
				from, shortID(known), shortID(want), restore)}
		}
	}
	msg := "config " + shortID(want) + " matches"
	switch {
	case rc.dcosNodes > 0:
		msg += fmt.Sprintf(" what %d node(s) run", rc.dcosNodes)
		if p := rc.runningPackage(); p != "" {
			msg += " (" + p + ")"
		}
	default:
		msg = "no node runs DC/OS yet; config " + shortID(want) + " will be installed"
	}
	r.emit(Event{Kind: Info, Message: msg})
	return nil
}

// agentSize is the VM size of a new agent of role.
func agentSize(r *Run, role string) config.Size { return r.Cluster.GroupSize(config.Role(role)) }
