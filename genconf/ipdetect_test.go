package genconf

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// scriptFor renders an ip-detect script and writes it to a temp file.
func scriptFor(t *testing.T, d config.IPDetect, firstMaster string) string {
	t.Helper()
	var errs errList
	b := ipDetectScript(d, firstMaster, "dcos.ipDetect", &errs)
	if len(errs) > 0 {
		t.Fatalf("render ip-detect: %v", errs.sorted())
	}
	path := filepath.Join(t.TempDir(), "ip-detect")
	if err := os.WriteFile(path, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

type scriptResult struct {
	stdout, stderr string
	code           int
}

// runBash runs argv (ending in "bash <script>") with a timeout and
// returns its output and exit code.
func runBash(t *testing.T, env []string, argv ...string) scriptResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	var out, errOut limitedBuffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	code := 0
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("run %v: %v", argv, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("run %v: timed out", argv)
	}
	return scriptResult{out.String(), errOut.String(), code}
}

// limitedBuffer keeps the first 64 KiB written to it.
type limitedBuffer struct{ b []byte }

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := 64<<10 - len(l.b); room > 0 {
		l.b = append(l.b, p[:min(len(p), room)]...)
	}
	return len(p), nil
}
func (l *limitedBuffer) String() string { return string(l.b) }

// assertIP checks the ip-detect contract: exit 0 and exactly want + "\n".
func assertIP(t *testing.T, r scriptResult, want string) {
	t.Helper()
	if r.code != 0 || r.stdout != want+"\n" {
		t.Errorf("ip-detect: exit %d, stdout %q, stderr %q; want exit 0 and %q", r.code, r.stdout, r.stderr, want+"\n")
	}
}

// assertFails checks that ip-detect exits non-zero, prints nothing on
// stdout and explains itself on stderr.
func assertFails(t *testing.T, r scriptResult) {
	t.Helper()
	if r.code == 0 || r.stdout != "" || r.stderr == "" {
		t.Errorf("ip-detect: exit %d, stdout %q, stderr %q; want non-zero exit, empty stdout, a message on stderr", r.code, r.stdout, r.stderr)
	}
}

// TestIPDetectParsesIPOutput runs the generated scripts against a stand-in
// `ip` printing the line shapes iproute2 prints; no root needed.
func TestIPDetectParsesIPOutput(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not installed")
	}
	bin := t.TempDir()
	fake := "#!/usr/bin/env bash\nprintf '%s' \"$FAKE_IP_OUT\"\nexit \"${FAKE_IP_RC:-0}\"\n"
	if err := os.WriteFile(filepath.Join(bin, "ip"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	route := scriptFor(t, config.IPDetect{Method: MethodRoute}, "198.19.251.10")
	iface := scriptFor(t, config.IPDetect{Method: MethodInterface, Interface: "eth1"}, "")
	tests := []struct {
		name, script, out, rc, want string // want "" = must fail
	}{
		{"via gateway", route, "198.19.251.10 via 198.19.250.1 dev eth0 src 198.19.250.2 uid 0 \n    cache \n", "0", "198.19.250.2"},
		{"directly connected", route, "198.19.251.10 dev eth1 src 198.19.251.2 uid 0 \n    cache \n", "0", "198.19.251.2"},
		{"on the master itself", route, "local 198.19.251.10 dev lo table local src 198.19.251.10 uid 0 \n    cache <local> \n", "0", "198.19.251.10"},
		{"no src token", route, "198.19.251.10 dev eth0 uid 0\n", "0", ""},
		{"src is not an address", route, "198.19.251.10 dev eth0 src fe80::1\n", "0", ""},
		{"octet above 255", route, "198.19.251.10 dev eth0 src 198.19.250.256\n", "0", ""},
		{"ip fails", route, "", "2", ""},
		{"interface address", iface, "3: eth1    inet 198.19.251.2/24 brd 198.19.251.255 scope global eth1\\       valid_lft forever preferred_lft forever\n4: eth1    inet 198.19.251.3/24 scope global secondary eth1\\ \n", "0", "198.19.251.2"},
		{"interface without IPv4", iface, "", "0", ""},
		{"interface missing", iface, "", "1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := []string{"PATH=" + bin + ":/usr/bin:/bin", "FAKE_IP_OUT=" + tt.out, "FAKE_IP_RC=" + tt.rc}
			r := runBash(t, env, "bash", tt.script)
			if tt.want == "" {
				assertFails(t, r)
			} else {
				assertIP(t, r, tt.want)
			}
		})
	}
}

func TestUserScriptCopiedVerbatim(t *testing.T) {
	path := scriptsDir + "ip-detect-metadata.sh"
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := scriptFor(t, config.IPDetect{Method: MethodScript, Script: path}, "198.18.0.11")
	b, err := os.ReadFile(got)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != string(want) {
		t.Errorf("script not copied verbatim")
	}
}
