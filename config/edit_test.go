package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files of the edit tests")

// editFixture copies testdata/config/edit/cluster.yaml to a temp dir.
func editFixture(t *testing.T) string {
	t.Helper()
	setTestSecrets(t)
	clearGovc(t)
	data, err := os.ReadFile("../testdata/config/edit/cluster.yaml")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cluster.yaml")
	if err := os.WriteFile(path, data, 0o640); err != nil {
		t.Fatal(err)
	}
	return path
}

// golden compares the edited file with testdata/config/edit/<name>.
func golden(t *testing.T, path, name string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join("../testdata/config/edit", name)
	if *updateGolden && name != "cluster.yaml" {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("%s differs from %s:\n%s", path, file, got)
	}
}

// changedLines lists the lines of b that differ from a (same length).
func changedLines(a, b string) []string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out []string
	for i := range bl {
		if i >= len(al) || al[i] != bl[i] {
			out = append(out, bl[i])
		}
	}
	return out
}

func TestRecordAddedRaisesTheCountInPlace(t *testing.T) {
	path := editFixture(t)
	before, _ := os.ReadFile(path)
	edit, err := RecordAdded(path, RoleAgent, []PlannedNode{{Name: "agent-4", IP: "10.0.0.24"}, {Name: "agent-3", IP: "10.0.0.23"}})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, path, "want-count.yaml")
	after, _ := os.ReadFile(path)
	// Exactly one line changed: the count, its comment kept.
	if got := changedLines(string(before), string(after)); len(got) != 1 || got[0] != "    count: 4            # agent-1 .. agent-2" {
		t.Fatalf("changed lines %q", got)
	}
	if len(edit.Changes) != 1 || edit.Changes[0] != "nodes.agents.count: 2 -> 4" || !strings.Contains(edit.String(), edit.Backup) {
		t.Fatalf("edit %+v", edit)
	}
	// The backup is the file as it was, readable only by its owner; the
	// file keeps its own mode.
	bak, err := os.ReadFile(edit.Backup)
	if err != nil || string(bak) != string(before) || !strings.HasPrefix(filepath.Base(edit.Backup), "cluster.yaml.bak-") {
		t.Fatalf("backup %s: %v", edit.Backup, err)
	}
	if st, _ := os.Stat(edit.Backup); st.Mode().Perm() != 0o600 {
		t.Fatalf("backup mode %o", st.Mode().Perm())
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o640 {
		t.Fatalf("file mode %o", st.Mode().Perm())
	}
	c, _ := mustLoad(t, path)
	if got := names(c.NodesOf(RoleAgent)); got != "agent-1=10.0.0.21 agent-2=10.0.0.22 agent-3=10.0.0.23 agent-4=10.0.0.24" {
		t.Fatalf("agents %s", got)
	}
}

// An address of the range was skipped (in use): the count cannot say
// that, so the group becomes the list of its hosts, comments kept.
func TestRecordAddedWithASkippedAddressListsHosts(t *testing.T) {
	path := editFixture(t)
	edit, err := RecordAdded(path, RoleAgent, []PlannedNode{{Name: "agent-3", IP: "10.0.0.24"}})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, path, "want-hosts.yaml")
	if !strings.Contains(edit.Changes[0], "count and ipRange replaced by hosts [agent-1, agent-2, agent-3]") {
		t.Fatalf("changes %v", edit.Changes)
	}
	c, _ := mustLoad(t, path)
	if got := names(c.NodesOf(RoleAgent)); got != "agent-1=10.0.0.21 agent-2=10.0.0.22 agent-3=10.0.0.24" || c.Nodes.Agents.CPUs != 4 {
		t.Fatalf("agents %s cpus %d", got, c.Nodes.Agents.CPUs)
	}
}

func TestAddAndRemoveHosts(t *testing.T) {
	path := editFixture(t)
	if _, err := AddHosts(path, RolePublicAgent, []Node{{Name: "public-2", IP: "10.0.0.42"}}); err != nil {
		t.Fatal(err)
	}
	golden(t, path, "want-public-added.yaml")
	if _, err := RemoveHosts(path, RolePublicAgent, []string{"public-1"}); err != nil {
		t.Fatal(err)
	}
	c, _ := mustLoad(t, path)
	if got := names(c.NodesOf(RolePublicAgent)); got != "public-2=10.0.0.42" {
		t.Fatalf("public agents %s", got)
	}
	if _, err := RemoveHosts(path, RolePublicAgent, []string{"public-9"}); err == nil || !strings.Contains(err.Error(), "has no node public-9") {
		t.Fatalf("removing an unknown host: %v", err)
	}
}

func TestRemoveHostsFromACountGroup(t *testing.T) {
	path := editFixture(t)
	if _, err := SetGroupCount(path, RoleAgent, 4); err != nil {
		t.Fatal(err)
	}
	// The highest ones: the count goes down.
	edit, err := RemoveHosts(path, RoleAgent, []string{"agent-4", "agent-3"})
	if err != nil || edit.Changes[0] != "nodes.agents.count: 4 -> 2" {
		t.Fatalf("%+v %v", edit, err)
	}
	golden(t, path, "cluster.yaml") // back to the original, byte for byte
	// One in the middle: the group lists the ones that stay.
	if _, err := RemoveHosts(path, RoleAgent, []string{"agent-1"}); err != nil {
		t.Fatal(err)
	}
	c, _ := mustLoad(t, path)
	if got := names(c.NodesOf(RoleAgent)); got != "agent-2=10.0.0.22" {
		t.Fatalf("agents %s", got)
	}
}

func TestEditsThatWouldBreakTheFileWriteNothing(t *testing.T) {
	path := editFixture(t)
	before, _ := os.ReadFile(path)
	for name, edit := range map[string]func() error{
		"a count beyond the range": func() error { _, err := SetGroupCount(path, RoleAgent, 30); return err },
		"a count on a hosts list":  func() error { _, err := SetGroupCount(path, RolePublicAgent, 2); return err },
		"an address used twice": func() error {
			_, err := AddHosts(path, RolePublicAgent, []Node{{Name: "public-2", IP: "10.0.0.11"}})
			return err
		},
	} {
		if err := edit(); err == nil || !strings.Contains(err.Error(), "the file was not changed") {
			t.Errorf("%s: %v", name, err)
		}
	}
	after, _ := os.ReadFile(path)
	baks, _ := filepath.Glob(path + ".bak-*")
	if string(after) != string(before) || len(baks) != 0 {
		t.Fatalf("a refused edit changed the file or left backups %v", baks)
	}
}
