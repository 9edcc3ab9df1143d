package genconf

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// pyYAML is a python3 with PyYAML: the YAML 1.1 reader DC/OS 1.9 uses
// (Debian's python3-yaml, installed by scripts/deps.sh).
type pyYAML struct {
	python  string
	version string
}

// requirePyYAML finds python3 with PyYAML, preferring Debian's
// /usr/bin/python3, or skips the test with the reason.
func requirePyYAML(t *testing.T) pyYAML {
	t.Helper()
	candidates := []string{"/usr/bin/python3"}
	if p, err := exec.LookPath("python3"); err == nil {
		candidates = append(candidates, p)
	}
	for _, py := range candidates {
		if _, err := os.Stat(py); err != nil {
			continue
		}
		out, err := runPython(t, pyYAML{python: py}, "import yaml; print(yaml.__version__)", nil)
		if err == nil {
			return pyYAML{python: py, version: strings.TrimSpace(string(out))}
		}
	}
	t.Skip("needs python3 with PyYAML (Debian python3-yaml; scripts/deps.sh installs it)")
	return pyYAML{}
}

// runPython runs a Python program with stdin, bounded in time.
func runPython(t *testing.T, py pyYAML, program string, stdin []byte) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, py.python, "-I", "-c", program)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil && stderr.Len() > 0 {
		t.Logf("python stderr: %s", stderr.String())
	}
	return out, err
}
