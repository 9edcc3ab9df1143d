package dcos19

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

const validConfig = `bootstrap_url: http://198.18.30.10:8080
cluster_name: lab
master_discovery: static
exhibitor_storage_backend: static
master_list:
- 198.18.30.11
- 198.18.30.12
- 198.18.30.13
resolvers:
- 198.18.30.1
`

// genconfRun is one run of the installer stand-in in a fresh directory.
type genconfRun struct {
	dir    string
	out    string
	code   int
	docker bool
}

// newGenconfDir writes the installer, genconf/config.yaml and (if ipDetect
// is not empty) genconf/ip-detect into a temporary directory.
func newGenconfDir(t *testing.T, config, ipDetect string) string {
	t.Helper()
	requirePythonYAML(t)
	dir := t.TempDir()
	if err := WriteInstaller(filepath.Join(dir, "dcos_generate_config.sh")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "genconf"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "genconf", "config.yaml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	if ipDetect != "" {
		if err := os.WriteFile(filepath.Join(dir, "genconf", "ip-detect"), []byte(ipDetect), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "fakebin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "docker"), []byte(fakeDocker), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// runGenconf runs dcos_generate_config.sh in dir with args; with docker
// false the fake docker is not on PATH (and a failing one is).
func runGenconf(t *testing.T, dir string, docker bool, args ...string) genconfRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	bin := filepath.Join(dir, "fakebin")
	if !docker {
		bin = filepath.Join(dir, "nodocker")
		_ = os.MkdirAll(bin, 0o755)
		_ = os.WriteFile(filepath.Join(bin, "docker"), []byte("#!/bin/sh\necho 'Cannot connect to the Docker daemon' >&2\nexit 1\n"), 0o755)
	}
	cmd := exec.CommandContext(ctx, "bash", append([]string{"dcos_generate_config.sh"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	code := 0
	if err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			t.Fatalf("run dcos_generate_config.sh: %v", err)
		}
		code = exitErr.ExitCode()
	}
	return genconfRun{dir: dir, out: string(out), code: code, docker: docker}
}

func genconf(t *testing.T, config, ipDetect string, args ...string) genconfRun {
	t.Helper()
	return runGenconf(t, newGenconfDir(t, config, ipDetect), true, args...)
}

func TestInstallerHasPayloadAfterEOFLine(t *testing.T) {
	t.Parallel()
	data, err := InstallerBytes()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("#!/usr/bin/env bash\n")) {
		t.Fatalf("installer does not start with a bash shebang: %q", data[:40])
	}
	i := bytes.Index(data, []byte("\n#EOF#\n"))
	if i < 0 {
		t.Fatal("no #EOF# line in the installer")
	}
	if len(data)-i < 1000 {
		t.Fatalf("payload after #EOF# is only %d bytes", len(data)-i)
	}
	again, err := InstallerBytes()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, again) {
		t.Fatal("InstallerBytes is not deterministic")
	}
}

func TestGenconfNeedsDocker(t *testing.T) {
	t.Parallel()
	dir := newGenconfDir(t, validConfig, ipDetectEth0)
	r := runGenconf(t, dir, false)
	if r.code != 1 || !strings.Contains(r.out, "docker version") {
		t.Fatalf("without docker: exit %d, want 1 and a docker message:\n%s", r.code, r.out)
	}
	if _, err := os.Stat(filepath.Join(dir, "genconf", "serve")); err == nil {
		t.Fatal("genconf/serve written although docker is missing")
	}
}

func TestGenconfNeedsGenconfDir(t *testing.T) {
	t.Parallel()
	dir := newGenconfDir(t, validConfig, ipDetectEth0)
	if err := os.RemoveAll(filepath.Join(dir, "genconf")); err != nil {
		t.Fatal(err)
	}
	r := runGenconf(t, dir, true)
	if r.code != 1 || !strings.Contains(r.out, "genconf/") {
		t.Fatalf("without genconf/: exit %d, want 1 and a genconf message:\n%s", r.code, r.out)
	}
}

func TestGenconfVersionAndUnsupportedActions(t *testing.T) {
	t.Parallel()
	r := genconf(t, validConfig, ipDetectEth0, "--version")
	if r.code != 0 || strings.TrimSpace(r.out) != `{"version": "1.9.10", "variant": ""}` {
		t.Fatalf("--version: exit %d output %q", r.code, r.out)
	}
	for _, action := range []string{"--deploy", "--preflight", "--web", "--install-prereqs", "--postflight"} {
		r := runGenconf(t, r.dir, true, action)
		if r.code != 1 || !strings.Contains(r.out, "not supported by the lab stand-in") {
			t.Errorf("%s: exit %d output %q", action, r.code, r.out)
		}
	}
}

// errorLines returns the `key: message` lines of a failed run.
func errorLines(out string) map[string]string {
	lines := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		key, msg, ok := strings.Cut(line, ": ")
		if ok && regexp.MustCompile(`^[a-z0-9_]+$`).MatchString(key) {
			lines[key] = msg
		}
	}
	return lines
}

func TestGenconfRejectsWhat19Rejects(t *testing.T) {
	t.Parallel()
	replace := func(old, new string) string {
		if !strings.Contains(validConfig, old) {
			t.Fatalf("fixture has no %q", old)
		}
		return strings.Replace(validConfig, old, new, 1)
	}
	cases := []struct {
		name, config, ipDetect string
		want                   map[string]string
	}{
		{"even master count", replace("- 198.18.30.13\n", "- 198.18.30.13\n- 198.18.30.14\n"), ipDetectEth0,
			map[string]string{"num_masters": "Must have 1, 3, 5, 7, or 9 masters. Found 4"}},
		{"missing ip-detect", validConfig, "",
			map[string]string{"ip_detect_contents": "ip-detect script `genconf/ip-detect` must exist"}},
		{"empty config", "{}\n", ipDetectEth0, map[string]string{
			"bootstrap_url":             "Must set bootstrap_url, no way to calculate value.",
			"cluster_name":              "Must set cluster_name, no way to calculate value.",
			"master_discovery":          "Must set master_discovery, no way to calculate value.",
			"exhibitor_storage_backend": "Must set exhibitor_storage_backend, no way to calculate value.",
		}},
		{"static without master_list", "bootstrap_url: http://b\ncluster_name: c\nmaster_discovery: static\nexhibitor_storage_backend: static\n", ipDetectEth0,
			map[string]string{"master_list": "Must set master_list, no way to calculate value."}},
		{"trailing slash", replace("8080\n", "8080/\n"), ipDetectEth0,
			map[string]string{"bootstrap_url": "Must not end in a '/'"}},
		{"one-char bootstrap_url", replace("http://198.18.30.10:8080", "x"), ipDetectEth0,
			map[string]string{"bootstrap_url": "Should be a url (http://example.com/bar or file:///path/to/local/cache)"}},
		{"hostname master", replace("- 198.18.30.13", "- master3.example"), ipDetectEth0,
			map[string]string{"master_list": "Only IPv4 values are allowed. The following are invalid IPv4 addresses: master3.example"}},
		{"duplicate master", replace("- 198.18.30.13", "- 198.18.30.12"), ipDetectEth0,
			map[string]string{"master_list": "List cannot contain duplicates: 198.18.30.12"}},
		{"bad switch", replace("master_discovery: static", "master_discovery: dns"), ipDetectEth0,
			map[string]string{"master_discovery": "Must be one of 'static', 'master_http_loadbalancer'. Got 'dns'."}},
		{"bad true/false", validConfig + "oauth_enabled: maybe\n", ipDetectEth0,
			map[string]string{"oauth_enabled": "Must be one of 'true', 'false'. Got 'maybe'."}},
		{"bad resolver", replace("- 198.18.30.1\n", "- dns.example\n"), ipDetectEth0,
			map[string]string{"resolvers": "Only IPv4 values are allowed. The following are invalid IPv4 addresses: dns.example"}},
		{"calculated key", validConfig + "num_masters: 3\n", ipDetectEth0,
			map[string]string{"num_masters": "num_masters must be calculated, but was explicitly set in the configuration. Remove it from the configuration."}},
		{"missing public ip-detect", validConfig + "ip_detect_public_filename: genconf/ip-detect-public\n", ipDetectEth0,
			map[string]string{"ip_detect_public_contents": "ip-detect script `genconf/ip-detect-public` must exist"}},
		{"rexray_config with preset aws", validConfig + "rexray_config_preset: aws\nrexray_config: {rexray: {}}\n", ipDetectEth0,
			map[string]string{"rexray_config": "rexray_config must be calculated, but was explicitly set in the configuration. Remove it from the configuration."}},
		{"cosmos URL", validConfig + "cosmos_config: {package_storage_uri: 'http://[x', staged_package_storage_uri: 'file:///x'}\n", ipDetectEth0,
			map[string]string{"cosmos_config": "Couldn't parse given value `http://[x` as an URL"}},
		{"overlay host bits", validConfig + "dcos_overlay_network: {vtep_subnet: 44.128.0.1/20, vtep_mac_oui: '70:B3:D5:00:00:00', overlays: [{name: dcos, subnet: 9.0.0.0/8, prefix: 24}]}\n", ipDetectEth0,
			map[string]string{"dcos_overlay_network": "Incorrect value for vtep_subnet: 44.128.0.1/20. Only IPv4 values are allowed"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := genconf(t, tc.config, tc.ipDetect)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1:\n%s", r.code, r.out)
			}
			got := errorLines(r.out)
			for key, msg := range tc.want {
				if got[key] != msg {
					t.Errorf("%s: got %q, want %q\n%s", key, got[key], msg, r.out)
				}
			}
			if _, err := os.Stat(filepath.Join(r.dir, "genconf", "serve")); err == nil {
				t.Error("genconf/serve written for an invalid config")
			}
		})
	}
}

func TestGenconfRejectsNullAndFloat(t *testing.T) {
	t.Parallel()
	for _, extra := range []string{"dns_search:\n", "dcos_overlay_mtu: 1420.5\n"} {
		key := strings.SplitN(extra, ":", 2)[0]
		r := genconf(t, validConfig+extra, ipDetectEth0)
		if r.code != 1 || !strings.Contains(r.out, "Invalid type for value of "+key+" in config") {
			t.Errorf("%q: exit %d output %q", extra, r.code, r.out)
		}
	}
}

// TestGenconfCrashesRendering: values 1.9 validates but cannot render
// into its templates make --genconf fail after validation.
func TestGenconfCrashesRendering(t *testing.T) {
	t.Parallel()
	for _, extra := range []string{"gc_delay: \"2days\\n\"\n", "platform: \"on\\aprem\"\n", "weights: \"a\\Lb\"\n"} {
		r := genconf(t, validConfig+extra, ipDetectEth0)
		key := strings.SplitN(extra, ":", 2)[0]
		if r.code != 1 || !strings.Contains(r.out, "the value of "+key+" cannot be rendered") {
			t.Errorf("%q: exit %d output %q", extra, r.code, r.out)
		}
		if _, err := os.Stat(filepath.Join(r.dir, "genconf", "serve")); err == nil {
			t.Errorf("%q: genconf/serve written", extra)
		}
	}
}

func TestGenconfAcceptsUnknownKeys(t *testing.T) {
	t.Parallel()
	r := genconf(t, validConfig+"masterlist: [1.2.3.4]\nsome_future_key: true\n", ipDetectEth0)
	if r.code != 0 {
		t.Fatalf("unknown keys: exit %d, want 0 (1.9 ignores them):\n%s", r.code, r.out)
	}
}

func TestValidateConfigNeedsSSHParameters(t *testing.T) {
	t.Parallel()
	r := genconf(t, validConfig, ipDetectEth0, "--validate-config")
	got := errorLines(r.out)
	if r.code != 1 || got["ssh_user"] != "Must set ssh_user, no way to calculate value." ||
		got["ssh_key_path"] != "could not find ssh private key: genconf/ssh_key" {
		t.Fatalf("--validate-config on an advanced config: exit %d\n%s", r.code, r.out)
	}
	if err := os.WriteFile(filepath.Join(r.dir, "genconf", "ssh_key"), []byte("-----BEGIN RSA PRIVATE KEY-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r.dir, "genconf", "config.yaml"), []byte(validConfig+"ssh_user: centos\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runGenconf(t, r.dir, true, "--validate-config")
	if got := errorLines(r.out); r.code != 1 || !strings.HasPrefix(got["ssh_key_path"], "ssh_key_path must be only read / write / executable by the owner") {
		t.Fatalf("--validate-config with a 0644 key: exit %d\n%s", r.code, r.out)
	}
	if err := os.Chmod(filepath.Join(r.dir, "genconf", "ssh_key"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = runGenconf(t, r.dir, true, "--validate-config")
	if r.code != 0 {
		t.Fatalf("--validate-config with SSH parameters: exit %d, want 0\n%s", r.code, r.out)
	}
}

// readTarXZ lists a .tar.xz (name → mode, content) using the system tar.
func readTarXZ(t *testing.T, path string) map[string]tarEntry {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("tar", "-xJf", path, "-C", dir).CombinedOutput(); err != nil {
		t.Fatalf("unpack %s: %v: %s", path, err, out)
	}
	entries := map[string]tarEntry{}
	_ = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			data, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			entries[rel] = tarEntry{mode: info.Mode().Perm(), data: string(data)}
		}
		return nil
	})
	return entries
}

type tarEntry struct {
	mode os.FileMode
	data string
}

func TestGenconfWritesDocumentedLayout(t *testing.T) {
	t.Parallel()
	config := validConfig + "cluster_docker_credentials:\n  auths:\n    'https://registry.example':\n      auth: c2VjcmV0OnNlY3JldA==\n"
	r := genconf(t, config, ipDetectEth0)
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.out)
	}
	g := filepath.Join(r.dir, "genconf")
	var info map[string]struct{ ID, Filename string }
	data, err := os.ReadFile(filepath.Join(g, "cluster_packages.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &info); err != nil {
		t.Fatal(err)
	}
	served, err := os.ReadFile(filepath.Join(g, "serve", "cluster-package-info.json"))
	if err != nil || !bytes.Equal(served, data) {
		t.Fatalf("serve/cluster-package-info.json differs from cluster_packages.json (%v)", err)
	}
	latest, _ := os.ReadFile(filepath.Join(g, "serve", "bootstrap.latest"))
	if strings.TrimSpace(string(latest)) != BootstrapID {
		t.Fatalf("bootstrap.latest = %q, want %s", latest, BootstrapID)
	}
	want := []string{
		"state",
		"serve/dcos_install.sh",
		"serve/bootstrap/" + BootstrapID + ".bootstrap.tar.xz",
		"serve/bootstrap/" + BootstrapID + ".active.json",
	}
	configID := ""
	for name, pkg := range info {
		if pkg.Filename != "packages/"+name+"/"+pkg.ID+".tar.xz" || !strings.HasPrefix(pkg.ID, name+"--") {
			t.Errorf("package %s: id %q filename %q", name, pkg.ID, pkg.Filename)
		}
		want = append(want, "serve/"+pkg.Filename)
		if name == "dcos-config" {
			configID = strings.TrimPrefix(pkg.ID, "dcos-config--setup_")
		}
	}
	if !regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(configID) {
		t.Fatalf("config id %q is not 40 hex digits", configID)
	}
	if info["dcos-metadata"].ID != "dcos-metadata--setup_"+configID {
		t.Errorf("dcos-metadata id %q does not carry config id %s", info["dcos-metadata"].ID, configID)
	}
	if len(info) < 4 {
		t.Errorf("only %d packages: %v", len(info), info)
	}
	for _, rel := range want {
		if _, err := os.Stat(filepath.Join(g, rel)); err != nil {
			t.Errorf("missing genconf/%s: %v", rel, err)
		}
	}
	st, err := os.Stat(filepath.Join(g, "serve", "dcos_install.sh"))
	if err != nil || st.Mode().Perm()&0o100 == 0 {
		t.Errorf("dcos_install.sh not executable: %v", err)
	}
	pkg := readTarXZ(t, filepath.Join(g, "serve", info["dcos-config"].Filename))
	ipd, _ := os.ReadFile(filepath.Join(g, "ip-detect"))
	if pkg["bin/detect_ip"].data != string(ipd) || pkg["bin/detect_ip"].mode != 0o755 {
		t.Errorf("bin/detect_ip: mode %v, content matches: %v", pkg["bin/detect_ip"].mode, pkg["bin/detect_ip"].data == string(ipd))
	}
	if pkg["bin/detect_ip_public"].data != string(ipd) {
		t.Error("bin/detect_ip_public should reuse ip-detect when ip_detect_public_filename is unset")
	}
	var masters []string
	if err := json.Unmarshal([]byte(pkg["etc/master_list"].data), &masters); err != nil || len(masters) != 3 {
		t.Errorf("etc/master_list = %q (%v)", pkg["etc/master_list"].data, err)
	}
	if user := pkg["user.config.yaml"].data; !strings.Contains(user, "**HIDDEN**") || strings.Contains(user, "c2VjcmV0") {
		t.Errorf("user.config.yaml does not mask cluster_docker_credentials:\n%s", user)
	}
	if exp := pkg["expanded.config.json"].data; strings.Contains(exp, "c2VjcmV0") || !strings.Contains(exp, configID) {
		t.Errorf("expanded.config.json leaks the secret or lacks the config id")
	}
	creds := pkg["etc/docker_credentials"]
	if creds.mode != 0o600 || !strings.Contains(creds.data, "c2VjcmV0OnNlY3JldA==") {
		t.Errorf("etc/docker_credentials: mode %v content %q", creds.mode, creds.data)
	}
	meta := readTarXZ(t, filepath.Join(g, "serve", info["dcos-metadata"].Filename))
	var version map[string]string
	if err := json.Unmarshal([]byte(meta["etc/dcos-version.json"].data), &version); err != nil ||
		version["version"] != Version || version["bootstrap-id"] != BootstrapID {
		t.Errorf("dcos-version.json = %q (%v)", meta["etc/dcos-version.json"].data, err)
	}
	boot := readTarXZ(t, filepath.Join(g, "serve", "bootstrap", BootstrapID+".bootstrap.tar.xz"))
	if boot["bin/pkgpanda"].mode != 0o755 {
		t.Errorf("bootstrap tarball lacks an executable bin/pkgpanda: %v", boot)
	}
	script, _ := os.ReadFile(filepath.Join(g, "serve", "dcos_install.sh"))
	if out, err := exec.Command("bash", "-n", filepath.Join(g, "serve", "dcos_install.sh")).CombinedOutput(); err != nil {
		t.Errorf("dcos_install.sh has a syntax error: %v: %s", err, out)
	}
	if !strings.Contains(string(script), "http://198.18.30.10:8080") || strings.Contains(string(script), "@@") {
		t.Error("dcos_install.sh lacks the bootstrap_url or has unreplaced placeholders")
	}
}

// configIDOf runs --genconf and returns the config id from the output.
func configIDOf(t *testing.T, config, ipDetect string) string {
	t.Helper()
	r := genconf(t, config, ipDetect)
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.out)
	}
	m := regexp.MustCompile(`Final configuration id: ([0-9a-f]{40})`).FindStringSubmatch(r.out)
	if m == nil {
		t.Fatalf("no config id in output:\n%s", r.out)
	}
	if _, err := os.Stat(filepath.Join(r.dir, "genconf", "serve", "packages", "dcos-config", "dcos-config--setup_"+m[1]+".tar.xz")); err != nil {
		t.Fatalf("printed config id has no dcos-config package: %v", err)
	}
	return m[1]
}

func TestConfigIDFollowsInput(t *testing.T) {
	t.Parallel()
	base := configIDOf(t, validConfig, ipDetectEth0)
	if again := configIDOf(t, validConfig, ipDetectEth0); again != base {
		t.Errorf("same input gave config ids %s and %s", base, again)
	}
	if other := configIDOf(t, validConfig+"agent_list: [198.18.30.21]\n", ipDetectEth0); other == base {
		t.Error("adding agent_list did not change the config id")
	}
	if other := configIDOf(t, strings.Replace(validConfig, "cluster_name: lab", "cluster_name: lab2", 1), ipDetectEth0); other == base {
		t.Error("changing cluster_name did not change the config id")
	}
	if other := configIDOf(t, validConfig, ipDetectEth0+"# changed\n"); other == base {
		t.Error("changing ip-detect did not change the config id")
	}
}
