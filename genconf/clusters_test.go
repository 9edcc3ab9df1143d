package genconf

import (
	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// scriptsDir holds user ip-detect scripts used by the examples.
const scriptsDir = "../testdata/genconf/scripts/"

// baseCluster is a valid three-master cluster that tests modify.
func baseCluster() *config.Cluster {
	c := &config.Cluster{Name: "lab"}
	c.Nodes.Bootstrap = config.Node{Name: "bootstrap", IP: "198.18.0.10"}
	c.Nodes.Masters = config.NodeGroup{Count: 3, IPRange: "198.18.0.11-198.18.0.19", NamePrefix: "master-"}
	c.Nodes.Agents = config.NodeGroup{Count: 2, IPRange: "198.18.0.21", NamePrefix: "agent-"}
	c.Network = config.Network{Gateway: "198.18.0.1", Prefix: 24, DNS: []string{"198.18.0.1"}}
	return c
}

// goldenClusters are the example clusters whose output is pinned in
// testdata/genconf/golden.
func goldenClusters() map[string]*config.Cluster {
	one := &config.Cluster{Name: "solo"}
	one.Nodes.Bootstrap = config.Node{Name: "bootstrap", IP: "198.18.0.10"}
	one.Nodes.Masters = config.NodeGroup{Hosts: []config.Node{{Name: "master-1", IP: "198.18.0.11"}}}
	one.Nodes.Agents = config.NodeGroup{Hosts: []config.Node{{Name: "agent-1", IP: "198.18.0.21"}}}
	one.Network = config.Network{DNS: []string{"198.18.0.1"}}

	three := &config.Cluster{Name: "lab3"}
	three.Nodes.Bootstrap = config.Node{Name: "boot", IP: "198.18.1.5"}
	three.Nodes.Masters = config.NodeGroup{Count: 3, IPRange: "198.18.1.11-198.18.1.13", NamePrefix: "m-"}
	three.Nodes.Agents = config.NodeGroup{Count: 4, IPRange: "198.18.1.21", NamePrefix: "a-"}
	three.Network = config.Network{Gateway: "198.18.1.1", Prefix: 24, DNS: []string{"198.18.1.1", "198.18.1.2"}, SearchDomain: "lab.example"}
	three.DCOS = config.DCOS{BootstrapPort: 8080, ClusterName: "DC/OS lab three",
		Config: map[string]any{"dns_search": "lab.example corp.example"}} // several domains: DC/OS only

	five := &config.Cluster{Name: "prod"}
	five.Nodes.Bootstrap = config.Node{Name: "bootstrap", IP: "198.18.2.10"}
	five.Nodes.Masters = config.NodeGroup{Hosts: []config.Node{
		{Name: "master-5", IP: "198.18.2.15"}, {Name: "master-1", IP: "198.18.2.11"}, {Name: "master-2", IP: "198.18.2.12"},
		{Name: "master-3", IP: "198.18.2.13"}, {Name: "master-4", IP: "198.18.2.14"},
	}}
	five.Nodes.Agents = config.NodeGroup{Count: 6, IPRange: "198.18.2.100-198.18.2.150"}
	five.Nodes.PublicAgents = config.NodeGroup{Count: 2, IPRange: "198.18.2.200"}
	five.Network = config.Network{Gateway: "198.18.2.1", Netmask: "255.255.255.0", DNS: []string{"198.18.2.1"}, SearchDomain: "prod.example"}
	five.Registry = config.Registry{Server: "dcosprod.azurecr.io", Username: "dcosprod", Password: config.NewSecret("golden-registry-password")}
	five.DCOS = config.DCOS{
		IPDetectPublic: &config.IPDetect{Method: MethodScript, Script: scriptsDir + "ip-detect-public.sh"},
		Config: map[string]any{
			"resolvers":                []any{"198.18.2.1:53", "198.18.2.2"},
			"oauth_enabled":            "false",
			"telemetry_enabled":        false,
			"check_time":               true,
			"dcos_overlay_mtu":         1400,
			"mesos_log_retention_mb":   "2048",
			"use_proxy":                "true",
			"http_proxy":               "http://proxy.prod.example:3128",
			"https_proxy":              "http://proxy.prod.example:3128",
			"no_proxy":                 []any{".prod.example", "198.18.2.0/24"},
			"dns_forward_zones":        []any{[]any{"corp.example", []any{[]any{"198.18.2.53", 53}, []any{"198.18.2.54", 5353}}}},
			"rexray_config":            map[string]any{"rexray": map[string]any{"loglevel": "info", "modules": map[string]any{"default-docker": map[string]any{"disabled": true}}}},
			"gc_delay":                 "1days",
			"exhibitor_admin_password": "golden-exhibitor-password",
		},
	}

	iface := &config.Cluster{Name: "edge"}
	iface.Nodes.Bootstrap = config.Node{Name: "bootstrap", IP: "198.18.3.10"}
	iface.Nodes.Masters = config.NodeGroup{Count: 3, IPRange: "198.18.3.11"}
	iface.Nodes.PublicAgents = config.NodeGroup{Count: 1, IPRange: "198.18.3.200"}
	iface.Network = config.Network{Gateway: "198.18.3.1", Prefix: 24}
	iface.DCOS = config.DCOS{
		BootstrapPort:  8081,
		IPDetect:       config.IPDetect{Method: MethodInterface, Interface: "ens192"},
		IPDetectPublic: &config.IPDetect{Method: MethodInterface, Interface: "ens224"},
		Config: map[string]any{
			"exhibitor_storage_backend": "zookeeper",
			"exhibitor_zk_hosts":        "198.18.3.5:2181,198.18.3.6:2181",
			"exhibitor_zk_path":         "/dcos-edge",
			"enable_docker_gc":          "true",
			"resolvers":                 []any{}, // no upstream resolvers (network.dns is empty)
		},
	}

	script := &config.Cluster{Name: "scripted"}
	script.Nodes.Bootstrap = config.Node{Name: "bootstrap", IP: "198.18.4.10"}
	script.Nodes.Masters = config.NodeGroup{Count: 1, IPRange: "198.18.4.11"}
	script.Network = config.Network{DNS: []string{"198.18.4.1", "198.18.4.2"}}
	script.DCOS = config.DCOS{BootstrapURL: "http://bootstrap.lab.example:8080/dcos/1.9", IPDetect: config.IPDetect{Method: MethodScript, Script: scriptsDir + "ip-detect-metadata.sh"}}

	return map[string]*config.Cluster{
		"one-master":            one,
		"three-masters":         three,
		"five-masters-registry": five,
		"interface-zookeeper":   iface,
		"script-bootstrap-url":  script,
	}
}
