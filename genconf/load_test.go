package genconf

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// Every good cluster.yaml fixture of package config renders, and its
// config.yaml passes Check: config.Load and Render agree on what is valid.
func TestRenderLoadedGoodConfigs(t *testing.T) {
	paths, err := filepath.Glob("../testdata/config/good/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Skip("no fixtures in testdata/config/good")
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			// Give every ${NAME} secret reference of the fixture a value.
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range envRef.FindAllStringSubmatch(string(data), -1) {
				t.Setenv(m[1], "fixture-secret")
			}
			c, _, err := config.Load(p)
			if err != nil {
				t.Fatalf("config.Load: %v", err)
			}
			f, err := Render(c)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if errs := Check(f.ConfigYAML); errs != nil {
				t.Errorf("Check: %v", errs)
			}
			assertNoAgents(t, c, f.ConfigYAML)
		})
	}
}
