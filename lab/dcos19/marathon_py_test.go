package dcos19

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestMarathonAndTasksPython runs testdata/marathon_test.py with the
// machine's python3: the Marathon stand-in (API, rolling updates replayed
// from its task log, locks, backoff, roles and constraints, lost agents)
// and the agent's task side (the Mesos fetcher's URI rules and messages,
// the Docker containerizer's HOME and pull, the UCR puller's token rule
// against an HTTPS server answering like ACR). No lab, no root.
func TestMarathonAndTasksPython(t *testing.T) {
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skip("needs /usr/bin/python3 (the stand-in services' interpreter)")
	}
	if _, err := exec.LookPath("tar"); err != nil {
		t.Skip("needs tar (the fetcher unpacks archives with it)")
	}
	var libs []string
	for _, p := range []string{"payload/packages/mesos/lib", "payload/packages/marathon/lib", "testdata/marathon_test.py"} {
		a, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		libs = append(libs, a)
	}
	cmd := exec.Command(py, "-IS", "-W", "error::ResourceWarning", libs[2], libs[0], libs[1], t.TempDir())
	out, err := cmd.CombinedOutput()
	t.Logf("python unit tests:\n%s", out)
	if err != nil {
		t.Fatalf("python unit tests failed: %v", err)
	}
}
