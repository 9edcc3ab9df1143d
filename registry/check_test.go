package registry_test

import (
	"context"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/lab/acr"
	"github.com/dcos-vsphere/dcos-vsphere/lab/acr/acrtest"
	"github.com/dcos-vsphere/dcos-vsphere/registry"
)

// labDigest is the manifest digest of the image the lab registry is seeded
// with (samples/hello:1.0).
var labDigest string

// labRegistry is the test binary's lab registry (acrtest: no root needed).
func labRegistry(t *testing.T) *acr.Registry {
	t.Helper()
	r, d := acrtest.Registry(t, "samples/hello", "1.0")
	labDigest = d
	return r
}

func TestMain(m *testing.M) {
	code := m.Run()
	acrtest.Close()
	os.Exit(code)
}

func admin(r *acr.Registry, pw int) registry.Credentials {
	return registry.Credentials{Server: r.Host(), Username: r.AdminUser(), Password: r.AdminPassword(pw)}
}

func trusting(r *acr.Registry) registry.CheckOptions {
	return registry.CheckOptions{RootCAs: r.RootCAs(), Timeout: 10 * time.Second}
}

func check(t *testing.T, c registry.Credentials, o registry.CheckOptions) (*registry.Result, error) {
	t.Helper()
	res, err := registry.Check(context.Background(), c, o)
	if err != nil && c.Password != "" && strings.Contains(err.Error(), c.Password) {
		t.Errorf("the error holds the password: %v", err)
	}
	if res != nil {
		for _, s := range res.Steps {
			if c.Password != "" && strings.Contains(s.Detail, c.Password) {
				t.Errorf("step %s holds the password", s.Name)
			}
		}
	}
	return res, err
}

// wantErr asserts the kind, exit code and parts of the message of err.
func wantErr(t *testing.T, err error, kind registry.Kind, code int, parts ...string) {
	if os.Getenv("SHOW_MESSAGES") != "" {
		t.Logf("%s: %v", kind, err)
	}
	t.Helper()
	var e *registry.Error
	if !errors.As(err, &e) {
		t.Fatalf("want a *registry.Error of kind %s, got %T: %v", kind, err, err)
	}
	if e.Kind != kind || e.ExitCode() != code {
		t.Errorf("kind %s exit %d, want %s %d: %v", e.Kind, e.ExitCode(), kind, code, err)
	}
	if !errors.Is(err, &registry.Error{Kind: kind}) {
		t.Errorf("errors.Is does not match kind %s", kind)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("message lacks %q:\n%v", p, err)
		}
	}
}

func stepNames(res *registry.Result) string {
	var out []string
	for _, s := range res.Steps {
		n := s.Name
		if !s.OK {
			n += "!"
		}
		out = append(out, n)
	}
	return strings.Join(out, ",")
}

func TestCheckGoodCredentialsPullAndPush(t *testing.T) {
	r := labRegistry(t)
	for pw := 0; pw < 2; pw++ {
		o := trusting(r)
		o.Image, o.Push = "samples/hello:1.0", true
		res, err := check(t, admin(r, pw), o)
		if err != nil {
			t.Fatalf("admin password %d: %v", pw+1, err)
		}
		if got := stepNames(res); got != "connect,log in,pull,push" {
			t.Errorf("steps %s", got)
		}
		if res.Realm != "https://"+r.Host()+"/oauth2/token" || res.Service != r.Host() {
			t.Errorf("challenge realm %q service %q", res.Realm, res.Service)
		}
		if res.Image == nil || res.Image.Digest != labDigest || res.Image.Layers != 1 || res.Image.Size <= 0 {
			t.Errorf("image %+v, want digest %s with one layer", res.Image, labDigest)
		}
	}
	// The full reference with the registry host works too, and a repository
	// alone lists its tags.
	o := trusting(r)
	o.Image = r.Host() + "/samples/hello"
	res, err := check(t, admin(r, 0), o)
	if err != nil {
		t.Fatal(err)
	}
	if stepNames(res) != "connect,log in,list tags" || res.Image == nil || strings.Join(res.Image.Tags, ",") != "1.0" {
		t.Errorf("repository check: steps %s image %+v", stepNames(res), res.Image)
	}
	// Login only.
	if res, err := check(t, admin(r, 0), trusting(r)); err != nil || stepNames(res) != "connect,log in" {
		t.Errorf("login check: %v %v", stepNames(res), err)
	}
}

func TestCheckWithCAFile(t *testing.T) {
	r := labRegistry(t)
	o := registry.CheckOptions{CAFile: r.CAFile(), RootCAs: x509.NewCertPool(), Image: "samples/hello:1.0"}
	if _, err := check(t, admin(r, 0), o); err != nil {
		t.Fatalf("with the lab CA as caFile: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "not-a-ca.pem")
	_ = os.WriteFile(bad, []byte("not PEM\n"), 0o600)
	o.CAFile = bad
	if _, err := check(t, admin(r, 0), o); err == nil || !strings.Contains(err.Error(), "holds no PEM certificate") {
		t.Errorf("a caFile without certificates: %v", err)
	}
}

func TestCheckWrongPassword(t *testing.T) {
	r := labRegistry(t)
	c := admin(r, 0)
	c.Password = "Wrong-Pw-5521"
	o := trusting(r)
	o.Image = "samples/hello:1.0"
	res, err := check(t, c, o)
	wantErr(t, err, registry.KindUnauthorized, 3,
		"registry "+r.Host()+": log in: the token service refused user labacr (401 UNAUTHORIZED: authentication required)",
		"The user name or password is wrong: check registry.username and registry.password / registry.passwordFile", "two passwords")
	if stepNames(res) != "connect,log in!" {
		t.Errorf("steps %s", stepNames(res))
	}
}

func TestCheckServicePrincipals(t *testing.T) {
	r := labRegistry(t)
	o := trusting(r)
	o.Image = "samples/hello:1.0"

	pull, err := r.AddServicePrincipal(acr.RolePull, time.Now().Add(365*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	sp := registry.Credentials{Server: r.Host(), Username: pull.AppID, Password: pull.Secret}
	if _, err := check(t, sp, o); err != nil {
		t.Fatalf("AcrPull service principal, pull: %v", err)
	}
	push := o
	push.Push = true
	res, err := check(t, sp, push)
	wantErr(t, err, registry.KindDenied, 3, "push check samples/hello: user "+pull.AppID+" may not push to samples/hello (401 UNAUTHORIZED: authentication required)", "AcrPush")
	if stepNames(res) != "connect,log in,pull,push!" {
		t.Errorf("steps %s", stepNames(res))
	}

	wrong := sp
	wrong.Password = "Wrong-Secret-1177"
	_, err = check(t, wrong, o)
	wantErr(t, err, registry.KindUnauthorized, 3, "refused service principal "+pull.AppID+" (401 UNAUTHORIZED: Invalid clientid or client secret.)", "az ad sp credential list --id "+pull.AppID)

	old, err := r.AddServicePrincipal(acr.RolePull, time.Now().Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	_, err = check(t, registry.Credentials{Server: r.Host(), Username: old.AppID, Password: old.Secret}, o)
	wantErr(t, err, registry.KindExpired, 3, "log in: the secret of service principal "+old.AppID+" has expired", "AADSTS7000222", "az ad sp credential reset --id "+old.AppID)
}

func TestCheckUnknownRepositoryAndTag(t *testing.T) {
	r := labRegistry(t)
	o := trusting(r)
	o.Image = "samples/nope:1.0"
	res, err := check(t, admin(r, 0), o)
	wantErr(t, err, registry.KindNotFound, 1, "pull samples/nope:1.0: repository samples/nope does not exist (404 NAME_UNKNOWN: repository name not known to registry)", "registry.checkImage")
	if stepNames(res) != "connect,log in,pull!" {
		t.Errorf("steps %s", stepNames(res))
	}
	o.Image = "samples/hello:9.9"
	_, err = check(t, admin(r, 0), o)
	wantErr(t, err, registry.KindNotFound, 1, `repository samples/hello has no image "9.9" (404 MANIFEST_UNKNOWN: manifest unknown); its tags: 1.0`)
	o.Image = "samples/nope"
	_, err = check(t, admin(r, 0), o)
	wantErr(t, err, registry.KindNotFound, 1, "list the tags of samples/nope: repository samples/nope does not exist")
}

func TestCheckUntrustedCA(t *testing.T) {
	r := labRegistry(t)
	o := registry.CheckOptions{RootCAs: x509.NewCertPool(), Image: "samples/hello:1.0"} // trusts nothing
	res, err := check(t, admin(r, 0), o)
	wantErr(t, err, registry.KindTLS, 3, "registry "+r.Host()+": connect: TLS: the registry's certificate is signed by",
		"dcos-vsphere lab ACR labacr CA", "Set registry.caFile", "/etc/docker/certs.d/"+r.Host()+"/ca.crt")
	if stepNames(res) != "connect!" {
		t.Errorf("steps %s", stepNames(res))
	}
}

func TestCheckCertificateForAnotherName(t *testing.T) {
	r := labRegistry(t)
	_, port, _ := net.SplitHostPort(r.Host())
	// localhost resolves locally; the certificate names 127.0.0.1 only.
	c := registry.Credentials{Server: "localhost:" + port, Username: r.AdminUser(), Password: r.AdminPassword(0)}
	_, err := check(t, c, trusting(r))
	wantErr(t, err, registry.KindTLS, 3, "TLS: the registry's certificate is for 127.0.0.1, not localhost", "Set registry.server to a name the certificate was issued for")
}

func TestCheckConnectionProblems(t *testing.T) {
	creds := func(host string) registry.Credentials {
		return registry.Credentials{Server: host, Username: "u", Password: "Some-Pw-8812"}
	}
	// A port nothing listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	_, err = check(t, creds(closed), registry.CheckOptions{Timeout: 5 * time.Second})
	wantErr(t, err, registry.KindConnection, 3, "registry "+closed+": connect: connection refused: nothing listens at "+closed, "Check registry.server (host and port)")

	// A server that accepts and never answers.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	start := time.Now()
	_, err = check(t, creds(silent.Addr().String()), registry.CheckOptions{Timeout: 500 * time.Millisecond})
	wantErr(t, err, registry.KindConnection, 3, "no answer from "+silent.Addr().String()+" within 500ms")
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the timeout of 500ms took %s", d)
	}

	// Plain HTTP where HTTPS is expected: never sends the credentials.
	var sawAuth bool
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawAuth = sawAuth || r.Header.Get("Authorization") != ""
		w.WriteHeader(http.StatusOK)
	}))
	defer plain.Close()
	host := strings.TrimPrefix(plain.URL, "http://")
	_, err = check(t, creds(host), registry.CheckOptions{Timeout: 5 * time.Second})
	wantErr(t, err, registry.KindTLS, 3, "does not answer HTTPS")
	if sawAuth {
		t.Error("credentials were sent over plain HTTP")
	}

	// HTTPS, but not a registry.
	web := httptest.NewTLSServer(http.NotFoundHandler())
	defer web.Close()
	pool := x509.NewCertPool()
	pool.AddCert(web.Certificate())
	host = strings.TrimPrefix(web.URL, "https://")
	_, err = check(t, creds(host), registry.CheckOptions{RootCAs: pool, Timeout: 5 * time.Second})
	wantErr(t, err, registry.KindNotRegistry, 3, "connect: GET /v2/ answered 404 Not Found", "not a Docker registry")
}

// DNS failures are classified from the resolver's error (a test must not
// send queries off the machine).
func TestUnknownRegistryMessage(t *testing.T) {
	err := registry.ClassifyForTest(registry.Credentials{Server: "nosuchreg.azurecr.io", Username: "u", Password: "p"}, "connect",
		&url.Error{Op: "Get", URL: "https://nosuchreg.azurecr.io/v2/", Err: &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "nosuchreg.azurecr.io", IsNotFound: true}}})
	wantErr(t, err, registry.KindUnknownRegistry, 3, `registry nosuchreg.azurecr.io: connect: no such host "nosuchreg.azurecr.io"`, "<registry name>.azurecr.io")
}

func TestParseImage(t *testing.T) {
	for _, tt := range []struct {
		image, ref, repo, err string
	}{
		{"samples/hello:1.0", "198.18.0.1:5443/samples/hello:1.0", "samples/hello", ""},
		{"198.18.0.1:5443/samples/hello@sha256:" + strings.Repeat("a", 64), "198.18.0.1:5443/samples/hello@sha256:" + strings.Repeat("a", 64), "samples/hello", ""},
		{"samples/hello", "", "samples/hello", ""},
		{"hello", "", "hello", ""},
		{"other.example/samples/hello:1", "", "", "names registry other.example, not 198.18.0.1:5443"},
		{"Samples/Hello:1", "", "", "not an image reference"},
		{"samples/hello:", "", "", "not an image reference"},
	} {
		ref, repo, err := registry.ParseImage("198.18.0.1:5443", tt.image)
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: err %v, want %q", tt.image, err, tt.err)
			}
		case err != nil:
			t.Errorf("%s: %v", tt.image, err)
		case (ref == nil) != (tt.ref == ""), ref != nil && ref.Name() != tt.ref, repo.RepositoryStr() != tt.repo:
			t.Errorf("%s: ref %v repo %v", tt.image, ref, repo)
		}
	}
}
