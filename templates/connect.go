package templates

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/session/keepalive"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/soap"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// DefaultKeepAlive is how often an idle session is touched; vCenter's own
// idle timeout defaults to 30 minutes.
const DefaultKeepAlive = 5 * time.Minute

// maxIdleConns bounds idle TLS connections kept to vCenter.
const maxIdleConns = 64

// Options configures Connect.
type Options struct {
	// VCenter gives URL, Username, Password (or PasswordFile), CAFile,
	// Thumbprint and Insecure; the inventory fields are used by Preflight.
	VCenter config.VCenter
	// KeepAlive is the idle interval between keep-alive calls: 0 means
	// DefaultKeepAlive, negative turns keep-alive off (tests of expiry).
	KeepAlive time.Duration
	// Timeout bounds connecting and logging in; default 30s.
	Timeout time.Duration
	// Warn receives warnings (e.g. TLS verification disabled). May be nil.
	Warn func(string)
}

// Session is the one vCenter session all work shares. It logs in again by
// itself when vCenter says NotAuthenticated (expired or terminated).
type Session struct {
	client  *vim25.Client
	url     string // without credentials, for messages
	relogin *reloginRoundTripper
	ka      *keepalive.HandlerSOAP
	warn    func(string) // Options.Warn; may be nil
}

// warnf reports a warning through Options.Warn, if set.
func (s *Session) warnf(format string, args ...any) {
	if s.warn != nil {
		s.warn(fmt.Sprintf(format, args...))
	}
}

// Client is the underlying vim25 client (its RoundTripper re-logs in).
func (s *Session) Client() *vim25.Client { return s.client }

// URL is the vCenter SDK URL without credentials.
func (s *Session) URL() string { return s.url }

// Relogins is how many times the session logged in again after expiry.
func (s *Session) Relogins() int64 { return s.relogin.count.Load() }

// generation changes on every re-login; waits that depend on session-scoped
// objects (property collectors) restart when it changed.
func (s *Session) generation() uint64 { return s.relogin.gen.Load() }

// Close logs out and stops the keep-alive.
func (s *Session) Close(ctx context.Context) error {
	defer s.ka.Stop()
	if err := session.NewManager(s.client).Logout(ctx); err != nil {
		return fmt.Errorf("log out of %s: %w", s.url, err)
	}
	return nil
}

// Connect verifies vCenter's certificate, logs in and returns the shared
// session. Failures are *ConnectError (exit code 3). The password never
// appears in errors or warnings.
func Connect(ctx context.Context, opts Options) (*Session, error) {
	vc := opts.VCenter
	if opts.Timeout == 0 {
		opts.Timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()

	u, user, pass, err := loginURL(vc)
	if err != nil {
		return nil, &ConnectError{URL: redactURL(vc.URL), Err: err}
	}
	shown := u.String()
	fail := func(err error, hint string) (*Session, error) {
		return nil, &ConnectError{URL: shown, Err: err, Hint: hint}
	}
	if user == "" {
		return fail(errors.New("vcenter.username is empty (or set GOVC_USERNAME)"), "")
	}

	pinned := ""
	if vc.Thumbprint != "" {
		if pinned, err = normalizeThumbprint(vc.Thumbprint); err != nil {
			return fail(err, "")
		}
	}
	// With a pin, the pin alone decides (a different cert is refused even if
	// a CA trusts it); otherwise the CA file or the system roots decide.
	sc := soap.NewClient(u, vc.Insecure || pinned != "")
	// Concurrent clones keep many calls (long-polls included) in flight;
	// idle connections beyond Go's default of 2 per host would be closed
	// and re-handshaken over and over.
	sc.DefaultTransport().MaxIdleConnsPerHost = maxIdleConns
	switch {
	case pinned != "":
		sc.DefaultTransport().TLSClientConfig.VerifyPeerCertificate = pinVerifier(pinned)
	case vc.Insecure:
		if opts.Warn != nil {
			opts.Warn(fmt.Sprintf("vcenter.insecure is set: the certificate of %s is NOT verified; pin vcenter.thumbprint instead", u.Host))
		}
	}
	if vc.CAFile != "" && pinned == "" && !vc.Insecure {
		if err := sc.SetRootCAs(vc.CAFile); err != nil {
			return fail(fmt.Errorf("load vcenter.caFile %s: %w", vc.CAFile, err), "")
		}
	}

	vim, err := vim25.NewClient(ctx, sc)
	if err != nil {
		hint, err := explainTLS(ctx, err, u, vc)
		return fail(err, hint)
	}
	ka := keepalive.NewHandlerSOAP(sc, keepAliveInterval(opts.KeepAlive), nil)
	var inner soap.RoundTripper = sc
	if opts.KeepAlive >= 0 {
		inner = ka
	}
	direct := *vim // same client, but without the re-login wrapper
	direct.RoundTripper = inner
	active := func(ctx context.Context) bool {
		us, err := session.NewManager(&direct).UserSession(ctx)
		return err == nil && us != nil
	}
	rl := newReloginRoundTripper(inner, vim.ServiceContent.SessionManager.Reference(), user, pass, active)
	vim.RoundTripper = rl

	if err := session.NewManager(vim).Login(ctx, url.UserPassword(user, pass)); err != nil {
		return fail(fmt.Errorf("log in as %s: %w", user, err), "Check vcenter.username and the password (vcenter.password / passwordFile / GOVC_PASSWORD).")
	}
	return &Session{client: vim, url: shown, relogin: rl, ka: ka, warn: opts.Warn}, nil
}

func keepAliveInterval(d time.Duration) time.Duration {
	if d <= 0 {
		return DefaultKeepAlive
	}
	return d
}

// loginURL parses the SDK URL, moves credentials out of it, and fills the
// password from the Secret or the password file.
func loginURL(vc config.VCenter) (u *url.URL, user, pass string, err error) {
	if vc.URL == "" {
		return nil, "", "", errors.New("vcenter.url is empty (or set GOVC_URL)")
	}
	u, err = soap.ParseURL(vc.URL)
	if err != nil || u == nil {
		return nil, "", "", fmt.Errorf("vcenter.url: cannot parse %s", redactURL(vc.URL))
	}
	user, pass = vc.Username, vc.Password.Value()
	if u.User != nil {
		if user == "" {
			user = u.User.Username()
		}
		if p, ok := u.User.Password(); ok && pass == "" {
			pass = p
		}
		u.User = nil
	}
	if pass == "" && vc.PasswordFile != "" {
		b, err := os.ReadFile(vc.PasswordFile)
		if err != nil {
			return nil, "", "", fmt.Errorf("read vcenter.passwordFile %s: %w", vc.PasswordFile, err)
		}
		pass = strings.TrimRight(string(b), "\r\n")
	}
	return u, user, pass, nil
}

// redactURL drops any user info so a URL can be shown.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User = nil
	return u.String()
}

// explainTLS turns certificate failures into an error plus a hint that
// shows the server's thumbprint and how to pin it.
func explainTLS(ctx context.Context, err error, u *url.URL, vc config.VCenter) (string, error) {
	var mismatch *ThumbprintMismatchError
	if errors.As(err, &mismatch) {
		return pinHint(mismatch.Got), mismatch
	}
	if soap.IsCertificateUntrusted(err) || errors.As(err, new(x509.UnknownAuthorityError)) {
		tp, _ := probeThumbprint(ctx, hostPort(u))
		what := "certificate is not signed by a trusted CA"
		if errors.As(err, new(x509.HostnameError)) {
			what = "certificate is not valid for host " + u.Hostname()
		} else if vc.CAFile != "" {
			what = "certificate is not signed by a CA in vcenter.caFile " + vc.CAFile
		}
		if tp != "" {
			what += " (server SHA-256 thumbprint " + tp + ")"
		}
		return pinHint(tp), fmt.Errorf("%s: %w", what, err)
	}
	return "", err
}

func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	return u.Host + ":443"
}
