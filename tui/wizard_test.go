package tui

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// The whole setup with a live vCenter: trust on first use, pick-lists,
// every node role; the saved file is what config.Load accepts, with the
// answers, the dcos.config defaults init writes and init's comments.
func TestWizardSavesWhatConfigLoads(t *testing.T) {
	fx := newFixture(t)
	vc := newFakeVCenter()
	d := startWizard(t, WizardDefaults{OutputDir: fx.dir, VCenter: vc})
	vcenterAnswers(d, "lab", testVCPassword)
	d.confirm(promptTrustCert, true)
	d.choose(promptCluster, "DC0_C1")
	d.choose(promptNetwork, "DC0_DVPG0")
	networkAndNodes(d, "3", 2, 1)
	d.answer(promptMasterPrefix, "lab-master-")
	d.answer(promptSizeAgents, "8, 65536, 200")
	sshAndDCOS(d, fx)
	save(d, actionSave, filepath.Join(fx.dir, "cluster.yaml"))
	res, err := d.finish()
	if err != nil {
		t.Fatal(err)
	}
	if res.InstallNow {
		t.Error("InstallNow set although \"save\" was chosen")
	}
	c := loadSaved(t, res)
	for _, ch := range []struct{ field, got, want string }{
		{"name", c.Name, "lab"},
		{"vcenter.thumbprint", c.VCenter.Thumbprint, testThumbprint},
		{"vcenter.datacenter", c.VCenter.Datacenter, "DC0"},
		{"vcenter.cluster", c.VCenter.Cluster, "DC0_C1"},
		{"vcenter.datastore", c.VCenter.Datastore, "LocalDS_0"},
		{"vcenter.network", c.VCenter.Network, "DC0_DVPG0"},
		{"vcenter.folder", c.VCenter.Folder, "lab"},
		{"template.name", c.Template.Name, "centos7-template"},
		{"nodes.masters.ipRange", c.Nodes.Masters.IPRange, "198.18.0.11"},
		{"nodes.masters.namePrefix", c.Nodes.Masters.NamePrefix, "lab-master-"},
		{"ssh.keyFile", c.SSH.KeyFile, fx.key},
		{"dcos.installer", c.DCOS.Installer, fx.installer},
	} {
		if ch.got != ch.want {
			t.Errorf("%s = %q, want %q", ch.field, ch.got, ch.want)
		}
	}
	if got := names(c.AllNodes()); got != "bootstrap lab-master-1 lab-master-2 lab-master-3 agent-1 agent-2 public-agent-1" {
		t.Errorf("nodes = %s", got)
	}
	if s := c.NodesOf(config.RoleAgent)[0].Size; s != (config.Size{CPUs: 8, MemoryMB: 65536, DiskGB: 200}) {
		t.Errorf("agent size = %+v, want the one typed", s)
	}
	if s := c.NodesOf(config.RoleMaster)[0].Size; s != config.DefaultSize(config.RoleMaster) {
		t.Errorf("master size = %+v, want the DC/OS minimum shown", s)
	}
	if !reflect.DeepEqual(c.DCOS.Config, config.DefaultDCOSConfig()) {
		t.Errorf("dcos.config = %v, want init's %v", c.DCOS.Config, config.DefaultDCOSConfig())
	}
	raw, _ := os.ReadFile(res.ConfigPath)
	for _, comment := range []string{"# Cluster name (required)", "# Secrets are never written here", "# port group the nodes attach to"} {
		if !strings.Contains(string(raw), comment) {
			t.Errorf("the saved file lacks init's comment %q", comment)
		}
	}
	if !strings.Contains(string(raw), `password: "${VCENTER_PASSWORD}"`) {
		t.Errorf("the vCenter password is not an environment reference:\n%s", raw)
	}
}

func names(nodes []config.PlannedNode) string {
	var out []string
	for _, n := range nodes {
		out = append(out, n.Name)
	}
	return strings.Join(out, " ")
}

// The vCenter page logs in once; every later lookup uses that session,
// going back and forth does not log in again, and a wrong password is
// reported on the vCenter page with the fix.
func TestWizardLogsInOnceAndReportsAWrongPassword(t *testing.T) {
	fx := newFixture(t)
	vc := newFakeVCenter()
	d := startWizard(t, WizardDefaults{OutputDir: fx.dir, VCenter: vc})
	vcenterAnswers(d, "lab", "wrong-password")
	d.confirm(promptTrustCert, true)
	s := d.waitProblem("refused the login of " + testUser)
	if s.Page != pageOf[*vcenterPage](d.w).title() || !strings.Contains(strings.Join(s.Problems, " "), "Type the password again") {
		t.Fatalf("wrong password reported on page %q: %q", s.Page, s.Problems)
	}
	if s.Value != "" && s.Prompt == promptVCenterPassword {
		t.Errorf("the wrong password is kept in the field")
	}
	d.answer(promptVCenterPassword, testVCPassword)
	d.focus(promptCluster) // no second certificate question: the thumbprint is pinned
	if logins, refused, _ := vc.counts(); logins != 2 || refused != 1 {
		t.Fatalf("logins %d (refused %d), want 2 (1 refused)", logins, refused)
	}
	// Back to the vCenter page and forward again with the same answers.
	d.key(tea.KeyMsg{Type: tea.KeyEsc})
	d.waitPage(pageOf[*vcenterPage](d.w).title())
	d.focus(promptCluster)
	d.choose(promptCluster, "DC0_C0")
	networkAndNodes(d, "1", 1, 0)
	sshAndDCOS(d, fx)
	save(d, actionSave, filepath.Join(fx.dir, "c.yaml"))
	res, err := d.finish()
	if err != nil {
		t.Fatal(err)
	}
	loadSaved(t, res)
	logins, _, calls := vc.counts()
	if logins != 2 {
		t.Errorf("%d logins, want 2 (one refused, one for the whole setup)", logins)
	}
	for i, c := range calls {
		if strings.HasPrefix(c, "names") && !slices.Contains(calls[:i], "login") {
			t.Errorf("lookup %q before any login: %v", c, calls)
		}
	}
	if n := strings.Count(strings.Join(calls, ","), "names datacenter"); n != 1 {
		t.Errorf("datacenters listed %d times, want once (back and forth asks vCenter nothing again): %v", n, calls)
	}
}

// An unknown certificate is shown for confirmation; declining it goes
// back to the vCenter page and logs in nowhere.
func TestWizardCertificateDeclined(t *testing.T) {
	fx := newFixture(t)
	vc := newFakeVCenter()
	d := startWizard(t, WizardDefaults{OutputDir: fx.dir, VCenter: vc})
	vcenterAnswers(d, "lab", testVCPassword)
	s := d.focus(promptTrustCert)
	screen := strings.Join(strings.Fields(s.Screen), " ")
	for _, want := range []string{testThumbprint[:47], testThumbprint[48:], "CN=vc.lab.example", "2031-01-02", "govc about.cert -thumbprint"} {
		if !strings.Contains(screen, want) {
			t.Errorf("the certificate page lacks %q:\n%s", want, s.Screen)
		}
	}
	d.confirm(promptTrustCert, false)
	s = d.waitProblem("was not trusted")
	if s.Page != pageOf[*vcenterPage](d.w).title() {
		t.Errorf("declined certificate: page %q", s.Page)
	}
	if logins, _, _ := vc.counts(); logins != 0 {
		t.Errorf("%d logins after the certificate was declined", logins)
	}
}

// A pinned thumbprint that is not the server's, or a CA file that does
// not verify it, is reported on the page that asked it.
func TestWizardPinnedThumbprintMismatch(t *testing.T) {
	fx := newFixture(t)
	d := startWizard(t, WizardDefaults{OutputDir: fx.dir, VCenter: newFakeVCenter()})
	vcenterAnswers(d, "lab", testVCPassword)
	d.choose(promptTrust, "pin a thumbprint")
	other := strings.TrimSuffix(strings.Repeat("AB:", 32), ":")
	d.answer(promptThumbprint, other)
	s := d.waitProblem("which is not the thumbprint given")
	if s.Page != pageOf[*thumbprintPage](d.w).title() || !strings.Contains(strings.Join(s.Problems, ""), testThumbprint) {
		t.Errorf("mismatch on page %q: %q", s.Page, s.Problems)
	}
	if got := d.try(promptThumbprint, "AB:CD"); !strings.Contains(got, "is not a SHA-256 or SHA-1 thumbprint") {
		t.Errorf("a short thumbprint: field error %q", got)
	}
}

// Lookups show a spinner; an unreachable vCenter is reported within the
// connect timeout with what to check, and esc stops a lookup.
func TestWizardUnreachableVCenterIsBounded(t *testing.T) {
	fx := newFixture(t)
	vc := newFakeVCenter()
	vc.certBlock = make(chan struct{}) // never answers
	d := startWizard(t, WizardDefaults{OutputDir: fx.dir, VCenter: vc, ConnectTimeout: 700 * time.Millisecond})
	start := time.Now()
	vcenterAnswers(d, "lab", testVCPassword)
	d.submitPage()
	s := d.wait("the spinner", func(s snapshot) bool { return s.Busy != "" })
	if !strings.Contains(s.Screen, "Connecting to vCenter vc.lab.example:443 as "+testUser) || !strings.Contains(s.Screen, "esc stop") {
		t.Errorf("no spinner line while connecting:\n%s", s.Screen)
	}
	s = d.waitProblem("did not answer within 700ms")
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("unreachable vCenter reported after %s", took)
	}
	if !strings.Contains(strings.Join(s.Problems, ""), "firewall") || s.Page != pageOf[*vcenterPage](d.w).title() {
		t.Errorf("problem %q on page %q", s.Problems, s.Page)
	}
	// esc stops a running check and keeps the answers.
	d.submitPage()
	d.wait("the spinner", func(s snapshot) bool { return s.Busy != "" })
	d.key(tea.KeyMsg{Type: tea.KeyEsc})
	s = d.waitProblem("Stopped")
	if s.Busy != "" || s.Page != pageOf[*vcenterPage](d.w).title() {
		t.Errorf("after esc: busy %q page %q", s.Busy, s.Page)
	}

	// Other failures name their cause; a closed port answers at once.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	_, refused := net.DialTimeout("tcp", closed, time.Second)
	if got := explainConnect(refused, closed, time.Second); !strings.Contains(got, "Nothing accepts connections on "+closed+" (connection refused)") {
		t.Errorf("a closed port: %q", got)
	}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{errors.New("dial tcp 127.0.0.1:1: connect: connection refused"), "Cannot connect to vCenter"},
		{&os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}, "connection refused"},
	} {
		if got := explainConnect(tc.err, "h:443", time.Second); !strings.Contains(got, tc.want) {
			t.Errorf("explainConnect(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
