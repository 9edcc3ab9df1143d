package ssh

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// DefaultTailLines is how many last output lines a Result keeps.
const DefaultTailLines = 20

// maxCaptureBytes bounds RunOptions.CaptureStdout.
const maxCaptureBytes = 4 << 20

// RunOptions tune one command. The command's timeout is the context's.
type RunOptions struct {
	// Sudo runs the command as root: `sudo -n`, or `sudo -S` with
	// Config.SudoPassword fed on stdin.
	Sudo bool
	// OnLine receives every output line, redacted, in order per stream
	// ("stdout" or "stderr"); calls are never concurrent.
	OnLine func(stream, line string)
	// TailLines is how many last lines Result.Tail keeps (default 20).
	TailLines int
	// CaptureStdout keeps stdout (redacted, up to 4 MiB) in Result.Stdout.
	CaptureStdout bool
}

// Result is what a finished command left.
type Result struct {
	ExitStatus int
	Tail       []string // last lines of stdout and stderr, redacted
	Stdout     string   // with RunOptions.CaptureStdout
	Duration   time.Duration
}

// watchdog runs the command ($1) under `bash -euo pipefail` in its own
// process group, and kills that group when our stdin closes: that is how a
// timeout or a lost connection ends the whole command, even under sudo
// where the SSH signal request cannot reach it. Before that it prints a
// marker on stderr so we know sudo let us through. One line: csh-safe.
const watchdog = `exec 3<&0; printf '%s\n' "$0" >&2; ` +
	`setsid bash --norc -euo pipefail -c "$1" </dev/null & p=$!; ` +
	`{ while IFS= read -r _ <&3; do :; done; kill -KILL -- -"$p" "$p" 2>/dev/null; } & w=$!; ` +
	`exec 3<&-; wait "$p" 2>/dev/null; rc=$?; kill "$w" 2>/dev/null; exit "$rc"`

// Run runs cmd on the host with `bash -euo pipefail -c`, optionally as root,
// streaming its output line by line. A non-zero exit, a timeout (ctx) or a
// lost connection is a *CommandError; sudo refusing is a *SudoError.
func (c *Client) Run(ctx context.Context, cmd string, opts RunOptions) (Result, error) {
	start := time.Now()
	if opts.TailLines == 0 {
		opts.TailLines = DefaultTailLines
	}
	marker := "dcos-vsphere-start-" + randomHex(8)
	sink := &lineSink{redactor: c.cfg.Redactor, onLine: opts.OnLine, tailMax: opts.TailLines,
		marker: marker, sudoFail: make(chan struct{})}
	if opts.CaptureStdout {
		sink.capture = &strings.Builder{}
	}
	cmdErr := func(status int, cause error) *CommandError {
		tail, _ := sink.snapshot()
		if cause != nil && c.cfg.Redactor.Redact(cause.Error()) != cause.Error() {
			cause = errors.New(c.cfg.Redactor.Redact(cause.Error()))
		}
		return &CommandError{Target: c.target, Command: summarize(cmd, c.cfg.Redactor),
			ExitStatus: status, Tail: tail, Err: cause}
	}
	if err := ctx.Err(); err != nil {
		return Result{ExitStatus: -1}, cmdErr(-1, err)
	}

	sess, err := c.conn.NewSession()
	if err != nil {
		cause := fmt.Errorf("open session: %w", err)
		if dead := c.Err(); dead != nil {
			cause = fmt.Errorf("open session: %w", dead)
		}
		return Result{ExitStatus: -1}, cmdErr(-1, cause)
	}
	defer sess.Close()
	stdin, err := sess.StdinPipe()
	if err != nil {
		return Result{ExitStatus: -1}, cmdErr(-1, err)
	}
	stdout := &streamWriter{sink: sink, stream: "stdout"}
	stderr := &streamWriter{sink: sink, stream: "stderr"}
	sess.Stdout, sess.Stderr = stdout, stderr

	remote := "bash --norc -c " + shellQuote(watchdog) + " " + marker + " " + shellQuote(cmd)
	withPassword := opts.Sudo && c.cfg.SudoPassword != ""
	switch {
	case withPassword:
		remote = "sudo -S -p '' -- " + remote
	case opts.Sudo:
		remote = "sudo -n -- " + remote
	}
	if err := sess.Start(remote); err != nil {
		return Result{ExitStatus: -1}, cmdErr(-1, fmt.Errorf("start: %w", err))
	}
	if withPassword {
		if _, err := io.WriteString(stdin, c.cfg.SudoPassword+"\n"); err != nil {
			return Result{ExitStatus: -1}, cmdErr(-1, fmt.Errorf("send sudo password: %w", err))
		}
	}
	waitErr := make(chan error, 1)
	go func() { waitErr <- sess.Wait() }()

	var stopCause error
	select {
	case err = <-waitErr:
	case <-ctx.Done():
		stopCause = ctx.Err()
	case <-sink.sudoFail:
		stopCause = errSudoWrongPassword
	case <-c.done:
		stopCause = c.Err()
	}
	if stopCause != nil {
		// EOF on stdin makes the watchdog kill the command's process group
		// (and makes sudo stop asking); closing the session ends the rest.
		stdin.Close()
		select {
		case err = <-waitErr:
		case <-time.After(5 * time.Second):
			sess.Close()
			select {
			case err = <-waitErr:
			case <-time.After(5 * time.Second):
				err = errors.New("session did not close")
			}
		}
	}
	stdout.flush()
	stderr.flush()
	tail, sawMark := sink.snapshot()
	res := Result{ExitStatus: -1, Tail: tail, Duration: time.Since(start)}
	if sink.capture != nil {
		res.Stdout = sink.capture.String()
	}
	var exitErr *gossh.ExitError
	switch {
	case err == nil:
		res.ExitStatus = 0
	case errors.As(err, &exitErr):
		res.ExitStatus = exitErr.ExitStatus()
	}
	if opts.Sudo && !sawMark && (stopCause == errSudoWrongPassword || res.ExitStatus != 0) {
		if sudoErr := c.classifySudo(tail, withPassword, stopCause); sudoErr != nil {
			return res, sudoErr
		}
	}
	switch {
	case stopCause != nil:
		return res, cmdErr(-1, stopCause)
	case err != nil && res.ExitStatus < 0:
		return res, cmdErr(-1, err)
	case res.ExitStatus != 0:
		return res, cmdErr(res.ExitStatus, nil)
	}
	return res, nil
}

var errSudoWrongPassword = errors.New("sudo asked for the password again")

// classifySudo explains why sudo did not start the wrapper.
func (c *Client) classifySudo(tail []string, withPassword bool, stopCause error) error {
	who := c.cfg.User + "@" + c.cfg.Host
	text := strings.Join(tail, "\n")
	switch {
	case stopCause == errSudoWrongPassword || strings.Contains(text, "incorrect password") ||
		(withPassword && strings.Contains(text, "no password was provided")):
		return &SudoError{Target: who, Reason: "wrong password for " + who}
	case strings.Contains(text, "a password is required") || strings.Contains(text, "a terminal is required"):
		return &SudoError{Target: who, Reason: "a password is required for " + who +
			" (passwordless sudo is not set up there; set ssh.sudoPassword)"}
	case strings.Contains(text, "must have a tty"):
		return &SudoError{Target: who, Reason: "sudo on " + who + " requires a terminal (Defaults requiretty); remove requiretty for this user in /etc/sudoers"}
	case strings.Contains(text, "not in the sudoers") || strings.Contains(text, "not allowed to execute"):
		return &SudoError{Target: who, Reason: who + " may not run commands as root: " + c.cfg.Redactor.Redact(lastLine(tail))}
	}
	return nil
}

func lastLine(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return lines[len(lines)-1]
}

// shellQuote quotes s for a POSIX shell as one word.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
