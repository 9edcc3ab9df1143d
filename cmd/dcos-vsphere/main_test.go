package main

import (
	"os"
	"testing"

	"github.com/dcos-vsphere/dcos-vsphere/lab/acr/acrtest"
)

// TestMain keeps every install these tests run (in process or as the
// built binary) out of the machine's own DC/OS CLI directory: install
// registers the clusters in $DCOS_DIR.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dcos-vsphere-cmd-dcos-*")
	if err != nil {
		panic(err)
	}
	os.Setenv("DCOS_DIR", dir)
	code := m.Run()
	acrtest.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}
