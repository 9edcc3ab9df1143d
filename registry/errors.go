package registry

import (
	"fmt"
	"strings"
)

// Kind classifies why a registry check failed, so that callers (and the
// CLI's exit code) can tell a wrong password from a network problem.
type Kind string

// The kinds of Error. Each has its own message telling the admin what to do.
const (
	// KindConnection: nothing answers at the registry's address (refused,
	// timed out, unreachable).
	KindConnection Kind = "connection"
	// KindUnknownRegistry: DNS has no such host.
	KindUnknownRegistry Kind = "unknown-registry"
	// KindTLS: the registry's certificate is not trusted, is for another
	// name, has expired, or the server does not speak TLS.
	KindTLS Kind = "tls"
	// KindNotRegistry: something answers, but not the Docker registry API.
	KindNotRegistry Kind = "not-a-registry"
	// KindUnauthorized: the token service refused the user name or password.
	KindUnauthorized Kind = "unauthorized"
	// KindExpired: the service principal's secret has expired.
	KindExpired Kind = "expired"
	// KindDenied: logged in, but not allowed to pull (or push) there.
	KindDenied Kind = "denied"
	// KindNotFound: the repository or tag does not exist.
	KindNotFound Kind = "not-found"
	// KindConflict: the change would overwrite what must stay (a version
	// tag that names another build).
	KindConflict Kind = "conflict"
	// KindOther: anything else (the message says what).
	KindOther Kind = "other"
)

// Error is a failed registry check. Its message names the registry, what
// was being done and what to change; it never holds a password or token.
type Error struct {
	Kind Kind
	// Server is the registry (host[:port]); Op what failed ("connect",
	// "log in", "pull samples/hello:1.0", "push check samples/hello").
	Server, Op string
	// Reason is what the registry or the network said; Hint what to do.
	Reason, Hint string
	// Err is the underlying error, for errors.Is/As. Its text is not part
	// of Error() (it may be long and repeats Reason).
	Err error
}

// Error is "registry HOST: OP: REASON. HINT".
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "registry %s: %s: %s", e.Server, e.Op, e.Reason)
	if e.Hint != "" {
		b.WriteString(". ")
		b.WriteString(strings.ToUpper(e.Hint[:1]) + e.Hint[1:])
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// ExitCode is the CLI's exit code for the failure: 3 for connection, TLS
// and authentication problems, 2 for a change that conflicts with what
// exists, 1 when the registry works but the image is missing (or
// anything else).
func (e *Error) ExitCode() int {
	switch e.Kind {
	case KindConnection, KindUnknownRegistry, KindTLS, KindNotRegistry, KindUnauthorized, KindExpired, KindDenied:
		return 3
	case KindConflict:
		return 2
	}
	return 1
}

// Is makes errors.Is(err, &Error{Kind: k}) match any Error of kind k.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind && t.Server == "" && t.Op == ""
}
