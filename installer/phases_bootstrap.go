package installer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"strings"
)

// GenconfFiles are the DC/OS genconf inputs the bootstrap node gets.
type GenconfFiles struct {
	ConfigYAML     []byte
	IPDetect       []byte
	IPDetectPublic []byte // nil unless configured
}

// sha identifies this exact DC/OS configuration.
func (g GenconfFiles) sha() string {
	h := sha256.New()
	for _, part := range [][]byte{g.ConfigYAML, g.IPDetect, g.IPDetectPublic} {
		fmt.Fprintf(h, "%d:", len(part))
		h.Write(part)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// bootstrapNode puts dcos_generate_config.sh and genconf/ on the bootstrap
// node, generates genconf/serve once per config, and serves it with nginx.
type bootstrapNode struct {
	// AllowRegenerate is false when masters already run DC/OS: then a
	// changed config is refused instead of splitting the cluster.
	files GenconfFiles
}

func (*bootstrapNode) Title() string { return "Bootstrap node" }

func (b *bootstrapNode) Run(ctx context.Context, r *Run) error {
	boot := r.byRole(RoleBootstrap)[0]
	c := r.conn(boot.Name)
	want := b.files.sha()
	r.step(boot.Name, "installer artifact")
	if err := r.placeInstaller(ctx, c, boot.Name); err != nil {
		return err
	}
	r.step(boot.Name, "genconf")
	if err := c.WriteFile(ctx, b.files.ConfigYAML, bootstrapDir+"/genconf/config.yaml", 0o600); err != nil {
		return fmt.Errorf("write genconf/config.yaml: %w", err)
	}
	if err := c.WriteFile(ctx, b.files.IPDetect, bootstrapDir+"/genconf/ip-detect", 0o755); err != nil {
		return fmt.Errorf("write genconf/ip-detect: %w", err)
	}
	if b.files.IPDetectPublic != nil {
		if err := c.WriteFile(ctx, b.files.IPDetectPublic, bootstrapDir+"/genconf/ip-detect-public", 0o755); err != nil {
			return fmt.Errorf("write genconf/ip-detect-public: %w", err)
		}
	}
	r.step(boot.Name, "dcos_generate_config.sh")
	mastersRunning := len(r.byRole(RoleMaster)) > len(r.notInstalled(r.byRole(RoleMaster)))
	if _, err := c.Run(ctx, generateScript(want, !mastersRunning), r.logLine(boot.Name)); err != nil {
		return fmt.Errorf("dcos_generate_config.sh: %w", err)
	}
	r.step(boot.Name, "serve genconf/serve")
	if _, err := c.Run(ctx, serveScript(r.servePort()), r.logLine(boot.Name)); err != nil {
		return fmt.Errorf("serve genconf/serve: %w", err)
	}
	r.setInstalled(boot.Name)
	r.State.Update(func(st *State) {
		st.BootstrapURL = r.bootstrapURL()
		st.ConfigSHA256 = want
	})
	r.State.MarkStep(boot.Name, "serving")
	r.emit(Event{Kind: NodeDone, Node: boot.Name, Message: "serving " + r.bootstrapURL()})
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
		_, err := c.Run(ctx, script, r.logLine(node))
		if err != nil {
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
