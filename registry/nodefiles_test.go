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
