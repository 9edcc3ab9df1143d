package ssh

import (
	"fmt"
	"strings"
)

// ConnectError is a failure to connect or authenticate to a host. Its
// ExitCode is the CLI's exit code for connection and auth failures.
type ConnectError struct {
	Target   string // user@host:port, no secret
	Attempts int
	Err      error
}

func (e *ConnectError) Error() string {
	s := "ssh " + e.Target + ": " + e.Err.Error()
	if e.Attempts > 1 {
		s += fmt.Sprintf(" (gave up after %d attempts)", e.Attempts)
	}
	return s
}

func (e *ConnectError) Unwrap() error { return e.Err }

// ExitCode is 3: connection or authentication failure.
func (e *ConnectError) ExitCode() int { return 3 }

// HostKeyMismatchError says a host presented a key other than the one
// recorded for it in known_hosts. It is never retried.
type HostKeyMismatchError struct {
	Host      string // as written in known_hosts: "198.18.0.21" or "[198.18.0.21]:2222"
	File      string
	Presented string // "ssh-ed25519 SHA256:..."
	Known     []KnownHostKey
}

// KnownHostKey is one entry of known_hosts recorded for a host.
type KnownHostKey struct {
	Line        int
	Fingerprint string // "ssh-ed25519 SHA256:..."
}

func (e *HostKeyMismatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "known_hosts: host key for %s has changed: the host presents %s but", e.Host, e.Presented)
	for i, k := range e.Known {
		if i > 0 {
			b.WriteString(" and")
		}
		fmt.Fprintf(&b, " %s:%d has %s", e.File, k.Line, k.Fingerprint)
	}
	fmt.Fprintf(&b, ". If this host was legitimately re-created, remove the old entry with `ssh-keygen -R '%s' -f %s` and run again; otherwise someone may be intercepting the connection", e.Host, e.File)
	return b.String()
}

// ExitCode is 3: connection failure.
func (e *HostKeyMismatchError) ExitCode() int { return 3 }

// CommandError is a remote command that exited non-zero, was killed, or
// timed out. Command and Tail are already redacted.
type CommandError struct {
	Target     string // user@host:port
	Command    string // first line of the command, shortened
	ExitStatus int    // -1 when there is none (timeout, lost connection)
	Tail       []string
	Err        error // cause when there is no exit status (context, connection)
}

func (e *CommandError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: command %q ", e.Target, e.Command)
	if e.Err != nil {
		b.WriteString("failed: " + e.Err.Error())
	} else {
		fmt.Fprintf(&b, "exited with status %d", e.ExitStatus)
	}
	if len(e.Tail) > 0 {
		b.WriteString("; last output:")
		for _, l := range e.Tail {
			b.WriteString("\n    " + l)
		}
	}
	return b.String()
}

func (e *CommandError) Unwrap() error { return e.Err }

// SudoError is sudo refusing to run a command: wrong password, or a
// password needed where none was given.
type SudoError struct {
	Target string // user@host, as in "sudo: wrong password for centos@198.18.0.21"
	Reason string
}

func (e *SudoError) Error() string { return "sudo: " + e.Reason }

// ExitCode is 3: an authentication failure.
func (e *SudoError) ExitCode() int { return 3 }

func summarize(cmd string, r *Redactor) string {
	cmd = strings.TrimSpace(r.Redact(cmd))
	if i := strings.IndexByte(cmd, '\n'); i >= 0 {
		cmd = cmd[:i] + " ..."
	}
	if len(cmd) > 100 {
		cmd = cmd[:97] + "..."
	}
	return cmd
}
