package installer

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestLockRefusesASecondRunWithTheHolder(t *testing.T) {
	dir := t.TempDir()
	unlock, err := Lock(dir, "c1", "install")
	if err != nil {
		t.Fatal(err)
	}
	// flock is per open file: a second Lock in this process conflicts too,
	// as a second process would.
	_, err = Lock(dir, "c1", "add-agents")
	var le *LockedError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d, install", os.Getpid())) {
		t.Fatalf("second lock: %v", err)
	}
	unlock()
	unlock2, err := Lock(dir, "c1", "add-agents")
	if err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	unlock2()
}

// A holder killed with -9 releases the lock by dying.
func TestLockOfAKilledHolderIsFree(t *testing.T) {
	if _, err := exec.LookPath("flock"); err != nil {
		t.Skip("needs flock(1) (util-linux)")
	}
	dir := t.TempDir()
	cmd := exec.Command("flock", "-x", dir+"/lock", "-c", "echo locked; exec sleep 60")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // flock's child holds the fd too
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("child: %q %v", line, err)
	}
	if _, err := Lock(dir, "c1", "install"); err == nil {
		t.Fatal("lock taken while another process holds it")
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Wait()
	// The kernel frees the lock when the last holder (flock's child) has
	// exited: poll, bounded.
	var unlock func()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if unlock, err = Lock(dir, "c1", "install"); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("lock after the holder was killed: %v", err)
	}
	unlock()
}
