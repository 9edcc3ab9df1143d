package lab

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/internal/testnet"
)

// childEnv makes the test binary run a lab in the foreground (see
// TestMain) so a test can kill -9 it.
const childEnv = "DVLAB_TEST_CHILD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(runChildLab(spec))
	}
	os.Exit(m.Run())
}

// runChildLab: spec is "N DIR". It brings the lab up, powers on one VM,
// prints "ready" once its host answers SSH, and waits to be killed.
func runChildLab(spec string) int {
	var n int
	var dir string
	if _, err := fmt.Sscan(spec, &n, &dir); err != nil {
		fmt.Println("bad spec:", err)
		return 2
	}
	o := testOptionsDir(n, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	l, err := Up(ctx, o)
	if err != nil {
		fmt.Println("up:", err)
		return 1
	}
	c, err := l.vc.login(ctx)
	if err != nil {
		fmt.Println("login:", err)
		return 1
	}
	if err := cloneAndPowerOn(ctx, c, "doomed", addr(l, 21), l.Gateway()); err != nil {
		fmt.Println("clone:", err)
		return 1
	}
	if _, err := l.WaitHost(ctx, "doomed"); err != nil {
		fmt.Println("wait:", err)
		return 1
	}
	fmt.Println("ready")
	select {}
}

// leftovers lists what of lab n remains on the machine.
func leftovers(t *testing.T, n int, dir string) []string {
	t.Helper()
	o, err := testOptionsDir(n, dir).withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, ns := range listNetns(o.NetnsPrefix) {
		found = append(found, "netns "+ns)
	}
	for _, l := range listLinks(o.linkPrefix()) {
		found = append(found, "link "+l)
	}
	if linkExists(o.Bridge) {
		found = append(found, "bridge "+o.Bridge)
	}
	mounts, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(mounts), "\n") {
		if strings.Contains(line, dir) || strings.Contains(line, o.NetnsPrefix) {
			found = append(found, "mount "+line)
		}
	}
	if out, err := exec.Command("pgrep", "-f", "-a", dir).Output(); err == nil {
		for _, p := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if p != "" && !strings.Contains(p, childEnv) {
				found = append(found, "process "+p)
			}
		}
	}
	for _, p := range []string{"hosts", stateFileName, passwordFileName} {
		if _, err := os.Stat(filepath.Join(dir, p)); err == nil {
			found = append(found, "file "+filepath.Join(dir, p))
		}
	}
	return found
}

func testOptionsDir(n int, dir string) Options {
	tn := testnet.For("lab", n)
	return Options{Dir: dir, Bridge: tn.Bridge, Subnet: tn.Subnet, NetnsPrefix: tn.NetnsPrefix}
}

// Down leaves no namespace, bridge, veth, mount, process, temp directory
// or secret behind.
func TestDownLeavesNothing(t *testing.T) {
	t.Parallel()
	requireLab(t)
	o := testOptions(t, 6)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	l, err := Up(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	downed := false
	t.Cleanup(func() {
		if !downed {
			_ = l.Down()
		}
	})
	c := vcClient(t, l)
	cloneVM(t, c, "one", addr(l, 11), l.Gateway())
	cloneVM(t, c, "two", addr(l, 12), l.Gateway())
	waitSSH(t, l, addr(l, 11), 10*time.Second)
	waitSSH(t, l, addr(l, 12), 10*time.Second)
	// Leave work running inside a host: a unit, nginx and a session.
	mustSSH(t, l, addr(l, 11), "sudo yum install -y docker-engine && sudo systemctl start docker && sudo docker run -d -p 8080:80 nginx >/dev/null")
	vcsimHome := l.vc.home
	if got := leftovers(t, 6, o.Dir); len(got) == 0 {
		t.Fatal("leftovers() finds nothing of a running lab; the check is blind")
	}
	if _, err := os.Stat(vcsimHome); err != nil {
		t.Fatalf("simulator home %s: %v", vcsimHome, err)
	}
	if err := c.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	downed = true
	if err := l.Down(); err != nil {
		t.Fatalf("down: %v", err)
	}
	if got := leftovers(t, 6, o.Dir); len(got) > 0 {
		t.Errorf("left behind after Down:\n%s", strings.Join(got, "\n"))
	}
	if _, err := os.Stat(vcsimHome); !os.IsNotExist(err) {
		t.Errorf("simulator home %s still exists", vcsimHome)
	}
	if out, err := exec.Command("pgrep", "-f", "-a", "nginx.*"+o.Dir).Output(); err == nil {
		t.Errorf("nginx of a lab host survived Down: %s", out)
	}
}

// Up after a kill -9 of a previous lab removes its leftovers first.
func TestUpCleansUpAfterKill(t *testing.T) {
	t.Parallel()
	requireLab(t)
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=7 %s", childEnv, dir))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = Cleanup(testOptionsDir(7, dir))
	})
	lines := make(chan string, 10)
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			lines <- s.Text()
		}
		close(lines)
	}()
	timeout := time.After(60 * time.Second)
wait:
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatal("child lab exited before it was ready")
			}
			if line == "ready" {
				break wait
			}
			t.Logf("child: %s", line)
		case <-timeout:
			t.Fatal("child lab not ready within 60s")
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	before := leftovers(t, 7, dir)
	hasNetns := false
	for _, l := range before {
		hasNetns = hasNetns || strings.HasPrefix(l, "netns ")
	}
	if !hasNetns {
		t.Fatalf("a killed lab left no namespace; the test cannot tell cleanup happened: %v", before)
	}
	st, err := loadState(dir)
	if err != nil {
		t.Fatal(err)
	}
	hosts := loadHosts(dir)
	if len(hosts) != 1 || !hosts[0].alive() {
		t.Fatalf("want the killed lab's host still running, got %+v", hosts)
	}
	orphan := hosts[0].PID

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	o := testOptionsDir(7, dir)
	o.Log = testLog{t}
	l, err := Up(ctx, o)
	if err != nil {
		t.Fatalf("up after kill -9: %v", err)
	}
	if !processGone(orphan, 5*time.Second) {
		t.Errorf("host keeper %d of the killed lab survived the new Up", orphan)
	}
	if _, err := os.Stat(st.VCSimHome); !os.IsNotExist(err) {
		t.Errorf("simulator home %s of the killed lab survived the new Up", st.VCSimHome)
	}
	if n := len(listNetns(o.NetnsPrefix)); n != 0 {
		t.Errorf("%d namespaces of the killed lab survived the new Up", n)
	}
	if err := l.Down(); err != nil {
		t.Fatal(err)
	}
	if got := leftovers(t, 7, dir); len(got) > 0 {
		t.Errorf("left behind:\n%s", strings.Join(got, "\n"))
	}
}

// processGone polls until pid no longer exists or is a zombie (killed, not
// yet reaped by its parent), bounded by d.
func processGone(pid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return true
		}
		if f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:])); len(f) > 0 && f[0] == "Z" {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}
