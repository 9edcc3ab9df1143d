package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"
)

// FuzzLoad: decoding never panics, and whenever the input is valid YAML
// every error carries a line.
func FuzzLoad(f *testing.F) {
	setTestSecrets(f)
	files, _ := filepath.Glob("../testdata/config/*/*.yaml")
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(Example())
	path := "../testdata/config/good/fuzz.yaml"
	f.Fuzz(func(t *testing.T, data []byte) {
		c, _, err := Parse(data, path)
		if err == nil {
			if c == nil {
				t.Fatal("nil cluster without error")
			}
			_ = c.AllNodes()
			return
		}
		var errs *Errors
		if !errors.As(err, &errs) || len(errs.List) == 0 {
			t.Fatalf("error is not a non-empty *Errors: %v", err)
		}
		var n yaml.Node
		if yaml.Unmarshal(data, &n) != nil {
			return
		}
		for _, e := range errs.List {
			if e.Line <= 0 {
				t.Fatalf("error without line on valid YAML: %+v", e)
			}
		}
	})
}
