package genconf

import (
	"strings"
	"testing"
)

const goodConfig = `bootstrap_url: http://198.18.0.10:80
cluster_name: lab
master_discovery: static
exhibitor_storage_backend: static
master_list:
  - 198.18.0.11
  - 198.18.0.12
  - 198.18.0.13
ip_detect_filename: genconf/ip-detect
`

func TestCheckAcceptsAValidConfig(t *testing.T) {
	if errs := Check([]byte(goodConfig)); errs != nil {
		t.Fatalf("Check: %v", errs)
	}
	// 1.9 stringifies booleans, so "true"/"false" strings are valid too.
	if errs := Check([]byte(goodConfig + "oauth_enabled: 'false'\ncheck_time: true\n")); errs != nil {
		t.Fatalf("Check: %v", errs)
	}
	// Read as DC/OS 1.9 reads it (YAML 1.1): yes and off are booleans,
	// 0x5A0 is 1440.
	if errs := Check([]byte(goodConfig + "oauth_enabled: yes\ncheck_time: off\ndcos_overlay_mtu: 0x5A0\n")); errs != nil {
		t.Fatalf("Check: %v", errs)
	}
}

// TestCheckRejects feeds hand-written config.yaml files breaking one 1.9
// rule each.
func TestCheckRejects(t *testing.T) {
	replace := func(old, new string) string { return strings.Replace(goodConfig, old, new, 1) }
	tests := []struct {
		name, yaml, field, msg string
	}{
		{"empty", "{}", "bootstrap_url", "required by DC/OS 1.9"},
		{"missing cluster_name", replace("cluster_name: lab\n", ""), "cluster_name", "required"},
		{"missing exhibitor_storage_backend", replace("exhibitor_storage_backend: static\n", ""), "exhibitor_storage_backend", "required"},
		{"missing master_list", replace("master_list:\n  - 198.18.0.11\n  - 198.18.0.12\n  - 198.18.0.13\n", ""), "master_list", "required when master_discovery is static"},
		{"four masters", replace("  - 198.18.0.13\n", "  - 198.18.0.13\n  - 198.18.0.14\n"), "master_list", "1, 3, 5, 7, or 9 masters, found 4"},
		{"duplicate master", replace("198.18.0.13", "198.18.0.12"), "master_list", "duplicate"},
		{"hostname master", replace("198.18.0.13", "master-3.example"), "master_list", "not an IPv4 address"},
		{"trailing slash", replace(":80\n", ":80/\n"), "bootstrap_url", "must not end in '/'"},
		{"no scheme", replace("http://198.18.0.10:80", "198.18.0.10:80"), "bootstrap_url", "must start with http://"},
		{"bad boolean", goodConfig + "oauth_enabled: maybe\n", "oauth_enabled", "must be true or false, got 'maybe'"},
		{"quoted yes is a string", goodConfig + "oauth_enabled: 'yes'\n", "oauth_enabled", "must be true or false, got 'yes'"},
		{"null", goodConfig + "dns_search:\n", "dns_search", "must not be null"},
		{"nested null", goodConfig + "rexray_config:\n  a: ~\n", "rexray_config.a", "must not be null"},
		{"float", goodConfig + "dcos_overlay_mtu: 1400.0\n", "dcos_overlay_mtu", "must not be a float"},
		{"agent_list", goodConfig + "agent_list: [198.18.0.21]\n", "agent_list", "must not be in config.yaml"},
		{"unknown key", goodConfig + "masterlist: []\n", "masterlist", "did you mean master_list?"},
		{"duplicate key", goodConfig + "cluster_name: again\n", "cluster_name", "appears twice"},
		{"bad switch", replace("exhibitor_storage_backend: static", "exhibitor_storage_backend: etcd"), "exhibitor_storage_backend", "must be one of"},
		{"bad resolvers", goodConfig + "resolvers: [8.8.8.8, 8.8.8.8]\n", "resolvers", "duplicate"},
		{"use_proxy alone", goodConfig + "use_proxy: true\n", "https_proxy", "required when use_proxy is true"},
		{"ssh key", goodConfig + "ssh_user: centos\n", "ssh_user", "the installer does its own SSH"},
		{"timestamp", goodConfig + "platform: 2001-12-14\n", "platform", "YAML 1.1 reads 2001-12-14 as a date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := Check([]byte(tt.yaml))
			for _, e := range errs {
				fe, ok := e.(*FieldError)
				if ok && fe.Field == tt.field && strings.Contains(fe.Msg, tt.msg) {
					return
				}
			}
			t.Errorf("want %s: ...%s..., got %v", tt.field, tt.msg, errs)
		})
	}
}

func TestCheckRejectsNonMappings(t *testing.T) {
	for _, in := range []string{"- a\n", "key: [unclosed\n", ""} {
		if errs := Check([]byte(in)); len(errs) == 0 {
			t.Errorf("Check(%q) = nil, want an error", in)
		}
	}
}
