package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/lab/acr"
	"github.com/dcos-vsphere/dcos-vsphere/lab/acr/acrtest"
)

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Usage, config and app definition problems: exit 2 before anything is
// reached, with the place and what to do.
func TestDeployAndPromoteRefuseBadInput(t *testing.T) {
	t.Setenv("VCENTER_PASSWORD", "vc-Secret-cmd")
	cfg := registryConfig(t, "")
	app := writeFile(t, "app.json", `{"id": "/a", "container": {"type": "DOCKER", "docker": {"image": "x:1"}}}`)
	bad := writeFile(t, "bad.json", "{\n  \"id\": \"/a\"\n  \"instances\": 1\n}")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"deploy"}, "deploy takes one APP.json"},
		{[]string{"deploy", app, "--config", cfg}, "--cluster is required: vsphere, acs or both"},
		{[]string{"deploy", app, "--config", cfg, "--cluster", "azure"}, `--cluster "azure": want vsphere, acs or both`},
		{[]string{"deploy", app, "--config", cfg, "--cluster", "acs"}, "has no acs section"},
		{[]string{"deploy", bad, "--config", cfg, "--cluster", "vsphere"}, "bad.json:3:3: invalid JSON: invalid character '\"' after object key:value pair"},
		{[]string{"deploy", app, "--cluster", "vsphere"}, "no --config given and no ./cluster.yaml here"},
		{[]string{"deploy", "status", "/Bad", "--config", cfg, "--cluster", "vsphere"}, `"/Bad" is not a valid app id`},
		{[]string{"promote", "myapp", "--config", cfg, "--to", "x"}, "--from is required"},
		{[]string{"promote", "myapp:a", "--from", "b", "--config", cfg, "--to", "x"}, "give the source once"},
		{[]string{"promote", "myapp", "--from", "a", "--config", cfg}, "--to is required"},
		{[]string{"promote", "myapp", "--from", "a", "--config", cfg, "--to", "x"}, "registry.server: no registry in this config"},
	} {
		out, errOut, code := run(t, tc.args...)
		if code != 2 || !strings.Contains(errOut, tc.want) || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and %q", tc.args, code, out, errOut, tc.want)
		}
		jout, _, jcode := run(t, append(tc.args, "-o", "json")...)
		var e jsonError
		dec := json.NewDecoder(strings.NewReader(jout))
		if err := dec.Decode(&e); err != nil || dec.More() || jcode != 2 || e.Kind != "error" || e.Error.ExitCode != 2 {
			t.Errorf("%v -o json: exit %d, %q", tc.args, jcode, jout)
		}
	}
}

// Without root: promote and deploy --print-app against an in-process lab
// registry (real docker-registry behind the ACR-shaped front) on 127.0.0.1.
func TestPromoteAndPrintApp(t *testing.T) {
	t.Setenv("VCENTER_PASSWORD", "vc-Secret-cmd")
	r, d := acrtest.Registry(t, "myapp", "integration-ready")
	section := func(user, secret string) string {
		return "registry:\n  server: " + r.Host() + "\n  username: " + user + "\n  passwordFile: " + secretFile(t, secret) + "\n  caFile: " + r.CAFile() + "\n"
	}
	cfg := registryConfig(t, section(r.AdminUser(), r.AdminPassword(0)))

	out, errOut, code := run(t, "promote", "myapp", "--from", "integration-ready", "--to", "production-ready", "--to", "1.0.0", "--config", cfg)
	if code != 0 || !strings.Contains(spaced(out), r.Host()+"/myapp:production-ready tagged") || !strings.Contains(out, "("+d+")") {
		t.Fatalf("promote: exit %d\n%s%s", code, out, errOut)
	}
	rec, err := os.ReadFile(filepath.Join(filepath.Dir(cfg), ".dcos-vsphere", "lab", "promotions.log"))
	if err != nil || strings.Count(string(rec), "\n") != 1 || !strings.Contains(string(rec), d) || strings.Contains(string(rec), r.AdminPassword(0)) {
		t.Errorf("promotion record: %v\n%s", err, rec)
	}
	// An unknown digest: exit 1, and the JSON says why.
	jout, _, code := run(t, "promote", "myapp", "--from", "sha256:"+strings.Repeat("0", 64), "--to", "1.0.0", "--config", cfg, "-o", "json")
	if code != 1 || !strings.Contains(jout, `"kind":"not-found"`) {
		t.Errorf("unknown digest: exit %d %s", code, jout)
	}

	sp, err := r.AddServicePrincipal(acr.RolePull, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	jout, errOut, code = run(t, "promote", "myapp", "--from", "integration-ready", "--to", "other", "--config", registryConfig(t, section(sp.AppID, sp.Secret)), "-o", "json")
	var rep struct {
		OK    bool
		Error struct {
			Kind     string
			ExitCode int
		}
	}
	if err := json.Unmarshal([]byte(jout), &rep); err != nil || code != 3 || rep.OK || rep.Error.Kind != "denied" || rep.Error.ExitCode != 3 || strings.Contains(jout+errOut, sp.Secret) {
		t.Errorf("pull-only promote: exit %d %s %v", code, jout, err)
	}

	// --print-app: the definition as it would go to Marathon, no cluster touched.
	app := writeFile(t, "app.json", `{"id": "/myapp", "instances": 2, "container": {"type": "DOCKER", "docker": {"image": "x", "network": "BRIDGE"}}}`)
	out, errOut, code = run(t, "deploy", app, "--config", cfg, "--cluster", "vsphere", "--image", "myapp:production-ready", "--print-app")
	var def struct {
		Container struct{ Docker struct{ Image string } }
		URIs      []string          `json:"uris"`
		Labels    map[string]string `json:"labels"`
	}
	if err := json.Unmarshal([]byte(out), &def); err != nil || code != 0 {
		t.Fatalf("--print-app: exit %d %v\n%s%s", code, err, out, errOut)
	}
	if def.Container.Docker.Image != r.Host()+"/myapp@"+d || strings.Join(def.URIs, ",") != "file:///etc/docker.tar.gz" || def.Labels["dcos-vsphere/digest"] != d {
		t.Errorf("deployed definition: %+v", def)
	}
	if !strings.Contains(errOut, "image "+r.Host()+"/myapp:production-ready is "+d) {
		t.Errorf("stderr: %s", errOut)
	}
}
