package ssh

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

type lineLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *lineLog) add(stream, line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, stream+": "+line)
}

func (l *lineLog) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func TestRunStreamsLinesInOrder(t *testing.T) {
	s := startSSHD(t, sshdOptions{})
	c := dialT(t, s.config(t))
	var got []string
	res := runT(t, c, "for i in $(seq 1 500); do echo \"line $i\"; done; printf 'no newline'", RunOptions{
		OnLine: func(stream, line string) {
			if stream == "stdout" {
				got = append(got, line)
			}
		},
	})
	if len(got) != 501 {
		t.Fatalf("got %d lines, want 501", len(got))
	}
	for i := range 500 {
		if got[i] != "line "+strconv.Itoa(i+1) {
			t.Fatalf("line %d = %q", i, got[i])
		}
	}
	if got[500] != "no newline" || res.ExitStatus != 0 || len(res.Tail) != DefaultTailLines || res.Tail[DefaultTailLines-1] != "no newline" {
		t.Errorf("last line %q, status %d, tail %q", got[500], res.ExitStatus, res.Tail)
	}
}

func TestRunUsesBashStrictMode(t *testing.T) {
	s := startSSHD(t, sshdOptions{})
	c := dialT(t, s.config(t))
	// pipefail: the failing first stage fails the pipeline; -e stops before echo.
	_, err := c.Run(context.Background(), "false | cat\necho not-reached", RunOptions{})
	var ce *CommandError
	if !errors.As(err, &ce) || ce.ExitStatus != 1 || strings.Contains(err.Error(), "not-reached") {
		t.Fatalf("want exit status 1 from pipefail, got %v", err)
	}
	// -u: an unset variable is an error. Quotes survive.
	_, err = c.Run(context.Background(), `echo "it's $UNSET_VARIABLE_X"`, RunOptions{})
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "unbound variable") {
		t.Fatalf("want unbound variable error, got %v", err)
	}
	res := runT(t, c, `printf '%s|' "a b" 'c'"'"'d'`, RunOptions{CaptureStdout: true})
	if res.Stdout != "a b|c'd|\n" {
		t.Errorf("quoting: got %q", res.Stdout)
	}
}

func TestRunExitCodeErrorCarriesLastLines(t *testing.T) {
	s := startSSHD(t, sshdOptions{})
	c := dialT(t, s.config(t))
	_, err := c.Run(context.Background(), "echo first; echo second; echo last\nexit 7", RunOptions{TailLines: 2})
	var ce *CommandError
	if !errors.As(err, &ce) {
		t.Fatalf("want *CommandError, got %T %v", err, err)
	}
	if ce.ExitStatus != 7 || ce.Target != testUser+"@127.0.0.1:"+strconv.Itoa(s.port) || ce.Command != "echo first; echo second; echo last ..." {
		t.Errorf("error fields: %+v", ce)
	}
	if strings.Join(ce.Tail, ",") != "second,last" || !strings.HasSuffix(err.Error(), "last output:\n    second\n    last") {
		t.Errorf("tail = %q; error:\n%v", ce.Tail, err)
	}
	_, err = c.Run(context.Background(), "echo boom >&2; exit 2", RunOptions{})
	if !errors.As(err, &ce) || ce.ExitStatus != 2 || strings.Join(ce.Tail, ",") != "boom" {
		t.Errorf("stderr tail: %v", err)
	}
}

func TestRunTimeoutKillsCommand(t *testing.T) {
	s := startSSHD(t, sshdOptions{})
	c := dialT(t, s.config(t))
	pidCh := make(chan int, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Run(ctx, "sleep 300 & echo \"pid $!\"; wait", RunOptions{OnLine: func(_, line string) {
		if p, ok := strings.CutPrefix(line, "pid "); ok {
			n, _ := strconv.Atoi(p)
			pidCh <- n
		}
	}})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want deadline exceeded, got %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Run returned %s after the deadline", d)
	}
	pid := <-pidCh
	deadline := time.Now().Add(10 * time.Second)
	for processAlive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("remote sleep (pid %d) still running 10s after the timeout", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The connection is still usable.
	if got := whoami(t, c); got != testUser {
		t.Errorf("after timeout: %q", got)
	}
}

// processAlive reports whether pid exists and is not a zombie.
func processAlive(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	f := strings.Fields(string(data))
	return len(f) > 2 && f[2] != "Z"
}

func TestRunSudoPasswordless(t *testing.T) {
	f := needFixture(t)
	s := startSSHD(t, sshdOptions{})
	c := dialT(t, s.config(t))
	_, err := c.Run(context.Background(), "id -u", RunOptions{Sudo: true})
	var se *SudoError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "a password is required for "+testUser+"@127.0.0.1") {
		t.Fatalf("sudo -n without sudoers rule: got %v", err)
	}
	f.sudoers(t, true)
	res := runT(t, c, "id -u", RunOptions{Sudo: true, CaptureStdout: true})
	if res.Stdout != "0\n" {
		t.Fatalf("sudo id -u = %q", res.Stdout)
	}
}

func TestRunSudoWithPassword(t *testing.T) {
	f := needFixture(t)
	f.sudoers(t, false)
	s := startSSHD(t, sshdOptions{})
	cfg := s.config(t)
	cfg.SudoPassword = f.password
	c := dialT(t, cfg)
	res := runT(t, c, "id -u; cat", RunOptions{Sudo: true, CaptureStdout: true})
	if res.Stdout != "0\n" {
		t.Fatalf("sudo -S: stdout %q (the command must not see the password on stdin)", res.Stdout)
	}
	// The password must also work when sudo does not ask for it.
	f.sudoers(t, true)
	res = runT(t, c, "id -u", RunOptions{Sudo: true, CaptureStdout: true})
	if res.Stdout != "0\n" {
		t.Fatalf("sudo without prompt: %q", res.Stdout)
	}
}

func TestRunSudoWrongPassword(t *testing.T) {
	f := needFixture(t)
	f.sudoers(t, false)
	s := startSSHD(t, sshdOptions{})
	cfg := s.config(t)
	cfg.SudoPassword = "wrong-sudo-pw"
	c := dialT(t, cfg)
	var lines lineLog
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	_, err := c.Run(ctx, "id -u", RunOptions{Sudo: true, OnLine: lines.add})
	var se *SudoError
	if !errors.As(err, &se) || err.Error() != "sudo: wrong password for "+testUser+"@127.0.0.1" || se.ExitCode() != 3 {
		t.Fatalf("got %T %v", err, err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("took %s; sudo must not wait for more attempts", d)
	}
	if strings.Contains(lines.all(), "wrong-sudo-pw") {
		t.Errorf("password in output: %s", lines.all())
	}
}

func TestSudoPasswordNotInProcessList(t *testing.T) {
	f := needFixture(t)
	f.sudoers(t, false)
	s := startSSHD(t, sshdOptions{})
	cfg := s.config(t)
	cfg.SudoPassword = f.password
	c := dialT(t, cfg)
	release := filepath.Join(f.userDir(t), "release")
	ready := make(chan struct{})
	var once sync.Once
	var lines lineLog
	errc := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := fmt.Sprintf("ps -eo args; echo ready; for i in $(seq 600); do [ -e %s ] && exit 0; sleep 0.05; done; exit 9", release)
		_, err := c.Run(ctx, cmd, RunOptions{Sudo: true, TailLines: 1000, OnLine: func(stream, line string) {
			lines.add(stream, line)
			if line == "ready" {
				once.Do(func() { close(ready) })
			}
		}})
		errc <- err
	}()
	select {
	case <-ready:
	case err := <-errc:
		t.Fatalf("command ended early: %v\n%s", err, lines.all())
	case <-time.After(30 * time.Second):
		t.Fatal("command not ready within 30s")
	}
	// While sudo and the command run: every process's arguments and environment.
	ps, err := exec.Command("ps", "-eww", "-o", "args").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ps), "sudo -S") {
		t.Errorf("sudo -S not running during the check:\n%s", ps)
	}
	if strings.Contains(string(ps), f.password) {
		t.Errorf("sudo password visible in ps output")
	}
	environs, _ := filepath.Glob("/proc/[0-9]*/environ")
	for _, e := range environs {
		if data, err := os.ReadFile(e); err == nil && strings.Contains(string(data), f.password) {
			t.Errorf("sudo password in %s", e)
		}
	}
	os.WriteFile(release, nil, 0o644)
	if err := <-errc; err != nil {
		t.Fatalf("command: %v", err)
	}
	if strings.Contains(lines.all(), f.password) {
		t.Errorf("password in remote ps output")
	}
	if !strings.Contains(lines.all(), "ps -eo args") {
		t.Errorf("remote ps output missing:\n%s", lines.all())
	}
}

func TestRunRedactsSecrets(t *testing.T) {
	s := startSSHD(t, sshdOptions{})
	cfg := s.config(t)
	cfg.Redactor = NewRedactor("tok-S3cr3t-42")
	c := dialT(t, cfg)
	var lines lineLog
	res, err := c.Run(context.Background(), "echo token=tok-S3cr3t-42; echo tok-S3cr3t-42 >&2; exit 4", RunOptions{OnLine: lines.add, CaptureStdout: true})
	if err == nil {
		t.Fatal("want an exit error")
	}
	all := lines.all() + err.Error() + strings.Join(res.Tail, "\n") + res.Stdout
	if strings.Contains(all, "tok-S3cr3t-42") {
		t.Fatalf("secret leaked:\n%s", all)
	}
	if !strings.Contains(lines.all(), "stdout: token="+Redacted) || !strings.Contains(lines.all(), "stderr: "+Redacted) {
		t.Errorf("lines: %s", lines.all())
	}
}

func TestKeepaliveDeclaresDeadConnection(t *testing.T) {
	s := startSSHD(t, sshdOptions{})
	cfg := s.config(t)
	cfg.KeepaliveInterval = 100 * time.Millisecond
	cfg.KeepaliveMaxMisses = 3
	c := dialT(t, cfg)
	// A command round trip first: sshd forks its post-auth session process
	// only after the client already sees the login succeed, and under load
	// that process might not exist yet when we look for it.
	if _, err := c.Run(context.Background(), "true", RunOptions{}); err != nil {
		t.Fatal(err)
	}
	// Freeze sshd's session processes: keepalives go unanswered.
	pids := descendants(s.cmd.Process.Pid)
	if len(pids) == 0 {
		t.Fatal("no sshd session process found")
	}
	for _, pid := range pids {
		proc, _ := os.FindProcess(pid)
		proc.Signal(syscall.SIGSTOP)
		t.Cleanup(func() { proc.Signal(syscall.SIGCONT) })
	}
	deadline := time.Now().Add(10 * time.Second)
	for c.Err() == nil {
		if time.Now().After(deadline) {
			t.Fatal("connection not declared dead 10s after sshd stopped answering")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(c.Err().Error(), "keepalives unanswered") {
		t.Errorf("Err = %v", c.Err())
	}
	if _, err := c.Run(context.Background(), "true", RunOptions{}); err == nil {
		t.Error("Run on a dead connection succeeded")
	}
}

// descendants lists the process tree below pid (via pgrep -P).
func descendants(pid int) []int {
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		kids, _ := exec.Command("pgrep", "-P", strconv.Itoa(p)).Output()
		for _, k := range strings.Fields(string(kids)) {
			n, _ := strconv.Atoi(k)
			out = append(out, n)
			queue = append(queue, n)
		}
	}
	return out
}
