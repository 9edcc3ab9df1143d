package genconf

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// The tests in this file run cluster.yaml text through what `dcos-vsphere
// validate` runs (config.Parse, then Render, then Cluster.Locate) and
// assert each problem's message, field path, line and column. A line of
// a case marked "# @x" is where problem x must point.

const locatedHead = `name: lab
vcenter:
  url: https://127.0.0.1:8989/sdk
  username: administrator
  password: "${VCENTER_PASSWORD}"
  insecure: true
  datacenter: DC0
  datastore: LocalDS_0
  network: VM Network
template:
  name: centos7
nodes:
  bootstrap:
    ip: 198.18.0.10
  masters:
    count: 3
    ipRange: 198.18.0.11
ssh:
  keyFile: id_rsa
`

const defaultNetwork = `network:
  gateway: 198.18.0.1
  prefix: 24
  dns: [198.18.0.1]
`

// problem is one expected error: the marker of its line, its column, the
// field path and a distinctive part of the message.
type problem struct {
	marker string
	col    int
	path   string
	msg    string
}

type locatedCase struct {
	name    string
	network string // default defaultNetwork
	dcos    string // the dcos: section
	want    []problem
	// accepted cases: substrings config.yaml must contain
	contains []string
}

// located builds the file of a case.
func (lc locatedCase) file() string {
	net := lc.network
	if net == "" {
		net = defaultNetwork
	}
	return locatedHead + net + lc.dcos
}

// lineOf is the 1-based line of the marker "# @m" in text.
func lineOf(t *testing.T, text, m string) int {
	t.Helper()
	for i, l := range strings.Split(text, "\n") {
		if strings.HasSuffix(l, "# @"+m) {
			return i + 1
		}
	}
	t.Fatalf("no line marked # @%s", m)
	return 0
}

// validateText is `dcos-vsphere validate` on text: config errors, else
// the DC/OS rules located in the file; files when valid.
func validateText(t *testing.T, text string) (*Files, *config.Errors) {
	t.Helper()
	t.Setenv("VCENTER_PASSWORD", "located-test-password")
	c, _, err := config.Parse([]byte(text), "cluster.yaml")
	if err != nil {
		var cerrs *config.Errors
		if !errors.As(err, &cerrs) {
			t.Fatalf("config.Parse: %v", err)
		}
		return nil, cerrs
	}
	f, err := Render(c)
	if err == nil {
		return f, nil
	}
	var gerrs Errors
	if !errors.As(err, &gerrs) {
		t.Fatalf("Render returned %T, not a config error: %v", err, err)
	}
	if gerrs.ExitCode() != 2 {
		t.Fatalf("ExitCode = %d", gerrs.ExitCode())
	}
	problems := make([]config.FieldError, len(gerrs))
	for i, e := range gerrs {
		problems[i] = config.FieldError{Path: e.Field, Message: e.Msg}
	}
	return nil, c.Locate(problems)
}

func runLocated(t *testing.T, cases []locatedCase) {
	t.Helper()
	for _, lc := range cases {
		t.Run(lc.name, func(t *testing.T) {
			text := lc.file()
			f, errs := validateText(t, text)
			if len(lc.want) == 0 {
				if errs != nil {
					t.Fatalf("refused:\n%v", errs)
				}
				for _, w := range lc.contains {
					if !strings.Contains(string(f.ConfigYAML), w) {
						t.Errorf("config.yaml lacks %q:\n%s", w, f.ConfigYAML)
					}
				}
				return
			}
			if errs == nil {
				t.Fatalf("accepted, want %d problem(s):\n%s", len(lc.want), f.ConfigYAML)
			}
			if errs.ExitCode() != 2 {
				t.Errorf("ExitCode = %d, want 2", errs.ExitCode())
			}
			if len(errs.List) != len(lc.want) {
				t.Errorf("got %d problems, want %d (one message per problem):\n%v", len(errs.List), len(lc.want), errs)
			}
			if strings.Contains(errs.Error(), "pw-Secret-77") {
				t.Errorf("a password from the URL reached a message: %v", errs)
			}
			for _, w := range lc.want {
				line := lineOf(t, text, w.marker)
				found := false
				for _, e := range errs.List {
					if e.Line == line && e.Column == w.col && e.Path == w.path && strings.Contains(e.Message, w.msg) {
						found = true
					}
				}
				if !found {
					t.Errorf("missing cluster.yaml:%d:%d: %s: ...%s...\ngot:\n%v", line, w.col, w.path, w.msg, errs)
				}
			}
		})
	}
}

// dcosSection is a dcos: section with the given lines under config:.
func dcosSection(configLines ...string) string {
	s := "dcos:\n  installer: dcos_generate_config.sh\n"
	if len(configLines) > 0 {
		s += "  config:\n"
		for _, l := range configLines {
			s += "    " + l + "\n"
		}
	}
	return s
}

// Kind 1: values YAML (1.1 or 1.2) would read as something else. In
// cluster.yaml an unquoted timestamp, float or null is refused where it
// is written; a quoted string of any shape is accepted and written so
// that DC/OS 1.9 reads the same string (TestLocatedWriterValuesReadBack).
func TestLocatedYAMLTypes(t *testing.T) {
	runLocated(t, []locatedCase{
		{name: "unquoted timestamp", dcos: dcosSection("platform: 2001-12-14 # @a"),
			want: []problem{{"a", 15, "dcos.config.platform", "timestamp 2001-12-14: DC/OS 1.9 accepts only strings"}}},
		{name: "unquoted float", dcos: dcosSection("gc_delay: 1.5 # @a"),
			want: []problem{{"a", 15, "dcos.config.gc_delay", "number 1.5: DC/OS 1.9 crashes on floating-point values"}}},
		{name: "null", dcos: dcosSection("dns_search: # @a"),
			want: []problem{{"a", 16, "dcos.config.dns_search", "null value: DC/OS 1.9 crashes on nulls"}}},
		{name: "nested null", dcos: dcosSection("rexray_config:", "  rexray: ~ # @a"),
			want: []problem{{"a", 15, "dcos.config.rexray_config.rexray", "null value"}}},
		{name: "quoted strings of every shape", dcos: dcosSection(
			`platform: "="`, `weights: "<<"`, `gc_delay: "2001-12-14 21:59:43.10 -5"`, `docker_remove_delay: "yes"`,
			`docker_stop_timeout: "._1"`, `oauth_client_id: "0x10"`, `oauth_issuer_url: " padded "`),
			contains: []string{"platform: \"=\"\n", "weights: \"<<\"\n", "gc_delay: \"2001-12-14 21:59:43.10 -5\"\n",
				"docker_remove_delay: \"yes\"\n", "docker_stop_timeout: \"._1\"\n", "oauth_client_id: \"0x10\"\n", "oauth_issuer_url: ' padded '\n"}},
	})
}

// TestLocatedWriterValuesReadBack: what the quoted-strings case writes,
// PyYAML reads back as the same strings.
func TestLocatedWriterValuesReadBack(t *testing.T) {
	py := requirePyYAML(t)
	want := map[string]string{"platform": "=", "weights": "<<", "gc_delay": "2001-12-14 21:59:43.10 -5",
		"docker_remove_delay": "yes", "docker_stop_timeout": "._1", "oauth_client_id": "0x10",
		"oauth_issuer_url": " padded ", "oauth_auth_redirector": "caf\u00e9"}
	var lines []string
	for k, v := range want {
		lines = append(lines, fmt.Sprintf("%s: %q", k, v))
	}
	text := (locatedCase{dcos: "dcos:\n  installer: dcos_generate_config.sh\n  clusterName: \"caf\\u00e9 lab\"\n" + strings.TrimPrefix(dcosSection(lines...), "dcos:\n  installer: dcos_generate_config.sh\n")}).file()
	want["cluster_name"] = "caf\u00e9 lab"
	f, errs := validateText(t, text)
	if errs != nil {
		t.Fatal(errs)
	}
	out, err := runPython(t, py, "import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin.buffer.read().decode('ascii'))))", f.ConfigYAML)
	if err != nil {
		t.Fatalf("PyYAML cannot read config.yaml as ASCII: %v\n%s", err, f.ConfigYAML)
	}
	for k, v := range want {
		if !strings.Contains(string(out), fmt.Sprintf("%q: %s", k, jsonString(v))) {
			t.Errorf("PyYAML read %s differently; got %s", k, out)
		}
	}
}

func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r > 0x7e:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// Kind 2: the rules of gen/calc.py the tool did not apply before.
func TestLocatedCalcRules(t *testing.T) {
	overlay := func(vtep, subnet string) []string {
		return []string{"dcos_overlay_network:",
			"  vtep_subnet: " + vtep + " # @vtep",
			"  vtep_mac_oui: 70:B3:D5:00:00:00",
			"  overlays:",
			"    - name: dcos",
			"      subnet: " + subnet + " # @subnet",
			"      prefix: 24"}
	}
	runLocated(t, []locatedCase{
		{name: "overlay networks without host bits", dcos: dcosSection(overlay("44.128.0.0/20", "9.0.0.0/8")...),
			contains: []string{"vtep_subnet: 44.128.0.0/20\n"}},
		{name: "vtep_subnet with host bits", dcos: dcosSection(overlay("44.128.0.1/20", "9.0.0.0/8")...),
			want: []problem{{"vtep", 20, "dcos.config.dcos_overlay_network.vtep_subnet", "44.128.0.1/20 has host bits set (DC/OS 1.9 refuses it): did you mean 44.128.0.0/20?"}}},
		{name: "overlay subnet with host bits", dcos: dcosSection(overlay("44.128.0.0/20", "9.0.0.1/8")...),
			want: []problem{{"subnet", 19, "dcos.config.dcos_overlay_network.overlays[0].subnet", "9.0.0.1/8 has host bits set"}}},
		{name: "overlay subnet IPv6", dcos: dcosSection(overlay("44.128.0.0/20", "fd00::/64")...),
			want: []problem{{"subnet", 19, "dcos.config.dcos_overlay_network.overlays[0].subnet", "must be an IPv4 network"}}},
		{name: "rexray preset aws alone", dcos: dcosSection("rexray_config_preset: aws"), contains: []string{"rexray_config_preset: aws\n"}},
		{name: "rexray preset empty (1.9's default)", dcos: dcosSection(`rexray_config_preset: ""`), contains: []string{"rexray_config_preset: \"\"\n"}},
		{name: "rexray config with preset aws", dcos: dcosSection("rexray_config_preset: aws", "rexray_config:", "  rexray: {loglevel: info} # @a"),
			want: []problem{{"a", 7, "dcos.config.rexray_config", "must not be set together with rexray_config_preset: aws"}}},
		{name: "rexray preset typo", dcos: dcosSection("rexray_config_preset: ec2 # @a"),
			want: []problem{{"a", 27, "dcos.config.rexray_config_preset", "must be one of '', 'aws', got 'ec2'"}}},
		{name: "cosmos config good", dcos: dcosSection("cosmos_config:", "  package_storage_uri: file:///var/lib/dcos/cosmos/package", "  staged_package_storage_uri: file:///var/lib/dcos/cosmos/staged-package"),
			contains: []string{"package_storage_uri: file:///var/lib/dcos/cosmos/package\n"}},
		{name: "cosmos URL unparsable", dcos: dcosSection("cosmos_config:", "  package_storage_uri: http://[x # @a", "  staged_package_storage_uri: file:///x"),
			want: []problem{{"a", 28, "dcos.config.cosmos_config.package_storage_uri", "'http://[x' is not a URL"}}},
		{name: "cosmos URI not a string", dcos: dcosSection("cosmos_config:", "  package_storage_uri: 5 # @a", "  staged_package_storage_uri: file:///x"),
			want: []problem{{"a", 28, "dcos.config.cosmos_config.package_storage_uri", "must be a URL string, got an integer"}}},
		{name: "cosmos only one URI", dcos: dcosSection("cosmos_config:", "  package_storage_uri: file:///x # @a"),
			want: []problem{{"a", 7, "dcos.config.cosmos_config", "give both package_storage_uri and staged_package_storage_uri, or neither"}}},
		{name: "forward zone port as string", dcos: dcosSection(`dns_forward_zones: [[corp.example, [[198.18.0.53, "53"]]]] # @a`),
			want: []problem{{"a", 24, "dcos.config.dns_forward_zones", "port must be an integer between 1 and 65535, got '53'"}}},
		{name: "overlay disabled: default name not checked", dcos: dcosSection("dcos_overlay_enable: false", "dcos_overlay_network_default_name: other"),
			contains: []string{"dcos_overlay_network_default_name: other\n"}},
	})
}

// Kind 3: strings DC/OS 1.9.10 validates but cannot render, and values it
// renders into invalid JSON.
func TestLocatedUnrenderable(t *testing.T) {
	runLocated(t, []locatedCase{
		{name: "cluster name with a newline", dcos: "dcos:\n  installer: dcos_generate_config.sh\n  clusterName: \"a\\nb\" # @a\n",
			want: []problem{{"a", 16, "dcos.clusterName", "contains a line break (U+000A): DC/OS 1.9.10 accepts the value but its --genconf crashes"}}},
		{name: "block scalar (ends in a newline)", dcos: dcosSection("gc_delay: | # @a", "  2days"),
			want: []problem{{"a", 15, "dcos.config.gc_delay", "contains a line break (U+000A)"}}},
		{name: "trailing newline", dcos: dcosSection(`exhibitor_admin_password: "secret\n" # @a`),
			want: []problem{{"a", 31, "dcos.config.exhibitor_admin_password", "contains a line break"}}},
		{name: "carriage return", dcos: dcosSection(`weights: "a\rb" # @a`),
			want: []problem{{"a", 14, "dcos.config.weights", "contains a carriage return (U+000D)"}}},
		{name: "BEL", dcos: dcosSection(`weights: "a\ab" # @a`),
			want: []problem{{"a", 14, "dcos.config.weights", "contains the character U+0007, which DC/OS 1.9.10's YAML reader (PyYAML 3.12) refuses"}}},
		{name: "next line U+0085", dcos: dcosSection(`docker_stop_timeout: "20\Nsecs" # @a`),
			want: []problem{{"a", 26, "dcos.config.docker_stop_timeout", "contains a next-line character (U+0085)"}}},
		{name: "line separator U+2028", dcos: dcosSection(`http_proxy: "a\Lb" # @a`),
			want: []problem{{"a", 17, "dcos.config.http_proxy", "contains a line separator (U+2028)"}}},
		{name: "character beyond U+FFFF", dcos: dcosSection(`master_external_loadbalancer: "lb\U0001F600" # @a`),
			want: []problem{{"a", 35, "dcos.config.master_external_loadbalancer", "contains the character U+1F600"}}},
		{name: "no_proxy item with a newline", dcos: dcosSection("use_proxy: true", "http_proxy: http://p:3128", "https_proxy: http://p:3128", "no_proxy:", `  - "a\nb" # @a`),
			want: []problem{{"a", 9, "dcos.config.no_proxy[0]", "contains a line break"}}},
		{name: "overlay name with a newline", dcos: dcosSection("dcos_overlay_network:", "  vtep_subnet: 44.128.0.0/20", "  vtep_mac_oui: 70:B3:D5:00:00:00", "  overlays:", `    - {name: "a\nb", subnet: 9.0.0.0/8, prefix: 24} # @a`),
			want: []problem{{"a", 18, "dcos.config.dcos_overlay_network.overlays[0].name", "contains a line break"}}},
		{name: "nested rexray strings are only JSON-encoded", dcos: dcosSection("rexray_config:", `  rexray: {note: "two\nlines\a"}`),
			contains: []string{`note: "two\nlines\a"`}},
		{name: "platform with a quote", dcos: dcosSection(`platform: 'on "prem"' # @a`),
			want: []problem{{"a", 15, "dcos.config.platform", "contains a double quote (\"): DC/OS 1.9.10 writes this value unescaped between quotes into /opt/mesosphere/etc/dcos-signal-config.json"}}},
		{name: "platform with a tab", dcos: dcosSection(`platform: "on\tprem" # @a`),
			want: []problem{{"a", 15, "dcos.config.platform", "contains the control character U+0009"}}},
		{name: "banner color with a backslash", dcos: dcosSection(`ui_banner_background_color: '#1E\232F' # @a`),
			want: []problem{{"a", 33, "dcos.config.ui_banner_background_color", "contains a backslash"}}},
		{name: "banner title as plain text", dcos: dcosSection("ui_banner_header_title: Welcome # @a"),
			want: []problem{{"a", 29, "dcos.config.ui_banner_header_title", `must be JSON: null, or a JSON string with its quotes such as '"Welcome"'`}}},
		{name: "banner title as a JSON string, dismissible null", dcos: dcosSection("ui_banner: true", `ui_banner_header_title: '"Welcome"'`, `ui_banner_dismissible: "null"`, "ui_banner_footer_content: 'null'"),
			contains: []string{`ui_banner_header_title: '"Welcome"'`, `ui_banner_dismissible: "null"`}},
		{name: "log sink with a quote", dcos: dcosSection(`mesos_container_log_sink: 'journald"' # @a`),
			want: []problem{{"a", 31, "dcos.config.mesos_container_log_sink", "must be one of 'journald', 'logrotate', 'journald+logrotate'"}}},
		{name: "non-ASCII and tabs where 1.9 renders them", dcos: dcosSection(`weights: "caf\u00e9\tx"`, `dns_search: "a.example\tb.example"`),
			contains: []string{`weights: "caf\u00E9\tx"`}},
	})
}

// Kind 4: valid DC/OS setups the tool refused before.
func TestLocatedOverRejections(t *testing.T) {
	lb := []string{"master_discovery: master_http_loadbalancer", "exhibitor_address: 198.18.0.9",
		"exhibitor_storage_backend: zookeeper", "exhibitor_zk_hosts: 198.18.0.5:2181", "exhibitor_zk_path: /dcos"}
	runLocated(t, []locatedCase{
		{name: "master_http_loadbalancer", dcos: dcosSection(lb...),
			contains: []string{"master_discovery: master_http_loadbalancer\n", "num_masters: 3\n", "exhibitor_address: 198.18.0.9\n"}},
		{name: "master_http_loadbalancer with num_masters", dcos: dcosSection(append(lb, "num_masters: 3")...),
			contains: []string{"num_masters: 3\n"}},
		{name: "num_masters not the masters installed", dcos: dcosSection(append(lb, "num_masters: 5 # @a")...),
			want: []problem{{"a", 18, "dcos.config.num_masters", "is 5, but nodes.masters lists 3 masters"}}},
		{name: "num_masters with static discovery", dcos: dcosSection("num_masters: 3 # @a"),
			want: []problem{{"a", 18, "dcos.config.num_masters", "DC/OS 1.9 calculates num_masters from master_list when master_discovery is static"}}},
		{name: "loadbalancer without exhibitor_address", dcos: "dcos:\n  installer: dcos_generate_config.sh\n  config: # @a\n    master_discovery: master_http_loadbalancer\n    exhibitor_storage_backend: shared_filesystem\n    exhibitor_fs_config_dir: /mnt/x\n",
			want: []problem{{"a", 3, "dcos.config.exhibitor_address", "required when master_discovery is master_http_loadbalancer"}}},
		{name: "loadbalancer with static storage", dcos: dcosSection("master_discovery: master_http_loadbalancer", "exhibitor_address: lb.example", "exhibitor_storage_backend: static # @a"),
			want: []problem{{"a", 32, "dcos.config.exhibitor_storage_backend", "must not be static when master_discovery is master_http_loadbalancer"}}},
		{name: "resolvers with ports", dcos: dcosSection("resolvers: [198.18.0.1:53, 198.18.0.2:5353]"),
			contains: []string{"resolvers:\n  - 198.18.0.1:53\n  - 198.18.0.2:5353\n"}},
		{name: "no upstream resolvers", dcos: dcosSection("resolvers: []"), contains: []string{"resolvers: []\n"}},
		{name: "several search domains", dcos: dcosSection("dns_search: a.example b.example c.example"),
			contains: []string{"dns_search: a.example b.example c.example\n"}},
		{name: "searchDomain is the default", network: defaultNetwork + "  searchDomain: lab.example\n", dcos: dcosSection(),
			contains: []string{"dns_search: lab.example\n"}},
		{name: "two domains in searchDomain", network: defaultNetwork + "  searchDomain: a.example b.example # @a\n", dcos: dcosSection(),
			want: []problem{{"a", 17, "network.searchDomain", "one domain only (it is also the nodes' domain); give DC/OS several search domains with dcos.config.dns_search"}}},
		{name: "dns_search overrides searchDomain", network: defaultNetwork + "  searchDomain: lab.example\n", dcos: dcosSection("dns_search: a.example b.example"),
			contains: []string{"dns_search: a.example b.example\n"}},
		{name: "empty network.dns", network: "network: # @a\n  gateway: 198.18.0.1\n  prefix: 24\n", dcos: dcosSection(),
			want: []problem{{"a", 1, "network.dns", "DC/OS 1.9 would silently use 8.8.8.8 and 8.8.4.4"}}},
		{name: "empty network.dns with resolvers given", network: "network:\n  gateway: 198.18.0.1\n  prefix: 24\n", dcos: dcosSection("resolvers: [198.18.0.1]"),
			contains: []string{"resolvers:\n  - 198.18.0.1\n"}},
		{name: "bootstrapURL with a path", dcos: "dcos:\n  installer: dcos_generate_config.sh\n  bootstrapURL: http://web.example:8080/dcos/1.9\n",
			contains: []string{"bootstrap_url: http://web.example:8080/dcos/1.9\n"}},
		{name: "bootstrapURL with a trailing slash", dcos: "dcos:\n  installer: dcos_generate_config.sh\n  bootstrapURL: http://web.example:8080/dcos/ # @a\n",
			want: []problem{{"a", 17, "dcos.bootstrapURL", "ends in '/'"}}},
		{name: "bootstrapURL with a query", dcos: "dcos:\n  installer: dcos_generate_config.sh\n  bootstrapURL: http://web.example/x?a=b # @a\n",
			want: []problem{{"a", 17, "dcos.bootstrapURL", "has a query or fragment"}}},
		{name: "bootstrapURL with user info", dcos: "dcos:\n  installer: dcos_generate_config.sh\n  bootstrapURL: http://u:pw-Secret-77@web.example/x # @a\n",
			want: []problem{{"a", 17, "dcos.bootstrapURL", `"http://u:xxxxx@web.example/x" contains user info`}}},
		{name: "bootstrapURL with another scheme", dcos: "dcos:\n  installer: dcos_generate_config.sh\n  bootstrapURL: file:///opt/dcos # @a\n",
			want: []problem{{"a", 17, "dcos.bootstrapURL", "is not an http:// or https:// URL"}}},
		{name: "platform <<", dcos: dcosSection(`platform: "<<"`), contains: []string{"platform: \"<<\"\n"}},
	})
}

// Kind 5: values that used to change silently.
func TestLocatedNoSilentChanges(t *testing.T) {
	runLocated(t, []locatedCase{
		{name: "bootstrapPort 0", dcos: "dcos:\n  installer: dcos_generate_config.sh\n  bootstrapPort: 0 # @a\n",
			want: []problem{{"a", 18, "dcos.bootstrapPort", "port 0 is outside 1-65535"}}},
		{name: "bootstrapPort 0 with bootstrapURL", dcos: "dcos:\n  installer: dcos_generate_config.sh\n  bootstrapPort: 0 # @a\n  bootstrapURL: http://web.example\n",
			want: []problem{{"a", 18, "dcos.bootstrapPort", "set dcos.bootstrapPort or dcos.bootstrapURL, not both"}}},
		{name: "mtu with a space", dcos: dcosSection(`dcos_overlay_mtu: " 1420" # @a`),
			want: []problem{{"a", 23, "dcos.config.dcos_overlay_mtu", "must be written as a plain integer such as 1420, got ' 1420'"}}},
		{name: "mtu with a sign", dcos: dcosSection(`dcos_overlay_mtu: "+1420" # @a`),
			want: []problem{{"a", 23, "dcos.config.dcos_overlay_mtu", "plain integer such as 1420"}}},
		{name: "mtu as a decimal string", dcos: dcosSection(`dcos_overlay_mtu: "1400"`), contains: []string{"dcos_overlay_mtu: 1400\n"}},
		{name: "retention with leading zeros", dcos: dcosSection(`mesos_log_retention_mb: "02048" # @a`),
			want: []problem{{"a", 29, "dcos.config.mesos_log_retention_mb", "plain integer such as 2048"}}},
	})
}

// Kind 6: one problem, one message.
func TestLocatedOneMessagePerProblem(t *testing.T) {
	runLocated(t, []locatedCase{
		{name: "bad zk hosts", dcos: dcosSection("exhibitor_storage_backend: zookeeper", "exhibitor_zk_hosts: zk://198.18.0.5:2181 # @a", "exhibitor_zk_path: /dcos"),
			want: []problem{{"a", 25, "dcos.config.exhibitor_zk_hosts", "without zk://"}}},
		{name: "bad zk path", dcos: dcosSection("exhibitor_storage_backend: zookeeper", "exhibitor_zk_hosts: 198.18.0.5:2181", "exhibitor_zk_path: dcos # @a"),
			want: []problem{{"a", 24, "dcos.config.exhibitor_zk_path", "/path/to/znode"}}},
		{name: "zk hosts of the wrong type", dcos: dcosSection("exhibitor_storage_backend: zookeeper", "exhibitor_zk_hosts: [198.18.0.5:2181] # @a", "exhibitor_zk_path: /dcos"),
			want: []problem{{"a", 25, "dcos.config.exhibitor_zk_hosts", "must be a string, got a list"}}},
		{name: "typo of a required key", dcos: dcosSection("exhibitor_storage_backend: zookeeper", "exhibitor_zk_host: 198.18.0.5:2181 # @a", "exhibitor_zk_path: /dcos"),
			want: []problem{{"a", 24, "dcos.config.exhibitor_zk_host", "did you mean exhibitor_zk_hosts?"}}},
		{name: "no_proxy not a list", dcos: dcosSection("use_proxy: true", "http_proxy: http://p:3128", "https_proxy: http://p:3128", "no_proxy: .example # @a"),
			want: []problem{{"a", 15, "dcos.config.no_proxy", "must be a list, got a string"}}},
		{name: "overlong overlay name and a default name", dcos: dcosSection("dcos_overlay_network:", "  vtep_subnet: 44.128.0.0/20", "  vtep_mac_oui: 70:B3:D5:00:00:00", "  overlays:", "    - {name: a-very-long-overlay-name, subnet: 9.0.0.0/8, prefix: 24} # @a", "dcos_overlay_network_default_name: a-very-long-overlay-name"),
			want: []problem{{"a", 18, "dcos.config.dcos_overlay_network.overlays[0].name", "1 to 13 characters"}}},
		{name: "bad master_discovery and num_masters", dcos: dcosSection("master_discovery: dns # @a", "num_masters: 3"),
			want: []problem{{"a", 23, "dcos.config.master_discovery", "must be one of 'static', 'master_http_loadbalancer', got 'dns'"}}},
		{name: "bad use_proxy", dcos: dcosSection("use_proxy: maybe # @a"),
			want: []problem{{"a", 16, "dcos.config.use_proxy", "must be true or false, got 'maybe'"}}},
	})
}
