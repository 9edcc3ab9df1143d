package tui

import (
	"path/filepath"
	"strings"
	"testing"
)

// A thumbprint pasted without colons (as some tools print it) must end up
// in a file that config.Load accepts: the wizard and config share one rule.
func TestWizardThumbprintWithoutColonsSavesLoadableFile(t *testing.T) {
	fx := newFixture(t)
	d := startWizard(t, WizardDefaults{OutputDir: fx.dir, VCenter: newFakeVCenter()})
	vcenterAnswers(d, "lab", testVCPassword)
	d.choose(promptTrust, "pin a thumbprint")
	d.answer(promptThumbprint, strings.ReplaceAll(testThumbprint, ":", ""))
	d.choose(promptCluster, "DC0_C0")
	networkAndNodes(d, "1", 0, 0)
	sshAndDCOS(d, fx)
	save(d, actionSave, filepath.Join(fx.dir, "cluster.yaml"))
	res, err := d.finish()
	if err != nil {
		t.Fatal(err)
	}
	c := loadSaved(t, res)
	if c.VCenter.Thumbprint != testThumbprint {
		t.Errorf("vcenter.thumbprint = %q, want %q", c.VCenter.Thumbprint, testThumbprint)
	}
}
