package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// unreachableConfig is a valid cluster.yaml whose vCenter refuses
// connections at once (nothing listens on 127.0.0.1:1).
func unreachableConfig(t *testing.T) string {
	t.Helper()
	t.Setenv("VCENTER_PASSWORD", "vc-Secret-out")
	dir := t.TempDir()
	y := `name: out
vcenter:
  url: https://127.0.0.1:1/sdk
  username: administrator
  password: "${VCENTER_PASSWORD}"
  insecure: true
  datacenter: DC0
  datastore: LocalDS_0
  folder: out
  network: VM Network
template:
  name: centos7
network:
  gateway: 198.18.0.1
  prefix: 24
nodes:
  bootstrap:
    ip: 198.18.0.10
  masters:
    hosts:
      - ip: 198.18.0.11
ssh:
  password: "${VCENTER_PASSWORD}"
dcos:
  installer: https://downloads.test/dcos_generate_config.sh
`
	path := filepath.Join(dir, "cluster.yaml")
	if err := os.WriteFile(path, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Every command under -o json prints only JSON on stdout (one object per
// line), errors included as one {"kind":"error"} object with the exit code.
func TestEveryCommandPrintsOnlyJSON(t *testing.T) {
	good := unreachableConfig(t)
	dir := t.TempDir()
	cases := []struct {
		args []string
		code int
	}{
		{[]string{"version"}, 0},
		{[]string{"validate", "--config", good}, 0},
		{[]string{"validate", "--config", "../../testdata/config/bad/dup-ip-range-overlap.yaml"}, 2},
		{[]string{"genconf", "--config", good, "--out", dir}, 0},
		{[]string{"init", "--out", filepath.Join(dir, "new.yaml")}, 0},
		{[]string{"init", "--out", filepath.Join(dir, "new.yaml")}, 2}, // exists
		{[]string{"install", "--config", good}, 3},
		{[]string{"install", "--config", good, "--dry-run"}, 3},
		{[]string{"plan", "--config", good}, 3},
		{[]string{"add-agents", "--config", good, "--agents", "1"}, 3},
		{[]string{"add-agents", "--config", good}, 2},
		{[]string{"status", "--config", good}, 3},
		{[]string{"destroy", "--config", good, "--force"}, 3},
		{[]string{"destroy", "--config", good}, 2}, // no terminal, no --force
		{[]string{"plan"}, 2}, // no --config
		{[]string{"lab", "status", "--dir", filepath.Join(dir, "nolab")}, 0},
		{[]string{"lab", "down", "--dir", filepath.Join(dir, "nolab")}, 0},
		{[]string{"lab", "host", "x"}, 2},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			if strings.HasPrefix(c.args[0], "lab") && os.Geteuid() != 0 {
				t.Skip("lab commands need root")
			}
			out, errOut, code := run(t, append(c.args, "-o", "json")...)
			if code != c.code {
				t.Errorf("exit %d, want %d\nstdout %s\nstderr %s", code, c.code, out, errOut)
			}
			lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
			if out == "" {
				t.Fatalf("no output on stdout (stderr %s)", errOut)
			}
			var last map[string]any
			for i, l := range lines {
				if err := json.Unmarshal([]byte(l), &last); err != nil {
					t.Fatalf("stdout line %d is not JSON: %q (%v)", i+1, l, err)
				}
			}
			if c.code != 0 {
				// the failure is in the last object: an error, or a result that failed
				kind, _ := last["kind"].(string)
				if kind == "error" {
					body := last["error"].(map[string]any)
					if int(body["exitCode"].(float64)) != c.code || body["message"] == "" {
						t.Errorf("error object %v", body)
					}
				} else if r, ok := last["result"].(map[string]any); ok {
					if r["status"] != "failed" || r["error"] == "" {
						t.Errorf("result object %v", r)
					}
				} else if last["status"] != "failed" {
					t.Errorf("last object is neither an error nor a failed result: %v", last)
				}
			}
		})
	}
}

// A stray argument is a usage error (exit 2) for every command.
func TestStrayArgumentExits2Everywhere(t *testing.T) {
	root, _ := newRootCmd(&signals{soft: make(chan struct{})})
	var paths [][]string
	for _, c := range root.Commands() {
		if len(c.Commands()) == 0 {
			paths = append(paths, []string{c.Name()})
		}
		for _, sub := range c.Commands() {
			paths = append(paths, []string{c.Name(), sub.Name()})
		}
	}
	if len(paths) < 10 {
		t.Fatalf("only %d commands found", len(paths))
	}
	for _, p := range paths {
		if p[len(p)-1] == "host" { // takes two arguments: three are one too many
			p = append(p, "a", "b")
		}
		_, errOut, code := run(t, append(p, "stray")...)
		if code != 2 {
			t.Errorf("%s stray: exit %d (%s)", strings.Join(p, " "), code, errOut)
		}
	}
}
