package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// want is one expected problem: position, field path and a distinctive
// part of the message.
type want struct {
	line, col int
	path, msg string
}

// badCatalogue maps each testdata/config/bad/<name>.yaml to exactly the
// errors it must produce (and badWarnings to its warnings).
var badCatalogue = map[string][]want{
	"yaml-syntax-unclosed-flow": {{14, 0, "", "YAML syntax: did not find expected ',' or ']'"}},
	"yaml-syntax-tab-indent":    {{7, 0, "", "YAML syntax: found a tab character that violates indentation"}},
	"yaml-second-document":      {{25, 1, "", "a second YAML document (---) is not allowed"}},
	"yaml-empty-file":           {{1, 1, "", "the file is empty"}},
	"yaml-duplicate-key":        {{9, 3, "vcenter.datastore", `duplicate key "datastore" (first set on line 8)`}},
	"yaml-merge-key":            {{11, 3, "template", "merge keys (<<) are not supported"}},
	"unknown-key-top-level":     {{25, 1, "colour", `unknown field "colour"; known fields: acs, dcos, name`}},
	"unknown-key-nested-typo":   {{7, 3, "vcenter.datacentre", `unknown field "datacentre"; did you mean "datacenter"?`}},
	"unknown-key-in-host": {
		{20, 9, "nodes.masters.hosts[0].ip", "required: the node's static IPv4 address"},
		{20, 26, "nodes.masters.hosts[0].ipaddr", `unknown field "ipaddr"`},
	},
	"wrong-type-port-string":    {{23, 9, "ssh.port", `expected an integer, found string "twenty-two"`}},
	"wrong-type-dns-not-list":   {{15, 8, "network.dns", `expected a list, found string "198.18.0.2"`}},
	"wrong-type-section-scalar": {{10, 11, "template", `expected a mapping, found string "centos7"`}},
	"wrong-type-bool-quoted":    {{10, 13, "vcenter.insecure", `expected true or false, found string "yes"`}},
	"wrong-type-name-int":       {{1, 7, "name", "expected a string, found integer 1234 (put it in quotes)"}},
	"null-value":                {{11, 8, "template.name", "null value: give a value or remove the key"}},
	"null-section":              {{21, 5, "ssh", "null value"}},
	"masters-even-count":        {{18, 3, "nodes.masters", "Must have 1, 3, 5, 7, or 9 masters. Found 4"}},
	"masters-zero":              {{15, 1, "nodes.masters", "Must have 1, 3, 5, 7, or 9 masters. Found 0"}},
	"masters-count-range-even":  {{18, 3, "nodes.masters", "Must have 1, 3, 5, 7, or 9 masters. Found 2"}},
	"dup-ip-master-agent":       {{25, 29, "nodes.agents.hosts[0].ip", "198.18.0.12 is also used by nodes.masters.hosts[1]"}},
	"dup-ip-bootstrap-master":   {{20, 30, "nodes.masters.hosts[0].ip", "198.18.0.10 is also used by nodes.bootstrap"}},
	"dup-ip-range-overlap": {
		{23, 14, "nodes.agents.ipRange", "198.18.0.10 (agent-2) is also used by nodes.bootstrap"},
		{23, 14, "nodes.agents.ipRange", "198.18.0.11 (agent-3) is also used by nodes.masters.hosts[0]"},
	},
	"dup-ip-public-vs-agent":            {{26, 27, "nodes.publicAgents.hosts[0].ip", "198.18.0.21 is also used by nodes.agents.hosts[0]"}},
	"dup-ip-gateway":                    {{20, 30, "nodes.masters.hosts[0].ip", "198.18.0.1 is also used by network.gateway"}},
	"ip-outside-network":                {{20, 30, "nodes.masters.hosts[0].ip", "198.19.0.11 is outside the network 198.18.0.0/24"}},
	"ip-broadcast":                      {{20, 30, "nodes.masters.hosts[0].ip", "198.18.0.255 is the network or broadcast address of 198.18.0.0/24"}},
	"ip-not-ipv4":                       {{22, 30, "nodes.masters.hosts[2].ip", `"10.0.0.300" is not an IPv4 address`}},
	"ip-missing-in-host":                {{20, 9, "nodes.masters.hosts[0].ip", "required: the node's static IPv4 address"}},
	"port-ssh-out-of-range":             {{23, 9, "ssh.port", "port 70000 is outside 1-65535"}},
	"port-bootstrap-out-of-range":       {{25, 18, "dcos.bootstrapPort", "port 65536 is outside 1-65535"}},
	"port-jump-host":                    {{25, 11, "ssh.jumpHost.port", "port -1 is outside 1-65535"}},
	"names-duplicate":                   {{22, 16, "nodes.masters.hosts[2].name", `name "MASTER-1" is also used by nodes.masters.hosts[0]`}},
	"names-invalid-hostname":            {{20, 16, "nodes.masters.hosts[0].name", `"master_1" is not a valid host name`}},
	"names-bad-prefix":                  {{24, 17, "nodes.agents.namePrefix", `"agent_" does not make valid host names ("agent_1")`}},
	"names-bootstrap-clash":             {{20, 16, "nodes.masters.hosts[0].name", `name "bootstrap" is also used by nodes.bootstrap`}},
	"secret-env-missing":                {{5, 13, "vcenter.password", "environment variable DCOS_VSPHERE_TEST_UNSET_VAR is not set"}},
	"secret-literal-registry":           {{25, 1, "registry.username", "required"}},
	"secret-partial-ref":                {{5, 13, "vcenter.password", `an environment reference must be the whole value, exactly "${NAME}"`}},
	"secret-wrong-type":                 {{5, 13, "vcenter.password", `expected a string such as "${ENV_VAR}"; found another type (value not shown)`}},
	"secret-and-file":                   {{6, 17, "vcenter.passwordFile", "set vcenter.password or vcenter.passwordFile, not both"}},
	"secret-file-missing":               {{5, 17, "vcenter.passwordFile", "does-not-exist.pw: no such file or directory"}},
	"dcos-config-computed-master-list":  {{26, 5, "dcos.config.master_list", "master_list is computed by dcos-vsphere; remove it and set nodes.masters instead"}},
	"dcos-config-computed-cluster-name": {{27, 5, "dcos.config.cluster_name", "cluster_name is computed by dcos-vsphere; remove it and set dcos.clusterName instead"}},
	"dcos-config-null":                  {{26, 16, "dcos.config.dns_search", "null value: DC/OS 1.9 crashes on nulls"}},
	"dcos-config-float":                 {{27, 15, "dcos.config.gc_delay", `number 1.5: DC/OS 1.9 crashes on floating-point values; quote it ("1.5")`}},
	"dcos-config-nested-null":           {{26, 27, "dcos.config.no_proxy[1]", "null value: DC/OS 1.9 crashes on nulls"}},
	"dcos-config-duplicate-key":         {{27, 5, "dcos.config.oauth_enabled", `duplicate key "oauth_enabled" (first set on line 26)`}},
	"group-count-and-hosts":             {{21, 12, "nodes.masters.count", "set nodes.masters.hosts or nodes.masters.count with nodes.masters.ipRange, not both"}},
	"group-range-too-small":             {{23, 14, "nodes.agents.ipRange", "range 198.18.0.20-198.18.0.21 holds 2 addresses, but count is 3"}},
	"group-count-without-range":         {{21, 3, "nodes.agents.ipRange", "count 3 needs an ipRange"}},
	"vcenter-bad-thumbprint":            {{6, 15, "vcenter.thumbprint", `"AB:CD:EF" is not a SHA-256 or SHA-1 thumbprint`}},
	"vcenter-http-without-insecure":     {{3, 8, "vcenter.url", "http:// sends the vCenter password in clear text; use https://"}},
	"vcenter-two-trust-options":         {{10, 13, "vcenter.insecure", "set only one of vcenter.caFile, vcenter.thumbprint, vcenter.insecure (found vcenter.thumbprint and vcenter.insecure)"}},
	"vcenter-cluster-and-pool":          {{11, 17, "vcenter.resourcePool", "set vcenter.cluster or vcenter.resourcePool, not both"}},
	"vcenter-datastore-and-cluster":     {{11, 21, "vcenter.datastoreCluster", "set vcenter.datastore or vcenter.datastoreCluster, not both"}},
	"missing-required-fields": {
		{1, 1, "dcos.installer", "required"},
		{1, 1, "network.gateway", "required"},
		{1, 1, "network.prefix", "required: set network.prefix (e.g. 24) or network.netmask"},
		{1, 1, "template.name", "required"},
		{2, 1, "vcenter.datacenter", "required"},
		{2, 1, "vcenter.datastore", "required"},
		{2, 1, "vcenter.network", "required"},
		{2, 1, "vcenter.password", "required"},
		{2, 1, "vcenter.username", "required"},
		{4, 1, "nodes.bootstrap.ip", "required"},
	},
	"network-prefix-and-netmask":   {{15, 12, "network.netmask", "set network.prefix or network.netmask, not both"}},
	"network-bad-netmask":          {{14, 12, "network.netmask", `"255.0.255.0" is not a netmask`}},
	"network-bad-dns":              {{15, 21, "network.dns[1]", `"dns.example" is not an IPv4 address`}},
	"ipdetect-unknown-method":      {{26, 13, "dcos.ipDetect.method", `"dhcp" is not one of route, interface, script`}},
	"ipdetect-interface-missing":   {{25, 3, "dcos.ipDetect.interface", "required with method interface"}},
	"bootstrap-url-trailing-slash": {{25, 17, "dcos.bootstrapURL", `"http://198.18.0.10:8080/serve/" ends in '/'; DC/OS 1.9 appends /bootstrap/... itself`}},
	"installer-missing":            {{23, 1, "dcos.installer", "required: path or http(s) URL of dcos_generate_config.sh"}},
	"installer-unsupported-scheme": {{24, 14, "dcos.installer", `"ftp://files.example/dcos_generate_config.sh": only http:// and https:// URLs or local paths are supported`}},
	"ipdetect-script-missing":      {{27, 13, "dcos.ipDetect.script", "no-such-ip-detect.sh: no such file or directory"}},
	"cluster-name-invalid":         {{1, 7, "name", `"my lab" is not a valid cluster name`}},
	"registry-server-bad-port":     {{26, 11, "registry.server", "port 99999 is outside 1-65535"}},
	"registry-check-image-other-registry": {{29, 15, "registry.checkImage",
		`image "other.example/samples/hello:1.0" names registry other.example, not myregistry.azurecr.io: give the repository alone (e.g. samples/hello:1.0)`}},
	"registry-checkpush-without-image": {{29, 14, "registry.checkPush", "needs registry.checkImage: the repository the push check starts an upload in"}},
	"acs-no-login-method":              {{26, 3, "acs", "no login method: set acs.keyFile (the ACS admin's private key) or acs.agent: true"}},
	"acs-without-master":               {{25, 1, "acs.masterFQDN", "required when acs is configured"}},
	"acs-port-out-of-range":            {{27, 12, "acs.sshPort", "port 70000 is outside 1-65535"}},
	"acs-bad-fqdn-and-user": {
		{26, 15, "acs.masterFQDN", `"ssh://myacs-mgmt.westeurope.cloudapp.azure.com:2200" is not a host name or IPv4 address`},
		{27, 9, "acs.user", `"Azure User" is not a Linux user name`},
	},
}

var badWarnings = map[string][]want{
	"installer-unsupported-scheme": {{6, 13, "vcenter.insecure", "TLS certificate verification of vCenter is off"}},
	"secret-literal-registry":      {{27, 13, "registry.password", `a literal password is written in the config file; use "${ENV_VAR}" or registry.passwordFile instead`}},
	"vcenter-two-trust-options":    {{10, 13, "vcenter.insecure", "TLS certificate verification of vCenter is off"}},
}

// testSecrets are the values tests put into the environment; no error
// or warning may ever contain one.
var testSecrets = map[string]string{
	"VCENTER_PASSWORD":   "vc-Secret-9f8e7d",
	"REGISTRY_PASSWORD":  "reg-Secret-1a2b3c",
	"SUDO_PASSWORD":      "sudo-Secret-4d5e6f",
	"SSH_KEY_PASSPHRASE": "pp-Secret-7a8b9c",
}

func setTestSecrets(t testing.TB) {
	for k, v := range testSecrets {
		t.Setenv(k, v)
	}
}

func matchProblem(w want, line, col int, path, msg string) bool {
	return w.line == line && w.col == col && w.path == path && strings.Contains(msg, w.msg)
}

func TestBadConfigs(t *testing.T) {
	setTestSecrets(t)
	files, err := filepath.Glob("../testdata/config/bad/*.yaml")
	if err != nil || len(files) < 35 {
		t.Fatalf("want at least 35 bad fixtures, found %d (%v)", len(files), err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			wants, ok := badCatalogue[name]
			if !ok {
				t.Fatalf("fixture %s has no entry in badCatalogue", f)
			}
			c, warns, err := Load(f)
			var errs *Errors
			if !errors.As(err, &errs) {
				t.Fatalf("Load(%s) = %v, %v; want *Errors", f, c, err)
			}
			if c != nil {
				t.Errorf("Load returned a cluster together with errors")
			}
			if errs.ExitCode() != 2 {
				t.Errorf("ExitCode = %d, want 2", errs.ExitCode())
			}
			if len(errs.List) != len(wants) {
				t.Errorf("got %d errors, want %d:\n%v", len(errs.List), len(wants), errs)
			}
			for _, w := range wants {
				found := false
				for _, e := range errs.List {
					if matchProblem(w, e.Line, e.Column, e.Path, e.Message) {
						found = true
					}
				}
				if !found {
					t.Errorf("missing error %d:%d %s: %s\ngot:\n%v", w.line, w.col, w.path, w.msg, errs)
				}
			}
			for _, e := range errs.List {
				if e.File != f {
					t.Errorf("error names file %q, want %q", e.File, f)
				}
			}
			wantWarns := badWarnings[name]
			if len(warns) != len(wantWarns) {
				t.Errorf("got %d warnings, want %d: %v", len(warns), len(wantWarns), warns)
			}
			for _, w := range wantWarns {
				found := false
				for _, g := range warns {
					if matchProblem(w, g.Line, g.Column, g.Path, g.Message) {
						found = true
					}
				}
				if !found {
					t.Errorf("missing warning %d:%d %s: %s\ngot: %v", w.line, w.col, w.path, w.msg, warns)
				}
			}
		})
	}
	for name := range badCatalogue {
		if !seen[name] {
			t.Errorf("badCatalogue entry %s has no fixture", name)
		}
	}
}

// TestErrorsSortedAndFormatted: several problems in one file come out
// at once, sorted by line, one per line of Error(), with file:line:col.
func TestErrorsSortedAndFormatted(t *testing.T) {
	setTestSecrets(t)
	data := []byte(`name: x
colour: blue
vcenter:
  url: http://vc.example/sdk
  username: u
  password: "${VCENTER_PASSWORD}"
  datacenter: DC0
  datastore: ds
  network: net
template: {name: t}
network: {gateway: 198.18.0.1, prefix: 24}
nodes:
  bootstrap: {ip: 198.18.0.10}
  masters:
    hosts:
      - {ip: 198.18.0.11}
      - {ip: 198.18.0.11}
ssh: {keyFile: k, port: 0x10000}
dcos: {installer: i, bootstrapPort: 0}
`)
	_, _, err := Parse(data, "c.yaml")
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("want *Errors, got %v", err)
	}
	wantLines := []string{
		`c.yaml:2:1: colour: unknown field "colour"`,
		`c.yaml:4:8: vcenter.url: http:// sends`,
		`c.yaml:14:3: nodes.masters: Must have 1, 3, 5, 7, or 9 masters. Found 2`,
		`c.yaml:17:14: nodes.masters.hosts[1].ip: 198.18.0.11 is also used by nodes.masters.hosts[0]`,
		`c.yaml:18:25: ssh.port: port 65536 is outside 1-65535`,
		`c.yaml:19:37: dcos.bootstrapPort: port 0 is outside 1-65535`,
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(wantLines) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(wantLines), err)
	}
	for i, w := range wantLines {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d = %q, want prefix %q", i, lines[i], w)
		}
	}
	for i := 1; i < len(errs.List); i++ {
		if errs.List[i].Line < errs.List[i-1].Line {
			t.Errorf("errors not sorted by line: %v", errs.List)
		}
	}
}

// TestNoSecretInMessages runs every fixture plus configs built to fail
// around secrets, and checks no secret value appears anywhere.
func TestNoSecretInMessages(t *testing.T) {
	setTestSecrets(t)
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("file-Secret-0c0d0e\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	secrets := []string{"file-Secret-0c0d0e", "lit-Secret-5e5e5e", "hunter2-literal"}
	for _, v := range testSecrets {
		secrets = append(secrets, v)
	}
	inputs := map[string][]byte{}
	files, _ := filepath.Glob("../testdata/config/*/*.yaml")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs[f] = data
	}
	inputs[filepath.Join(dir, "literal.yaml")] = []byte("name: x\nvcenter:\n  password: lit-Secret-5e5e5e\n  url: ftp://x\nssh:\n  password: lit-Secret-5e5e5e\n  sudoPassword: lit-Secret-5e5e5e\n  keyPassphrase: lit-Secret-5e5e5e\n")
	inputs[filepath.Join(dir, "badtypes.yaml")] = []byte("ssh:\n  password: [lit-Secret-5e5e5e]\n  sudoPassword: {a: lit-Secret-5e5e5e}\nregistry:\n  password: x${lit-Secret-5e5e5e}\n")
	inputs[filepath.Join(dir, "file.yaml")] = []byte("name: x\nvcenter:\n  password: \"${VCENTER_PASSWORD}\"\n  passwordFile: pw\nssh:\n  passwordFile: pw\n  port: 0\n")
	for name, data := range inputs {
		c, warns, err := Parse(data, name)
		var texts []string
		if err != nil {
			texts = append(texts, err.Error())
		}
		for _, w := range warns {
			texts = append(texts, w.String())
		}
		if c != nil {
			texts = append(texts, sprintAll(c)...)
		}
		for _, txt := range texts {
			for _, s := range secrets {
				if strings.Contains(txt, s) {
					t.Errorf("%s: secret %q leaked into %q", name, s, txt)
				}
			}
		}
	}
}
