package templates_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/templates"
	"github.com/dcos-vsphere/dcos-vsphere/templates/vcsimtest"
)

// ProbeCertificate reads the server's certificate without sending
// anything and judges it as Connect would.
func TestProbeCertificate(t *testing.T) {
	sim := vcsimtest.Start(t, vcsimtest.Options{})
	base := sim.VCenter()
	base.Thumbprint = ""
	for _, tc := range []struct {
		name    string
		thumb   string
		ca      bool
		insec   bool
		trusted bool
		problem string
	}{
		{name: "no trust settings: the system CAs do not know vcsim", problem: "not signed by a trusted CA"},
		{name: "pinned SHA-256", thumb: sim.Thumbprint, trusted: true},
		{name: "pinned SHA-1 without colons", thumb: strings.ReplaceAll(sim.Server.CertificateInfo().ThumbprintSHA1, ":", ""), trusted: true},
		{name: "another pin", thumb: strings.Repeat("AB:", 31) + "AB", problem: "not the pinned AB:AB"},
		{name: "CA file", ca: true, trusted: true},
		{name: "insecure", insec: true, trusted: true},
	} {
		vc := base
		vc.Thumbprint, vc.Insecure = tc.thumb, tc.insec
		if tc.ca {
			vc.CAFile = sim.CAFile
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, err := templates.ProbeCertificate(ctx, vc)
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if c.SHA256 != sim.Thumbprint || c.Subject == "" || c.NotAfter.IsZero() {
			t.Errorf("%s: certificate %+v, want thumbprint %s", tc.name, c, sim.Thumbprint)
		}
		if c.Trusted != tc.trusted || !strings.Contains(c.Problem, tc.problem) {
			t.Errorf("%s: trusted %v problem %q, want %v %q", tc.name, c.Trusted, c.Problem, tc.trusted, tc.problem)
		}
	}
}

// An address where nothing listens answers at once; one that never
// completes the handshake is bounded by the context.
func TestProbeCertificateUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	vc := vcsimtest.Start(t, vcsimtest.Options{}).VCenter()

	vc.URL = "https://" + addr + "/sdk" // accepts, never answers the handshake
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	start := time.Now()
	_, err = templates.ProbeCertificate(ctx, vc)
	cancel()
	if err == nil || time.Since(start) > 3*time.Second {
		t.Fatalf("silent server: err %v after %s", err, time.Since(start))
	}
	l.Close()
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start = time.Now()
	if _, err := templates.ProbeCertificate(ctx, vc); err == nil || !strings.Contains(err.Error(), "refused") || time.Since(start) > 2*time.Second {
		t.Fatalf("closed port: err %v after %s", err, time.Since(start))
	}
}
