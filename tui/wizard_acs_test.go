package tui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// The ACS page at 80x24: off by default; config's rules on every field;
// the defaults 2200 and azureuser; an unknown host key shown with its
// fingerprint and recorded only after a yes; what the login found shown
// for confirmation; the saved file has the acs section with init's
// comments and loads, and names the known_hosts file the key went to
// when the config is saved elsewhere.
func TestWizardACSPage(t *testing.T) {
	fx := newFixture(t)
	key := acsKeyFile(fx)
	acs := newFakeACS()
	acs.keyFile = key
	d := startWizardSized(t, WizardDefaults{OutputDir: fx.dir, VCenter: newFakeVCenter(), ACS: acs}, 80, 24)
	toACS(d, fx, true)
	s := d.focus(promptUseACS)
	if s.Value != "No" {
		t.Errorf("ACS question default %q, want No", s.Value)
	}
	d.confirm(promptUseACS, true)

	// Defaults, and config's rules with config's messages.
	s = d.focus(promptACSMaster)
	if s.Page != pageOf[*acsPage](d.w).title() {
		t.Errorf("with a registry the ACS page follows at once; at %q", s.Page)
	}
	for in, want := range map[string]error{
		"":                                 config.CheckACSMasterFQDN(""),
		"ssh://" + testACSMaster + ":2200": config.CheckACSMasterFQDN("ssh://" + testACSMaster + ":2200"),
	} {
		if got := d.try(promptACSMaster, in); got != want.Error() {
			t.Errorf("master %q: field error %q, want config's %q", in, got, want)
		}
	}
	d.answer(promptACSMaster, testACSMaster)
	if s = d.focus(promptACSPort); s.Value != "2200" {
		t.Errorf("port default %q, want 2200", s.Value)
	}
	if got := d.try(promptACSPort, "70000"); got != config.CheckPort(70000).Error() {
		t.Errorf("port 70000: %q", got)
	}
	d.answer(promptACSPort, "2200")
	if s = d.focus(promptACSUser); s.Value != "azureuser" {
		t.Errorf("user default %q, want azureuser", s.Value)
	}
	if got := d.try(promptACSUser, "Azure User"); got != config.CheckACSUser("Azure User").Error() {
		t.Errorf("user: %q", got)
	}
	d.answer(promptACSUser, "azureuser")
	d.choose(promptACSLogin, "the ACS admin's private key file")

	// The key: a private key without a passphrase, ~/ expanded.
	for path, want := range map[string]string{
		fx.notKey:            "is not a private key this tool can use",
		fx.pub:               "is a public key; acs.keyFile needs the private key",
		"~/none-" + t.Name(): "no such file",
	} {
		if got := d.try(promptACSKey, path); !strings.Contains(got, want) {
			t.Errorf("key %s: %q, want %q", path, got, want)
		}
	}

	// An unknown host key: shown, and declining it records nothing.
	kh := filepath.Join(fx.dir, config.StateDirName, "lab", config.DefaultACSKnownHostsName)
	d.answer(promptACSKey, key)
	if s = d.focus(promptACSKnownHosts); s.Value != "" {
		t.Errorf("known_hosts default %q, want empty (the state dir's)", s.Value)
	}
	d.leave(pageOf[*acsLoginPage](d.w))
	s = d.focus(promptACSTrustKey)
	if !hasLine(s.Screen, acs.fingerprint()) || !hasLine(s.Screen, acsHost(2200)) || !hasLine(s.Screen, "is not in") {
		t.Errorf("the host key page lacks the host or its fingerprint %s:\n%s", acs.fingerprint(), s.Screen)
	}
	d.confirm(promptACSTrustKey, false)
	s = d.waitProblem("was not trusted; nothing was recorded")
	if s.Page != pageOf[*acsPage](d.w).title() {
		t.Errorf("declined host key: on page %q", s.Page)
	}
	if _, err := os.Stat(kh); !os.IsNotExist(err) {
		t.Fatalf("a declined host key was recorded (%s: %v)", kh, err)
	}
	if _, logins, _ := acs.counts(); logins != 0 {
		t.Fatalf("%d logins before the host key was trusted", logins)
	}

	// Trusted: recorded after the login; what it found is shown.
	d.submitPage()
	d.leave(pageOf[*acsLoginPage](d.w))
	d.confirm(promptACSTrustKey, true)
	s = d.focus(promptACSRight)
	for _, want := range []string{"Logged in to azureuser@" + testACSMaster + ":2200", "dcos-master-0", "1.9.0", "acs-lab",
		"0b8e4d7c-2f36-4e1a-9d0c-5a4b3c2d1e0f", "Ubuntu 16.04.2 LTS", acs.fingerprint()} {
		if !hasLine(s.Screen, want) {
			t.Errorf("the ACS cluster page lacks %q:\n%s", want, s.Screen)
		}
	}
	if !knownHostsHas(kh, acsHost(2200), acs.hostKey) {
		t.Fatalf("the trusted key is not in %s", kh)
	}
	if _, _, trusted := acs.counts(); trusted[len(trusted)-1] != string(ssh.MarshalAuthorizedKey(acs.hostKey)) {
		t.Errorf("the trust passed is not the key shown: %q", trusted[len(trusted)-1])
	}
	d.confirm(promptACSRight, true)

	// Saved in a sub-directory: the file names the known_hosts file the
	// key went to, so later runs find it.
	sub := filepath.Join(fx.dir, "sub")
	os.Mkdir(sub, 0o700)
	save(d, actionSave, filepath.Join(sub, "cluster.yaml"))
	res, err := d.finish()
	if err != nil {
		t.Fatal(err)
	}
	c := loadSaved(t, res)
	if a := c.ACS; a.MasterFQDN != testACSMaster || a.SSHPort != 2200 || a.User != "azureuser" || a.KeyFile != key || a.Agent || a.KnownHostsFile != kh {
		t.Errorf("acs = %+v", a)
	}
	raw, _ := os.ReadFile(res.ConfigPath)
	for _, comment := range []string{"# existing DC/OS cluster on Azure Container Service (optional)",
		"# default 2200 (master 0); 2200+i reaches master i through the Azure load balancer", "# the ACS admin's private key (or agent: true for ssh-agent)"} {
		if !hasLine(string(raw), comment) {
			t.Errorf("the saved acs section lacks init's comment %q:\n%s", comment, raw)
		}
	}
	keyData, _ := os.ReadFile(key)
	for _, f := range []string{res.ConfigPath, kh} {
		if b, _ := os.ReadFile(f); strings.Contains(string(b), strings.TrimSpace(string(keyData))[40:80]) {
			t.Errorf("%s holds the private key", f)
		}
	}
}

// Esc from the ACS cluster page goes back with the answers kept; forward
// again with the same answers logs in no second time.
func TestWizardACSBackAndForth(t *testing.T) {
	fx := newFixture(t)
	key := acsKeyFile(fx)
	acs := newFakeACS()
	d := startWizard(t, WizardDefaults{OutputDir: fx.dir, VCenter: newFakeVCenter(), ACS: acs})
	toACS(d, fx, true)
	d.confirm(promptUseACS, true)
	d.answer(promptACSMaster, testACSMaster)
	d.answer(promptACSPort, "2201")
	d.leave(pageOf[*acsPage](d.w))
	d.answer(promptACSKey, key)
	d.leave(pageOf[*acsLoginPage](d.w))
	d.confirm(promptACSTrustKey, true)
	d.focus(promptACSRight)
	d.key(keyEsc)
	s := d.waitPage(pageOf[*acsLoginPage](d.w).title())
	if s.Value != key {
		t.Errorf("back on the key page: %q = %q", s.Prompt, s.Value)
	}
	d.key(keyEsc)
	d.waitPage(pageOf[*acsPage](d.w).title())
	if s := d.focus(promptACSPort); s.Value != "2201" {
		t.Errorf("port after going back = %q", s.Value)
	}
	d.leave(pageOf[*acsPage](d.w))
	d.leave(pageOf[*acsLoginPage](d.w))
	d.focus(promptACSRight)
	if probes, logins, _ := acs.counts(); probes != 2 || logins != 1 {
		t.Errorf("%d checks, %d logins; want 2 and 1 (the first shows the host key; going back and forth logs in no more)", probes, logins)
	}
	d.confirm(promptACSRight, true)
	save(d, actionSave, filepath.Join(fx.dir, "cluster.yaml"))
	res, err := d.finish()
	if err != nil {
		t.Fatal(err)
	}
	c := loadSaved(t, res)
	if c.ACS.SSHPort != 2201 || c.ACS.KnownHostsFile != filepath.Join(fx.dir, config.StateDirName, "lab", config.DefaultACSKnownHostsName) {
		t.Errorf("acs = %+v", c.ACS)
	}
	raw, _ := os.ReadFile(res.ConfigPath)
	if hasKey(string(raw), "knownHostsFile") {
		t.Errorf("the default known_hosts file is written out although the config is saved where it was assumed:\n%s", raw)
	}
}

// ACS without a registry: the page says acs-sync skips itself, offers
// the registry page (the ACS answer is kept), and else goes on.
func TestWizardACSWithoutRegistry(t *testing.T) {
	fx := newFixture(t)
	key := acsKeyFile(fx)
	d := startWizard(t, WizardDefaults{OutputDir: fx.dir, VCenter: newFakeVCenter(), ACS: newFakeACS()})
	toACS(d, fx, false)
	d.confirm(promptUseACS, true)
	s := d.focus(promptACSNoRegistry)
	if !hasLine(s.Screen, "install will not put credentials on the ACS agents") || !hasLine(s.Screen, "acs-sync phase skips itself") ||
		!hasLine(s.Screen, "registers both clusters for the DC/OS CLI") {
		t.Errorf("the no-registry page:\n%s", s.Screen)
	}
	d.choose(promptACSNoRegistry, acsRegistryBack)
	s = d.focus(promptUseRegistry)
	if !hasLine(s.Screen, "the ACS answers are kept") {
		t.Errorf("the registry page after going back:\n%s", s.Screen)
	}
	// Still no registry: the question comes again; continue without.
	d.confirm(promptUseRegistry, false)
	if s = d.focus(promptUseACS); s.Value != "Yes" {
		t.Errorf("the ACS answer after going back: %q", s.Value)
	}
	d.confirm(promptUseACS, true)
	d.choose(promptACSNoRegistry, acsRegistryOn)
	d.answer(promptACSMaster, testACSMaster)
	d.choose(promptACSLogin, "the ACS admin's private key file")
	d.answer(promptACSKey, key)
	d.leave(pageOf[*acsLoginPage](d.w))
	d.confirm(promptACSTrustKey, true)
	d.confirm(promptACSRight, true)
	// Once there is a registry the page no longer applies.
	d.focus(promptAction)
	for d.w.snapshot().Page != pageOf[*registryAskPage](d.w).title() {
		d.key(keyEsc)
	}
	d.confirm(promptUseRegistry, true)
	d.answer(promptRegistryServer, "myreg.azurecr.io")
	d.answer(promptRegistryUser, "myreg")
	d.answer(promptRegistryPass, testRegPassword)
	d.leave(pageOf[*registryPage](d.w))
	d.leave(pageOf[*acsAskPage](d.w))
	if s := d.wait("the next page", func(s snapshot) bool { return s.Prompt != "" }); s.Page != pageOf[*acsPage](d.w).title() {
		t.Errorf("with a registry after the ACS answer: page %q", s.Page)
	}
	d.leave(pageOf[*acsPage](d.w))
	d.leave(pageOf[*acsLoginPage](d.w))
	d.confirm(promptACSRight, true)
	save(d, actionSave, filepath.Join(fx.dir, "cluster.yaml"))
	res, err := d.finish()
	if err != nil {
		t.Fatal(err)
	}
	if c := loadSaved(t, res); !c.ACS.Enabled() || c.Registry.Server == "" {
		t.Errorf("acs %+v registry %q", c.ACS, c.Registry.Server)
	}

	// Saying no to ACS leaves no acs section.
	d = startWizard(t, WizardDefaults{OutputDir: t.TempDir(), VCenter: newFakeVCenter(), ACS: newFakeACS()})
	toACS(d, fx, false)
	d.confirm(promptUseACS, false)
	save(d, actionSave, filepath.Join(d.w.defaults.OutputDir, "cluster.yaml"))
	res, err = d.finish()
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(res.ConfigPath)
	if strings.Contains(string(raw), "\nacs:") || loadSaved(t, res).ACS.Enabled() {
		t.Errorf("an acs section without ACS:\n%s", raw)
	}
}

// What keeps the login from working is shown on the page that asks the
// answer to change, with the fix: a refused key, failing sudo, a changed
// host key (both fingerprints), no ssh-agent, an unreachable master
// (bounded; esc stops the check).
func TestWizardACSLoginFailures(t *testing.T) {
	fx := newFixture(t)
	key := acsKeyFile(fx)
	acs := newFakeACS()
	acs.keyFile = key
	acs.noAgent = true
	d := startWizardSized(t, WizardDefaults{OutputDir: fx.dir, VCenter: newFakeVCenter(), ACS: acs, ConnectTimeout: 700 * time.Millisecond}, 80, 24)
	toACS(d, fx, true)
	d.confirm(promptUseACS, true)
	d.answer(promptACSMaster, testACSMaster)
	d.leave(pageOf[*acsPage](d.w))

	// The wrong key (trusted on first use first).
	d.answer(promptACSKey, fx.key)
	d.leave(pageOf[*acsLoginPage](d.w))
	d.confirm(promptACSTrustKey, true)
	s := d.waitProblem("refused the login with the key " + fx.key)
	if s.Page != pageOf[*acsLoginPage](d.w).title() || !strings.Contains(strings.Join(s.Problems, ""), "~azureuser/.ssh/authorized_keys") {
		t.Errorf("refused login: page %q, %q", s.Page, s.Problems)
	}
	kh := filepath.Join(fx.dir, config.StateDirName, "lab", config.DefaultACSKnownHostsName)
	if _, err := os.Stat(kh); !os.IsNotExist(err) {
		t.Errorf("a host key was recorded although the login failed")
	}

	// No ssh-agent.
	d.key(keyEsc)
	d.choose(promptACSLogin, "the keys of my ssh-agent")
	d.leave(pageOf[*acsLoginPage](d.w))
	d.confirm(promptACSTrustKey, true)
	s = d.waitProblem("SSH_AUTH_SOCK is not set")
	if s.Page != pageOf[*acsPage](d.w).title() || !strings.Contains(strings.Join(s.Problems, ""), "ssh-add") {
		t.Errorf("no agent: page %q, %q", s.Page, s.Problems)
	}

	// Sudo failing.
	acs.mu.Lock()
	acs.sudoFail = true
	acs.mu.Unlock()
	d.choose(promptACSLogin, "the ACS admin's private key file")
	d.answer(promptACSKey, key)
	d.leave(pageOf[*acsLoginPage](d.w))
	d.confirm(promptACSTrustKey, true)
	s = d.waitProblem("passwordless sudo failed")
	if s.Page != pageOf[*acsPage](d.w).title() || !strings.Contains(strings.Join(s.Problems, ""), "NOPASSWD") {
		t.Errorf("sudo: page %q, %q", s.Page, s.Problems)
	}

	// A changed host key: refused with both fingerprints, never trusted.
	acs.mu.Lock()
	acs.sudoFail = false
	acs.mu.Unlock()
	old := newFakeACS().hostKey
	os.MkdirAll(filepath.Dir(kh), 0o700)
	os.WriteFile(kh, []byte(acsHost(2200)+" "+string(ssh.MarshalAuthorizedKey(old))), 0o600)
	d.submitPage()
	d.leave(pageOf[*acsLoginPage](d.w))
	s = d.waitProblem("has changed")
	problem := strings.Join(s.Problems, "")
	if s.Page != pageOf[*acsLoginPage](d.w).title() || !strings.Contains(problem, ssh.FingerprintSHA256(old)) || !strings.Contains(problem, ssh.FingerprintSHA256(acs.hostKey)) {
		t.Errorf("changed host key: page %q, %q", s.Page, s.Problems)
	}
	if knownHostsHas(kh, acsHost(2200), acs.hostKey) {
		t.Errorf("a changed host key was recorded")
	}
	d.fits(d.w.snapshot())

	// Unreachable: bounded by the connect timeout, with a spinner; esc stops it.
	os.Remove(kh)
	acs.mu.Lock()
	acs.block = make(chan struct{})
	acs.mu.Unlock()
	start := time.Now()
	d.submitPage()
	s = d.wait("the spinner", func(s snapshot) bool { return s.Busy != "" })
	if !hasLine(s.Screen, "Logging in to the ACS master azureuser@"+testACSMaster+":2200") || !hasLine(s.Screen, "esc stop") {
		t.Errorf("no spinner line while logging in:\n%s", s.Screen)
	}
	s = d.waitProblem("did not answer within 700ms")
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("unreachable master reported after %s", took)
	}
	d.submitPage()
	d.leave(pageOf[*acsLoginPage](d.w))
	d.wait("the spinner", func(s snapshot) bool { return s.Busy != "" })
	d.key(keyEsc)
	if s = d.waitProblem("Stopped"); s.Busy != "" || s.Page != pageOf[*acsLoginPage](d.w).title() {
		t.Errorf("after esc: busy %q page %q", s.Busy, s.Page)
	}
}

// hasKey reports whether the YAML document sets key (not in a comment).
func hasKey(doc, key string) bool {
	for _, l := range strings.Split(doc, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), key+":") {
			return true
		}
	}
	return false
}

// Without an ACSChecker the ACS answers are checked with config's rules
// only, and saved.
func TestWizardACSWithoutChecker(t *testing.T) {
	fx := newFixture(t)
	key := acsKeyFile(fx)
	d := startWizard(t, WizardDefaults{OutputDir: fx.dir, VCenter: newFakeVCenter()})
	toACS(d, fx, true)
	d.confirm(promptUseACS, true)
	d.answer(promptACSMaster, testACSMaster)
	d.choose(promptACSLogin, "the ACS admin's private key file")
	d.answer(promptACSKey, key)
	d.leave(pageOf[*acsLoginPage](d.w))
	if s := d.focus(promptAction); s.Page != pageOf[*reviewPage](d.w).title() {
		t.Errorf("after the ACS answers: page %q", s.Page)
	}
	save(d, actionSave, filepath.Join(fx.dir, "cluster.yaml"))
	res, err := d.finish()
	if err != nil {
		t.Fatal(err)
	}
	if c := loadSaved(t, res); c.ACS.MasterFQDN != testACSMaster || c.ACS.KeyFile != key {
		t.Errorf("acs = %+v", c.ACS)
	}
}

// An encrypted ACS key: its passphrase is asked on a page of its own,
// checked against the key (a wrong one stays on the page), used for the
// live login, and kept for later runs only where the user chose.
func TestWizardACSEncryptedKey(t *testing.T) {
	fx := newFixture(t)
	t.Setenv(ACSKeyPassphraseEnv, "")
	os.Unsetenv(ACSKeyPassphraseEnv)
	acs := newFakeACS()
	acs.keyFile, acs.passphrase = fx.encKey, testPassphrase
	d := startWizardSized(t, WizardDefaults{OutputDir: fx.dir, VCenter: newFakeVCenter(), ACS: acs}, 80, 24)
	toACS(d, fx, true)
	d.confirm(promptUseACS, true)
	d.answer(promptACSMaster, testACSMaster)
	d.answer(promptACSPort, "2200")
	d.answer(promptACSUser, "azureuser")
	d.choose(promptACSLogin, "the ACS admin's private key file")
	d.answer(promptACSKey, fx.encKey)
	d.leave(pageOf[*acsLoginPage](d.w))
	s := d.focus(promptACSPassphrase)
	if s.Page != pageOf[*acsPassphrasePage](d.w).title() || !hasLine(strings.Join(s.Notes, " "), "is encrypted") {
		t.Fatalf("no passphrase page for an encrypted key: %q %v", s.Page, s.Notes)
	}
	if _, logins, _ := acs.counts(); logins != 0 {
		t.Fatalf("logged in before the passphrase was asked")
	}
	d.answer(promptACSPassphrase, "not-the-passphrase")
	d.choose(promptACSPassStore, "the environment variable")
	s = d.waitProblem("passphrase")
	if s.Page != pageOf[*acsPassphrasePage](d.w).title() {
		t.Fatalf("a wrong passphrase left the page: %q", s.Page)
	}
	d.answer(promptACSPassphrase, testPassphrase)
	d.choose(promptACSPassStore, "the environment variable")
	d.confirm(promptACSTrustKey, true)
	d.confirm(promptACSRight, true)
	save(d, actionSave, filepath.Join(fx.dir, "cluster.yaml"))
	res, err := d.finish()
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Cluster.ACS.KeyPassphrase; got.Value() != testPassphrase || got.Ref != "${"+ACSKeyPassphraseEnv+"}" {
		t.Errorf("acs.keyPassphrase = %q (in memory %v)", got.Ref, got.Value() == testPassphrase)
	}
	if raw, _ := os.ReadFile(res.ConfigPath); strings.Contains(string(raw), testPassphrase) {
		t.Error("the saved file holds the passphrase")
	}
}
