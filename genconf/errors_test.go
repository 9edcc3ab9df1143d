package genconf

import (
	"errors"
	"strings"
	"testing"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// withConfig is baseCluster with one pass-through map.
func withConfig(m map[string]any) *config.Cluster {
	c := baseCluster()
	c.DCOS.Config = m
	return c
}

// TestRenderRejects lists bad clusters, each with the field and the
// specific message it must produce.
func TestRenderRejects(t *testing.T) {
	lbBase := map[string]any{"master_discovery": "master_http_loadbalancer", "exhibitor_storage_backend": "zookeeper",
		"exhibitor_zk_hosts": "198.18.0.5:2181", "exhibitor_zk_path": "/dcos", "exhibitor_address": "198.18.0.9"}
	tests := []struct {
		name    string
		cluster *config.Cluster
		field   string
		msg     string
	}{
		{"unknown key", withConfig(map[string]any{"frobnicate": true}), "dcos.config.frobnicate", "not a DC/OS 1.9 parameter"},
		{"typo suggests master_list", withConfig(map[string]any{"masterlist": []any{"198.18.0.11"}}), "dcos.config.masterlist", "not a DC/OS 1.9 parameter (did you mean master_list?)"},
		{"typo suggests oauth_enabled", withConfig(map[string]any{"oauth_enable": false}), "dcos.config.oauth_enable", "did you mean oauth_enabled?"},
		{"case typo", withConfig(map[string]any{"DCOS_Overlay_MTU": 1400}), "dcos.config.DCOS_Overlay_MTU", "did you mean dcos_overlay_mtu?"},
		{"owned bootstrap_url", withConfig(map[string]any{"bootstrap_url": "http://x:80"}), "dcos.config.bootstrap_url", "written by dcos-vsphere; it is computed from nodes.bootstrap.ip"},
		{"owned master_list", withConfig(map[string]any{"master_list": []any{"198.18.0.11"}}), "dcos.config.master_list", "computed from nodes.masters"},
		{"owned agent_list", withConfig(map[string]any{"agent_list": []any{"198.18.0.21"}}), "dcos.config.agent_list", "agents are never written to config.yaml"},
		{"owned public_agent_list", withConfig(map[string]any{"public_agent_list": []any{}}), "dcos.config.public_agent_list", "nodes.publicAgents"},
		{"owned cluster_name", withConfig(map[string]any{"cluster_name": "x"}), "dcos.config.cluster_name", "use dcos.clusterName"},
		{"owned ip_detect_filename", withConfig(map[string]any{"ip_detect_filename": "genconf/x"}), "dcos.config.ip_detect_filename", "use dcos.ipDetect"},
		{"ssh_user", withConfig(map[string]any{"ssh_user": "centos"}), "dcos.config.ssh_user", "the installer does its own SSH; use ssh.*"},
		{"ssh_port", withConfig(map[string]any{"ssh_port": 22}), "dcos.config.ssh_port", "use ssh.*"},
		{"process_timeout", withConfig(map[string]any{"process_timeout": 600}), "dcos.config.process_timeout", "use ssh.*"},
		{"calculated config_id", withConfig(map[string]any{"config_id": "abc"}), "dcos.config.config_id", "must be calculated by DC/OS 1.9"},
		{"num_masters with static", withConfig(map[string]any{"num_masters": 3}), "dcos.config.num_masters", "calculates num_masters from master_list when master_discovery is static"},
		{"enterprise key", withConfig(map[string]any{"superuser_username": "admin"}), "dcos.config.superuser_username", "DC/OS Enterprise parameter"},
		{"documented but unused", withConfig(map[string]any{"log_directory": "/x"}), "dcos.config.log_directory", "not read by DC/OS 1.9.10"},
		{"bad boolean", withConfig(map[string]any{"oauth_enabled": "yes"}), "dcos.config.oauth_enabled", "must be true or false, got 'yes'"},
		{"integer as boolean", withConfig(map[string]any{"check_time": 1}), "dcos.config.check_time", "must be true or false, got 1"},
		{"bad switch value", withConfig(map[string]any{"master_discovery": "dns"}), "dcos.config.master_discovery", "must be one of 'static', 'master_http_loadbalancer', got 'dns'"},
		{"bad storage backend", withConfig(map[string]any{"exhibitor_storage_backend": "agent_only_group_no_exhibitor"}), "dcos.config.exhibitor_storage_backend", "must be one of 'static', 'zookeeper'"},
		{"zookeeper without hosts", withConfig(map[string]any{"exhibitor_storage_backend": "zookeeper", "exhibitor_zk_path": "/dcos"}), "dcos.config.exhibitor_zk_hosts", "required when exhibitor_storage_backend is zookeeper"},
		{"zk hosts with scheme", withConfig(map[string]any{"exhibitor_storage_backend": "zookeeper", "exhibitor_zk_hosts": "zk://a:2181", "exhibitor_zk_path": "/dcos"}), "dcos.config.exhibitor_zk_hosts", "without zk://"},
		{"zk path relative", withConfig(map[string]any{"exhibitor_storage_backend": "zookeeper", "exhibitor_zk_hosts": "a:2181", "exhibitor_zk_path": "dcos"}), "dcos.config.exhibitor_zk_path", "/path/to/znode"},
		{"aws_s3 explicit keys missing", withConfig(map[string]any{"exhibitor_storage_backend": "aws_s3", "aws_region": "r", "s3_bucket": "b", "s3_prefix": "p", "exhibitor_explicit_keys": true}), "dcos.config.aws_secret_access_key", "required when exhibitor_explicit_keys is true"},
		{"azure missing key", withConfig(map[string]any{"exhibitor_storage_backend": "azure", "exhibitor_azure_account_name": "n", "exhibitor_azure_prefix": "p"}), "dcos.config.exhibitor_azure_account_key", "required when exhibitor_storage_backend is azure"},
		{"shared_filesystem missing dir", withConfig(map[string]any{"exhibitor_storage_backend": "shared_filesystem"}), "dcos.config.exhibitor_fs_config_dir", "required when"},
		{"loadbalancer with static storage", withConfig(map[string]any{"master_discovery": "master_http_loadbalancer", "exhibitor_address": "198.18.0.9", "num_masters": 3}), "dcos.config.exhibitor_storage_backend", "must not be static when master_discovery is master_http_loadbalancer"},
		{"loadbalancer even num_masters", withConfig(merge(lbBase, map[string]any{"num_masters": 4})), "dcos.config.num_masters", "must be 1, 3, 5, 7, or 9, got 4"},
		{"mtu too small", withConfig(map[string]any{"dcos_overlay_mtu": 500}), "dcos.config.dcos_overlay_mtu", "must be at least 552, got 500"},
		{"mtu not a number", withConfig(map[string]any{"dcos_overlay_mtu": "big"}), "dcos.config.dcos_overlay_mtu", "must be an integer, got 'big'"},
		{"config attempts too many", withConfig(map[string]any{"dcos_overlay_config_attempts": 11}), "dcos.config.dcos_overlay_config_attempts", "must be between 0 and 10 inclusive, got 11"},
		{"log retention too small", withConfig(map[string]any{"mesos_log_retention_mb": 512}), "dcos.config.mesos_log_retention_mb", "must be at least 1024, got 512"},
		{"float", withConfig(map[string]any{"dcos_overlay_mtu": 1400.5}), "dcos.config.dcos_overlay_mtu", "must not be a float"},
		{"nested float", withConfig(map[string]any{"rexray_config": map[string]any{"x": 1.5}}), "dcos.config.rexray_config.x", "must not be a float"},
		{"null", withConfig(map[string]any{"dns_search": nil}), "dcos.config.dns_search", "must not be null"},
		{"nested null", withConfig(map[string]any{"no_proxy": []any{"a", nil}}), "dcos.config.no_proxy[1]", "must not be null"},
		{"bad resolver", withConfig(map[string]any{"resolvers": []any{"dns.example"}}), "dcos.config.resolvers", `item 0 'dns.example': not an IPv4 address`},
		{"resolver bad port", withConfig(map[string]any{"resolvers": []any{"198.18.0.1:70000"}}), "dcos.config.resolvers", "port must be a number between 1 and 65535"},
		{"duplicate resolver", withConfig(map[string]any{"resolvers": []any{"198.18.0.1", "198.18.0.1"}}), "dcos.config.resolvers", "duplicate"},
		{"resolvers not a list", withConfig(map[string]any{"resolvers": "198.18.0.1"}), "dcos.config.resolvers", "must be a list, got a string"},
		{"dns_search comma", withConfig(map[string]any{"dns_search": "a.example,b.example"}), "dcos.config.dns_search", "commas are not allowed"},
		{"dns_search too many", withConfig(map[string]any{"dns_search": "a b c d e f g"}), "dcos.config.dns_search", "no more than 6 domains"},
		{"use_proxy without proxies", withConfig(map[string]any{"use_proxy": "true"}), "dcos.config.http_proxy", "required when use_proxy is true"},
		{"use_proxy without no_proxy", withConfig(map[string]any{"use_proxy": true, "http_proxy": "h", "https_proxy": "h"}), "dcos.config.no_proxy", "1.9 needs a list"},
		{"no_proxy not a list", withConfig(map[string]any{"no_proxy": ".example"}), "dcos.config.no_proxy", "must be a list, got a string"},
		{"credentials in the served config", withConfig(map[string]any{"cluster_docker_credentials": map[string]any{"auths": map[string]any{}}}), "dcos.config.cluster_docker_credentials",
			"puts the registry password into the dcos-config package the bootstrap node serves over plain HTTP"},
		{"string param given a list", withConfig(map[string]any{"gc_delay": []any{"1days"}}), "dcos.config.gc_delay", "must be a string, got a list"},
		{"bad overlay", withConfig(map[string]any{"dcos_overlay_network": map[string]any{"vtep_subnet": "44.128.0.0/20", "vtep_mac_oui": "70:B3:D5:00:00:00", "overlays": []any{map[string]any{"name": "a-very-long-overlay-name", "subnet": "9.0.0.0/8"}}}}), "dcos.config.dcos_overlay_network.overlays[0].name", "1 to 13 characters"},
		{"default overlay missing", withConfig(map[string]any{"dcos_overlay_network_default_name": "other"}), "dcos.config.dcos_overlay_network_default_name", `default overlay network "other" (dcos_overlay_network_default_name) is not one of the overlays (dcos)`},
		{"forward zone bad ip", withConfig(map[string]any{"dns_forward_zones": []any{[]any{"z", []any{[]any{"x", 53}}}}}), "dcos.config.dns_forward_zones", "'x' is not an IPv4 address"},
		{"minuteman not ip", withConfig(map[string]any{"minuteman_min_named_ip": "11.0.0"}), "dcos.config.minuteman_min_named_ip", "must be an IPv4 address"},
		{"cosmos half", withConfig(map[string]any{"cosmos_config": map[string]any{"package_storage_uri": "file:///x"}}), "dcos.config.cosmos_config", "both package_storage_uri and staged_package_storage_uri"},
		{"log sink", withConfig(map[string]any{"mesos_container_log_sink": "syslog"}), "dcos.config.mesos_container_log_sink", "must be one of 'journald'"},
		{"registry switch owned", func() *config.Cluster {
			c := withConfig(map[string]any{"cluster_docker_credentials_enabled": false})
			c.Registry = config.Registry{Server: "r.azurecr.io", Username: "u", Password: config.NewSecret("p")}
			return c
		}(), "dcos.config.cluster_docker_credentials_enabled", "from registry.* while registry.server is set (the agents read /etc/mesosphere/docker_credentials)"},
		{"registry path owned", func() *config.Cluster {
			c := withConfig(map[string]any{"cluster_docker_credentials_dcos_owned": true})
			c.Registry = config.Registry{Server: "r.azurecr.io", Username: "u", Password: config.NewSecret("p")}
			return c
		}(), "dcos.config.cluster_docker_credentials_dcos_owned", "from registry.* while registry.server is set"},
		{"registry without password", func() *config.Cluster {
			c := baseCluster()
			c.Registry = config.Registry{Server: "r.azurecr.io", Username: "u"}
			return c
		}(), "registry.password", "required when registry.server is set"},
		{"registry with scheme", func() *config.Cluster {
			c := baseCluster()
			c.Registry = config.Registry{Server: "https://r.azurecr.io", Username: "u", Password: config.NewSecret("p")}
			return c
		}(), "registry.server", "no scheme, no path"},
		{"even masters", func() *config.Cluster { c := baseCluster(); c.Nodes.Masters.Count = 4; return c }(), "nodes.masters", "1, 3, 5, 7, or 9 masters, found 4"},
		{"duplicate master ip", func() *config.Cluster {
			c := baseCluster()
			c.Nodes.Masters = config.NodeGroup{Hosts: []config.Node{{Name: "a", IP: "198.18.0.11"}, {Name: "b", IP: "198.18.0.11"}, {Name: "c", IP: "198.18.0.12"}}}
			return c
		}(), "nodes.masters", "198.18.0.11 is used by another master"},
		{"bootstrap not IPv4", func() *config.Cluster { c := baseCluster(); c.Nodes.Bootstrap.IP = "boot.example"; return c }(), "nodes.bootstrap.ip", "must be an IPv4 address"},
		{"bootstrap port", func() *config.Cluster { c := baseCluster(); c.DCOS.BootstrapPort = 70000; return c }(), "dcos.bootstrapPort", "between 1 and 65535"},
		{"bootstrap url trailing slash", func() *config.Cluster { c := baseCluster(); c.DCOS.BootstrapURL = "http://b:80/"; return c }(), "dcos.bootstrapURL", "must not end in '/'"},
		{"bootstrap url without scheme", func() *config.Cluster { c := baseCluster(); c.DCOS.BootstrapURL = "198.18.0.10:80"; return c }(), "dcos.bootstrapURL", "must start with http://"},
		{"bad dns server", func() *config.Cluster {
			c := baseCluster()
			c.Network.DNS = []string{"198.18.0.1", "ns.example"}
			return c
		}(), "network.dns[1]", "not an IPv4 address"},
		{"bad search domain", func() *config.Cluster { c := baseCluster(); c.Network.SearchDomain = "a,b"; return c }(), "network.searchDomain", "commas are not allowed"},
		{"two search domains", func() *config.Cluster { c := baseCluster(); c.Network.SearchDomain = "a.example b.example"; return c }(), "network.searchDomain", "one domain only"},
		{"no cluster name", func() *config.Cluster { c := baseCluster(); c.Name = ""; return c }(), "dcos.clusterName", "required"},
		{"unknown ip-detect method", func() *config.Cluster { c := baseCluster(); c.DCOS.IPDetect.Method = "dhcp"; return c }(), "dcos.ipDetect.method", "must be one of 'route', 'interface', 'script'"},
		{"interface name with shell", func() *config.Cluster {
			c := baseCluster()
			c.DCOS.IPDetect = config.IPDetect{Method: MethodInterface, Interface: "eth0;reboot"}
			return c
		}(), "dcos.ipDetect.interface", "must be a network interface name"},
		{"interface without method", func() *config.Cluster { c := baseCluster(); c.DCOS.IPDetect.Interface = "eth0"; return c }(), "dcos.ipDetect.interface", "only used with method interface"},
		{"script missing", func() *config.Cluster {
			c := baseCluster()
			c.DCOS.IPDetect = config.IPDetect{Method: MethodScript, Script: scriptsDir + "does-not-exist.sh"}
			return c
		}(), "dcos.ipDetect.script", "read ip-detect script"},
		{"script empty", func() *config.Cluster {
			c := baseCluster()
			c.DCOS.IPDetect = config.IPDetect{Method: MethodScript, Script: scriptsDir + "empty.sh"}
			return c
		}(), "dcos.ipDetect.script", "is empty"},
		{"script without shebang", func() *config.Cluster {
			c := baseCluster()
			c.DCOS.IPDetect = config.IPDetect{Method: MethodScript, Script: scriptsDir + "no-shebang.sh"}
			return c
		}(), "dcos.ipDetect.script", "must start with a shebang"},
		{"script not UTF-8", func() *config.Cluster {
			c := baseCluster()
			c.DCOS.IPDetectPublic = &config.IPDetect{Method: MethodScript, Script: scriptsDir + "not-utf8.sh"}
			return c
		}(), "dcos.ipDetectPublic.script", "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Render(tt.cluster)
			if err == nil {
				t.Fatalf("Render accepted it:\n%s", f.ConfigYAML)
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error is %T, want genconf.Errors: %v", err, err)
			}
			if errs.ExitCode() != 2 {
				t.Errorf("ExitCode = %d, want 2", errs.ExitCode())
			}
			for _, fe := range errs {
				if fe.Field == tt.field && strings.Contains(fe.Msg, tt.msg) {
					return
				}
			}
			t.Errorf("want %s: ...%s..., got:\n%v", tt.field, tt.msg, err)
		})
	}
}

func merge(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// All problems come back at once, sorted by field.
func TestRenderReportsEveryProblem(t *testing.T) {
	c := withConfig(map[string]any{"masterlist": 1, "ssh_user": "x", "oauth_enabled": "no"})
	c.Nodes.Masters.Count = 2
	_, err := Render(c)
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("want Errors, got %v", err)
	}
	var fields []string
	for _, fe := range errs {
		fields = append(fields, fe.Field)
	}
	want := "dcos.config.masterlist dcos.config.oauth_enabled dcos.config.ssh_user nodes.masters"
	if got := strings.Join(fields, " "); got != want {
		t.Errorf("fields = %s, want %s", got, want)
	}
}

func TestPassThroughAcceptedForms(t *testing.T) {
	c := withConfig(map[string]any{
		"oauth_enabled":                     "false",
		"telemetry_enabled":                 true,
		"dcos_overlay_mtu":                  "1400",
		"mesos_dns_ip_sources":              []string{"host"},
		"master_discovery":                  "master_http_loadbalancer",
		"exhibitor_address":                 "198.18.0.9",
		"num_masters":                       "3",
		"exhibitor_storage_backend":         "shared_filesystem",
		"exhibitor_fs_config_dir":           "/mnt/exhibitor",
		"dcos_overlay_network_default_name": "dcos",
	})
	f, err := Render(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"oauth_enabled: false\n", "telemetry_enabled: true\n", "dcos_overlay_mtu: 1400\n",
		"mesos_dns_ip_sources:\n  - host\n", "num_masters: 3\n", "master_discovery: master_http_loadbalancer\n",
		"exhibitor_storage_backend: shared_filesystem\n"} {
		if !strings.Contains(string(f.ConfigYAML), w) {
			t.Errorf("config.yaml lacks %q:\n%s", w, f.ConfigYAML)
		}
	}
}
