package installer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStateRoundTripAtomic0600(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c1", "state.json")
	s, err := OpenState(path, "c1")
	if err != nil {
		t.Fatal(err)
	}
	s.Update(func(st *State) { st.Node("master-1").IP = "198.18.0.11" })
	s.MarkStep("master-1", "installed")
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v, want 0600", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("temp files left behind: %v", entries)
	}
	again, err := OpenState(path, "c1")
	if err != nil {
		t.Fatal(err)
	}
	again.View(func(st *State) {
		n := st.Nodes["master-1"]
		if n == nil || n.IP != "198.18.0.11" || n.Steps["installed"].IsZero() {
			t.Fatalf("reloaded node = %+v", n)
		}
	})
}

func TestStateCorruptIsAnErrorNotReplaced(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenState(path, "c1"); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("err = %v, want corrupt", err)
	}
	data, _ := os.ReadFile(path)
	if string(data) != "{not json" {
		t.Fatal("corrupt state file was modified")
	}
}

func TestStateBelongsToOneCluster(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	s, _ := OpenState(path, "a")
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenState(path, "b"); err == nil {
		t.Fatal("state of cluster a opened for cluster b")
	}
}
