package tui

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// Prompts of the cluster and vCenter pages.
const (
	promptClusterName     = "Cluster name"
	promptVCenterURL      = "vCenter URL"
	promptVCenterUser     = "vCenter user"
	promptVCenterPassword = "vCenter password"
	promptVCenterStore    = "Keep the vCenter password for later runs in"
	promptTrust           = "How to trust vCenter's certificate"
	promptThumbprint      = "Certificate thumbprint"
	promptCAFile          = "CA bundle (PEM file)"
	promptInsecure        = "Connect without verifying the certificate?"
	promptTrustCert       = "Trust this certificate?"
)

// How vCenter's certificate is trusted.
const (
	trustCheck    = "check"    // a CA the system trusts, else confirm the thumbprint (trust on first use)
	trustPin      = "pin"      // a thumbprint the user already has
	trustCAFile   = "ca"       // a CA bundle file
	trustInsecure = "insecure" // no verification
)

// trustState is the vCenter trust answers, shared by the vCenter pages.
type trustState struct {
	choice     string
	thumbprint string // typed (trustPin)
	caFile     string // typed (trustCAFile)
	insecureOK bool
	// The thumbprint accepted on first use, for that host.
	tofuHost, tofuPin string
}

// vcState is what the wizard knows about its vCenter session.
type vcState struct {
	loggedIn string      // the answers of the session that stands (loginKey)
	pending  *ServerCert // a certificate waiting for the user's trust
}

// applyTrust writes the trust answers into c.VCenter.
func (w *wizard) applyTrust(c *config.Cluster) {
	t := &w.trust
	v := &c.VCenter
	v.Thumbprint, v.CAFile, v.Insecure = "", "", false
	switch t.choice {
	case trustCheck:
		if t.tofuPin != "" && t.tofuHost == hostOf(v.URL) {
			v.Thumbprint = t.tofuPin
		}
	case trustPin:
		v.Thumbprint = strings.TrimSpace(t.thumbprint)
		if tp, err := config.NormalizeThumbprint(v.Thumbprint); err == nil {
			v.Thumbprint = tp
		}
	case trustCAFile:
		v.CAFile = expandPath(t.caFile)
	case trustInsecure:
		v.Insecure = true
	}
}

// vcenterOwns: the vCenter pages show the problems of the connection
// fields.
func vcenterOwns(path string) bool {
	return hasPrefix(path, "vcenter.url", "vcenter.username", "vcenter.password", "vcenter.passwordFile",
		"vcenter.thumbprint", "vcenter.caFile", "vcenter.insecure")
}

type clusterPage struct {
	meta
	name string
}

func (p *clusterPage) load(_ *wizard, c config.Cluster) { p.name = c.Name }
func (p *clusterPage) hidden(*wizard) bool              { return false }
func (p *clusterPage) owns(_ *wizard, path string) bool { return path == "name" }
func (p *clusterPage) fields(_ *wizard, f *fieldSet) {
	f.input(promptClusterName, "Names the VM folder, the state directory .dcos-vsphere/<name>/ and the DC/OS cluster.", &p.name, config.CheckClusterName)
}
func (p *clusterPage) apply(_ *wizard, c *config.Cluster) error {
	c.Name = strings.TrimSpace(p.name)
	return nil
}

type vcenterPage struct {
	meta
	url, user, password, store string
}

func (p *vcenterPage) load(w *wizard, c config.Cluster) {
	v := c.VCenter
	p.url, p.user, p.password, p.store = v.URL, v.Username, v.Password.Value(), storeOf(v.PasswordFile)
	w.trust = trustState{choice: trustCheck, thumbprint: v.Thumbprint, caFile: v.CAFile}
	switch {
	case v.Insecure:
		w.trust.choice = trustInsecure
	case v.CAFile != "":
		w.trust.choice = trustCAFile
	case v.Thumbprint != "":
		w.trust.choice = trustPin
	}
	w.vc = vcState{}
}
func (p *vcenterPage) hidden(*wizard) bool              { return false }
func (p *vcenterPage) owns(_ *wizard, path string) bool { return vcenterOwns(path) }
func (p *vcenterPage) fields(w *wizard, f *fieldSet) {
	f.input(promptVCenterURL, "e.g. https://vcenter.example.com/sdk (a host name alone is enough)", &p.url, func(s string) error {
		return config.CheckVCenterURL(normalizeVCenterURL(s), true)
	})
	f.input(promptVCenterUser, "e.g. administrator@vsphere.local", &p.user, required)
	f.secret(promptVCenterPassword, "used for this run; where it is kept for later runs is asked next", &p.password)
	choose(f, promptVCenterStore, "", &p.store, storeOptions(VCenterPasswordEnv)...)
	choose(f, promptTrust, "", &w.trust.choice,
		option[string]{"check it now: a CA this machine trusts, or confirm its thumbprint (recommended)", trustCheck},
		option[string]{"pin a thumbprint I already have (vSphere client or govc about.cert -thumbprint)", trustPin},
		option[string]{"verify it with a CA bundle file", trustCAFile},
		option[string]{"do not verify it (insecure; labs only)", trustInsecure})
}
func (p *vcenterPage) apply(w *wizard, c *config.Cluster) error {
	w.vc.pending = nil // a certificate shown before is checked again with these answers
	c.VCenter.URL = normalizeVCenterURL(p.url)
	c.VCenter.Username = strings.TrimSpace(p.user)
	c.VCenter.Password, c.VCenter.PasswordFile = secretFor(p.password, p.store, VCenterPasswordEnv, c.Name, "vcenter.password")
	w.applyTrust(c)
	return nil
}

// check logs in unless a trust page follows (it logs in then).
func (p *vcenterPage) check(w *wizard, c *config.Cluster) *job {
	if w.trust.choice != trustCheck {
		return nil
	}
	return w.connect(c)
}

// normalizeVCenterURL completes a bare host name to https://host/sdk.
func normalizeVCenterURL(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	if u, err := url.Parse(s); err == nil && u.Host != "" && (u.Path == "" || u.Path == "/") {
		u.Path = "/sdk"
		return u.String()
	}
	return s
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	if u.Port() == "" {
		return u.Hostname() + ":443"
	}
	return u.Host
}

type thumbprintPage struct{ meta }

func (p *thumbprintPage) load(*wizard, config.Cluster)     {}
func (p *thumbprintPage) hidden(w *wizard) bool            { return w.trust.choice != trustPin }
func (p *thumbprintPage) owns(_ *wizard, path string) bool { return vcenterOwns(path) }
func (p *thumbprintPage) fields(w *wizard, f *fieldSet) {
	f.input(promptThumbprint, "SHA-256 (or SHA-1) of vCenter's certificate, with or without colons", &w.trust.thumbprint, func(s string) error {
		_, err := config.NormalizeThumbprint(s)
		return err
	})
}
func (p *thumbprintPage) apply(w *wizard, c *config.Cluster) error { w.applyTrust(c); return nil }
func (p *thumbprintPage) check(w *wizard, c *config.Cluster) *job  { return w.connect(c) }

type caFilePage struct{ meta }

func (p *caFilePage) load(*wizard, config.Cluster)     {}
func (p *caFilePage) hidden(w *wizard) bool            { return w.trust.choice != trustCAFile }
func (p *caFilePage) owns(_ *wizard, path string) bool { return vcenterOwns(path) }
func (p *caFilePage) fields(w *wizard, f *fieldSet) {
	f.input(promptCAFile, "the CA certificates that issued vCenter's certificate; ~/ is your home directory", &w.trust.caFile, checkCAFile)
}
func (p *caFilePage) apply(w *wizard, c *config.Cluster) error { w.applyTrust(c); return nil }
func (p *caFilePage) check(w *wizard, c *config.Cluster) *job  { return w.connect(c) }

// checkCAFile: the file must hold at least one PEM certificate.
func checkCAFile(s string) error {
	if err := checkFile(s); err != nil {
		return err
	}
	data, err := os.ReadFile(expandPath(s))
	if err != nil {
		return err
	}
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			return fmt.Errorf("%s holds no PEM certificate", expandPath(s))
		}
		if b.Type == "CERTIFICATE" {
			if _, err := x509.ParseCertificate(b.Bytes); err == nil {
				return nil
			}
		}
	}
}

type insecurePage struct{ meta }

func (p *insecurePage) load(*wizard, config.Cluster)     {}
func (p *insecurePage) hidden(w *wizard) bool            { return w.trust.choice != trustInsecure }
func (p *insecurePage) owns(_ *wizard, path string) bool { return vcenterOwns(path) }
func (p *insecurePage) fields(w *wizard, f *fieldSet) {
	w.notes = []string{"⚠ Without verification anyone on the network path can read the vCenter password and change what the installer does. vcenter.insecure: true is for labs."}
	f.confirm(promptInsecure, "", "Yes, do not verify", "No", &w.trust.insecureOK)
}
func (p *insecurePage) apply(w *wizard, c *config.Cluster) error { w.applyTrust(c); return nil }
func (p *insecurePage) check(w *wizard, c *config.Cluster) *job {
	if !w.trust.insecureOK {
		return now(onVCenterPage("Choose how to trust vCenter's certificate."))
	}
	return w.connect(c)
}

// certPage shows a certificate no trusted CA vouches for, for the user to
// compare with what the vSphere client shows and trust (trust on first
// use; the thumbprint is pinned in the saved config).
type certPage struct {
	meta
	trust bool
}

func (p *certPage) load(*wizard, config.Cluster)     {}
func (p *certPage) hidden(w *wizard) bool            { return w.vc.pending == nil }
func (p *certPage) owns(_ *wizard, path string) bool { return vcenterOwns(path) }
func (p *certPage) fields(w *wizard, f *fieldSet) {
	cert := w.vc.pending
	host := hostOf(w.c.VCenter.URL)
	w.notes = []string{
		fmt.Sprintf("%s presents a certificate that this machine cannot verify: %s.", host, cert.Problem),
		"",
		"  SHA-256 thumbprint  " + thumbprintRows(cert.SHA256),
		"  subject             " + cert.Subject,
		"  issuer              " + cert.Issuer,
		"  valid until         " + cert.NotAfter.Format("2006-01-02"),
		"",
		"Compare the thumbprint with the one the vSphere client shows (certificate details) or that `govc about.cert -thumbprint` prints on a trusted machine. Trusting it pins it in cluster.yaml (vcenter.thumbprint): later runs refuse any other certificate.",
	}
	p.trust = false
	f.confirm(promptTrustCert, "", "Yes, trust and pin it", "No", &p.trust)
}
func (p *certPage) apply(w *wizard, c *config.Cluster) error {
	if p.trust {
		c.VCenter.Thumbprint = w.vc.pending.SHA256
	}
	return nil
}
func (p *certPage) check(w *wizard, c *config.Cluster) *job {
	cert := *w.vc.pending
	if !p.trust {
		return now(func(w *wizard) tea.Cmd {
			w.vc.pending = nil
			return w.goTo(pageOf[*vcenterPage](w), "The certificate of "+hostOf(c.VCenter.URL)+" was not trusted. Check the URL, or choose a CA bundle file or a thumbprint you got from the vSphere client.")
		})
	}
	host := hostOf(c.VCenter.URL)
	return w.login(c, func(w *wizard) {
		w.trust.tofuHost, w.trust.tofuPin = host, cert.SHA256
		w.vc.pending = nil
	})
}

// thumbprintRows shows a SHA-256 thumbprint on two rows of 16 pairs, so
// that it fits an 80-column terminal and is easy to compare.
func thumbprintRows(tp string) string {
	if len(tp) != 95 {
		return tp
	}
	return tp[:48] + "\n" + verbatimNote + strings.Repeat(" ", 22) + tp[48:]
}

// connect checks vCenter's certificate without sending anything, then
// logs in, once: with answers unchanged since the last login the session
// stands and nothing is asked of vCenter.
func (w *wizard) connect(c *config.Cluster) *job {
	api := w.defaults.VCenter
	if api == nil || loginKey(c.VCenter) == w.vc.loggedIn {
		return nil
	}
	vc := c.VCenter
	host, ct, lt := hostOf(vc.URL), w.defaults.ConnectTimeout, w.defaults.LookupTimeout
	choice := w.trust.choice
	return &job{
		busy: fmt.Sprintf("Connecting to vCenter %s as %s…", host, vc.Username),
		run: func(ctx context.Context) outcome {
			cctx, cancel := context.WithTimeout(ctx, ct)
			cert, err := api.Certificate(cctx, vc)
			cancel()
			if err != nil {
				return onVCenterPage(explainConnect(err, host, ct))
			}
			if !cert.Trusted {
				return untrusted(c, cert, choice)
			}
			return loginOutcome(ctx, api, c, lt, nil)
		},
	}
}

// login logs in with c's answers (the certificate settled); then runs on
// success before the wizard moves on.
func (w *wizard) login(c *config.Cluster, then func(w *wizard)) *job {
	api := w.defaults.VCenter
	if api == nil {
		return now(func(w *wizard) tea.Cmd { then(w); return w.proceed(c) })
	}
	lt := w.defaults.LookupTimeout
	return &job{
		busy: fmt.Sprintf("Logging in to vCenter %s as %s…", hostOf(c.VCenter.URL), c.VCenter.Username),
		run:  func(ctx context.Context) outcome { return loginOutcome(ctx, api, c, lt, then) },
	}
}

func loginOutcome(ctx context.Context, api VCenter, c *config.Cluster, timeout time.Duration, then func(w *wizard)) outcome {
	lctx, cancel := context.WithTimeout(ctx, timeout)
	err := api.Login(lctx, c.VCenter)
	cancel()
	host, user := hostOf(c.VCenter.URL), c.VCenter.Username
	switch {
	case errors.Is(err, ErrLoginRefused):
		return func(w *wizard) tea.Cmd {
			if then != nil {
				then(w) // the certificate was trusted all the same
			}
			pageOf[*vcenterPage](w).password = ""
			return w.goTo(pageOf[*vcenterPage](w), fmt.Sprintf("vCenter %s refused the login of %s: the user name or password is wrong. "+
				"Type the password again (user names look like administrator@vsphere.local). Repeated failures can lock the account under vCenter's SSO lockout policy.", host, user))
		}
	case err != nil:
		return onVCenterPage(explainConnect(err, host, timeout))
	}
	key := loginKey(c.VCenter)
	return func(w *wizard) tea.Cmd {
		if then != nil {
			then(w)
		}
		if w.vc.loggedIn != key {
			w.inv = inventory{} // another vCenter, or another user's view of it
		}
		w.vc.loggedIn = key
		return w.proceed(c)
	}
}

// untrusted decides what an unverified certificate means for the way the
// user chose to trust vCenter.
func untrusted(c *config.Cluster, cert ServerCert, choice string) outcome {
	host := hostOf(c.VCenter.URL)
	switch choice {
	case trustPin:
		return func(w *wizard) tea.Cmd {
			return w.stay(fmt.Sprintf("%s presents a certificate with SHA-256 thumbprint %s, which is not the thumbprint given (%s). "+
				"Check the thumbprint; if vCenter's certificate was replaced, choose \"check it now\" on the vCenter page to confirm the new one.", host, cert.SHA256, c.VCenter.Thumbprint))
		}
	case trustCAFile:
		return func(w *wizard) tea.Cmd {
			return w.stay(fmt.Sprintf("The certificate of %s does not verify with %s: %s. Give the CA bundle that issued it, or choose \"check it now\" on the vCenter page to confirm its thumbprint.",
				host, c.VCenter.CAFile, cert.Problem))
		}
	}
	return func(w *wizard) tea.Cmd {
		w.vc.pending = &cert
		return w.proceed(c) // on to the certificate page, which now applies
	}
}

// onVCenterPage shows a connection problem on the vCenter page.
func onVCenterPage(problem string) outcome {
	return func(w *wizard) tea.Cmd { return w.goTo(pageOf[*vcenterPage](w), problem) }
}

// loginKey identifies the answers a session was opened with.
func loginKey(v config.VCenter) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{v.URL, v.Username, v.Password.Value(), v.PasswordFile, v.Thumbprint, v.CAFile, fmt.Sprint(v.Insecure)}, "\x00")))
	return string(sum[:])
}

// explainConnect says why vCenter could not be reached, with the fix.
func explainConnect(err error, host string, timeout time.Duration) string {
	var dnsErr *net.DNSError
	var recErr tls.RecordHeaderError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return fmt.Sprintf("vCenter %s did not answer within %s. Check the URL, and that this machine can reach vCenter on that port (firewall, VPN, proxy).", host, timeout)
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("Cannot resolve %s (%v): check the host name in the URL.", dnsErr.Name, dnsErr.Err)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("Nothing accepts connections on %s (connection refused): check the host and port in the URL.", host)
	case errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH):
		return fmt.Sprintf("No route to %s: check the URL, and this machine's network (VPN, routes).", host)
	case errors.As(err, &recErr) || strings.Contains(err.Error(), "first record does not look like a TLS handshake"):
		return fmt.Sprintf("%s does not speak TLS: vCenter's URL is https://<host>/sdk (check the port).", host)
	}
	return fmt.Sprintf("Cannot connect to vCenter %s: %v", host, err)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
