package acr

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

// Role is what a service principal may do in the registry, named after
// ACR's built-in roles.
type Role string

// The roles the lab registry knows, with the actions they grant on every
// repository (ACR's AcrPull, AcrPush and Owner).
const (
	RolePull  Role = "AcrPull"
	RolePush  Role = "AcrPush"
	RoleOwner Role = "Owner"
)

func (r Role) actions() []string {
	switch r {
	case RolePull:
		return []string{"pull"}
	case RolePush:
		return []string{"pull", "push"}
	case RoleOwner:
		return []string{"pull", "push", "delete"}
	}
	return nil
}

// ServicePrincipal is an Azure AD application allowed into the registry:
// its application id (a GUID) is the user name, its client secret the
// password, and the secret stops working at Expires (Azure's default is
// one year after it was created).
type ServicePrincipal struct {
	AppID   string
	Secret  string
	Expires time.Time
	Role    Role
}

// Token answers are ACR's: only access_token, no token field (Mesos 1.2's
// UCR fetcher reads only token and so fails against ACR; the lab must show
// that), no refresh token.
type tokenAnswer struct {
	AccessToken string `json:"access_token"`
}

// tokenLifetime is how long an access token is accepted by the registry.
const tokenLifetime = time.Hour

// accounts is who may log in: the admin user (the registry name, two
// passwords, enabled or not) and service principals.
type accounts struct {
	mu        sync.Mutex
	admin     string
	passwords [2]string
	adminOn   bool
	sps       map[string]ServicePrincipal // by lowercase app id
}

// guid matches an Azure application id; ACR treats such user names as
// service principals.
var guid = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// authFailure is a refused login with the message ACR would give.
type authFailure struct{ message string }

// login checks a user name and password at time now and returns the
// actions the user may take on every repository, or why it may not.
func (a *accounts) login(user, password string, now time.Time) ([]string, *authFailure) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if guid.MatchString(user) {
		sp, ok := a.sps[strings.ToLower(user)]
		if !ok || !equal(sp.Secret, password) {
			return nil, &authFailure{"Invalid clientid or client secret."}
		}
		if !now.Before(sp.Expires) {
			// What Azure AD answers for an expired client secret; ACR passes
			// AAD's reason on for service principals.
			return nil, &authFailure{fmt.Sprintf("aad access token with sp failed: AADSTS7000222: The provided client secret keys for app '%s' are expired. Visit the Azure portal to create new keys for your app.", sp.AppID)}
		}
		return sp.Role.actions(), nil
	}
	if a.adminOn && user == a.admin && (equal(a.passwords[0], password) || equal(a.passwords[1], password)) {
		return RoleOwner.actions(), nil
	}
	return nil, &authFailure{"authentication required"}
}

func equal(want, got string) bool {
	if want == "" {
		return false
	}
	w, g := sha256.Sum256([]byte(want)), sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(w[:], g[:]) == 1
}

// access is one entry of a token's access claim.
type access struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
}

// grant intersects the requested scopes ("repository:name:pull,push", one
// or several per parameter, space separated) with what the user may do.
// Unknown resource types and actions are dropped, as token servers do.
func grant(scopes []string, allowed []string) []access {
	may := map[string]bool{}
	for _, a := range allowed {
		may[a] = true
	}
	byName := map[string]map[string]bool{}
	var order []string
	for _, param := range scopes {
		for _, s := range strings.Fields(param) {
			typ, rest, ok := strings.Cut(s, ":")
			i := strings.LastIndexByte(rest, ':')
			if !ok || i <= 0 || typ != "repository" {
				continue
			}
			name := rest[:i]
			if byName[name] == nil {
				byName[name] = map[string]bool{}
				order = append(order, name)
			}
			for _, act := range strings.Split(rest[i+1:], ",") {
				if act == "*" {
					for a := range may {
						byName[name][a] = true
					}
				} else if may[act] {
					byName[name][act] = true
				}
			}
		}
	}
	out := []access{}
	for _, name := range order {
		acts := []string{}
		for a := range byName[name] {
			acts = append(acts, a)
		}
		sort.Strings(acts)
		out = append(out, access{Type: "repository", Name: name, Actions: acts})
	}
	return out
}

// tokenService is the /oauth2/token handler.
type tokenService struct {
	accounts *accounts
	service  string // the login server, host:port
	issuer   string
	signer   *ecdsa.PrivateKey
	x5c      string // base64 DER of the signing certificate
	now      func() time.Time
	logf     func(format string, args ...any)
}

func (t *tokenService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var user, password string
	var scopes []string
	switch r.Method {
	case http.MethodGet:
		// What docker and go-containerregistry send with Basic credentials.
		var ok bool
		if user, password, ok = r.BasicAuth(); !ok {
			t.refuse(w, r, "", "authentication required")
			return
		}
		scopes = r.URL.Query()["scope"]
		if s := r.URL.Query().Get("service"); s != t.service {
			writeErrors(w, http.StatusBadRequest, "UNSUPPORTED", fmt.Sprintf("service %q is not this registry (%s)", s, t.service))
			return
		}
	case http.MethodPost:
		// The OAuth2 password grant docker login tries first.
		if err := r.ParseForm(); err != nil {
			writeErrors(w, http.StatusBadRequest, "UNSUPPORTED", "unreadable form")
			return
		}
		if g := r.PostForm.Get("grant_type"); g != "password" {
			writeErrors(w, http.StatusBadRequest, "UNSUPPORTED", fmt.Sprintf("grant_type %q is not supported by the lab registry (use password, or GET with Basic authentication)", g))
			return
		}
		user, password = r.PostForm.Get("username"), r.PostForm.Get("password")
		scopes = r.PostForm["scope"]
		if s := r.PostForm.Get("service"); s != t.service {
			writeErrors(w, http.StatusBadRequest, "UNSUPPORTED", fmt.Sprintf("service %q is not this registry (%s)", s, t.service))
			return
		}
	default:
		w.Header().Set("Allow", "GET, POST")
		writeErrors(w, http.StatusMethodNotAllowed, "UNSUPPORTED", "use GET or POST")
		return
	}
	now := t.now()
	allowed, fail := t.accounts.login(user, password, now)
	if fail != nil {
		t.refuse(w, r, user, fail.message)
		return
	}
	tok, err := t.sign(user, grant(scopes, allowed), now)
	if err != nil {
		writeErrors(w, http.StatusInternalServerError, "UNKNOWN", "could not sign the token")
		t.logf("sign token for %s: %v", user, err)
		return
	}
	t.logf("token for %s: %s", user, strings.Join(scopes, " "))
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(tokenAnswer{AccessToken: tok})
}

func (t *tokenService) refuse(w http.ResponseWriter, r *http.Request, user, message string) {
	t.logf("refused %s from %s: %s", userOrAnonymous(user), r.RemoteAddr, message)
	writeErrors(w, http.StatusUnauthorized, "UNAUTHORIZED", message)
}

func userOrAnonymous(u string) string {
	if u == "" {
		return "anonymous request"
	}
	return fmt.Sprintf("user %q", u)
}

// writeErrors writes the registry API's error body, as ACR does from its
// token endpoint too: {"errors":[{"code":..,"message":..}]}.
func writeErrors(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]string{{"code": code, "message": message}}})
}

// sign makes an ES256 JWT with an x5c header, the form the distribution
// registry (2.8 and 3.x) verifies against its rootcertbundle.
func (t *tokenService) sign(subject string, acc []access, now time.Time) (string, error) {
	header, err := json.Marshal(map[string]any{"typ": "JWT", "alg": "ES256", "x5c": []string{t.x5c}})
	if err != nil {
		return "", err
	}
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", err
	}
	claims, err := json.Marshal(map[string]any{
		"iss":    t.issuer,
		"sub":    subject,
		"aud":    t.service,
		"exp":    now.Add(tokenLifetime).Unix(),
		"nbf":    now.Add(-10 * time.Second).Unix(),
		"iat":    now.Unix(),
		"jti":    hex.EncodeToString(jti),
		"access": acc,
	})
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString(header) + "." + enc.EncodeToString(claims)
	sum := sha256.Sum256([]byte(signing))
	r, s, err := ecdsa.Sign(rand.Reader, t.signer, sum[:])
	if err != nil {
		return "", err
	}
	// JWS ES256: the two 32-byte big-endian integers, concatenated.
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return signing + "." + enc.EncodeToString(sig), nil
}
