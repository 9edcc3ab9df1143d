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

// The state is a cache: a corrupt file must not block status or destroy.
// It is moved aside, kept, and the run starts empty with a notice.
func TestStateCorruptIsSetAsideWithANotice(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := OpenState(path, "c1")
	if err != nil {
		t.Fatalf("corrupt state blocks the run: %v", err)
	}
	if !strings.Contains(s.Notice, "unreadable") || !strings.Contains(s.Notice, "moved to") {
		t.Fatalf("notice = %q", s.Notice)
	}
	aside, _ := filepath.Glob(path + ".corrupt-*")
	if len(aside) != 1 {
		t.Fatalf("corrupt file not kept aside: %v", aside)
	}
	if data, _ := os.ReadFile(aside[0]); string(data) != "{not json" {
		t.Fatal("the corrupt file's content was changed")
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("corrupt file still in place")
	}
}

func TestStateOversizedIsNotReadWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	big := make([]byte, maxStateSize+10)
	for i := range big {
		big[i] = ' '
	}
	if err := os.WriteFile(path, big, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := OpenState(path, "c1")
	if err != nil || !strings.Contains(s.Notice, "larger than") {
		t.Fatalf("err = %v, notice = %q", err, s.Notice)
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
