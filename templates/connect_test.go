package templates_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/templates"
	"github.com/dcos-vsphere/dcos-vsphere/templates/vcsimtest"
)

func connectErr(t *testing.T, vc config.VCenter, warn func(string)) error {
	t.Helper()
	s, err := templates.Connect(testCtx(t), templates.Options{VCenter: vc, Warn: warn})
	if err == nil {
		_ = s.Close(testCtx(t))
	}
	return err
}

func wantExit3(t *testing.T, err error) *templates.ConnectError {
	t.Helper()
	var ce *templates.ConnectError
	if !errors.As(err, &ce) || ce.ExitCode() != 3 {
		t.Fatalf("want *ConnectError with exit code 3, got %T: %v", err, err)
	}
	return ce
}

func TestConnectTrustsPinnedThumbprintSHA256AndSHA1(t *testing.T) {
	sim := vcsimtest.Start(t, vcsimtest.Options{})
	vc := sim.VCenter()
	if err := connectErr(t, vc, nil); err != nil {
		t.Fatalf("SHA-256 pin: %v", err)
	}
	// SHA-1, lower case, without colons: normalized before comparing.
	vc.Thumbprint = strings.ToLower(strings.ReplaceAll(sim.Server.CertificateInfo().ThumbprintSHA1, ":", ""))
	if err := connectErr(t, vc, nil); err != nil {
		t.Fatalf("SHA-1 pin: %v", err)
	}
}

func TestConnectRefusesThumbprintMismatchShowingServerThumbprint(t *testing.T) {
	sim := vcsimtest.Start(t, vcsimtest.Options{})
	vc := sim.VCenter()
	vc.Thumbprint = strings.Repeat("AB:", 31) + "AB"
	err := connectErr(t, vc, nil)
	wantExit3(t, err)
	var mm *templates.ThumbprintMismatchError
	if !errors.As(err, &mm) || mm.Got != sim.Thumbprint {
		t.Fatalf("want ThumbprintMismatchError with server thumbprint %s, got %v", sim.Thumbprint, err)
	}
	if msg := err.Error(); !strings.Contains(msg, "thumbprint: "+sim.Thumbprint) {
		t.Fatalf("message does not say how to pin %s:\n%s", sim.Thumbprint, msg)
	}
}

func TestConnectWithoutTrustIsRefusedWithPinInstructions(t *testing.T) {
	sim := vcsimtest.Start(t, vcsimtest.Options{})
	vc := sim.VCenter()
	vc.Thumbprint = ""
	var warned []string
	err := connectErr(t, vc, func(s string) { warned = append(warned, s) })
	wantExit3(t, err)
	msg := err.Error()
	if !strings.Contains(msg, "not signed by a trusted CA") || !strings.Contains(msg, "thumbprint: "+sim.Thumbprint) {
		t.Fatalf("want unknown-CA refusal with pin hint for %s, got:\n%s", sim.Thumbprint, msg)
	}
	if len(warned) != 0 {
		t.Fatalf("unexpected warnings %v", warned)
	}
}

func TestConnectInsecureOnlyWhenSetAndWarns(t *testing.T) {
	sim := vcsimtest.Start(t, vcsimtest.Options{})
	vc := sim.VCenter()
	vc.Thumbprint = ""
	vc.Insecure = true
	var warned []string
	if err := connectErr(t, vc, func(s string) { warned = append(warned, s) }); err != nil {
		t.Fatalf("insecure connect: %v", err)
	}
	if len(warned) != 1 || !strings.Contains(warned[0], "NOT verified") {
		t.Fatalf("want one warning about skipped verification, got %q", warned)
	}
}

func TestConnectTrustsCAFile(t *testing.T) {
	sim := vcsimtest.Start(t, vcsimtest.Options{})
	vc := sim.VCenter()
	vc.Thumbprint, vc.CAFile = "", sim.CAFile
	if err := connectErr(t, vc, nil); err != nil {
		t.Fatalf("CA file: %v", err)
	}
}

func TestConnectBadPasswordIsExit3AndNeverShowsPassword(t *testing.T) {
	sim := vcsimtest.Start(t, vcsimtest.Options{})
	vc := sim.VCenter()
	vc.Password = config.NewSecret("s3cr3t-wrong-pw")
	err := connectErr(t, vc, nil)
	wantExit3(t, err)
	if strings.Contains(err.Error(), "s3cr3t-wrong-pw") {
		t.Fatalf("error shows the password: %v", err)
	}
}

func TestApplyGovcEnvFillsOnlyEmptyFields(t *testing.T) {
	env := map[string]string{
		"GOVC_URL":          "https://admin:pw1@vc.example/sdk",
		"GOVC_PASSWORD":     "pw2",
		"GOVC_INSECURE":     "1",
		"GOVC_TLS_CA_CERTS": "",
		"GOVC_DATACENTER":   "DC9",
		"GOVC_DATASTORE":    "ds9",
	}
	vc := config.VCenter{Datastore: "mine"}
	templates.ApplyGovcEnv(&vc, func(k string) string { return env[k] })
	// As in govc, GOVC_PASSWORD wins over the password in GOVC_URL.
	if vc.URL != "https://vc.example/sdk" || vc.Username != "admin" || vc.Password.Value() != "pw2" {
		t.Fatalf("URL/credentials: %q %q %q", vc.URL, vc.Username, vc.Password.Value())
	}
	if !vc.Insecure || vc.Datacenter != "DC9" || vc.Datastore != "mine" {
		t.Fatalf("insecure %v dc %q ds %q", vc.Insecure, vc.Datacenter, vc.Datastore)
	}
	// A pinned thumbprint is explicit trust: GOVC_INSECURE must not override it.
	pinned := config.VCenter{Thumbprint: "AA"}
	templates.ApplyGovcEnv(&pinned, func(k string) string { return env[k] })
	if pinned.Insecure {
		t.Fatal("GOVC_INSECURE overrode a pinned thumbprint")
	}
}
