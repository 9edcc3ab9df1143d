package tui

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// answers is one random way through the wizard: every page combination
// it can take (trust, password stores, node groups, key, ip-detect,
// registry, ACS with a key or the agent and with or without a registry,
// folder and template "other", install now).
type answers struct {
	name, store, trust, thumb              string
	cluster, network, folder, template     string
	gateway                                string
	prefix                                 int
	dns                                    []string
	search                                 string
	masters, agents, public                int
	masterPrefix                           string
	masterSize                             config.Size
	encrypted                              bool
	keyStore                               string
	knownHosts                             string
	installerURL                           bool
	port                                   int
	iface                                  string
	registry                               bool
	regStore                               string
	installNow                             bool
	bootstrap, masterIP, agentIP, publicIP string
	acs, acsAgent, acsBack, acsOwnFile     bool
	acsPort                                int
}

func randomAnswers(rng *rand.Rand) answers {
	pick := func(s ...string) string { return s[rng.IntN(len(s))] }
	a := answers{
		name:     pick("lab", "Prod-1", "dcos19", "x"),
		store:    pick("the environment variable", "a file next to the config"),
		trust:    pick("check it now", "pin a thumbprint", "verify it with a CA", "do not verify"),
		cluster:  pick("DC0_C0", "DC0_C1"),
		network:  pick("VM Network", "DC0_DVPG0"),
		folder:   pick("default", "other-cluster", "other"),
		template: pick("centos7-template", "centos7-old", "other"),
		prefix:   []int{22, 23, 24}[rng.IntN(3)],
		search:   pick("", "lab.example"),
		masters:  []int{1, 3, 5, 7, 9}[rng.IntN(5)],
		agents:   rng.IntN(4),
		public:   rng.IntN(3),
		port:     []int{80, 8080, 10080}[rng.IntN(3)],
		iface:    pick("", "ens192"),
		keyStore: pick("the environment variable", "a file next to the config"),
		regStore: pick("the environment variable", "a file next to the config"),
	}
	third := 16 + rng.IntN(200)
	a.gateway = fmt.Sprintf("10.%d.%d.1", rng.IntN(250), third)
	net := strings.TrimSuffix(a.gateway, ".1")
	a.dns = []string{a.gateway}
	if rng.IntN(2) == 0 {
		a.dns = append(a.dns, net+".2")
	}
	a.bootstrap = net + ".10"
	a.masterIP, a.agentIP, a.publicIP = net+".11", net+".30", net+".50"
	switch rng.IntN(3) {
	case 0:
		a.thumb = strings.ReplaceAll(testThumbprint, ":", "")
	case 1:
		a.thumb = strings.ToLower(testThumbprint)
	default:
		a.thumb = testThumbprint
	}
	if rng.IntN(2) == 0 {
		a.masterPrefix = strings.ToLower(a.name) + "-m-"
	}
	if rng.IntN(2) == 0 {
		a.masterSize = config.Size{CPUs: 4 + rng.IntN(8), MemoryMB: 32768 + 1024*rng.IntN(32), DiskGB: 120 + rng.IntN(200)}
	}
	a.encrypted = rng.IntN(2) == 0
	a.installerURL = rng.IntN(3) == 0
	a.registry = rng.IntN(2) == 0
	a.installNow = rng.IntN(2) == 0
	if rng.IntN(3) == 0 {
		a.knownHosts = "known_hosts"
	}
	a.acs = rng.IntN(2) == 0
	a.acsAgent, a.acsBack, a.acsOwnFile = rng.IntN(2) == 0, rng.IntN(3) == 0, rng.IntN(3) == 0
	a.acsPort = []int{2200, 2201, 2204}[rng.IntN(3)]
	return a
}

// acsKnownHosts is where the ACS master's key is to be recorded.
func (a answers) acsKnownHosts(fx fixture) string {
	if a.acsOwnFile {
		return filepath.Join(fx.dir, "keys", "acs_known_hosts")
	}
	return filepath.Join(fx.dir, config.StateDirName, a.name, config.DefaultACSKnownHostsName)
}

// drive walks the wizard with a.
func (a answers) drive(d *driver, fx fixture) {
	d.t.Helper()
	vcenterAnswers(d, a.name, testVCPassword)
	d.choose(promptVCenterStore, a.store)
	d.choose(promptTrust, a.trust)
	switch {
	case strings.HasPrefix(a.trust, "check"):
		d.confirm(promptTrustCert, true)
	case strings.HasPrefix(a.trust, "pin"):
		d.answer(promptThumbprint, a.thumb)
	case strings.HasPrefix(a.trust, "verify"):
		d.answer(promptCAFile, fx.ca)
	default:
		d.confirm(promptInsecure, true)
	}
	d.choose(promptCluster, a.cluster)
	d.choose(promptNetwork, a.network)
	switch a.folder {
	case "default":
		d.choose(promptFolder, a.name+" (new")
	case "other":
		d.choose(promptFolder, "other (")
	default:
		d.choose(promptFolder, a.folder)
	}
	if a.template == "other" {
		d.choose(promptTemplate, "other (")
		d.answer(promptOVA, fx.ova)
	} else {
		d.choose(promptTemplate, a.template)
		d.leave(pageOf[*placementPage](d.w))
	}
	if a.folder == "other" {
		d.answer(promptNewFolder, a.name+"-vms")
	}
	if a.template == "other" {
		d.answer(promptNewTemplate, "centos7-new")
	}
	d.answer(promptGateway, a.gateway)
	d.answer(promptPrefix, strconv.Itoa(a.prefix))
	d.answer(promptDNS, strings.Join(a.dns, ", "))
	d.answer(promptSearchDomain, a.search)
	d.answer(promptBootstrapIP, a.bootstrap)
	d.choose(promptMasters, strconv.Itoa(a.masters))
	d.answer(promptAgents, strconv.Itoa(a.agents))
	d.answer(promptPublic, strconv.Itoa(a.public))
	d.answer(promptMasterIP, a.masterIP)
	if a.agents > 0 {
		d.answer(promptAgentIP, a.agentIP)
	}
	if a.public > 0 {
		d.answer(promptPublicIP, a.publicIP)
	}
	if a.masterPrefix != "" {
		d.answer(promptMasterPrefix, a.masterPrefix)
	}
	d.leave(pageOf[*namesPage](d.w))
	if a.masterSize != (config.Size{}) {
		d.answer(promptSizeMasters, fmt.Sprintf("%d, %d, %d", a.masterSize.CPUs, a.masterSize.MemoryMB, a.masterSize.DiskGB))
	}
	d.leave(pageOf[*sizesPage](d.w))
	if a.encrypted {
		d.answer(promptSSHKey, fx.encKey)
	} else {
		d.answer(promptSSHKey, fx.key)
	}
	d.answer(promptKnownHosts, a.knownHosts)
	if a.encrypted {
		d.answer(promptPassphrase, testPassphrase)
		d.choose(promptPassStore, a.keyStore)
	}
	if a.installerURL {
		d.answer(promptInstaller, "https://downloads.example/dcos/1.9.10/dcos_generate_config.sh")
	} else {
		d.answer(promptInstaller, fx.installer)
	}
	d.answer(promptBootstrapPort, strconv.Itoa(a.port))
	if a.iface != "" {
		d.choose(promptIPDetect, "interface")
		d.answer(promptInterface, a.iface)
	} else {
		d.choose(promptIPDetect, "route")
	}
	d.confirm(promptUseRegistry, a.registry)
	if a.registry {
		d.answer(promptRegistryServer, "myreg.azurecr.io")
		d.answer(promptRegistryUser, "myreg")
		d.answer(promptRegistryPass, testRegPassword)
		d.choose(promptRegistryStore, a.regStore)
	}
	d.confirm(promptUseACS, a.acs)
	if a.acs {
		if !a.registry {
			if a.acsBack {
				d.choose(promptACSNoRegistry, acsRegistryBack)
				d.confirm(promptUseRegistry, false)
				d.confirm(promptUseACS, true)
			}
			d.choose(promptACSNoRegistry, acsRegistryOn)
		}
		d.answer(promptACSMaster, testACSMaster)
		d.answer(promptACSPort, strconv.Itoa(a.acsPort))
		if a.acsAgent {
			d.choose(promptACSLogin, "the keys of my ssh-agent")
		} else {
			d.choose(promptACSLogin, "the ACS admin's private key file")
			d.answer(promptACSKey, filepath.Join(fx.dir, "acs_rsa"))
		}
		if a.acsOwnFile {
			d.answer(promptACSKnownHosts, a.acsKnownHosts(fx))
		} else {
			d.leave(pageOf[*acsLoginPage](d.w))
		}
		d.confirm(promptACSTrustKey, true)
		d.confirm(promptACSRight, true)
	}
	action := actionSave
	if a.installNow {
		action = actionInstall
	}
	save(d, action, filepath.Join(fx.dir, "cluster.yaml"))
}

// check compares the loaded config with the answers.
func (a answers) check(t *testing.T, fx fixture, res WizardResult, c *config.Cluster, acsHostKey ssh.PublicKey) {
	t.Helper()
	var bad []string
	expect := func(what string, got, want any) {
		if fmt.Sprint(got) != fmt.Sprint(want) {
			bad = append(bad, fmt.Sprintf("%s = %v, want %v", what, got, want))
		}
	}
	expect("name", c.Name, a.name)
	expect("install now", res.InstallNow, a.installNow)
	expect("passwordFile set", c.VCenter.PasswordFile != "", strings.HasPrefix(a.store, "a file"))
	expect("vCenter password in memory", res.Cluster.VCenter.Password.Value(), testVCPassword)
	switch {
	case strings.HasPrefix(a.trust, "check"), strings.HasPrefix(a.trust, "pin"):
		expect("thumbprint", c.VCenter.Thumbprint, testThumbprint)
	case strings.HasPrefix(a.trust, "verify"):
		expect("caFile", c.VCenter.CAFile, fx.ca)
	default:
		expect("insecure", c.VCenter.Insecure, true)
	}
	expect("cluster", c.VCenter.Cluster, a.cluster)
	expect("network", c.VCenter.Network, a.network)
	switch a.folder {
	case "default":
		expect("folder", c.VCenter.Folder, a.name)
	case "other":
		expect("folder", c.VCenter.Folder, a.name+"-vms")
	default:
		expect("folder", c.VCenter.Folder, a.folder)
	}
	if a.template == "other" {
		expect("template", c.Template.Name+" "+c.Template.OVA, "centos7-new "+fx.ova)
	} else {
		expect("template", c.Template.Name, a.template)
	}
	expect("gateway/prefix", fmt.Sprint(c.Network.Gateway, "/", c.Network.Prefix), fmt.Sprint(a.gateway, "/", a.prefix))
	expect("dns", c.Network.DNS, a.dns)
	expect("search", c.Network.SearchDomain, a.search)
	expect("masters", len(c.NodesOf(config.RoleMaster)), a.masters)
	expect("agents", len(c.NodesOf(config.RoleAgent)), a.agents)
	expect("public agents", len(c.NodesOf(config.RolePublicAgent)), a.public)
	expect("bootstrap", c.Nodes.Bootstrap.IP, a.bootstrap)
	expect("first master", c.NodesOf(config.RoleMaster)[0].IP, a.masterIP)
	if a.masterPrefix != "" {
		expect("first master name", c.NodesOf(config.RoleMaster)[0].Name, a.masterPrefix+"1")
	}
	if a.masterSize != (config.Size{}) {
		expect("master size", c.NodesOf(config.RoleMaster)[0].Size, a.masterSize)
	}
	if a.encrypted {
		expect("key", c.SSH.KeyFile, fx.encKey)
		expect("passphrase in memory", res.Cluster.SSH.KeyPassphrase.Value(), testPassphrase)
		expect("passphrase file set", c.SSH.KeyPassphraseFile != "", strings.HasPrefix(a.keyStore, "a file"))
	} else {
		expect("key", c.SSH.KeyFile, fx.key)
		expect("passphrase", c.SSH.KeyPassphrase.Ref+c.SSH.KeyPassphraseFile, "")
	}
	if a.knownHosts != "" {
		wd, _ := os.Getwd()
		expect("known_hosts", c.SSH.KnownHostsFile, filepath.Join(wd, a.knownHosts))
	}
	expect("bootstrap port", c.DCOS.BootstrapPort, a.port)
	if a.iface != "" {
		expect("ip-detect", c.DCOS.IPDetect.Method+" "+c.DCOS.IPDetect.Interface, "interface "+a.iface)
	} else {
		expect("ip-detect", c.DCOS.IPDetect.Method, "route")
	}
	expect("registry", c.Registry.Server != "", a.registry)
	if a.registry {
		expect("registry password in memory", res.Cluster.Registry.Password.Value(), testRegPassword)
		expect("registry passwordFile set", c.Registry.PasswordFile != "", strings.HasPrefix(a.regStore, "a file"))
	}
	expect("acs", c.ACS.Enabled(), a.acs)
	if a.acs {
		expect("acs master", fmt.Sprint(c.ACS.MasterFQDN, ":", c.ACS.SSHPort, " ", c.ACS.User), fmt.Sprint(testACSMaster, ":", a.acsPort, " azureuser"))
		expect("acs agent", c.ACS.Agent, a.acsAgent)
		if !a.acsAgent {
			expect("acs key", c.ACS.KeyFile, filepath.Join(fx.dir, "acs_rsa"))
		}
		expect("acs known_hosts", c.ACS.KnownHostsFile, a.acsKnownHosts(fx))
		expect("acs master key recorded there", knownHostsHas(c.ACS.KnownHostsFile, acsHost(a.acsPort), acsHostKey), true)
	}
	if len(bad) > 0 {
		t.Errorf("answers %+v:\n%s", a, strings.Join(bad, "\n"))
	}
}

// TestWizardEveryPageCombinationLoads: random ways through the wizard,
// over every page combination it has; each saved file is accepted by
// config.Load and says what was answered. DCOS_VSPHERE_WIZARD_ROUNDS
// raises the number of rounds, DCOS_VSPHERE_WIZARD_SEED replays one.
func TestWizardEveryPageCombinationLoads(t *testing.T) {
	rounds := 16
	if n, err := strconv.Atoi(os.Getenv("DCOS_VSPHERE_WIZARD_ROUNDS")); err == nil && n > 0 {
		rounds = n
	}
	seed := rand.Uint64()
	if s, err := strconv.ParseUint(os.Getenv("DCOS_VSPHERE_WIZARD_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("seed %d (DCOS_VSPHERE_WIZARD_SEED=%d replays it)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	for i := range rounds {
		a := randomAnswers(rng)
		t.Run(fmt.Sprintf("round%d", i), func(t *testing.T) {
			fx := newFixture(t)
			width, height := 120, 40
			if i%2 == 1 {
				width, height = 80, 24 // the smallest terminal the setup is made for
			}
			acsKeyFile(fx)
			acs := newFakeACS()
			d := startWizardSized(t, WizardDefaults{OutputDir: fx.dir, VCenter: newFakeVCenter(), ACS: acs}, width, height)
			a.drive(d, fx)
			res, err := d.finish()
			if err != nil {
				t.Fatalf("answers %+v: %v", a, err)
			}
			a.check(t, fx, res, loadSaved(t, res), acs.hostKey)
		})
	}
}
