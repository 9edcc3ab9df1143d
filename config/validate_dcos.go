package config

import (
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"
)

// computedKeys are DC/OS config.yaml keys the tool writes itself; the
// value says which cluster.yaml field to set instead.
var computedKeys = map[string]string{
	"bootstrap_url":             "dcos.bootstrapPort (or dcos.bootstrapURL)",
	"master_list":               "nodes.masters",
	"agent_list":                "nodes.agents",
	"public_agent_list":         "nodes.publicAgents",
	"cluster_name":              "dcos.clusterName",
	"ip_detect_filename":        "dcos.ipDetect",
	"ip_detect_public_filename": "dcos.ipDetectPublic",
	"ip_detect_contents":        "dcos.ipDetect",
	"ip_detect_public_contents": "dcos.ipDetectPublic",
	"ssh_user":                  "ssh.user",
	"ssh_port":                  "ssh.port",
	"ssh_key_path":              "ssh.keyFile",
	"ssh_parallelism":           "the --concurrency flag",
}

// ComputedDCOSKeys lists the DC/OS config.yaml keys that dcos.config may
// not set, each with the cluster.yaml field to use instead.
func ComputedDCOSKeys() map[string]string {
	out := make(map[string]string, len(computedKeys))
	for k, v := range computedKeys {
		out[k] = v
	}
	return out
}

func validateDCOS(c *Cluster, r *report) {
	d := c.DCOS
	if d.Installer == "" {
		r.err("dcos.installer", "required: path or http(s) URL of dcos_generate_config.sh (DC/OS 1.9)")
	} else if isURL(d.Installer) {
		if u, err := url.Parse(d.Installer); err != nil || u.Host == "" {
			r.err("dcos.installer", fmt.Sprintf("%q is not a valid URL", d.Installer))
		}
	} else if strings.Contains(d.Installer, "://") {
		r.err("dcos.installer", fmt.Sprintf("%q: only http:// and https:// URLs or local paths are supported", d.Installer))
	}
	if d.InstallerSHA256 != "" && !sha256Hex.MatchString(d.InstallerSHA256) {
		r.err("dcos.installerSHA256", "not a SHA-256 checksum (64 hex digits)")
	}
	_, portSet := r.pos["dcos.bootstrapPort"]
	if d.BootstrapURL != "" {
		if portSet || d.BootstrapPort != 0 {
			r.err("dcos.bootstrapPort", "set dcos.bootstrapPort or dcos.bootstrapURL, not both")
		}
		if msg := checkBootstrapURL(d.BootstrapURL); msg != "" {
			r.err("dcos.bootstrapURL", msg)
		}
	} else {
		checkPort(r, "dcos.bootstrapPort", d.BootstrapPort)
	}
	validateIPDetect(r, "dcos.ipDetect", d.IPDetect)
	if d.IPDetectPublic != nil {
		validateIPDetect(r, "dcos.ipDetectPublic", *d.IPDetectPublic)
	}
	keys := make([]string, 0, len(d.Config))
	for k := range d.Config {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		checkConfigValue(r, "dcos.config."+k, d.Config[k])
		if use, ok := computedKeys[k]; ok {
			p := "dcos.config." + k
			r.errAt(r.keyAt(p), p, fmt.Sprintf("%s is computed by dcos-vsphere; remove it and set %s instead", k, use))
		}
	}
}

// checkBootstrapURL: an http(s) URL the nodes fetch genconf/serve from.
// A path is fine (a proxy or web server may serve it below one); DC/OS
// 1.9 appends /bootstrap/<id>.bootstrap.tar.xz and /packages/... itself,
// so a trailing slash (which 1.9 refuses), a query or a fragment would
// break those URLs, and user info would put a password into config.yaml.
func checkBootstrapURL(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
		return fmt.Sprintf("%q is not an http:// or https:// URL", s)
	case u.User != nil:
		return fmt.Sprintf("%q contains user info; it would be written into config.yaml and onto every node", u.Redacted())
	case u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(s, "?#"):
		return fmt.Sprintf("%q has a query or fragment; DC/OS 1.9 appends /bootstrap/... and /packages/... to the URL, which would land inside it", s)
	case strings.HasSuffix(s, "/"):
		return fmt.Sprintf("%q ends in '/'; DC/OS 1.9 appends /bootstrap/... itself and refuses a trailing slash (\"Must not end in a '/'\"): remove it", s)
	}
	return ""
}

func validateIPDetect(r *report, path string, d IPDetect) {
	switch d.Method {
	case "route":
	case "interface":
		if d.Interface == "" {
			r.err(path+".interface", "required with method interface (e.g. eth0)")
		}
	case "script":
		if d.Script == "" {
			r.err(path+".script", "required with method script: path of an ip-detect script")
		} else if st, err := os.Stat(d.Script); err != nil {
			r.err(path+".script", fmt.Sprintf("read ip-detect script: %v", err))
		} else if !st.Mode().IsRegular() {
			r.err(path+".script", fmt.Sprintf("ip-detect script %s is not a regular file", d.Script))
		}
	default:
		r.err(path+".method", fmt.Sprintf("%q is not one of route, interface, script", d.Method))
		return
	}
	if d.Interface != "" && d.Method != "interface" {
		r.err(path+".interface", fmt.Sprintf("only used with method interface (method is %s)", d.Method))
	}
	if d.Script != "" && d.Method != "script" {
		r.err(path+".script", fmt.Sprintf("only used with method script (method is %s)", d.Method))
	}
}

// BootstrapURL is the DC/OS bootstrap_url: dcos.bootstrapURL, or
// http://<bootstrap ip>:<bootstrapPort>. No trailing slash.
func (c *Cluster) BootstrapURL() string {
	if c.DCOS.BootstrapURL != "" {
		return c.DCOS.BootstrapURL
	}
	port := c.DCOS.BootstrapPort
	if port == 0 {
		port = DefaultBootstrapPort
	}
	return fmt.Sprintf("http://%s:%d", c.Nodes.Bootstrap.IP, port)
}

// checkConfigValue rejects values DC/OS 1.9 cannot stringify (nulls,
// floats, other types) in a dcos.config built in code; Load already
// rejects them while decoding, and errAt keeps those quiet here.
func checkConfigValue(r *report, path string, v any) {
	switch v := v.(type) {
	case string, bool, int, int64:
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			checkConfigValue(r, path+"."+k, v[k])
		}
	case []any:
		for i, item := range v {
			checkConfigValue(r, fmt.Sprintf("%s[%d]", path, i), item)
		}
	case nil:
		r.err(path, "null value: DC/OS 1.9 crashes on nulls")
	case float32, float64:
		r.err(path, "floating-point value: DC/OS 1.9 crashes on floats")
	default:
		r.err(path, fmt.Sprintf("%T: DC/OS 1.9 accepts only strings, integers, booleans, lists and mappings", v))
	}
}
