package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// noVCenterYAML is a valid cluster whose vcenter section is empty: every
// vCenter value must come from the environment.
const noVCenterYAML = `name: govc
vcenter: {}
template: {name: centos7}
network: {gateway: 10.1.0.1, prefix: 24, dns: [10.1.0.2]}
nodes:
  bootstrap: {ip: 10.1.0.10}
  masters: {count: 1, ipRange: 10.1.0.11}
  agents: {count: 1, ipRange: 10.1.0.21-10.1.0.30}
ssh: {keyFile: id_test}
dcos: {installer: https://downloads.example/dcos_generate_config.sh}
`

// clearGovc unsets every GOVC_* variable of the test process's
// environment, so that the developer's own govc setup cannot leak in.
func clearGovc(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "GOVC_") {
			t.Setenv(name, "")
		}
	}
}

func envMap(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func originOf(c *Cluster, field string) (Origin, bool) {
	for _, o := range c.Origins() {
		if o.Field == field {
			return o, true
		}
	}
	return Origin{}, false
}

func TestEmptyVCenterFromGovcEnvValidates(t *testing.T) {
	clearGovc(t)
	t.Setenv("GOVC_URL", "admin@vsphere.local:s3cret-in-url@vcenter.local")
	t.Setenv("GOVC_INSECURE", "1")
	t.Setenv("GOVC_DATACENTER", "DC0")
	t.Setenv("GOVC_DATASTORE", "LocalDS_0")
	t.Setenv("GOVC_NETWORK", "VM Network")
	t.Setenv("GOVC_RESOURCE_POOL", "DC0_C0/Resources")
	t.Setenv("GOVC_FOLDER", "dcos")
	c, warns, err := Parse([]byte(noVCenterYAML), "c.yaml")
	if err != nil {
		t.Fatalf("an empty vcenter section with GOVC_* exported: %v", err)
	}
	v := c.VCenter
	// govc's ParseURL: a bare host becomes https://host/sdk; the user info
	// moves out of the URL.
	if v.URL != "https://vcenter.local/sdk" || v.Username != "admin@vsphere.local" || v.Password.Value() != "s3cret-in-url" {
		t.Fatalf("url %q user %q password set %v", v.URL, v.Username, v.Password.IsSet())
	}
	if !v.Insecure || v.Datacenter != "DC0" || v.Datastore != "LocalDS_0" || v.Network != "VM Network" || v.ResourcePool != "DC0_C0/Resources" || v.Folder != "dcos" {
		t.Fatalf("vcenter from the environment: %+v", v)
	}
	for field, envVar := range map[string]string{"vcenter.url": "GOVC_URL", "vcenter.username": "GOVC_URL", "vcenter.password": "GOVC_URL",
		"vcenter.insecure": "GOVC_INSECURE", "vcenter.datacenter": "GOVC_DATACENTER", "vcenter.datastore": "GOVC_DATASTORE",
		"vcenter.network": "GOVC_NETWORK", "vcenter.resourcePool": "GOVC_RESOURCE_POOL", "vcenter.folder": "GOVC_FOLDER"} {
		o, ok := originOf(c, field)
		if !ok || o.Var != envVar {
			t.Errorf("%s: origin %+v, want from %s", field, o, envVar)
		}
	}
	for _, o := range c.Origins() {
		if strings.Contains(o.String(), "s3cret-in-url") {
			t.Fatalf("an origin shows the password: %s", o)
		}
	}
	if o, _ := originOf(c, "vcenter.url"); o.String() != "vcenter.url = https://vcenter.local/sdk (from GOVC_URL)" {
		t.Errorf("origin line %q", o.String())
	}
	// The insecure warning says where insecure came from.
	found := false
	for _, w := range warns {
		if w.Path == "vcenter.insecure" {
			found = true
			if !strings.Contains(w.String(), "vcenter.insecure (from GOVC_INSECURE):") {
				t.Errorf("warning %q does not name GOVC_INSECURE", w.String())
			}
		}
	}
	if !found {
		t.Error("no warning for insecure TLS from GOVC_INSECURE")
	}
}

func TestGovcErrorsNameTheVariable(t *testing.T) {
	clearGovc(t)
	t.Setenv("GOVC_URL", "http://root:hunter2-pw@vc.example/sdk")
	t.Setenv("GOVC_DATACENTER", "a/../b")
	_, _, err := Parse([]byte(noVCenterYAML), "c.yaml")
	var ce *Errors
	if !errors.As(err, &ce) {
		t.Fatalf("want config errors, got %v", err)
	}
	text := err.Error()
	for _, want := range []string{
		"c.yaml: vcenter.url (from GOVC_URL): http:// sends the vCenter password in clear text",
		"c.yaml: vcenter.datacenter (from GOVC_DATACENTER): \"a/../b\"",
		"vcenter.network: required (or export GOVC_NETWORK",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("errors lack %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "hunter2-pw") {
		t.Fatalf("an error shows the password from GOVC_URL:\n%s", text)
	}
	for _, fe := range ce.List {
		if fe.Origin != "" && fe.Line != 0 {
			t.Errorf("%s from %s has a file line %d", fe.Path, fe.Origin, fe.Line)
		}
	}
}

func TestFileValuesWinOverGovc(t *testing.T) {
	vc := VCenter{URL: "https://mine/sdk", Thumbprint: "AA:BB", DatastoreCluster: "DSC", Cluster: "C1", Password: Secret{Ref: "${X}"}}
	origins := ApplyGovcEnv(&vc, envMap(map[string]string{
		"GOVC_URL": "https://u:p@theirs/sdk", "GOVC_INSECURE": "1", "GOVC_TLS_CA_CERTS": "/ca.pem", "GOVC_DATASTORE": "ds",
		"GOVC_RESOURCE_POOL": "pool", "GOVC_PASSWORD": "pw", "GOVC_USERNAME": "bob",
	}))
	if vc.URL != "https://mine/sdk" || vc.Insecure || vc.CAFile != "" || vc.Datastore != "" || vc.ResourcePool != "" || vc.Password.IsSet() {
		t.Fatalf("the environment overrode the file: %+v", vc)
	}
	if vc.Username != "bob" || len(origins) != 1 || origins[0].Var != "GOVC_USERNAME" {
		t.Fatalf("username %q origins %v", vc.Username, origins)
	}
}

func TestGovcUsernameAndPasswordWinOverTheURLAndReadFiles(t *testing.T) {
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var vc VCenter
	ApplyGovcEnv(&vc, envMap(map[string]string{"GOVC_URL": "https://u:urlpw@vc:8443", "GOVC_USERNAME": "env-user", "GOVC_PASSWORD": pwFile}))
	if vc.URL != "https://vc:8443/sdk" || vc.Username != "env-user" || vc.Password.Value() != "from-file" {
		t.Fatalf("url %q user %q password %q", vc.URL, vc.Username, vc.Password.Value())
	}
}

func TestGovcTrust(t *testing.T) {
	dir := t.TempDir()
	known := filepath.Join(dir, "known_hosts")
	sha := "4C:3D:58:C2:80:EA:08:A0:67:53:79:A8:D5:3B:7C:77:6A:8A:40:EE:D1:80:4E:17:26:39:5B:D7:07:23:D4:D8"
	if err := os.WriteFile(known, []byte("other:443 AA:AA\nvc.example:443 "+sha+"\n127.0.0.1:8989 BB:BB\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		want func(VCenter) bool
	}{
		{"the known_hosts entry of the URL's host:port wins over insecure and a CA", map[string]string{"GOVC_URL": "vc.example",
			"GOVC_TLS_KNOWN_HOSTS": filepath.Join(dir, "missing") + string(os.PathListSeparator) + known, "GOVC_INSECURE": "true", "GOVC_TLS_CA_CERTS": "/ca.pem"},
			func(v VCenter) bool { return v.Thumbprint == sha && !v.Insecure && v.CAFile == "" }},
		{"an explicit port is looked up as given", map[string]string{"GOVC_URL": "https://127.0.0.1:8989/sdk", "GOVC_TLS_KNOWN_HOSTS": known},
			func(v VCenter) bool { return v.Thumbprint == "BB:BB" }},
		{"no entry for the host: the CA", map[string]string{"GOVC_URL": "vc2.example", "GOVC_TLS_KNOWN_HOSTS": known, "GOVC_TLS_CA_CERTS": "/ca.pem", "GOVC_INSECURE": "1"},
			func(v VCenter) bool { return v.Thumbprint == "" && v.CAFile == "/ca.pem" && !v.Insecure }},
		{"insecure only as asked", map[string]string{"GOVC_URL": "vc2.example", "GOVC_INSECURE": "0"},
			func(v VCenter) bool { return !v.Insecure }},
		{"the file's URL is looked up too", map[string]string{"GOVC_TLS_KNOWN_HOSTS": known, "GOVC_URL": "https://127.0.0.1:8989/sdk"},
			func(v VCenter) bool { return v.URL == "https://vc.example/sdk" && v.Thumbprint == sha }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var vc VCenter
			if strings.HasPrefix(tc.name, "the file's") {
				vc.URL = "https://vc.example/sdk"
			}
			ApplyGovcEnv(&vc, envMap(tc.env))
			if !tc.want(vc) {
				t.Fatalf("got %+v", vc)
			}
		})
	}
}

func TestGovcExclusiveFields(t *testing.T) {
	var vc VCenter
	origins := ApplyGovcEnv(&vc, envMap(map[string]string{"GOVC_CLUSTER": "C", "GOVC_RESOURCE_POOL": "P", "GOVC_DATASTORE_CLUSTER": "DSC"}))
	if vc.ResourcePool != "P" || vc.Cluster != "" || vc.DatastoreCluster != "DSC" || vc.Datastore != "" {
		t.Fatalf("%+v", vc)
	}
	var note string
	for _, o := range origins {
		if o.Field == "vcenter.resourcePool" {
			note = o.Note
		}
	}
	if !strings.Contains(note, "GOVC_CLUSTER ignored") {
		t.Fatalf("no note that GOVC_CLUSTER was ignored: %v", origins)
	}
}

func TestGovcEnvOnAnEmptyVCenterForTheWizard(t *testing.T) {
	var vc VCenter
	origins := ApplyGovcEnv(&vc, envMap(map[string]string{"GOVC_URL": "vc.lab", "GOVC_USERNAME": "u", "GOVC_PASSWORD": "p"}))
	if vc.URL != "https://vc.lab/sdk" || vc.Username != "u" || vc.Password.Value() != "p" || len(origins) != 3 {
		t.Fatalf("%+v %v", vc, origins)
	}
	var empty VCenter
	if origins := ApplyGovcEnv(&empty, envMap(nil)); empty.URL != "" || len(origins) != 0 {
		t.Fatalf("no environment: %+v %v", empty, origins)
	}
}

func TestBareHostInTheFile(t *testing.T) {
	clearGovc(t)
	setTestSecrets(t)
	c, _, err := Parse([]byte(strings.Replace(noVCenterYAML, "vcenter: {}", `vcenter: {url: "vc.lab:8443", username: u, password: "${VCENTER_PASSWORD}", insecure: true, datacenter: D, datastore: S, network: N}`, 1)), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.VCenter.URL != "https://vc.lab:8443/sdk" || len(c.Origins()) != 0 {
		t.Fatalf("url %q origins %v", c.VCenter.URL, c.Origins())
	}
}
