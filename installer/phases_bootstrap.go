package installer

import (
	"context"
	"fmt"
	"os"
	"path"
	"strings"
)

// bootstrapNode makes the bootstrap node serve the genconf/serve of this
// config: it is generated (once per config) in a candidate directory and
// moved into place only when it is right: when nodes already run DC/OS,
// its dcos-config package must be the one they run, so a re-created
// bootstrap node serves the cluster's config again and never another.
type bootstrapNode struct{}

func (bootstrapNode) ID() PhaseID   { return PhaseBootstrap }
func (bootstrapNode) Title() string { return "Bootstrap node" }
func (bootstrapNode) Describe() string {
	return "dcos_generate_config.sh --genconf once per config (checked against what the cluster runs), serve genconf/serve with nginx"
}

// bootstrapWork says what the bootstrap node needs: "" (nothing),
// "serve" (restart nginx) or "generate" (and serve).
func (r *Run) bootstrapWork() string {
	boot := r.byRole(RoleBootstrap)
	if len(boot) == 0 || len(r.notInstalled(r.dcosNodes())) == 0 {
		return ""
	}
	f := r.facts(boot[0].Name)
	switch {
	case f == nil || !f.ServeGenerated || f.ServedConfigSHA256 != r.Files.SHA256():
		return "generate"
	case !f.Serving:
		return "serve"
	}
	return ""
}

// dcosNodes are the wanted nodes that run DC/OS (all but the bootstrap).
func (r *Run) dcosNodes() []VMSpec {
	return r.byRole(RoleMaster, RoleAgent, RolePublicAgent)
}

func (bootstrapNode) ShouldRun(r *Run) (bool, string) {
	if len(r.notInstalled(r.dcosNodes())) == 0 {
		return false, "every node runs DC/OS; nothing to serve"
	}
	if r.bootstrapWork() == "" {
		return false, "genconf/serve of this config is served at " + r.bootstrapURL()
	}
	return true, ""
}

func (bootstrapNode) Plan(r *Run) []Action {
	boot := r.byRole(RoleBootstrap)[0]
	switch r.bootstrapWork() {
	case "generate":
		return []Action{{Phase: PhaseBootstrap, Node: boot.Name, What: "generate genconf/serve (config " + shortID(r.Files.SHA256()) + ") and serve it at " + r.bootstrapURL()}}
	case "serve":
		return []Action{{Phase: PhaseBootstrap, Node: boot.Name, What: "serve genconf/serve at " + r.bootstrapURL()}}
	}
	return nil
}

func (bootstrapNode) Run(ctx context.Context, r *Run) error {
	boot := r.byRole(RoleBootstrap)[0]
	c := r.conn(boot.Name)
	want := r.Files.SHA256()
	if r.bootstrapWork() == "generate" {
		if err := r.generateServe(ctx, boot, c); err != nil {
			return err
		}
		r.did(boot.Name, "generate")
	}
	r.step(boot.Name, "serve genconf/serve")
	if _, err := r.runRetrying(ctx, boot, serveScript(r.servePort())); err != nil {
		return fmt.Errorf("serve genconf/serve: %w", err)
	}
	r.did(boot.Name, "serve")
	r.withNode(boot.Name, func(n *node) {
		if n.facts != nil {
			n.facts.ServeGenerated, n.facts.ServedConfigSHA256, n.facts.Serving = true, want, true
		}
	})
	r.State.Update(func(st *State) {
		st.BootstrapURL = r.bootstrapURL()
		st.ConfigSHA256 = want
	})
	r.State.MarkStep(boot.Name, "serving")
	r.emit(Event{Kind: NodeDone, Node: boot.Name, Message: "serving " + r.bootstrapURL() + " (config " + shortID(want) + ")"})
	return nil
}

// generateServe runs dcos_generate_config.sh in the candidate directory
// and promotes the result, or discards it when it is not the config the
// cluster runs.
func (r *Run) generateServe(ctx context.Context, boot VMSpec, c Conn) error {
	r.step(boot.Name, "installer artifact")
	if err := r.placeInstaller(ctx, c, boot.Name); err != nil {
		return err
	}
	r.step(boot.Name, "genconf")
	if _, err := c.Run(ctx, Script{Name: "candidate", Body: fmt.Sprintf("rm -rf %[1]s\nmkdir -p %[1]s/genconf\nln -f %[2]s/dcos_generate_config.sh %[1]s/dcos_generate_config.sh\n", candidateDir, bootstrapDir)}, r.logLine(boot.Name)); err != nil {
		return fmt.Errorf("prepare %s: %w", candidateDir, err)
	}
	files := []struct {
		data []byte
		name string
		mode os.FileMode
	}{{r.Files.ConfigYAML, "config.yaml", 0o600}, {r.Files.IPDetect, "ip-detect", 0o755}, {r.Files.IPDetectPublic, "ip-detect-public", 0o755}}
	for _, f := range files {
		if f.data == nil {
			continue
		}
		if err := c.WriteFile(ctx, f.data, candidateDir+"/genconf/"+f.name, f.mode); err != nil {
			return fmt.Errorf("write genconf/%s: %w", f.name, err)
		}
	}
	r.step(boot.Name, "dcos_generate_config.sh")
	out, err := c.Run(ctx, generateScript(), r.logLine(boot.Name))
	if err != nil {
		return fmt.Errorf("dcos_generate_config.sh: %w", err)
	}
	generated := ""
	for _, l := range strings.Split(out, "\n") {
		if p, ok := strings.CutPrefix(strings.TrimSpace(l), "package="); ok {
			generated = p
		}
	}
	if running := r.runningConfig().runningPackage(); running != "" && generated != running {
		_, _ = c.Run(ctx, discardScript(), nil)
		return &ConflictError{Msg: fmt.Sprintf("the bootstrap node generated DC/OS config %s from cluster.yaml, but the cluster's nodes run %s: "+
			"the config changed since the cluster was installed (DC/OS 1.9 cannot change it); nothing was served. Restore the cluster.yaml the cluster was installed with",
			generated, running)}
	}
	r.step(boot.Name, "promote genconf/serve")
	if err := c.WriteFile(ctx, []byte(r.Files.SHA256()+"\n"), candidateDir+"/"+configMarker, 0o644); err != nil {
		return fmt.Errorf("record the config of genconf/serve: %w", err)
	}
	if _, err := c.Run(ctx, promoteScript(), r.logLine(boot.Name)); err != nil {
		return fmt.Errorf("move genconf/serve into place: %w", err)
	}
	return nil
}

// placeInstaller uploads a local dcos_generate_config.sh (skipped when the
// remote copy is identical) or downloads a URL on the bootstrap node.
func (r *Run) placeInstaller(ctx context.Context, c Conn, node string) error {
	src := r.Cluster.DCOS.Installer
	dst := bootstrapDir + "/dcos_generate_config.sh"
	if strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://") {
		script := fmt.Sprintf("mkdir -p %s\nif [ ! -s %s ]; then curl -fsSL --max-time 1800 --retry 3 -o %s.part %s && mv %s.part %s; fi\n",
			bootstrapDir, dst, dst, shellQuote(src), dst, dst)
		if sum := r.Cluster.DCOS.InstallerSHA256; sum != "" {
			script += fmt.Sprintf("echo %s | sha256sum -c --quiet || { rm -f %s; echo 'dcos.installerSHA256 does not match the download' >&2; exit 1; }\n",
				shellQuote(sum+"  "+dst), dst)
		}
		if _, err := c.Run(ctx, Script{Name: "download-installer", Body: script}, r.logLine(node)); err != nil {
			return fmt.Errorf("download %s: %w", src, err)
		}
		return nil
	}
	skipped, err := c.Upload(ctx, src, dst, 0o755, func(done, total int64) {
		r.emit(Event{Kind: Progress, Node: node, Step: "upload " + path.Base(src), Done: done, Total: total})
	})
	if err != nil {
		return fmt.Errorf("upload %s: %w", src, err)
	}
	if skipped {
		r.emit(Event{Kind: Info, Node: node, Message: "dcos_generate_config.sh unchanged, not uploaded again"})
	}
	return nil
}

// bootstrapURL is where genconf/serve is served.
func (r *Run) bootstrapURL() string { return r.Cluster.BootstrapURL() }

// servePort is the bootstrap node's port for nginx (80 unless set).
func (r *Run) servePort() int {
	if p := r.Cluster.DCOS.BootstrapPort; p > 0 {
		return p
	}
	return 80
}
