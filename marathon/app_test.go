package marathon_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/dcos-vsphere/dcos-vsphere/marathon"
)

func TestParseAppReportsWhereAndWhat(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"syntax", "{\n  \"id\": \"/a\",\n  \"instances\": 2,,\n}", "app.json:3:18: invalid JSON: invalid character ','"},
		{"array", `[{"id": "/a"}]`, "app.json:1:1: the app definition must be one JSON object"},
		{"null", `null`, "app.json: the app definition must be one JSON object, not null"},
		{"two", `{"id": "/a"} {"id": "/b"}`, "app.json:1:14: more than one JSON value"},
		{"no id", `{"instances": 1}`, `app.json: id: missing: every app needs an "id"`},
		{"bad id", `{"id": "/Shop/front"}`, `app.json: id: "/Shop/front" is not a valid app id`},
		{"bad id 2", `{"id": "/shop//front"}`, `is not a valid app id`},
		{"type", `{"id": "/a", "container": {"type": "RKT"}}`, "container.type: RKT: must be DOCKER or MESOS"},
		{"uris", `{"id": "/a", "uris": "file:///etc/docker.tar.gz"}`, "uris: must be a list of strings"},
		{"both", `{"id": "/a", "uris": [], "fetch": [{"uri": "x"}]}`, `fetch: give "fetch" or "uris", not both`},
		{"instances", `{"id": "/a", "instances": -1}`, "instances: -1: must be a whole number, 0 or more"},
		{"labels", `{"id": "/a", "labels": {"x": 1}}`, "labels.x: must be a string"},
		{"image", `{"id": "/a", "container": {"docker": {"image": 3}}}`, "container.docker.image: must be a string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := marathon.ParseApp([]byte(tc.in), "app.json")
			var ae *marathon.AppError
			if !errors.As(err, &ae) || ae.ExitCode() != 2 {
				t.Fatalf("want an *AppError (exit 2), got %T %v", err, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q lacks %q", err, tc.want)
			}
		})
	}
}

func TestAppEditsKeepWhatTheAuthorWrote(t *testing.T) {
	in := `{"id": "shop/front", "instances": 2, "cpus": 0.25, "mem": 128.0, "env": {"A": "1"},
	  "container": {"type": "DOCKER", "docker": {"image": "old:1", "network": "BRIDGE", "portMappings": [{"containerPort": 80, "hostPort": 0}]}},
	  "uris": ["https://example.invalid/x.tgz"], "labels": {"team": "shop"}, "upgradeStrategy": {"minimumHealthCapacity": 1, "maximumOverCapacity": 0.5}}`
	a, err := marathon.ParseApp([]byte(in), "front.json")
	if err != nil {
		t.Fatal(err)
	}
	if a.ID() != "/shop/front" || a.Instances() != 2 || a.ContainerType() != "DOCKER" || a.Image() != "old:1" {
		t.Errorf("read: id %s instances %d type %s image %s", a.ID(), a.Instances(), a.ContainerType(), a.Image())
	}
	a.SetImage("198.18.0.1:5443/shop/front@sha256:abc")
	if !a.EnsureURI("file:///etc/docker.tar.gz") || a.EnsureURI("file:///etc/docker.tar.gz") {
		t.Error("EnsureURI adds once")
	}
	a.SetLabel(marathon.LabelDigest, "sha256:abc")
	b, _ := a.JSON()
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"id": "/shop/front", "instances": 2.0, "cpus": 0.25, "mem": 128.0, "env": map[string]any{"A": "1"},
		"container": map[string]any{"type": "DOCKER", "docker": map[string]any{"image": "198.18.0.1:5443/shop/front@sha256:abc", "network": "BRIDGE",
			"portMappings": []any{map[string]any{"containerPort": 80.0, "hostPort": 0.0}}}},
		"uris":            []any{"https://example.invalid/x.tgz", "file:///etc/docker.tar.gz"},
		"labels":          map[string]any{"team": "shop", marathon.LabelDigest: "sha256:abc"},
		"upgradeStrategy": map[string]any{"minimumHealthCapacity": 1.0, "maximumOverCapacity": 0.5}}
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(want)
	if string(gb) != string(wb) {
		t.Errorf("edited definition\n got %s\nwant %s", gb, wb)
	}
	if !strings.Contains(string(b), `"mem":128.0`) {
		t.Errorf("numbers are not kept as written: %s", b)
	}

	// A command app gets a DOCKER container; fetch lists get a fetch entry.
	c, _ := marathon.ParseApp([]byte(`{"id": "/c", "cmd": "sleep 100", "fetch": [{"uri": "https://example.invalid/a"}]}`), "c.json")
	c.SetImage("img:1")
	c.EnsureURI("file:///etc/docker.tar.gz")
	if c.ContainerType() != "DOCKER" || c.Image() != "img:1" || strings.Join(c.URIs(), " ") != "https://example.invalid/a file:///etc/docker.tar.gz" {
		t.Errorf("command app: type %s image %s uris %v", c.ContainerType(), c.Image(), c.URIs())
	}
	if b, _ := c.JSON(); !strings.Contains(string(b), `{"extract":true,"uri":"file:///etc/docker.tar.gz"}`) {
		t.Errorf("fetch entry: %s", b)
	}
	if d := c.Clone(); d.ID() != "/c" || d == c {
		t.Error("Clone")
	}
}

func TestLintNamesWhatCannotPullFromACR(t *testing.T) {
	const reg, arch = "198.18.0.1:5443", "file:///etc/docker.tar.gz"
	lint := func(in string) string {
		a, err := marathon.ParseApp([]byte(in), "a.json")
		if err != nil {
			t.Fatal(err)
		}
		a.EnsureURI(arch)
		return strings.Join(a.Lint(reg, arch), "\n")
	}
	if w := lint(`{"id": "/a", "container": {"type": "MESOS", "docker": {"image": "198.18.0.1:5443/myapp:1"}}}`); !strings.Contains(w, "container.type MESOS") || !strings.Contains(w, "Failed to find token in JSON object") {
		t.Errorf("UCR with an ACR image: %q", w)
	}
	if w := lint(`{"id": "/a", "container": {"type": "MESOS", "docker": {"image": "nginx:1.13"}}}`); w != "" {
		t.Errorf("UCR with another registry's image: %q", w)
	}
	if w := lint(`{"id": "/a", "user": "nobody", "container": {"docker": {"image": "198.18.0.1:5443/myapp:1"}}}`); !strings.Contains(w, `run as user "nobody"`) {
		t.Errorf("non-root task user: %q", w)
	}
	if w := lint(`{"id": "/a", "user": "root", "container": {"docker": {"image": "198.18.0.1:5443/myapp:1"}}}`); w != "" {
		t.Errorf("root task user: %q", w)
	}
	if w := lint(`{"id": "/a", "instances": 0, "upgradeStrategy": {"minimumHealthCapacity": 0}, "container": {"docker": {"image": "198.18.0.1:5443/myapp:1"}}}`); !strings.Contains(w, "minimumHealthCapacity is 0") || !strings.Contains(w, "instances is 0") {
		t.Errorf("capacity: %q", w)
	}
	if marathon.ImageHost("198.18.0.1:5443/a/b:1") != reg || marathon.ImageHost("library/nginx:1") != "" || marathon.ImageHost("Reg.Example.TEST/a") != "reg.example.test" {
		t.Error("ImageHost")
	}
	if marathon.DigestOf("r/a@sha256:1") != "sha256:1" || marathon.DigestOf("r/a:1") != "" {
		t.Error("DigestOf")
	}
}
