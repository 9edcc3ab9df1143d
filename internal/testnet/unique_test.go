package testnet

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// indexUse is how the repository's tests pick a network index: directly,
// or through the lab package's test helpers.
var indexUse = regexp.MustCompile(`(?:testnet\.For\("[a-z]+", |(?:startLab|testOptions|acsTestOptions)\(t, )([0-9]+)\)`)

// TestIndexesUniqueInRepo: two tests on one index share a bridge and a
// subnet and break each other when their packages run at once (the lab
// tests and the guided-setup test both once took 9).
func TestIndexesUniqueInRepo(t *testing.T) {
	root := filepath.Join("..", "..")
	used := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != root || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range indexUse.FindAllStringSubmatch(string(data), -1) {
			rel, _ := filepath.Rel(root, path)
			if prev, ok := used[m[1]]; ok && prev != rel {
				t.Errorf("network index %s is used by %s and %s: pick a free one", m[1], prev, rel)
			}
			used[m[1]] = rel
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(used) < 5 {
		t.Errorf("found only %d network indexes in the tests: the pattern no longer matches how tests pick them", len(used))
	}
}
