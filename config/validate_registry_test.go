package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// registry.caFile is checked with the other files (validate, every cluster
// command) and by CheckRegistryFiles (registry check), with its line.
func TestRegistryCAFileChecked(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("REGISTRY_PASSWORD", "reg-pw")
	if err := os.WriteFile(filepath.Join(dir, "not-a-ca.pem"), []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile("../testdata/config/good/registry-ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), good, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ ca, msg string }{
		{"no-such-ca.pem", "no-such-ca.pem does not exist"},
		{"not-a-ca.pem", "not-a-ca.pem holds no PEM certificate (-----BEGIN CERTIFICATE-----)"},
		{"ca.pem", ""},
	} {
		extra := "registry:\n  server: r.azurecr.io\n  username: r\n  password: \"${REGISTRY_PASSWORD}\"\n  caFile: " + tc.ca + "\n"
		c, err := parseIn(t, dir, "dcos", extra)
		if err != nil {
			t.Fatalf("%s: Load: %v (a missing file is CheckFiles' business)", tc.ca, err)
		}
		for name, check := range map[string]func() error{"CheckRegistryFiles": c.CheckRegistryFiles, "CheckFiles": c.CheckFiles} {
			err := check()
			switch {
			case tc.msg == "" && name == "CheckRegistryFiles" && err != nil:
				t.Errorf("%s %s: %v", name, tc.ca, err)
			case tc.msg == "":
			case err == nil || !strings.Contains(err.Error(), ":25:11: registry.caFile: ") || !strings.Contains(err.Error(), tc.msg):
				t.Errorf("%s %s: %v, want line 25 and %q", name, tc.ca, err, tc.msg)
			}
		}
	}
}
