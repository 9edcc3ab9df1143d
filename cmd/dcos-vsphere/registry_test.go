package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/internal/testnet"
	"github.com/dcos-vsphere/dcos-vsphere/lab"
	"github.com/dcos-vsphere/dcos-vsphere/lab/acr"
	"github.com/dcos-vsphere/dcos-vsphere/lab/acr/acrtest"
)

// registryConfig writes a cluster.yaml (the minimal good one) with a
// registry section and returns its path.
func registryConfig(t *testing.T, registry string) string {
	t.Helper()
	base, err := os.ReadFile("../../testdata/config/good/minimal-1-master.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "cluster.yaml")
	if err := os.WriteFile(p, append(base, []byte(registry)...), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// spaced is s with every run of spaces made one (the step table's
// columns are padded).
func spaced(s string) string { return regexp.MustCompile(` +`).ReplaceAllString(s, " ") }

func secretFile(t *testing.T, value string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte(value+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkCase is one `registry check` run and what it must print.
type checkCase struct {
	name     string
	yaml     string   // the registry: section
	args     []string // after --config FILE
	code     int
	kind     string // the JSON error kind, "" on success
	stdout   []string
	stderr   []string
	password string // must appear nowhere
}

func (cc checkCase) run(t *testing.T) {
	t.Helper()
	path := registryConfig(t, cc.yaml)
	out, errOut, code := run(t, append([]string{"registry", "check", "--config", path}, cc.args...)...)
	if code != cc.code {
		t.Errorf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", cc.name, code, cc.code, out, errOut)
	}
	for _, w := range cc.stdout {
		if !strings.Contains(spaced(out), w) {
			t.Errorf("%s: stdout lacks %q:\n%s", cc.name, w, out)
		}
	}
	for _, w := range cc.stderr {
		if !strings.Contains(errOut, w) {
			t.Errorf("%s: stderr lacks %q:\n%s", cc.name, w, errOut)
		}
	}
	// -o json: one JSON object with the same verdict.
	jout, _, jcode := run(t, append([]string{"registry", "check", "--config", path, "-o", "json"}, cc.args...)...)
	var rep struct {
		OK     bool `json:"ok"`
		Server string
		Steps  []struct{ Name string }
		Error  *struct {
			Kind     string
			Message  string
			ExitCode int
		}
	}
	dec := json.NewDecoder(strings.NewReader(jout))
	if err := dec.Decode(&rep); err != nil || dec.More() {
		t.Errorf("%s: -o json is not one JSON object (%v):\n%s", cc.name, err, jout)
	}
	if jcode != cc.code || rep.OK != (cc.kind == "") || (rep.Error != nil) != (cc.kind != "") {
		t.Errorf("%s: -o json exit %d ok %v error %+v, want exit %d kind %q", cc.name, jcode, rep.OK, rep.Error, cc.code, cc.kind)
	} else if rep.Error != nil && (rep.Error.Kind != cc.kind || rep.Error.ExitCode != cc.code) {
		t.Errorf("%s: -o json error %+v, want kind %s exit %d", cc.name, rep.Error, cc.kind, cc.code)
	}
	if cc.password != "" {
		for where, text := range map[string]string{"stdout": out, "stderr": errOut, "json": jout} {
			if strings.Contains(text, cc.password) {
				t.Errorf("%s: the password is in %s", cc.name, where)
			}
		}
	}
}

// registryCases are the checks every registry must answer alike: good
// credentials, a wrong password, an expired service principal, an unknown
// repository and a CA the machine does not trust.
func registryCases(t *testing.T, host, caFile, adminPw string, expired acr.ServicePrincipal) []checkCase {
	section := func(user, pwFile, ca, extra string) string {
		s := fmt.Sprintf("registry:\n  server: %s\n  username: %s\n  passwordFile: %s\n", host, user, pwFile)
		if ca != "" {
			s += "  caFile: " + ca + "\n"
		}
		return s + extra
	}
	good := secretFile(t, adminPw)
	wrong := secretFile(t, "Wrong-Pw-3309")
	old := secretFile(t, expired.Secret)
	return []checkCase{
		{name: "good credentials", yaml: section("labacr", good, caFile, "  checkImage: samples/hello:1.0\n"), args: []string{"--push"}, code: 0,
			stdout: []string{"registry " + host + ", user labacr", "ok connect", "ok log in", "ok pull", "ok push", "ok: labacr can log in, pull, push"}, password: adminPw},
		{name: "wrong password", yaml: section("labacr", wrong, caFile, "  checkImage: samples/hello:1.0\n"), code: 3, kind: "unauthorized",
			stdout:   []string{"FAILED log in"},
			stderr:   []string{"registry " + host + ": log in: the token service refused user labacr (401 UNAUTHORIZED: authentication required). The user name or password is wrong"},
			password: "Wrong-Pw-3309"},
		{name: "expired service principal", yaml: section(expired.AppID, old, caFile, ""), code: 3, kind: "expired",
			stderr:   []string{"log in: the secret of service principal " + expired.AppID + " has expired", "AADSTS7000222", "az ad sp credential reset --id " + expired.AppID},
			password: expired.Secret},
		{name: "unknown repository", yaml: section("labacr", good, caFile, "  checkImage: samples/nope:1.0\n"), code: 1, kind: "not-found",
			stdout: []string{"ok log in", "FAILED pull"},
			stderr: []string{"pull samples/nope:1.0: repository samples/nope does not exist (404 NAME_UNKNOWN: repository name not known to registry)", "Check registry.checkImage"}},
		{name: "unknown repository by flag", yaml: section("labacr", good, caFile, ""), args: []string{"--image", "samples/nope"}, code: 1, kind: "not-found",
			stderr: []string{"list the tags of samples/nope: repository samples/nope does not exist"}},
		{name: "untrusted CA", yaml: section("labacr", good, "", "  checkImage: samples/hello:1.0\n"), code: 3, kind: "tls",
			stdout: []string{"FAILED connect"},
			stderr: []string{"connect: TLS: the registry's certificate is signed by", "which this machine does not trust", "Set registry.caFile"}},
	}
}

// Without root: an in-process lab registry (real docker-registry behind
// the ACR-shaped front) on 127.0.0.1.
func TestRegistryCheck(t *testing.T) {
	t.Setenv("VCENTER_PASSWORD", "vc-Secret-cmd")
	r, _ := acrtest.Registry(t, "samples/hello", "1.0")
	expired, err := r.AddServicePrincipal(acr.RolePull, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for _, cc := range registryCases(t, r.Host(), r.CAFile(), r.AdminPassword(0), expired) {
		cc.run(t)
	}

	good := secretFile(t, r.AdminPassword(1))
	section := fmt.Sprintf("registry:\n  server: %s\n  username: labacr\n  passwordFile: %s\n  caFile: %s\n", r.Host(), good, r.CAFile())
	for _, cc := range []checkCase{
		{name: "login only, second password", yaml: section, code: 0, stdout: []string{"ok: labacr can log in\n"}},
		{name: "no registry section", yaml: "", code: 2, stderr: []string{"registry.server: no registry in this config"}},
		{name: "image of another registry", yaml: section, args: []string{"--image", "other.example/x:1"}, code: 2, stderr: []string{"--image: image \"other.example/x:1\" names registry other.example"}},
		{name: "push without image", yaml: section, args: []string{"--push"}, code: 2, stderr: []string{"a push check needs a repository"}},
		{name: "bad output", yaml: section, args: []string{"-o", "yaml"}, code: 2, stderr: []string{"--output must be text or json"}},
		{name: "bad config", yaml: section + "  checkPush: yes\n", code: 2, stderr: []string{"registry.checkPush: expected true or false"}},
		{name: "caFile not a CA", yaml: strings.Replace(section, r.CAFile(), good, 1), code: 2, stderr: []string{"registry.caFile: " + good + " holds no PEM certificate"}},
	} {
		path := registryConfig(t, cc.yaml)
		out, errOut, code := run(t, append([]string{"registry", "check", "--config", path}, cc.args...)...)
		if code != cc.code {
			t.Errorf("%s: exit %d, want %d\n%s\n%s", cc.name, code, cc.code, out, errOut)
		}
		for _, w := range cc.stdout {
			if !strings.Contains(spaced(out), w) {
				t.Errorf("%s: stdout lacks %q:\n%s", cc.name, w, out)
			}
		}
		for _, w := range cc.stderr {
			if !strings.Contains(errOut, w) {
				t.Errorf("%s: stderr lacks %q:\n%s", cc.name, w, errOut)
			}
		}
	}
	// A registry nobody serves: connection refused, exit 3.
	r.Close()
	cc := checkCase{name: "registry down", yaml: section, code: 3, kind: "connection", stderr: []string{"connect: connection refused: nothing listens at " + r.Host()}}
	cc.run(t)
}

// As root: the same checks against the lab's own registry on its gateway,
// with the cluster.yaml `lab up` writes. Lab names: testnet.For("cmd", 18).
func TestRegistryCheckAgainstLab(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (the lab creates a bridge and namespaces); run as root to enable")
	}
	if _, err := os.Stat(acr.DefaultBinary); err != nil {
		t.Skipf("%s not installed (scripts/deps.sh installs it)", acr.DefaultBinary)
	}
	t.Setenv("VCENTER_PASSWORD", "vc-Secret-cmd")
	tn := testnet.For("cmd", 18)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	l, err := lab.Up(ctx, lab.Options{Dir: t.TempDir(), Bridge: tn.Bridge, NetnsPrefix: tn.NetnsPrefix, Subnet: tn.Subnet})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := l.Down(); err != nil {
			t.Error(err)
		}
	}()
	a := l.ACR()
	// The lab's own cluster.yaml passes as it is.
	cfg := filepath.Join(l.Dir(), "cluster.yaml")
	if err := l.WriteClusterConfig(cfg, lab.DefaultTopology); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, "registry", "check", "--config", cfg)
	if code != 0 || !strings.Contains(spaced(out), "ok pull") || !strings.Contains(out, a.Host+"/samples/hello:1.0: manifest "+a.ImageDigest) {
		t.Errorf("registry check of the lab's cluster.yaml: exit %d (want the digest %s)\n%s\n%s", code, a.ImageDigest, out, errOut)
	}
	expired := acr.ServicePrincipal{AppID: a.ExpiredSP.AppID}
	if b, err := os.ReadFile(a.ExpiredSP.SecretFile); err == nil {
		expired.Secret = strings.TrimSpace(string(b))
	}
	for _, cc := range registryCases(t, a.Host, a.CAFile, l.ACRRegistry().AdminPassword(0), expired) {
		cc.run(t)
	}
}
