package templates

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// normalizeThumbprint accepts a SHA-256 or SHA-1 thumbprint with or without
// colons, in any case, and returns the upper-case colon form vCenter shows.
func normalizeThumbprint(tp string) (string, error) {
	hex := strings.ToUpper(strings.NewReplacer(":", "", " ", "", "-", "").Replace(strings.TrimSpace(tp)))
	if len(hex) != 64 && len(hex) != 40 {
		return "", fmt.Errorf("vcenter.thumbprint: want a SHA-256 (64 hex digits) or SHA-1 (40 hex digits) thumbprint, got %d hex digits", len(hex))
	}
	var b strings.Builder
	for i := 0; i < len(hex); i += 2 {
		c := hex[i : i+2]
		if strings.Trim(c, "0123456789ABCDEF") != "" {
			return "", fmt.Errorf("vcenter.thumbprint: %q is not hexadecimal", c)
		}
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(c)
	}
	return b.String(), nil
}

func colonHex(sum []byte) string {
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}

// SHA256Thumbprint is the vCenter-style thumbprint of a certificate.
func SHA256Thumbprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return colonHex(sum[:])
}

func sha1Thumbprint(cert *x509.Certificate) string {
	sum := sha1.Sum(cert.Raw)
	return colonHex(sum[:])
}

// ThumbprintMismatchError is a server certificate that does not match the
// pinned thumbprint.
type ThumbprintMismatchError struct {
	Pinned, Got string // Got is the server's SHA-256 thumbprint
}

func (e *ThumbprintMismatchError) Error() string {
	return fmt.Sprintf("server certificate SHA-256 thumbprint %s does not match the pinned vcenter.thumbprint %s", e.Got, e.Pinned)
}

// pinVerifier checks the leaf certificate against a pinned thumbprint
// only: with pinning, a CA-signed certificate that is not the pinned one is
// refused too.
func pinVerifier(pinned string) func([][]byte, [][]*x509.Certificate) error {
	return func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 {
			return errors.New("server sent no certificate")
		}
		cert, err := x509.ParseCertificate(raw[0])
		if err != nil {
			return fmt.Errorf("parse server certificate: %w", err)
		}
		if pinned == SHA256Thumbprint(cert) || pinned == sha1Thumbprint(cert) {
			return nil
		}
		return &ThumbprintMismatchError{Pinned: pinned, Got: SHA256Thumbprint(cert)}
	}
}

// probeThumbprint connects without verification only to read the server's
// certificate thumbprint for an error hint; nothing is sent over it.
func probeThumbprint(ctx context.Context, hostport string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	d := tls.Dialer{NetDialer: &net.Dialer{}, Config: &tls.Config{InsecureSkipVerify: true}} //nolint:gosec // probe only reads the cert
	conn, err := d.DialContext(ctx, "tcp", hostport)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	certs := conn.(*tls.Conn).ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return "", errors.New("no certificate presented")
	}
	return SHA256Thumbprint(certs[0]), nil
}

func pinHint(tp string) string {
	if tp == "" {
		tp = "<SHA-256 thumbprint shown by the vSphere client or `govc about.cert -thumbprint`>"
	}
	return "To trust this vCenter, check the thumbprint out of band (vSphere client: certificate details), then pin it in cluster.yaml:\n" +
		"  vcenter:\n    thumbprint: " + tp + "\n" +
		"or give the issuing CA bundle as vcenter.caFile. (vcenter.insecure: true skips verification; not recommended.)"
}
