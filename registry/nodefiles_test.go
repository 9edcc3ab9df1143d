package registry

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestNodeFiles(t *testing.T) {
	files, err := NodeFiles(creds)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := DockerConfigJSON(creds)
	arch, _ := Archive(creds)
	want := []struct {
		path string
		data []byte
	}{{CredentialsPath, cfg}, {ArchivePath, arch}}
	if len(files) != len(want) {
		t.Fatalf("%d files", len(files))
	}
	for i, w := range want {
		f := files[i]
		if f.Path != w.path || f.Mode != 0o600 || !bytes.Equal(f.Data, w.data) || f.SHA256 != SHA256(w.data) {
			t.Errorf("file %d: %v", i, f)
		}
		for _, form := range []string{f.String(), fmt.Sprintf("%v %+v %#v", f, f, f)} {
			if strings.Contains(form, creds.Password) || strings.Contains(form, "bXlyZWc6") {
				t.Errorf("printing a NodeFile shows its content: %s", form)
			}
		}
	}
	if AgentUnit(false) != "dcos-mesos-slave" || AgentUnit(true) != "dcos-mesos-slave-public" {
		t.Error("agent units")
	}
}

func runScript(t *testing.T, script string) string {
	t.Helper()
	out, err := exec.Command("bash", "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("script: %v\n%s", err, out)
	}
	return string(out)
}

// The check script runs against a fake root (no root needed): missing,
// stale, wrong mode, right, and the legacy markers.
func TestNodeCheckScript(t *testing.T) {
	root := t.TempDir()
	files, _ := NodeFiles(creds)
	state := func() NodeState {
		t.Helper()
		s, err := parseNodeState(runScript(t, nodeCheckScript(root)), root)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	problems := func(s NodeState) string {
		var out []string
		for _, p := range s.Compare(files) {
			out = append(out, p.String())
		}
		return strings.Join(out, "; ")
	}
	s := state()
	if got := problems(s); got != "/etc/docker.tar.gz: missing; /etc/mesosphere/docker_credentials: missing" || s.Legacy() {
		t.Errorf("fresh node: %q legacy %v", got, s.Legacy())
	}
	write := func(path string, data []byte, mode os.FileMode) {
		t.Helper()
		p := filepath.Join(root, path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		_ = os.Remove(p)
		if err := os.WriteFile(p, data, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	old, _ := NodeFiles(Credentials{Server: creds.Server, Username: creds.Username, Password: "old-password"})
	write(CredentialsPath, old[0].Data, 0o600)
	write(ArchivePath, files[1].Data, 0o644)
	uid, gid := os.Getuid(), os.Getgid()
	want := "/etc/docker.tar.gz: mode 0644, want 0600; /etc/mesosphere/docker_credentials: stale: sha256 differs (other credentials than cluster.yaml's)"
	if uid != 0 || gid != 0 {
		want = fmt.Sprintf("/etc/docker.tar.gz: mode 0644, want 0600; /etc/docker.tar.gz: owner %d:%d, want root (0:0); /etc/mesosphere/docker_credentials: owner %d:%d, want root (0:0); /etc/mesosphere/docker_credentials: stale: sha256 differs (other credentials than cluster.yaml's)", uid, gid, uid, gid)
	}
	if got := problems(state()); got != want {
		t.Errorf("stale and open files:\n got %s\nwant %s", got, want)
	}
	if err := os.Mkdir(filepath.Join(root, "etc/docker.tar.gz.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(CredentialsPath, files[0].Data, 0o600)
	write(ArchivePath, files[1].Data, 0o600)
	if got := problems(state()); uid == 0 && got != "" {
		t.Errorf("files in place: %s", got)
	}
	if s := state(); s.Files[CredentialsPath].SHA256 != files[0].SHA256 {
		t.Errorf("sha256 %s, want %s", s.Files[CredentialsPath].SHA256, files[0].SHA256)
	}

	write("opt/mesosphere/etc/mesos-slave-common", []byte("MESOS_DOCKER_CONFIG=file:///etc/mesosphere/docker_credentials\n"), 0o644)
	if s := state(); s.DockerConfigFlag != "file:///etc/mesosphere/docker_credentials" || s.Legacy() {
		t.Errorf("flag %q legacy %v", s.DockerConfigFlag, s.Legacy())
	}
	write("opt/mesosphere/etc/mesos-slave-common", []byte("MESOS_DOCKER_CONFIG=file:///opt/mesosphere/etc/docker_credentials\n"), 0o644)
	write(LegacyCredentialsPath, files[0].Data, 0o600)
	if s := state(); !s.Legacy() {
		t.Error("DC/OS-owned credentials not reported as legacy")
	}
	if _, err := ParseNodeState("file\tx\n"); err == nil {
		t.Error("garbage parsed")
	}
	if script := NodeCheckScript(); strings.Contains(script, creds.Password) || !strings.Contains(script, "'"+CredentialsPath+"'") {
		t.Errorf("NodeCheckScript:\n%s", script)
	}
}

// The install script puts uploaded files in place root:root 0600 (needs
// root for the chown).
func TestInstallScript(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: install -o root")
	}
	root, up := t.TempDir(), t.TempDir()
	files, _ := NodeFiles(creds)
	uploaded := map[string]string{}
	for i, f := range files {
		p := filepath.Join(up, fmt.Sprintf("upload-%d", i))
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		uploaded[f.Path] = p
	}
	script := installScript(uploaded, root)
	if strings.Contains(script, creds.Password) {
		t.Fatal("script text holds the password")
	}
	s, err := parseNodeState(runScript(t, script), root)
	if err != nil {
		t.Fatal(err)
	}
	if p := s.Compare(files); len(p) > 0 {
		t.Errorf("after install: %v", p)
	}
	for _, p := range uploaded {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("upload %s left behind", p)
		}
	}
	left, _ := filepath.Glob(filepath.Join(root, "etc", "*", ".*.new"))
	left2, _ := filepath.Glob(filepath.Join(root, "etc", ".*.new"))
	if len(left)+len(left2) > 0 {
		t.Errorf("temporary files left: %v %v", left, left2)
	}
	if st, err := os.Stat(filepath.Join(root, "etc", "mesosphere")); err != nil || st.Mode().Perm() != 0o755 {
		t.Errorf("/etc/mesosphere: %v %v", st, err)
	}
}

func TestLegacyConfig(t *testing.T) {
	for _, tt := range []struct {
		yaml string
		want bool
	}{
		{"cluster_docker_credentials_enabled: true\n", false},
		{"cluster_docker_credentials: {}\ncluster_docker_credentials_enabled: true\n", false},
		{"cluster_docker_credentials:\n  auths:\n    'https://r.example':\n      auth: eDp5\ncluster_docker_credentials_enabled: true\n", true},
		{"cluster_docker_credentials:\n  auths:\n    r.example:\n      auth: eDp5\ncluster_docker_credentials_dcos_owned: false\n", false},
		{"cluster_docker_credentials: '{\"auths\": {}}'\n", true},
	} {
		got, err := LegacyConfig([]byte(tt.yaml))
		if err != nil || got != tt.want {
			t.Errorf("%q: %v %v, want %v", tt.yaml, got, err, tt.want)
		}
	}
	if _, err := LegacyConfig([]byte("a: [")); err == nil {
		t.Error("bad YAML accepted")
	}
}
