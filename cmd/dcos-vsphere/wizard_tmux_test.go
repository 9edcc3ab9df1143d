package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/internal/testnet"
	"github.com/dcos-vsphere/dcos-vsphere/lab"
)

// tmuxTerm is a real terminal (a tmux pane on a private tmux server)
// running the built binary; the test reads the screen and types into it,
// keyed by the questions it shows.
type tmuxTerm struct {
	t      *testing.T
	socket string
}

func (tt *tmuxTerm) tmux(args ...string) string {
	tt.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "tmux", append([]string{"-L", tt.socket, "-f", "/dev/null"}, args...)...).CombinedOutput()
	if err != nil {
		tt.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (tt *tmuxTerm) screen() string { return tt.tmux("capture-pane", "-p", "-t", "wiz") }

// keys sends tmux key names (Enter, Escape, BTab, Down, C-u, ...).
func (tt *tmuxTerm) keys(names ...string) {
	tt.tmux(append([]string{"send-keys", "-t", "wiz"}, names...)...)
}

// text types s literally.
func (tt *tmuxTerm) text(s string) { tt.tmux("send-keys", "-t", "wiz", "-l", s) }

// waitFor polls the screen until cond holds (bounded).
func (tt *tmuxTerm) waitFor(what string, bound time.Duration, cond func(screen string) bool) string {
	tt.t.Helper()
	deadline := time.Now().Add(bound)
	for {
		s := tt.screen()
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			tt.t.Fatalf("waited %s for %s; the screen:\n%s", bound, what, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (tt *tmuxTerm) waitText(text string) string {
	tt.t.Helper()
	return tt.waitFor(fmt.Sprintf("%q", text), 30*time.Second, func(s string) bool { return strings.Contains(s, text) })
}

// focused is the question the screen's cursor is on: huh marks the
// focused question with a thick left border, its title first.
func focused(screen string) string {
	for _, l := range strings.Split(screen, "\n") {
		if t, ok := strings.CutPrefix(strings.TrimSpace(l), "┃ "); ok {
			return strings.TrimSpace(t)
		}
	}
	return ""
}

// focus waits until prompt is focused; questions on the way keep their
// defaults (enter).
func (tt *tmuxTerm) focus(prompt string) string {
	tt.t.Helper()
	for kept := 0; ; kept++ {
		s := tt.waitFor("a question", 60*time.Second, func(s string) bool { return focused(s) != "" })
		at := focused(s)
		if at == prompt {
			return s
		}
		if kept > 40 {
			tt.t.Fatalf("question %q never came; the screen:\n%s", prompt, s)
		}
		tt.keys("Enter")
		tt.waitFor("the wizard to move on from "+at, 60*time.Second, func(n string) bool { return n != s })
	}
}

// answer replaces the focused answer of prompt with text.
func (tt *tmuxTerm) answer(prompt, text string) {
	tt.t.Helper()
	s := tt.focus(prompt)
	tt.keys("End", "C-u")
	tt.text(text)
	tt.keys("Enter")
	tt.waitFor("the answer to "+prompt, 60*time.Second, func(n string) bool { return n != s && focused(n) != prompt })
}

// choose moves the focused pick-list's cursor to the option starting with
// label and takes it.
func (tt *tmuxTerm) choose(prompt, label string) {
	tt.t.Helper()
	s := tt.focus(prompt)
	for _, dir := range []string{"Down", "Up"} {
		for range 12 {
			if cursorOn(s, label) {
				tt.keys("Enter")
				tt.waitFor("the choice of "+label, 60*time.Second, func(n string) bool { return focused(n) != prompt })
				return
			}
			tt.keys(dir)
			moved, ok := tt.changed(s, 3*time.Second)
			if !ok {
				break // the end of the list: the other way
			}
			s = moved
		}
	}
	tt.t.Fatalf("%q offers no %q:\n%s", prompt, label, s)
}

// changed waits (bounded) for the screen to differ from s.
func (tt *tmuxTerm) changed(s string, bound time.Duration) (string, bool) {
	deadline := time.Now().Add(bound)
	for time.Now().Before(deadline) {
		if n := tt.screen(); n != s {
			return n, true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return s, false
}

// confirm answers a yes/no question (y or n moves on at once).
func (tt *tmuxTerm) confirm(prompt string, yes bool) {
	tt.t.Helper()
	s := tt.focus(prompt)
	key := "n"
	if yes {
		key = "y"
	}
	tt.keys(key)
	tt.waitFor("the answer to "+prompt, 60*time.Second, func(n string) bool { return n != s && focused(n) != prompt })
}

// cursorOn reports whether the focused pick-list's cursor is on label.
func cursorOn(screen, label string) bool {
	for _, l := range strings.Split(screen, "\n") {
		if t, ok := strings.CutPrefix(strings.TrimSpace(l), "┃ > "); ok && strings.HasPrefix(t, label) {
			return true
		}
	}
	return false
}

// TestGuidedSetupInTmux walks the real binary's guided setup in a real
// terminal against the lab's vCenter: a wrong password first (reported on
// the vCenter page), the right one, the certificate trusted on first use,
// one page back, save — and the install that follows, with the password
// typed into the wizard only (VCENTER_PASSWORD is not set).
// Lab names: testnet.For("wiz", 9).
func TestGuidedSetupInTmux(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the lab needs root (network namespaces, bridges, mounts); CI runs as root")
	}
	for _, tool := range []string{"go", "tmux", "ip", "nsenter", "unshare"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the guided setup test needs %s (scripts/deps.sh installs it)", tool)
		}
	}
	bin := filepath.Join(t.TempDir(), "dcos-vsphere")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	tn := testnet.For("wiz", 9)
	labDir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	l, err := lab.Up(ctx, lab.Options{Dir: labDir, Bridge: tn.Bridge, Subnet: tn.Subnet, NetnsPrefix: tn.NetnsPrefix, VCenterAddr: "127.0.0.1:0"})
	cancel()
	if err != nil {
		t.Fatalf("lab up: %v", err)
	}
	t.Cleanup(func() {
		if err := l.Down(); err != nil {
			t.Errorf("lab down: %v", err)
		}
	})
	url, thumb, user, pwFile := l.VCenter()
	pw, err := os.ReadFile(pwFile)
	if err != nil {
		t.Fatal(err)
	}
	password := strings.TrimSpace(string(pw))

	work, home := t.TempDir(), t.TempDir()
	tt := &tmuxTerm{t: t, socket: fmt.Sprintf("dcos-vsphere-wiz-%d", os.Getpid())}
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", tt.socket, "kill-server").Run() })
	exitFile := filepath.Join(work, "exit-code")
	// A clean environment: nothing from the test's own (no VCENTER_PASSWORD,
	// no GOVC_*), a home of its own.
	script := fmt.Sprintf("cd %s && env -i HOME=%s PATH=%s TERM=xterm-256color %s install; echo $? > %s; read _",
		work, home, os.Getenv("PATH"), bin, exitFile)
	tt.tmux("new-session", "-d", "-s", "wiz", "-x", "110", "-y", "36", "sh", "-c", script)

	tt.answer("Cluster name", "wiz")
	tt.answer("vCenter URL", url)
	tt.answer("vCenter user", user)
	tt.answer("vCenter password", "not-the-password")
	s := tt.focus("Trust this certificate?")
	if flat := strings.Join(strings.Fields(s), " "); !strings.Contains(flat, thumb[:47]) || !strings.Contains(flat, thumb[48:]) {
		t.Errorf("the certificate page does not show the server's thumbprint %s:\n%s", thumb, s)
	}
	tt.confirm("Trust this certificate?", true)
	s = tt.waitText("refused the login of " + user)
	if !strings.Contains(s, "Type the password again") {
		t.Errorf("the wrong password is reported without the fix:\n%s", s)
	}
	tt.answer("vCenter password", password)
	s = tt.focus("Port group (VM network)")
	if strings.Contains(s, "DVUplinks") {
		t.Errorf("an uplink port group is offered as a VM network:\n%s", s)
	}
	tt.choose("Port group (VM network)", "VM Network")
	s = tt.focus("VM folder")
	if !cursorOn(s, "wiz (new folder") {
		t.Errorf("the folder does not default to the cluster name:\n%s", s)
	}
	tt.answer("Gateway", l.Gateway().String())
	tt.answer("Prefix length", fmt.Sprint(tn.Subnet.Bits()))

	// One page back: the placement page with its answers, then forward.
	tt.keys("Escape")
	s = tt.waitText("Where the VMs go")
	if !cursorOn(s, "VM Network") && !strings.Contains(s, "> VM Network") {
		t.Errorf("the placement answers were not kept:\n%s", s)
	}
	s = tt.focus("Gateway")
	if !strings.Contains(s, "> "+l.Gateway().String()) {
		t.Errorf("the gateway typed before going back is gone:\n%s", s)
	}
	tt.answer("DNS servers", l.Gateway().String())
	tt.answer("Bootstrap node IP", testnet.Addr(tn.Subnet, 10).String())
	tt.choose("Masters", "1")
	tt.answer("Private agents", "1")
	tt.answer("Public agents", "0")
	tt.answer("First master IP", testnet.Addr(tn.Subnet, 11).String())
	tt.answer("First private agent IP", testnet.Addr(tn.Subnet, 21).String())
	tt.answer("Private key file", l.KeyFile())
	tt.answer("Installer (dcos_generate_config.sh)", l.InstallerPath())
	tt.confirm("Use an Azure Container Registry shared with ACS?", false)
	tt.choose("What now?", "Save and install now")
	tt.answer("Save the config to", filepath.Join(work, "cluster.yaml"))

	// The install runs in the same terminal; it needs the typed password only.
	tt.waitFor("the install to end", 8*time.Minute, func(string) bool {
		_, err := os.Stat(exitFile)
		return err == nil
	})
	final := tt.screen()
	code, _ := os.ReadFile(exitFile)
	if strings.TrimSpace(string(code)) != "0" {
		t.Fatalf("install after the guided setup: exit %s; the screen:\n%s", code, final)
	}
	cfg := filepath.Join(work, "cluster.yaml")
	st, err := os.Stat(cfg)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("saved config: %v, mode %v", err, st.Mode().Perm())
	}
	raw, _ := os.ReadFile(cfg)
	if strings.Contains(string(raw), password) || !strings.Contains(string(raw), `password: "${VCENTER_PASSWORD}"`) || !strings.Contains(string(raw), thumb) {
		t.Errorf("saved config:\n%s", raw)
	}
	t.Setenv("VCENTER_PASSWORD", password)
	c, _, err := config.Load(cfg)
	if err != nil {
		t.Fatalf("the saved config does not load: %v", err)
	}
	if c.VCenter.Folder != "wiz" || len(c.AllNodes()) != 3 {
		t.Errorf("config: folder %q, %d nodes", c.VCenter.Folder, len(c.AllNodes()))
	}
	for _, name := range []string{"master-1", "agent-1"} {
		h, ok := l.Host(name)
		if !ok {
			t.Fatalf("no lab host %s after the install", name)
		}
		hctx, hcancel := context.WithTimeout(context.Background(), 30*time.Second)
		out, err := h.Exec(hctx, "test -d /opt/mesosphere && echo installed")
		hcancel()
		if err != nil || !strings.Contains(string(out), "installed") {
			t.Errorf("%s: DC/OS not installed: %v %s", name, err, out)
		}
	}
}
