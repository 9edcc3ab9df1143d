package tui

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// A thumbprint pasted without colons (as some tools print it) must end up
// in a file that config.Load accepts: the wizard and config share one rule.
func TestWizardThumbprintWithoutColonsSavesLoadableFile(t *testing.T) {
	dir, key, installer := wizardFiles(t)
	answers := baseAnswers("1", goodNodes()...)
	answers[6] = strings.Repeat("AB", 32) // the thumbprint, without colons
	answers = append(answers, "", key, "", installer, "", "1", "n", "n", "1", filepath.Join(dir, "cluster.yaml"))
	res, out, err := runAccessible(t, WizardDefaults{OutputDir: dir}, answers...)
	if err != nil {
		t.Fatalf("RunWizard: %v\noutput:\n%s", err, out)
	}
	t.Setenv("VCENTER_PASSWORD", testVCPassword)
	if _, _, err := config.Load(res.ConfigPath); err != nil {
		t.Fatalf("config.Load rejects the file the wizard saved: %v", err)
	}
}
