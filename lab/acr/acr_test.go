package acr

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// start runs a lab registry on 127.0.0.1 for one test, or skips when the
// distribution registry is not installed.
func start(t *testing.T) *Registry {
	t.Helper()
	if _, err := os.Stat(DefaultBinary); err != nil {
		t.Skipf("%s not installed (Debian package docker-registry; scripts/deps.sh installs it)", DefaultBinary)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := Start(ctx, Options{Dir: filepath.Join(t.TempDir(), "acr")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

func (r *Registry) client() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: r.RootCAs()}}}
}

type tokenReply struct {
	status int
	body   map[string]any
	raw    string
}

func (r *Registry) token(t *testing.T, user, password string, scopes ...string) tokenReply {
	t.Helper()
	q := url.Values{"service": {r.Host()}, "scope": scopes}
	req, _ := http.NewRequest(http.MethodGet, "https://"+r.Host()+"/oauth2/token?"+q.Encode(), nil)
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := r.client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := tokenReply{status: resp.StatusCode, raw: string(b)}
	_ = json.Unmarshal(b, &out.body)
	return out
}

// claims decodes a JWT's header and claims without verifying it (the
// registry verifies; see TestRegistryVerifiesTokens).
func claims(t *testing.T, jwt string) (header, body map[string]any) {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS compact token: %d parts", len(parts))
	}
	for i, dst := range []*map[string]any{&header, &body} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	return header, body
}

// accessOf renders a token's access claim as "type name actions; ...".
func accessOf(c map[string]any) string {
	b, _ := json.Marshal(c["access"])
	var acc []access
	_ = json.Unmarshal(b, &acc)
	var out []string
	for _, a := range acc {
		out = append(out, a.Type+" "+a.Name+" "+strings.Join(a.Actions, ","))
	}
	return strings.Join(out, "; ")
}

func TestChallengeAndTokenAnswerLikeACR(t *testing.T) {
	r := start(t)
	resp, err := r.client().Get("https://" + r.Host() + "/v2/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	want := `Bearer realm="https://` + r.Host() + `/oauth2/token",service="` + r.Host() + `"`
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("Www-Authenticate") != want {
		t.Fatalf("/v2/: %s, challenge %q, want 401 and %q", resp.Status, resp.Header.Get("Www-Authenticate"), want)
	}

	for i := 0; i < 2; i++ {
		got := r.token(t, r.AdminUser(), r.AdminPassword(i), "repository:samples/hello:pull,push")
		if got.status != 200 || len(got.body) != 1 || got.body["access_token"] == nil {
			t.Fatalf("admin password %d: %d %s, want 200 with access_token only", i+1, got.status, got.raw)
		}
		h, c := claims(t, got.body["access_token"].(string))
		if h["alg"] != "ES256" || h["x5c"] == nil {
			t.Errorf("header %v: want alg ES256 and x5c", h)
		}
		if c["sub"] != r.AdminUser() || c["aud"] != r.Host() || c["iss"] != issuer {
			t.Errorf("claims %v", c)
		}
		if acc := accessOf(c); acc != "repository samples/hello pull,push" {
			t.Errorf("access = %s", acc)
		}
	}

	refused := func(what string, got tokenReply, message string) {
		t.Helper()
		var e struct {
			Errors []struct{ Code, Message string }
		}
		_ = json.Unmarshal([]byte(got.raw), &e)
		if got.status != 401 || len(e.Errors) != 1 || e.Errors[0].Code != "UNAUTHORIZED" || !strings.Contains(e.Errors[0].Message, message) {
			t.Errorf("%s: %d %s, want 401 UNAUTHORIZED %q", what, got.status, got.raw, message)
		}
	}
	refused("no credentials", r.token(t, "", "", "repository:samples/hello:pull"), "authentication required")
	refused("wrong admin password", r.token(t, r.AdminUser(), "not-the-password"), "authentication required")
	refused("other user", r.token(t, "someone", r.AdminPassword(0)), "authentication required")

	old := r.AdminPassword(1)
	if _, err := r.RegenerateAdminPassword(1); err != nil {
		t.Fatal(err)
	}
	refused("regenerated password2", r.token(t, r.AdminUser(), old), "authentication required")
	if got := r.token(t, r.AdminUser(), r.AdminPassword(0)); got.status != 200 {
		t.Errorf("password1 after renewing password2: %d", got.status)
	}
	r.SetAdminEnabled(false)
	refused("admin disabled", r.token(t, r.AdminUser(), r.AdminPassword(0)), "authentication required")
	r.SetAdminEnabled(true)

	pull, err := r.AddServicePrincipal(RolePull, time.Now().Add(365*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	got := r.token(t, pull.AppID, pull.Secret, "repository:samples/hello:pull,push")
	if got.status != 200 {
		t.Fatalf("pull service principal: %d %s", got.status, got.raw)
	}
	if _, c := claims(t, got.body["access_token"].(string)); c["sub"] != pull.AppID {
		t.Errorf("sub = %v", c["sub"])
	} else if acc := accessOf(c); acc != "repository samples/hello pull" {
		t.Errorf("AcrPull asking for push got access %s", acc)
	}
	refused("wrong secret", r.token(t, pull.AppID, "wrong"), "Invalid clientid or client secret.")
	refused("unknown app id", r.token(t, "00000000-0000-4000-8000-000000000000", pull.Secret), "Invalid clientid or client secret.")
	expired, err := r.AddServicePrincipal(RolePull, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	refused("expired secret", r.token(t, expired.AppID, expired.Secret), "AADSTS7000222: The provided client secret keys for app '"+expired.AppID+"' are expired")

	if got := r.token(t, r.AdminUser(), r.AdminPassword(0)); got.status != 200 {
		t.Fatal(got.raw)
	}
	q := url.Values{"service": {"other.example:443"}}
	req, _ := http.NewRequest(http.MethodGet, "https://"+r.Host()+"/oauth2/token?"+q.Encode(), nil)
	req.SetBasicAuth(r.AdminUser(), r.AdminPassword(0))
	if resp, err := r.client().Do(req); err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Errorf("token for another service: %v %v, want 400", resp.Status, err)
	}
}

// The real registry behind the front checks every token: pull and push
// work with what the token grants, and nothing else.
func TestRegistryVerifiesTokens(t *testing.T) {
	r := start(t)
	ctx := context.Background()
	digest, err := r.Seed(ctx, "samples/hello", "1.0")
	if err != nil {
		t.Fatal(err)
	}
	img, _ := SeedImage()
	if d, _ := img.Digest(); d.String() != digest {
		t.Fatalf("Seed returned %s, the image is %s", digest, d)
	}
	again, _ := SeedImage()
	if d1, d2 := mustDigest(t, img), mustDigest(t, again); d1 != d2 {
		t.Errorf("SeedImage is not reproducible: %s vs %s", d1, d2)
	}
	ref, _ := name.ParseReference(r.Host() + "/samples/hello:1.0")
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: r.RootCAs()}}
	pullAs := func(user, pw string) error {
		_, err := remote.Get(ref, remote.WithAuth(&authn.Basic{Username: user, Password: pw}), remote.WithTransport(tr), remote.WithContext(ctx))
		return err
	}
	if err := pullAs(r.AdminUser(), r.AdminPassword(1)); err != nil {
		t.Fatalf("admin pull: %v", err)
	}
	sp, _ := r.AddServicePrincipal(RolePull, time.Now().Add(time.Hour))
	if err := pullAs(sp.AppID, sp.Secret); err != nil {
		t.Fatalf("AcrPull pull: %v", err)
	}
	err = remote.Write(mustRef(t, r.Host()+"/samples/other:1"), img, remote.WithAuth(&authn.Basic{Username: sp.AppID, Password: sp.Secret}), remote.WithTransport(tr), remote.WithContext(ctx))
	var terr *transport.Error
	if !errors.As(err, &terr) || terr.StatusCode != http.StatusUnauthorized {
		t.Fatalf("AcrPull push: %v, want 401 from the registry", err)
	}

	// A token the registry has not been told to trust (same claims, signed
	// by another key) is refused by docker-registry itself.
	good := r.token(t, r.AdminUser(), r.AdminPassword(0), "repository:samples/hello:pull")
	forger := &tokenService{service: r.Host(), issuer: issuer, x5c: base64.StdEncoding.EncodeToString(r.pki.signerDER)}
	if forger.signer, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	forged, err := forger.sign(r.AdminUser(), []access{{Type: "repository", Name: "samples/hello", Actions: []string{"pull"}}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	manifest := func(tok string) int {
		req, _ := http.NewRequest(http.MethodGet, "https://"+r.Host()+"/v2/samples/hello/manifests/1.0", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept", "application/vnd.docker.distribution.manifest.v2+json")
		resp, err := r.client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := manifest(good.body["access_token"].(string)); code != 200 {
		t.Fatalf("manifest with a real token: %d", code)
	}
	if code := manifest(forged); code != http.StatusUnauthorized {
		t.Errorf("manifest with a forged token: %d, want 401", code)
	}
}

func mustDigest(t *testing.T, img v1.Image) string {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

func mustRef(t *testing.T, s string) name.Reference {
	t.Helper()
	ref, err := name.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// A registry process left by a killed lab is found by its pid file and
// killed; a directory that is not a lab registry's is never removed.
func TestCleanupKillsLeftoverAndSparesOtherDirs(t *testing.T) {
	r := start(t)
	pid := r.cmd.Process.Pid
	if _, err := processStart(pid); err != nil {
		t.Fatalf("registry process %d not running: %v", pid, err)
	}
	if err := Cleanup(r.opts.Dir); err != nil {
		t.Fatal(err)
	}
	select {
	case <-r.exited:
	case <-time.After(5 * time.Second):
		t.Fatal("registry process still running after Cleanup")
	}
	if _, err := os.Stat(r.opts.Dir); !os.IsNotExist(err) {
		t.Errorf("%s still exists: %v", r.opts.Dir, err)
	}

	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "keep"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Cleanup(other); err == nil {
		t.Error("Cleanup of a foreign directory did not refuse")
	}
	if _, err := os.Stat(filepath.Join(other, "keep")); err != nil {
		t.Errorf("foreign file removed: %v", err)
	}
}

// A manifest of a repository that does not exist is NAME_UNKNOWN, as on
// ACR; of a tag that does not exist, MANIFEST_UNKNOWN.
func TestUnknownRepositoryLikeACR(t *testing.T) {
	r := start(t)
	if _, err := r.Seed(context.Background(), "samples/hello", "1.0"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ repo, tag, code string }{{"samples/nope", "1.0", "NAME_UNKNOWN"}, {"samples/hello", "9.9", "MANIFEST_UNKNOWN"}} {
		tok := r.token(t, r.AdminUser(), r.AdminPassword(0), "repository:"+tt.repo+":pull")
		req, _ := http.NewRequest(http.MethodGet, "https://"+r.Host()+"/v2/"+tt.repo+"/manifests/"+tt.tag, nil)
		req.Header.Set("Authorization", "Bearer "+tok.body["access_token"].(string))
		resp, err := r.client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 404 || !strings.Contains(string(b), `"code":"`+tt.code+`"`) {
			t.Errorf("%s:%s: %d %s, want 404 %s", tt.repo, tt.tag, resp.StatusCode, b, tt.code)
		}
	}
}

// docker login first tries the OAuth2 password grant (POST); it answers
// like GET, access_token only.
func TestTokenPasswordGrant(t *testing.T) {
	r := start(t)
	post := func(form url.Values) (int, map[string]any) {
		resp, err := r.client().PostForm("https://"+r.Host()+"/oauth2/token", form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	form := url.Values{"grant_type": {"password"}, "service": {r.Host()}, "username": {r.AdminUser()}, "password": {r.AdminPassword(0)},
		"scope": {"repository:samples/hello:pull"}, "client_id": {"docker"}}
	if code, body := post(form); code != 200 || len(body) != 1 || body["access_token"] == nil {
		t.Errorf("password grant: %d %v", code, body)
	}
	form.Set("password", "wrong")
	if code, _ := post(form); code != http.StatusUnauthorized {
		t.Errorf("password grant with a wrong password: %d, want 401", code)
	}
	form.Set("grant_type", "refresh_token")
	if code, _ := post(form); code != http.StatusBadRequest {
		t.Errorf("refresh_token grant: %d, want 400 (the lab has no refresh tokens)", code)
	}
}
