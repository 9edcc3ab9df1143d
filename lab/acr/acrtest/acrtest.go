// Package acrtest gives a test binary one lab registry (package lab/acr:
// the real docker-registry behind the ACR-shaped front on 127.0.0.1), so
// that packages test against a real token flow without root.
package acrtest

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/lab/acr"
)

var (
	once   sync.Once
	reg    *acr.Registry
	dir    string
	err    error
	mu     sync.Mutex
	seeded = map[string]string{} // repo:tag -> digest
)

// Registry returns the test binary's lab registry, started on first use,
// with repo:tag seeded (once) and its manifest digest. It skips the test,
// saying why, when docker-registry is not installed (scripts/deps.sh
// installs it; CI always has it).
func Registry(t testing.TB, repo, tag string) (*acr.Registry, string) {
	t.Helper()
	if _, statErr := os.Stat(acr.DefaultBinary); statErr != nil {
		t.Skipf("%s not installed (Debian package docker-registry; scripts/deps.sh installs it)", acr.DefaultBinary)
	}
	once.Do(func() {
		if dir, err = os.MkdirTemp("", "acrtest-"); err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		reg, err = acr.Start(ctx, acr.Options{Dir: filepath.Join(dir, "acr")})
	})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	ref := repo + ":" + tag
	if d, ok := seeded[ref]; ok {
		return reg, d
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, seedErr := reg.Seed(ctx, repo, tag)
	if seedErr != nil {
		t.Fatal(seedErr)
	}
	seeded[ref] = d
	return reg, d
}

// Close stops the registry and removes its files; call it from TestMain
// after m.Run.
func Close() {
	if reg != nil {
		reg.Close()
		_ = acr.Cleanup(filepath.Join(dir, "acr"))
	}
	if dir != "" {
		_ = os.RemoveAll(dir)
	}
}
