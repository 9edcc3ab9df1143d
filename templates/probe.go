package templates

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// Certificate is vCenter's TLS certificate as a client sees it before
// sending anything, and whether the trust settings it was checked with
// accept it.
type Certificate struct {
	SHA256, SHA1    string // vCenter-style thumbprints (colon-separated hex)
	Subject, Issuer string
	NotAfter        time.Time
	// Trusted says whether the settings accept the certificate as Connect
	// would; Problem says why not.
	Trusted bool
	Problem string
}

// ProbeCertificate connects to vc.URL's host with TLS, sends nothing over
// the connection (no request, no credentials) and checks the server's
// certificate the way Connect will: against vc.Thumbprint when pinned,
// else vc.CAFile, else the system's CAs; vc.Insecure accepts any. The
// context bounds the dial and the handshake. A failure to reach the host
// is the error; an untrusted certificate is not (see Trusted).
func ProbeCertificate(ctx context.Context, vc config.VCenter) (Certificate, error) {
	u, _, _, err := loginURL(vc)
	if err != nil {
		return Certificate{}, err
	}
	d := tls.Dialer{NetDialer: &net.Dialer{}, Config: &tls.Config{InsecureSkipVerify: true}} //nolint:gosec // verified below, by our rules
	conn, err := d.DialContext(ctx, "tcp", hostPort(u))
	if err != nil {
		return Certificate{}, fmt.Errorf("TLS connection to %s: %w", hostPort(u), err)
	}
	defer conn.Close()
	chain := conn.(*tls.Conn).ConnectionState().PeerCertificates
	if len(chain) == 0 {
		return Certificate{}, fmt.Errorf("TLS connection to %s: the server sent no certificate", hostPort(u))
	}
	leaf := chain[0]
	c := Certificate{SHA256: SHA256Thumbprint(leaf), SHA1: sha1Thumbprint(leaf),
		Subject: leaf.Subject.String(), Issuer: leaf.Issuer.String(), NotAfter: leaf.NotAfter}
	switch {
	case vc.Insecure:
		c.Trusted = true
	case vc.Thumbprint != "":
		pinned, err := normalizeThumbprint(vc.Thumbprint)
		if err != nil {
			return Certificate{}, err
		}
		c.Trusted = pinned == c.SHA256 || pinned == c.SHA1
		if !c.Trusted {
			c.Problem = "its thumbprint is not the pinned " + pinned
		}
	default:
		opts := x509.VerifyOptions{DNSName: u.Hostname(), Intermediates: x509.NewCertPool()}
		for _, ic := range chain[1:] {
			opts.Intermediates.AddCert(ic)
		}
		if vc.CAFile != "" {
			pem, err := os.ReadFile(vc.CAFile)
			if err != nil {
				return Certificate{}, fmt.Errorf("read vcenter.caFile: %w", err)
			}
			opts.Roots = x509.NewCertPool()
			if !opts.Roots.AppendCertsFromPEM(pem) {
				return Certificate{}, fmt.Errorf("vcenter.caFile %s holds no PEM certificate", vc.CAFile)
			}
		}
		_, err := leaf.Verify(opts)
		c.Trusted = err == nil
		if err != nil {
			c.Problem = describeVerifyError(err, u.Hostname())
		}
	}
	return c, nil
}

func describeVerifyError(err error, host string) string {
	var unknown x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &unknown):
		return "it is not signed by a trusted CA"
	case errors.As(err, &hostErr):
		return "it is not valid for host " + host
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return "it has expired or is not valid yet"
	}
	return err.Error()
}
