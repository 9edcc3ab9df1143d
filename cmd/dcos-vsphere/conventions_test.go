package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/installer"
	"github.com/dcos-vsphere/dcos-vsphere/templates"
)

// inDir runs the test from dir (commands resolve ./cluster.yaml).
func inDir(t *testing.T, dir string) {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chdir(wd) })
}

// clearGovcEnv keeps the developer's own govc settings out of a test.
func clearGovcEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "GOVC_") {
			t.Setenv(name, "")
		}
	}
}

// govcOnlyConfig is a cluster.yaml whose vcenter section is empty.
const govcOnlyConfig = `name: govc
vcenter: {}
template: {name: centos7}
network: {gateway: 198.18.0.1, prefix: 24, dns: [198.18.0.1]}
nodes:
  bootstrap: {ip: 198.18.0.10}
  masters: {count: 1, ipRange: 198.18.0.11}
ssh: {password: "${SSH_PW}"}
dcos: {installer: https://downloads.test/dcos_generate_config.sh}
`

func TestOneConfigRuleForEveryCommand(t *testing.T) {
	clearGovcEnv(t)
	dir := t.TempDir()
	inDir(t, dir)
	// No --config and no ./cluster.yaml: every command says the same.
	for _, args := range [][]string{{"validate"}, {"genconf"}, {"plan"}, {"status"}, {"install"}, {"add-agents", "1"},
		{"destroy", "--force"}, {"acs", "sync"}, {"acs", "tunnel"}, {"clusters", "register"}, {"registry", "check"}, {"registry", "rotate"}} {
		_, errOut, code := run(t, args...)
		if code != 2 || !strings.Contains(errOut, "no --config given and no ./cluster.yaml here") {
			t.Errorf("%v without a config: exit %d, %q", args, code, errOut)
		}
	}
	// With ./cluster.yaml, it is read.
	t.Setenv("SSH_PW", "ssh-Secret-conv")
	t.Setenv("GOVC_URL", "vc.test")
	t.Setenv("GOVC_USERNAME", "admin")
	t.Setenv("GOVC_PASSWORD", "vc-Secret-conv")
	t.Setenv("GOVC_INSECURE", "1")
	t.Setenv("GOVC_DATACENTER", "DC0")
	t.Setenv("GOVC_DATASTORE", "LocalDS_0")
	t.Setenv("GOVC_NETWORK", "VM Network")
	if err := os.WriteFile("cluster.yaml", []byte(govcOnlyConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, "validate")
	if code != 0 || !strings.HasPrefix(out, "ok: cluster govc") {
		t.Fatalf("validate with ./cluster.yaml: exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "from the environment: vcenter.url = https://vc.test/sdk (from GOVC_URL)") ||
		!strings.Contains(errOut, "vcenter.password = (set) (from GOVC_PASSWORD)") || strings.Contains(errOut+out, "vc-Secret-conv") {
		t.Errorf("stderr does not list the environment's values (or shows the password):\n%s", errOut)
	}
	out, _, code = run(t, "validate", "-o", "json")
	var v validation
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || len(v.Environment) != 7 {
		t.Errorf("validate -o json: exit %d %s", code, out)
	}
	out, errOut, code = run(t, "genconf", "--out", filepath.Join(dir, "out"))
	if code != 0 || !strings.Contains(out, "genconf/config.yaml") {
		t.Errorf("genconf with ./cluster.yaml: exit %d %s %s", code, out, errOut)
	}
	// A value from the environment that is wrong names its variable.
	t.Setenv("GOVC_URL", "http://vc.test/sdk")
	t.Setenv("GOVC_INSECURE", "")
	_, errOut, code = run(t, "validate")
	if code != 2 || !strings.Contains(errOut, "cluster.yaml: vcenter.url (from GOVC_URL): http:// sends") {
		t.Errorf("a bad GOVC_URL: exit %d %s", code, errOut)
	}
}

// Each command shows the flags that act on it, and says the rule.
func TestFlagsOnlyWhereTheyAct(t *testing.T) {
	root, _ := newRootCmd(&signals{soft: make(chan struct{})})
	want := map[string][]string{
		"install":    {"config", "concurrency", "timeout", "node-timeout", "log-file", "no-tui", "dry-run", "no-register", "dcos-dir"},
		"add-agents": {"config", "concurrency", "timeout", "node-timeout", "log-file", "no-tui", "dry-run", "agents", "public"},
		"plan":       {"config", "concurrency", "timeout", "log-file", "no-register", "dcos-dir"},
		"status":     {"config", "concurrency", "timeout", "log-file"},
		"destroy":    {"config", "timeout", "log-file", "force", "vm"},
		"validate":   {"config"},
		"genconf":    {"config", "out"},
		"init":       {"out", "force"},
	}
	for name, flags := range want {
		cmd, _, err := root.Find([]string{name})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		cmd.LocalFlags().VisitAll(func(f *pflagFlag) { got = append(got, f.Name) })
		if strings.Join(sorted(got), " ") != strings.Join(sorted(flags), " ") {
			t.Errorf("%s has flags %v, want %v", name, sorted(got), sorted(flags))
		}
		if f := cmd.Flags().Lookup("config"); f != nil && (f.Usage != configFlagHelp || f.DefValue != "") {
			t.Errorf("%s --config: %q default %q", name, f.Usage, f.DefValue)
		}
		if !strings.Contains(cmd.Long, "Exit codes:") {
			t.Errorf("%s --help lacks the exit codes", name)
		}
		if strings.Contains(cmd.Use, " --config FILE") && !strings.Contains(cmd.Use, "[--config FILE]") {
			t.Errorf("%s shows --config as required: %q", name, cmd.Use)
		}
	}
}

func TestVersionAndInitToStdout(t *testing.T) {
	out, _, code := run(t, "--version")
	if code != 0 || !strings.HasPrefix(out, "dcos-vsphere ") || !strings.Contains(out, "DC/OS 1.9.x (rules of 1.9.10)") {
		t.Errorf("--version: exit %d %q", code, out)
	}
	out, _, code = run(t, "version", "-o", "json")
	var v versionInfo
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || v.Go == "" || v.DCOS != "1.9" || v.DCOSRules != "1.9.10" || v.Platform == "" {
		t.Errorf("version -o json: exit %d %s", code, out)
	}
	dir := t.TempDir()
	inDir(t, dir)
	out, _, code = run(t, "init", "--out", "-")
	if code != 0 || out != string(config.Example()) {
		t.Errorf("init --out -: exit %d, %d bytes", code, len(out))
	}
	if _, err := os.Stat(filepath.Join(dir, "-")); err == nil {
		t.Error("init --out - wrote a file named -")
	}
	if _, _, code := run(t, "init", "--out", "-", "-o", "json"); code != 2 {
		t.Errorf("init --out - -o json: exit %d, want 2", code)
	}
}

func TestCompletion(t *testing.T) {
	complete := func(args ...string) []string {
		out, _, _ := run(t, append([]string{cobra.ShellCompRequestCmd}, args...)...)
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			if l != "" && !strings.HasPrefix(l, ":") && !strings.HasPrefix(l, "Completion ended") {
				got = append(got, strings.SplitN(l, "\t", 2)[0])
			}
		}
		return got
	}
	if got := complete("status", "-o", ""); strings.Join(got, " ") != "text json" {
		t.Errorf("-o completes to %v", got)
	}
	if got := complete("lab", "host", "some-host", "kill"); strings.Join(got, " ") != "kill-sshd" {
		t.Errorf("lab host faults: %v", got)
	}
	if got := complete("lab", "host", "--dir", t.TempDir(), ""); len(got) != 0 {
		t.Errorf("lab host names without a lab: %v", got)
	}

	// destroy --vm: the names the state file knows.
	clearGovcEnv(t)
	dir := t.TempDir()
	inDir(t, dir)
	t.Setenv("SSH_PW", "ssh-Secret-conv")
	y := strings.Replace(govcOnlyConfig, "vcenter: {}", "vcenter: {url: https://127.0.0.1:1/sdk, username: u, password: \"${SSH_PW}\", insecure: true, datacenter: D, datastore: S, network: N}", 1)
	if err := os.WriteFile("cluster.yaml", []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	c, _, err := config.Load("cluster.yaml")
	if err != nil {
		t.Fatal(err)
	}
	st, err := installer.OpenState(installer.StatePath(c.StateDir()), c.Name)
	if err != nil {
		t.Fatal(err)
	}
	st.Update(func(s *installer.State) {
		s.Nodes["govc-agent-1"] = &installer.NodeState{Role: "agent", VMRef: "vm-1"}
		s.Nodes["master-1"] = &installer.NodeState{Role: "master", VMRef: "vm-2"}
		s.Nodes["never-created"] = &installer.NodeState{Role: "agent"}
	})
	if err := st.Save(); err != nil {
		t.Fatal(err)
	}
	if got := complete("destroy", "--vm", ""); strings.Join(got, " ") != "govc-agent-1 master-1" {
		t.Errorf("--vm from the state file: %v", got)
	}
	// No state: vCenter is asked, bounded, and a failure offers nothing.
	os.Remove(installer.StatePath(c.StateDir()))
	if got := complete("destroy", "--vm", ""); len(got) != 0 {
		t.Errorf("--vm with vCenter unreachable: %v", got)
	}
}

type pflagFlag = pflag.Flag

func sorted(s []string) []string { return slices.Sorted(slices.Values(s)) }

// A run's error about a value from the environment names the variable.
func TestRunErrorsNameTheEnvironment(t *testing.T) {
	clearGovcEnv(t)
	t.Setenv("SSH_PW", "ssh-Secret-conv")
	t.Setenv("GOVC_URL", "127.0.0.1:1")
	t.Setenv("GOVC_USERNAME", "admin")
	t.Setenv("GOVC_PASSWORD", "pw")
	t.Setenv("GOVC_INSECURE", "1")
	t.Setenv("GOVC_DATACENTER", "DC0")
	t.Setenv("GOVC_DATASTORE", "nope")
	t.Setenv("GOVC_NETWORK", "VM Network")
	c, _, err := config.Parse([]byte(govcOnlyConfig), "cluster.yaml")
	if err != nil {
		t.Fatal(err)
	}
	nf := error(&templates.NotFoundError{Field: "vcenter.datastore", Name: "nope", In: "DC0", Have: []string{"LocalDS_0"}})
	err = withOrigins(c, fmt.Errorf("preflight: %w", nf))
	var got *templates.NotFoundError
	if !strings.Contains(err.Error(), `vcenter.datastore (from GOVC_DATASTORE): "nope" not found in DC0`) || !errors.As(err, &got) || exitCodeOf(err, false) != 2 {
		t.Errorf("%v (exit %d)", err, exitCodeOf(err, false))
	}
	ce := &templates.ConnectError{URL: "https://127.0.0.1:1/sdk", Err: errors.New("connection refused")}
	if err := withOrigins(c, ce); !strings.HasSuffix(err.Error(), "(vcenter.url from GOVC_URL)") || exitCodeOf(err, false) != 3 {
		t.Errorf("%v", err)
	}
	if plain := errors.New("x"); withOrigins(c, plain) != plain {
		t.Error("an error naming no field was changed")
	}
}
