package tui

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

var (
	keyEsc      = tea.KeyMsg{Type: tea.KeyEsc}
	keyShiftTab = tea.KeyMsg{Type: tea.KeyShiftTab}
	keyCtrlC    = tea.KeyMsg{Type: tea.KeyCtrlC}
)

// Esc goes to the previous page, shift+tab on a page's first question
// too (elsewhere it is the previous question); answers are kept both
// ways.
func TestWizardBackAndForthKeepsAnswers(t *testing.T) {
	fx := newFixture(t)
	d := startWizard(t, WizardDefaults{OutputDir: fx.dir, VCenter: newFakeVCenter()})
	vcenterAnswers(d, "lab", testVCPassword)
	d.confirm(promptTrustCert, true)
	d.choose(promptCluster, "DC0_C1")
	d.answer(promptGateway, "198.18.0.1")
	d.answer(promptPrefix, "23")

	// shift+tab inside the page: the previous question, same page.
	d.focus(promptDNS)
	d.key(keyShiftTab)
	if s := d.w.snapshot(); s.Prompt != promptPrefix || s.Value != "23" {
		t.Fatalf("shift+tab on the third question: at %q = %q, want %q = 23", s.Prompt, s.Value, promptPrefix)
	}
	// shift+tab on the first question: the previous page, answers kept.
	d.key(keyShiftTab)
	d.key(keyShiftTab)
	s := d.waitPage(pageOf[*placementPage](d.w).title())
	if s.Prompt != promptCluster || s.Value != "DC0_C1" {
		t.Fatalf("back on the placement page: %q = %q, want %q = DC0_C1", s.Prompt, s.Value, promptCluster)
	}
	// esc: one more page back (the datacenter page was passed, the
	// certificate page is done): the vCenter page, as answered.
	d.key(keyEsc)
	s = d.waitPage(pageOf[*vcenterPage](d.w).title())
	if s.Prompt != promptVCenterURL || s.Value != testURL {
		t.Fatalf("back on the vCenter page: %q = %q", s.Prompt, s.Value)
	}
	if d.w.trust.tofuPin != testThumbprint {
		t.Errorf("the accepted thumbprint was forgotten")
	}
	// Forward again: the network answers are still there.
	d.focus(promptGateway)
	d.focus(promptPrefix)
	if s := d.w.snapshot(); s.Value != "23" {
		t.Errorf("prefix after going back and forth = %q, want 23", s.Value)
	}
	// esc on the first page stays there.
	d2 := startWizard(t, WizardDefaults{OutputDir: fx.dir})
	d2.focus(promptClusterName)
	d2.tm.Send(keyEsc)
	d2.answer(promptClusterName, "still-here")
	if s := d2.w.snapshot(); s.Page == pageOf[*clusterPage](d2.w).title() {
		t.Errorf("the first page did not move on after esc then enter: %q", s.Page)
	}
}

// ctrl+c asks before discarding: going back to the setup keeps
// everything; a draft (0600, no secrets) is offered by the next setup in
// that directory, which continues with the answers; quitting without
// saving leaves nothing. Both end with exit code 130.
func TestWizardCtrlCAsksAndKeepsADraft(t *testing.T) {
	fx := newFixture(t)
	d := startWizard(t, WizardDefaults{OutputDir: fx.dir, VCenter: newFakeVCenter()})
	vcenterAnswers(d, "lab", testVCPassword)
	d.confirm(promptTrustCert, true)
	d.choose(promptCluster, "DC0_C1")
	d.answer(promptGateway, "198.18.0.1")
	d.focus(promptPrefix)

	d.key(keyCtrlC)
	s := d.wait("the question", func(s snapshot) bool { return s.Dialog && s.Prompt == promptLeave })
	if !strings.Contains(s.Screen, "Leave the guided setup?") || !strings.Contains(s.Screen, "never passwords") {
		t.Errorf("the ctrl+c question:\n%s", s.Screen)
	}
	d.choose(promptLeave, leaveContinue)
	s = d.wait("the page again", func(s snapshot) bool { return !s.Dialog && s.Prompt != "" })
	if s.Page != pageOf[*networkPage](d.w).title() {
		t.Fatalf("after \"go back\": page %q", s.Page)
	}
	d.answer(promptPrefix, "24")
	d.focus(promptDNS)
	d.key(keyCtrlC)
	d.choose(promptLeave, leaveDraft)
	_, cerr := d.finish()
	var ce *CancelledError
	if !errors.As(cerr, &ce) || !errors.Is(cerr, ErrWizardCancelled) || ce.ExitCode() != 130 || ce.Draft == "" {
		t.Fatalf("err = %v, want a cancel with a draft and exit code 130", cerr)
	}
	st, err := os.Stat(ce.Draft)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(ce.Draft)
	if st.Mode().Perm() != 0o600 || strings.Contains(string(raw), testVCPassword) {
		t.Errorf("draft mode %v, or it holds the password:\n%s", st.Mode().Perm(), raw)
	}
	if !strings.Contains(cerr.Error(), "run `dcos-vsphere install` in that directory") {
		t.Errorf("the cancel does not say how to continue: %v", cerr)
	}

	// The next setup in the directory continues it.
	d = startWizard(t, WizardDefaults{OutputDir: fx.dir, VCenter: newFakeVCenter()})
	s = d.focus(promptResume)
	if !strings.Contains(strings.Join(s.Notes, " "), ce.Draft) {
		t.Errorf("the resume page does not name the draft: %q", s.Notes)
	}
	d.choose(promptResume, resumeContinue)
	s = d.focus(promptClusterName)
	if s.Value != "lab" {
		t.Errorf("cluster name after resuming = %q, want lab", s.Value)
	}
	d.focus(promptVCenterURL)
	if s := d.w.snapshot(); s.Value != testURL {
		t.Errorf("vCenter URL after resuming = %q", s.Value)
	}
	d.answer(promptVCenterPassword, testVCPassword) // never in the draft: asked again
	d.submitPage()
	d.focus(promptCluster)
	if s := d.w.snapshot(); s.Value != "DC0_C1" {
		t.Errorf("compute cluster after resuming = %q", s.Value)
	}
	d.focus(promptGateway)
	d.focus(promptPrefix)
	if s := d.w.snapshot(); s.Value != "24" {
		t.Errorf("prefix after resuming = %q, want the 24 typed before the draft was saved", s.Value)
	}
	d.answer(promptDNS, "198.18.0.2")
	nodeAnswers(d, "1", 0, 0)
	sshAndDCOS(d, fx)
	save(d, actionSave, filepath.Join(fx.dir, "cluster.yaml"))
	res, err := d.finish()
	if err != nil {
		t.Fatal(err)
	}
	loadSaved(t, res)
	if _, err := os.Stat(ce.Draft); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the draft is still there after saving: %v", err)
	}

	// Quit without saving: nothing written, and a second ctrl+c answers
	// the question the same way.
	for _, how := range []string{"choice", "second ctrl+c"} {
		dir := t.TempDir()
		d = startWizard(t, WizardDefaults{OutputDir: dir})
		d.answer(promptClusterName, "lab")
		d.focus(promptVCenterURL)
		d.key(keyCtrlC)
		if how == "choice" {
			d.choose(promptLeave, leaveDiscard)
		} else {
			d.focus(promptLeave)
			d.tm.Send(keyCtrlC)
		}
		_, err = d.finish()
		if !errors.As(err, &ce) || ce.Draft != "" || ce.ExitCode() != 130 {
			t.Errorf("%s: err = %v, want a cancel without draft", how, err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("%s: files left: %v", how, entries)
		}
	}
}

// Defaults that cannot hurt, and answers checked with config's rules on
// the page that asks them.
func TestWizardSafeDefaultsAndChecks(t *testing.T) {
	fx := newFixture(t)
	home := t.TempDir()
	t.Setenv("HOME", home)
	if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	keyData, _ := os.ReadFile(fx.encKey)
	if err := os.WriteFile(filepath.Join(home, ".ssh", "id_enc"), keyData, 0o600); err != nil {
		t.Fatal(err)
	}
	vc := newFakeVCenter()
	vc.inventory[FieldFolder] = []string{"another-cluster", "zz"}
	d := startWizard(t, WizardDefaults{OutputDir: fx.dir, VCenter: vc})
	if got := d.try(promptClusterName, "-bad-"); !strings.Contains(got, "is not a valid cluster name") {
		t.Errorf("a bad cluster name: %q", got)
	}
	vcenterAnswers(d, "Lab-2", testVCPassword) // config accepts upper case; so does the wizard
	d.confirm(promptTrustCert, true)

	s := d.focus(promptFolder)
	if s.Value != "Lab-2 (new folder, created by the installer)" || s.Options[0] != s.Value {
		t.Errorf("folder default %q (options %q), want the cluster name", s.Value, s.Options)
	}
	d.focus(promptGateway)
	if got := d.try(promptGateway, "198.18.0.300"); !strings.Contains(got, `"198.18.0.300" is not an IPv4 address`) {
		t.Errorf("a bad gateway: %q", got)
	}
	d.answer(promptGateway, "198.18.0.1")
	d.answer(promptPrefix, "24")
	d.answer(promptDNS, "198.18.0.1")
	if got := d.try(promptBootstrapIP, "198.18.1.10"); !strings.Contains(got, "is outside the network 198.18.0.0/24") {
		t.Errorf("a bootstrap IP outside the network: %q", got)
	}
	d.answer(promptBootstrapIP, "198.18.0.10")
	s = d.focus(promptMasters)
	if strings.Join(s.Options, ",") != "1 (no high availability),3,5,7,9" {
		t.Errorf("master counts offered: %q", s.Options)
	}
	d.choose(promptMasters, "5")
	d.answer(promptAgents, "0")
	d.answer(promptPublic, "0")
	s = d.focus(promptMasterIP)
	if strings.Contains(s.Screen, promptAgentIP) || strings.Contains(s.Screen, promptPublicIP) {
		t.Errorf("addresses asked for groups of 0:\n%s", s.Screen)
	}
	d.answer(promptMasterIP, "198.18.0.8") // 8-12 overlaps the bootstrap node
	s = d.waitProblem("is also used by nodes.bootstrap")
	if s.Page != pageOf[*addressesPage](d.w).title() {
		t.Errorf("overlap reported on page %q", s.Page)
	}
	d.answer(promptMasterIP, "198.18.0.11")
	if got := d.try(promptMasterPrefix, "m_"); !strings.Contains(got, `does not make valid host names`) {
		t.Errorf("a bad prefix: %q", got)
	}
	d.answer(promptMasterPrefix, "lab2-m-")
	if got := d.try(promptSizeMasters, "4, 0, 120"); !strings.Contains(got, "memory MB: 0 is not a positive number") {
		t.Errorf("a zero size: %q", got)
	}
	d.answer(promptSizeMasters, "6, 40960, 150")

	// The key must be a private key: not any file, not the public half.
	for path, want := range map[string]string{fx.notKey: "is not an SSH private key", fx.pub: "is a public key", "~/.ssh/none": "no such file"} {
		if got := d.try(promptSSHKey, path); !strings.Contains(got, want) {
			t.Errorf("key %s: %q, want %q", path, got, want)
		}
	}
	d.answer(promptSSHKey, "~/.ssh/id_enc") // ~/ is the home directory; encrypted: its passphrase is asked
	if got := d.try(promptPassphrase, "wrong"); got != "" {
		t.Fatalf("the passphrase field refused a value: %q", got)
	}
	d.submitPage()
	d.waitProblem("the passphrase does not open")
	d.answer(promptPassphrase, testPassphrase)
	d.submitPage()
	d.answer(promptInstaller, fx.installer)
	d.submitPage()
	d.confirm(promptUseRegistry, false)
	save(d, actionSave, filepath.Join(fx.dir, "c.yaml"))
	res, err := d.finish()
	if err != nil {
		t.Fatal(err)
	}
	c := loadSaved(t, res)
	if c.SSH.KeyFile != filepath.Join(home, ".ssh", "id_enc") || c.SSH.KeyPassphrase.Ref != "${SSH_KEY_PASSPHRASE}" {
		t.Errorf("ssh = %+v", c.SSH)
	}
	if c.VCenter.Folder != "Lab-2" || c.Nodes.Masters.Count != 5 || c.Nodes.Masters.NamePrefix != "lab2-m-" {
		t.Errorf("folder %q masters %d prefix %q", c.VCenter.Folder, c.Nodes.Masters.Count, c.Nodes.Masters.NamePrefix)
	}
	if s := c.NodesOf(config.RoleMaster)[4].Size; s != (config.Size{CPUs: 6, MemoryMB: 40960, DiskGB: 150}) {
		t.Errorf("master size %+v", s)
	}
}

// "Save and install now" with each place a secret can be kept: the
// result holds the typed secrets for this run, the environment is not
// needed, and a secret reaches a file only when the user chose the file.
func TestWizardInstallNowWithEveryPasswordStore(t *testing.T) {
	for _, store := range []string{"the environment variable", "a file next to the config"} {
		t.Run(store, func(t *testing.T) {
			t.Setenv(VCenterPasswordEnv, "")
			os.Unsetenv(VCenterPasswordEnv)
			t.Setenv(RegistryPasswordEnv, "")
			os.Unsetenv(RegistryPasswordEnv)
			fx := newFixture(t)
			d := startWizard(t, WizardDefaults{OutputDir: fx.dir, VCenter: newFakeVCenter()})
			vcenterAnswers(d, "lab", testVCPassword)
			d.choose(promptVCenterStore, store)
			d.confirm(promptTrustCert, true)
			d.choose(promptCluster, "DC0_C0")
			networkAndNodes(d, "1", 1, 0)
			sshAndDCOS(d, fx)
			d.confirm(promptUseRegistry, true)
			d.answer(promptRegistryServer, "myreg.azurecr.io")
			d.answer(promptRegistryUser, "myreg")
			d.answer(promptRegistryPass, testRegPassword)
			d.choose(promptRegistryStore, store)
			s := d.focus(promptAction)
			// The document is longer than the screen: pgdn shows the rest.
			top := s.Screen
			d.tm.Send(tea.KeyMsg{Type: tea.KeyPgDown})
			if s = d.wait("the document to scroll", func(n snapshot) bool { return n.Screen != top }); strings.Contains(s.Screen, "(lines 1-") || !strings.Contains(s.Screen, "template:") {
				t.Errorf("pgdn did not scroll the review:\n%s", s.Screen)
			}
			notes := strings.Join(s.Notes, "\n")
			if strings.Contains(s.Screen, testVCPassword) || strings.Contains(notes, testRegPassword) {
				t.Fatalf("the review shows a secret")
			}
			save(d, actionInstall, filepath.Join(fx.dir, "cluster.yaml"))
			res, err := d.finish()
			if err != nil {
				t.Fatal(err)
			}
			if !res.InstallNow || res.Cluster.VCenter.Password.Value() != testVCPassword || res.Cluster.Registry.Password.Value() != testRegPassword {
				t.Fatalf("install now: %v, secrets in memory %v/%v", res.InstallNow,
					res.Cluster.VCenter.Password.IsSet(), res.Cluster.Registry.Password.IsSet())
			}
			files, _ := filepath.Glob(filepath.Join(fx.dir, "lab-*"))
			if store == "a file next to the config" {
				pw := filepath.Join(fx.dir, "lab-vcenter.password")
				got, err := os.ReadFile(pw)
				st, _ := os.Stat(pw)
				if err != nil || string(got) != testVCPassword || st.Mode().Perm() != 0o600 || len(files) != 2 {
					t.Errorf("password files %v: %v %q", files, err, got)
				}
				if res.Cluster.VCenter.PasswordFile != pw {
					t.Errorf("passwordFile = %q, want %q", res.Cluster.VCenter.PasswordFile, pw)
				}
			} else {
				if len(files) != 0 {
					t.Errorf("a secret was written to %v although the environment was chosen", files)
				}
				if res.Cluster.VCenter.Password.Ref != "${VCENTER_PASSWORD}" {
					t.Errorf("password ref %q", res.Cluster.VCenter.Password.Ref)
				}
				if _, set := os.LookupEnv(VCenterPasswordEnv); set {
					t.Errorf("the wizard put the password into the environment")
				}
			}
			loadSaved(t, res)
		})
	}
}

// A file that exists is replaced only when confirmed.
func TestWizardRefusesOverwriteUnlessConfirmed(t *testing.T) {
	fx := newFixture(t)
	existing := filepath.Join(fx.dir, "cluster.yaml")
	if err := os.WriteFile(existing, []byte("keep me\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d := startWizard(t, WizardDefaults{OutputDir: fx.dir, VCenter: newFakeVCenter()})
	vcenterAnswers(d, "lab", testVCPassword)
	d.confirm(promptTrustCert, true)
	d.choose(promptCluster, "DC0_C0")
	networkAndNodes(d, "1", 0, 0)
	sshAndDCOS(d, fx)
	save(d, actionSave, existing)
	d.confirm(promptOverwrite, false)
	d.waitProblem("Choose another file name")
	if got, _ := os.ReadFile(existing); string(got) != "keep me\n" {
		t.Fatalf("the existing file was changed:\n%s", got)
	}
	d.answer(promptSavePath, existing)
	d.confirm(promptOverwrite, true)
	res, err := d.finish()
	if err != nil {
		t.Fatal(err)
	}
	loadSaved(t, res)
}

// Going back to change the network, the node page checks its addresses
// against the new one.
func TestWizardNodeAddressesFollowTheNetwork(t *testing.T) {
	fx := newFixture(t)
	d := startWizard(t, WizardDefaults{OutputDir: fx.dir, VCenter: newFakeVCenter()})
	vcenterAnswers(d, "lab", testVCPassword)
	d.confirm(promptTrustCert, true)
	d.choose(promptCluster, "DC0_C0")
	networkAndNodes(d, "1", 0, 0)
	sshAndDCOS(d, fx)
	d.focus(promptAction)
	for d.w.snapshot().Page != pageOf[*networkPage](d.w).title() {
		d.key(keyEsc)
	}
	d.answer(promptGateway, "10.1.0.1")
	d.submitPage()
	if got := d.try(promptBootstrapIP, "198.18.0.10"); !strings.Contains(got, "is outside the network 10.1.0.0/24") {
		t.Errorf("the old bootstrap address in the new network: %q", got)
	}
}

// The review checks every rule again and sends the user to the page that
// asks a field that went wrong (a safety net: each page checks its own).
func TestWizardReviewSendsProblemsToTheirPage(t *testing.T) {
	fx := newFixture(t)
	w := newWizard(t.Context(), WizardDefaults{OutputDir: fx.dir})
	w.c = config.Cluster{Name: "lab", Network: config.Network{Gateway: "198.18.0.1", Prefix: 24},
		Nodes: config.Nodes{Bootstrap: config.Node{IP: "10.0.0.10"}}}
	w.enter(w.indexOf(pageOf[*reviewPage](w)), +1)
	if got := w.pages[w.cur].title(); got == pageOf[*reviewPage](w).title() || len(w.problems) == 0 {
		t.Errorf("review of an incomplete config: at page %q with %q", got, w.problems)
	}
	w.c = validTestCluster(fx)
	w.c.Nodes.Bootstrap.IP = "10.0.0.10"
	w.enter(w.indexOf(pageOf[*reviewPage](w)), +1)
	if got := w.pages[w.cur].title(); got != pageOf[*nodesPage](w).title() || !strings.Contains(strings.Join(w.problems, ""), "10.0.0.10 is outside the network") {
		t.Errorf("review with a bad node address: page %q problems %q", got, w.problems)
	}
	w.c = validTestCluster(fx)
	w.enter(w.indexOf(pageOf[*reviewPage](w)), +1)
	if got := w.pages[w.cur].title(); got != pageOf[*reviewPage](w).title() {
		t.Errorf("review of a valid config: at page %q (%q)", got, w.problems)
	}
}

func validTestCluster(fx fixture) config.Cluster {
	return config.Cluster{
		Name: "lab",
		VCenter: config.VCenter{URL: testURL, Username: testUser, Password: config.Secret{Ref: "${VCENTER_PASSWORD}"},
			Datacenter: "DC0", Datastore: "LocalDS_0", Network: "VM Network"},
		Template: config.Template{Name: "centos7"},
		Network:  config.Network{Gateway: "198.18.0.1", Prefix: 24},
		Nodes:    config.Nodes{Bootstrap: config.Node{IP: "198.18.0.10"}, Masters: config.NodeGroup{Count: 1, IPRange: "198.18.0.11"}},
		SSH:      config.SSH{KeyFile: fx.key},
		DCOS:     config.DCOS{Installer: fx.installer},
	}
}
