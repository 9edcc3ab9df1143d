package registry

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

var creds = Credentials{Server: "https://MyReg.azurecr.io/", Username: "myreg", Password: "p@ss:word"}

func TestDockerConfigJSON(t *testing.T) {
	data, err := DockerConfigJSON(creds)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Auths map[string]map[string]string `json:"auths"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Auths) != 1 {
		t.Fatalf("auths = %v", doc.Auths)
	}
	e, ok := doc.Auths["myreg.azurecr.io"]
	if !ok {
		t.Fatalf("key is not the lowercase host: %v", doc.Auths)
	}
	raw, _ := base64.StdEncoding.DecodeString(e["auth"])
	if string(raw) != "myreg:p@ss:word" {
		t.Errorf("auth decodes to %q", raw)
	}
	withPort := Credentials{Server: "198.18.0.1:5443", Username: "u", Password: "p"}
	if withPort.Host() != "198.18.0.1:5443" {
		t.Errorf("host with port = %q", withPort.Host())
	}
}

func TestDockerConfigJSONRefusesIncomplete(t *testing.T) {
	for _, c := range []Credentials{{Username: "u", Password: "p"}, {Server: "r", Password: "p"}, {Server: "r", Username: "u"}, {Server: "r", Username: "a:b", Password: "p"}} {
		if _, err := DockerConfigJSON(c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

func TestArchiveIsDeterministicAndWellFormed(t *testing.T) {
	a, err := Archive(creds)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Archive(creds)
	if !bytes.Equal(a, b) {
		t.Fatal("two archives of the same credentials differ")
	}
	other, _ := Archive(Credentials{Server: creds.Server, Username: creds.Username, Password: "other"})
	if SHA256(other) == SHA256(a) {
		t.Fatal("another password gives the same archive")
	}
	gz, err := gzip.NewReader(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	if gz.Name != "" || !gz.ModTime.IsZero() {
		t.Errorf("gzip header has name %q / time %v", gz.Name, gz.ModTime)
	}
	tr := tar.NewReader(gz)
	want := []struct {
		name string
		mode int64
	}{{".docker/", 0o700}, {".docker/config.json", 0o600}}
	for _, w := range want {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("entry %s: %v", w.name, err)
		}
		if h.Name != w.name || h.Mode != w.mode || h.Uid != 0 || h.Gid != 0 {
			t.Errorf("entry %s mode %o uid %d gid %d, want %s %o 0 0", h.Name, h.Mode, h.Uid, h.Gid, w.name, w.mode)
		}
		if h.Name == ".docker/config.json" {
			body, _ := io.ReadAll(tr)
			want, _ := DockerConfigJSON(creds)
			if !bytes.Equal(body, want) {
				t.Errorf("config.json = %s", body)
			}
		}
	}
	if _, err := tr.Next(); err != io.EOF {
		t.Errorf("more entries than .docker/ and .docker/config.json: %v", err)
	}
}

// The system tar (what the Mesos fetcher runs: tar -C sandbox -xf) unpacks it.
func TestArchiveUnpacksWithSystemTar(t *testing.T) {
	if _, err := exec.LookPath("tar"); err != nil {
		t.Skip("no tar")
	}
	a, _ := Archive(creds)
	dir := t.TempDir()
	arch := filepath.Join(dir, "docker.tar.gz")
	if err := os.WriteFile(arch, a, 0o600); err != nil {
		t.Fatal(err)
	}
	sandbox := filepath.Join(dir, "sandbox")
	os.Mkdir(sandbox, 0o755)
	if out, err := exec.Command("tar", "-C", sandbox, "-xf", arch).CombinedOutput(); err != nil {
		t.Fatalf("tar -xf: %v: %s", err, out)
	}
	body, err := os.ReadFile(filepath.Join(sandbox, ".docker", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := DockerConfigJSON(creds)
	if !bytes.Equal(body, want) {
		t.Errorf("unpacked config.json = %s", body)
	}
}
