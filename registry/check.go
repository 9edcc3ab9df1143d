package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// CheckOptions says what Check does beyond logging in.
type CheckOptions struct {
	// CAFile is a PEM bundle trusted in addition to the system roots
	// (cluster.yaml's registry.caFile), as docker adds
	// /etc/docker/certs.d/<host>/ca.crt to them. "" trusts the system roots.
	CAFile string
	// RootCAs, when set, replaces the system roots (tests, labs).
	RootCAs *x509.CertPool
	// Image is what the pull check fetches: "repo:tag" or "repo@sha256:..."
	// (its manifest and config blob), or a repository alone ("repo", whose
	// tags are listed). It may start with the registry's host. "" checks
	// the login only.
	Image string
	// Push also checks that the user may push to Image's repository: an
	// upload is started and cancelled, as remote.CheckPushPermission does.
	Push bool
	// Timeout bounds the whole check (default 30 s).
	Timeout time.Duration
}

// DefaultCheckTimeout bounds a check when CheckOptions.Timeout is 0.
const DefaultCheckTimeout = 30 * time.Second

// Result is what a check found, step by step; on failure it holds the
// steps that passed.
type Result struct {
	Server   string `json:"server"`
	Username string `json:"username"`
	// Realm and Service are the registry's token challenge (empty when the
	// registry needs no token).
	Realm   string     `json:"realm,omitempty"`
	Service string     `json:"service,omitempty"`
	Steps   []Step     `json:"steps"`
	Image   *ImageInfo `json:"image,omitempty"`
}

// Step is one request of the check.
type Step struct {
	Name   string `json:"name"` // connect, log in, pull, list tags, push
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
	Millis int64  `json:"millis"`
}

// ImageInfo describes the image (or repository) the pull check fetched.
type ImageInfo struct {
	Reference string   `json:"reference"`
	Digest    string   `json:"digest,omitempty"`
	MediaType string   `json:"mediaType,omitempty"`
	Layers    int      `json:"layers,omitempty"`
	Size      int64    `json:"size,omitempty"` // compressed layers + config, bytes
	Tags      []string `json:"tags,omitempty"` // for a repository check
}

// Check does what a docker client does against the registry with c:
// GET /v2/ for the challenge, a token from the realm with Basic
// authentication (ACR answers access_token only), a pull of o.Image
// (manifest and config blob) or a tag list of its repository, and with
// o.Push a started and cancelled upload. TLS is always verified; only
// c's credentials are used (never ~/.docker). Every failure is an *Error
// whose Kind says why and whose message says what to do; no message
// holds the password.
func Check(ctx context.Context, c Credentials, o CheckOptions) (*Result, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	res := &Result{Server: c.Host(), Username: c.Username}
	reg, err := name.NewRegistry(c.Host(), name.StrictValidation)
	if err != nil {
		return res, fmt.Errorf("registry %s: not a registry host[:port]: %w", c.Host(), err)
	}
	var ref name.Reference
	var repo name.Repository
	if o.Image != "" {
		if ref, repo, err = ParseImage(c.Host(), o.Image); err != nil {
			return res, err
		}
	}
	if o.Push && o.Image == "" {
		return res, fmt.Errorf("registry %s: a push check needs an image or repository to push to", c.Host())
	}
	tr, err := newTransport(o)
	if err != nil {
		return res, fmt.Errorf("registry %s: %w", c.Host(), err)
	}
	defer tr.CloseIdleConnections()
	rt := httpsOnly{tr}
	if o.Timeout <= 0 {
		o.Timeout = DefaultCheckTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	ck := &checker{c: c, res: res, timeout: o.Timeout}

	// 1. The challenge.
	var ch *transport.Challenge
	err = ck.step("connect", func() (string, error) {
		var err error
		if ch, err = transport.Ping(ctx, reg, rt); err != nil {
			return "", ck.connectError(err)
		}
		res.Realm, res.Service = ch.Parameters["realm"], ch.Parameters["service"]
		switch strings.ToLower(ch.Scheme) {
		case "bearer":
			return fmt.Sprintf("GET /v2/: token authentication, realm %s, service %s", res.Realm, res.Service), nil
		case "":
			return "GET /v2/: open registry (no authentication asked)", nil
		}
		return "GET /v2/: " + ch.Scheme + " authentication", nil
	})
	if err != nil {
		return res, err
	}

	// 2. The login: a token for the pull scope (or none), then /v2/ with it.
	auth := &authn.Basic{Username: c.Username, Password: c.Password}
	var scopes []string
	if o.Image != "" {
		scopes = []string{repo.Scope(transport.PullScope)}
	}
	var authed http.RoundTripper
	err = ck.step("log in", func() (string, error) {
		var err error
		if authed, err = transport.NewWithContext(ctx, reg, auth, rt, scopes); err != nil {
			return "", ck.loginError(err)
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+c.Host()+"/v2/", nil)
		resp, err := authed.RoundTrip(req)
		if err != nil {
			return "", ck.loginError(err)
		}
		defer resp.Body.Close()
		if err := transport.CheckError(resp, http.StatusOK); err != nil {
			return "", ck.loginError(err)
		}
		switch {
		case res.Realm != "":
			return fmt.Sprintf("user %s got a token from %s", c.Username, res.Realm), nil
		case ch.Scheme == "":
			return "the registry needs no login", nil
		}
		return fmt.Sprintf("user %s accepted", c.Username), nil
	})
	if err != nil {
		return res, err
	}

	// 3. The pull check.
	if o.Image != "" {
		if ref == nil {
			err = ck.step("list tags", func() (string, error) {
				tags, err := remote.List(repo, remote.WithTransport(authed), remote.WithContext(ctx))
				if err != nil {
					return "", ck.registryError("list the tags of "+repo.RepositoryStr(), repo.RepositoryStr(), "", err)
				}
				res.Image = &ImageInfo{Reference: repo.Name(), Tags: tags}
				return fmt.Sprintf("repository %s: %d tags", repo.RepositoryStr(), len(tags)), nil
			})
		} else {
			err = ck.step("pull", func() (string, error) { return ck.pull(ctx, ref, authed) })
		}
		if err != nil {
			return res, err
		}
	}

	// 4. The push check.
	if o.Push {
		err = ck.step("push", func() (string, error) { return ck.push(ctx, reg, repo, auth, rt) })
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

// checker runs the steps of one Check and builds its errors.
type checker struct {
	c       Credentials
	res     *Result
	timeout time.Duration
}

func (ck *checker) step(name string, f func() (string, error)) error {
	start := time.Now()
	detail, err := f()
	s := Step{Name: name, OK: err == nil, Detail: detail, Millis: time.Since(start).Milliseconds()}
	if err != nil {
		s.Detail = ck.redact(err.Error())
	}
	ck.res.Steps = append(ck.res.Steps, s)
	return err
}

func (ck *checker) pull(ctx context.Context, ref name.Reference, authed http.RoundTripper) (string, error) {
	repo := ref.Context().RepositoryStr()
	what := "pull " + strings.TrimPrefix(ref.Name(), ck.c.Host()+"/")
	desc, err := remote.Get(ref, remote.WithTransport(authed), remote.WithContext(ctx))
	if err != nil {
		return "", ck.missingImage(ctx, what, ref, authed, err)
	}
	info := &ImageInfo{Reference: ref.Name(), Digest: desc.Digest.String(), MediaType: string(desc.MediaType)}
	ck.res.Image = info
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return "", ck.registryError(what, repo, ref.Identifier(), err)
		}
		m, err := idx.IndexManifest()
		if err != nil {
			return "", ck.registryError(what, repo, ref.Identifier(), err)
		}
		return fmt.Sprintf("%s: index %s with %d manifests", ref.Name(), desc.Digest, len(m.Manifests)), nil
	}
	img, err := desc.Image()
	if err != nil {
		return "", ck.registryError(what, repo, ref.Identifier(), err)
	}
	m, err := img.Manifest()
	if err != nil {
		return "", ck.registryError(what, repo, ref.Identifier(), err)
	}
	// The config blob: proves blob access with the same token, as a pull's
	// first download does.
	if _, err := img.RawConfigFile(); err != nil {
		return "", ck.registryError(what+" (config blob)", repo, ref.Identifier(), err)
	}
	info.Layers = len(m.Layers)
	info.Size = m.Config.Size
	for _, l := range m.Layers {
		info.Size += l.Size
	}
	layers := "layers"
	if info.Layers == 1 {
		layers = "layer"
	}
	return fmt.Sprintf("%s: manifest %s, %d %s, %d bytes", ref.Name(), desc.Digest, info.Layers, layers, info.Size), nil
}

// missingImage explains a failed manifest GET. A registry may answer
// MANIFEST_UNKNOWN for a repository that does not exist at all
// (distribution 2.8 does; ACR says NAME_UNKNOWN): the tag list tells the
// two apart and shows the tags there are.
func (ck *checker) missingImage(ctx context.Context, what string, ref name.Reference, authed http.RoundTripper, err error) error {
	repo := ref.Context().RepositoryStr()
	var terr *transport.Error
	if !errors.As(err, &terr) || terr.StatusCode != http.StatusNotFound || hasCode(terr, transport.NameUnknownErrorCode) {
		return ck.registryError(what, repo, ref.Identifier(), err)
	}
	tags, lerr := remote.List(ref.Context(), remote.WithTransport(authed), remote.WithContext(ctx))
	var lterr *transport.Error
	if errors.As(lerr, &lterr) && hasCode(lterr, transport.NameUnknownErrorCode) {
		return ck.registryError(what, repo, ref.Identifier(), lerr)
	}
	e := ck.registryError(what, repo, ref.Identifier(), err)
	if lerr == nil && e.Kind == KindNotFound {
		have := "none"
		if len(tags) > 0 {
			if len(tags) > 10 {
				tags = append(tags[:10], "...")
			}
			have = strings.Join(tags, ", ")
		}
		e.Reason += "; its tags: " + have
	}
	return e
}

// push starts an upload into repo with a push token and cancels it.
func (ck *checker) push(ctx context.Context, reg name.Registry, repo name.Repository, auth authn.Authenticator, rt http.RoundTripper) (string, error) {
	what := "push check " + repo.RepositoryStr()
	tr, err := transport.NewWithContext(ctx, reg, auth, rt, []string{repo.Scope(transport.PushScope)})
	if err != nil {
		return "", ck.loginError(err)
	}
	client := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	u := &url.URL{Scheme: "https", Host: reg.RegistryStr(), Path: "/v2/" + repo.RepositoryStr() + "/blobs/uploads/"}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), nil)
	resp, err := client.Do(req)
	if err != nil {
		return "", ck.registryError(what, repo.RepositoryStr(), "", err)
	}
	defer resp.Body.Close()
	if err := transport.CheckError(resp, http.StatusAccepted); err != nil {
		return "", ck.registryError(what, repo.RepositoryStr(), "", err)
	}
	if loc, err := resp.Location(); err == nil {
		del, _ := http.NewRequestWithContext(ctx, http.MethodDelete, loc.String(), nil)
		if r, err := client.Do(del); err == nil {
			r.Body.Close()
		}
	}
	return fmt.Sprintf("user %s may push to %s (upload started and cancelled)", ck.c.Username, repo.RepositoryStr()), nil
}

func newTransport(o CheckOptions) (*http.Transport, error) {
	pool := o.RootCAs
	if pool == nil {
		sys, err := x509.SystemCertPool()
		if err != nil {
			sys = x509.NewCertPool()
		}
		pool = sys
	}
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read registry.caFile: %w", err)
		}
		pool = pool.Clone()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("registry.caFile %s holds no PEM certificate", o.CAFile)
		}
	}
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           d.DialContext,
		TLSClientConfig:       &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   4,
	}, nil
}

// errPlainHTTP stops go-containerregistry's plain-HTTP fallback (it tries
// http:// for loopback and RFC 1918 registries): credentials never travel
// in clear text.
var errPlainHTTP = errors.New("refusing plain HTTP: the credentials would travel in clear text")

type httpsOnly struct{ inner http.RoundTripper }

func (h httpsOnly) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Scheme != "https" {
		return nil, errPlainHTTP
	}
	return h.inner.RoundTrip(r)
}

// ParseImage reads an image reference for registry server: "repo:tag",
// "repo@sha256:...", or "repo" alone (then ref is nil), optionally
// starting with server. A reference naming another registry is an error.
func ParseImage(server, image string) (ref name.Reference, repo name.Repository, err error) {
	host := Credentials{Server: server}.Host()
	img := strings.TrimSpace(image)
	if first, rest, ok := strings.Cut(img, "/"); ok && strings.EqualFold(first, host) {
		img = rest
	} else if ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		return nil, repo, fmt.Errorf("image %q names registry %s, not %s: give the repository alone (e.g. %s)", image, first, host, rest)
	}
	last := img[strings.LastIndexByte(img, '/')+1:]
	full := host + "/" + img
	if !strings.ContainsAny(last, ":@") {
		repo, err = name.NewRepository(full, name.StrictValidation)
		if err != nil {
			return nil, repo, fmt.Errorf("image %q is not a repository name: %w", image, err)
		}
		return nil, repo, nil
	}
	ref, err = name.ParseReference(full, name.StrictValidation)
	if err != nil {
		return nil, repo, fmt.Errorf("image %q is not an image reference (repository:tag or repository@sha256:...): %w", image, err)
	}
	return ref, ref.Context(), nil
}

// connectError explains why GET /v2/ failed.
func (ck *checker) connectError(err error) *Error {
	if e := ck.networkError("connect", err); e != nil {
		return e
	}
	var terr *transport.Error
	if errors.As(err, &terr) {
		return ck.newError(KindNotRegistry, "connect", fmt.Sprintf("GET /v2/ answered %d %s", terr.StatusCode, http.StatusText(terr.StatusCode)),
			"this is not a Docker registry (API v2) at that address: check registry.server (an ACR's login server is <registry name>.azurecr.io)", err)
	}
	if errors.Is(err, errPlainHTTP) {
		return ck.newError(KindTLS, "connect", err.Error(), "", err)
	}
	return ck.newError(KindOther, "connect", err.Error(), "", err)
}

// loginError explains a failed token exchange (or a refused /v2/ with
// the token).
func (ck *checker) loginError(err error) *Error {
	if e := ck.networkError("log in", err); e != nil {
		return e
	}
	var terr *transport.Error
	if !errors.As(err, &terr) {
		return ck.newError(KindOther, "log in", err.Error(), "", err)
	}
	said := serverSaid(terr)
	user := ck.c.Username
	sp := isServicePrincipal(user)
	if terr.Request != nil && terr.Request.URL.Path == "/v2/" {
		// The token service accepted the login, the registry not its token.
		return ck.newError(KindUnauthorized, "log in", fmt.Sprintf("the registry refused the token user %s got from %s (%s)", user, ck.res.Realm, said),
			"the registry does not trust its own token service: check the registry's token configuration (issuer, certificate) and this machine's clock", err)
	}
	switch {
	case terr.StatusCode == http.StatusUnauthorized && (strings.Contains(said, "AADSTS7000222") || strings.Contains(strings.ToLower(said), "expired")):
		return ck.newError(KindExpired, "log in", fmt.Sprintf("the secret of service principal %s has expired (the token service said %s)", user, said),
			fmt.Sprintf("create a new secret (az ad sp credential reset --id %s), write it into registry.passwordFile and run `registry check` again; agents cannot pull until they get the new credentials", user), err)
	case terr.StatusCode == http.StatusUnauthorized && sp:
		return ck.newError(KindUnauthorized, "log in", fmt.Sprintf("the token service refused service principal %s (%s)", user, said),
			"the application id or its secret is wrong, or the secret expired (service principal secrets expire, by default a year after they were made): check registry.username and registry.password / registry.passwordFile, and az ad sp credential list --id "+user, err)
	case terr.StatusCode == http.StatusUnauthorized:
		return ck.newError(KindUnauthorized, "log in", fmt.Sprintf("the token service refused user %s (%s)", user, said),
			"the user name or password is wrong: check registry.username and registry.password / registry.passwordFile (an ACR admin user is named after the registry and has two passwords, either works: az acr credential show -n <registry name>)", err)
	case terr.StatusCode == http.StatusForbidden:
		return ck.newError(KindDenied, "log in", fmt.Sprintf("user %s may not use this registry (%s)", user, said),
			"give the user a role on the registry (AcrPull to pull, AcrPush to push), or use the admin user", err)
	}
	return ck.newError(KindOther, "log in", fmt.Sprintf("the token service answered %s", said), "", err)
}

// registryError explains a failed pull, tag list or push.
func (ck *checker) registryError(what, repo, identifier string, err error) *Error {
	if e := ck.networkError(what, err); e != nil {
		return e
	}
	var terr *transport.Error
	if !errors.As(err, &terr) {
		return ck.newError(KindOther, what, err.Error(), "", err)
	}
	said := serverSaid(terr)
	push := strings.HasPrefix(what, "push")
	switch {
	case hasCode(terr, transport.NameUnknownErrorCode):
		return ck.newError(KindNotFound, what, fmt.Sprintf("repository %s does not exist (%s)", repo, said),
			"check registry.checkImage (az acr repository list -n <registry name>)", err)
	case hasCode(terr, transport.ManifestUnknownErrorCode) || terr.StatusCode == http.StatusNotFound:
		return ck.newError(KindNotFound, what, fmt.Sprintf("repository %s has no image %q (%s)", repo, identifier, said),
			"check registry.checkImage (az acr repository show-tags -n <registry name> --repository "+repo+")", err)
	case (terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden) && push:
		return ck.newError(KindDenied, what, fmt.Sprintf("user %s may not push to %s (%s)", ck.c.Username, repo, said),
			"pushing needs the AcrPush role (or the admin user); agents only pull, so this matters only where images are pushed", err)
	case terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden:
		return ck.newError(KindDenied, what, fmt.Sprintf("user %s logged in but may not pull from %s (%s)", ck.c.Username, repo, said),
			"give the user the AcrPull role on the registry (or use the admin user)", err)
	}
	return ck.newError(KindOther, what, said, "", err)
}

// networkError explains DNS, TCP and TLS failures, or returns nil.
func (ck *checker) networkError(op string, err error) *Error {
	host := ck.c.Host()
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var record tls.RecordHeaderError
	var dns *net.DNSError
	switch {
	case errors.As(err, &unknownCA):
		by := "an unknown authority"
		if unknownCA.Cert != nil {
			by = fmt.Sprintf("%q, which this machine does not trust", unknownCA.Cert.Issuer.String())
		}
		return ck.newError(KindTLS, op, "TLS: the registry's certificate is signed by "+by,
			"set registry.caFile to the PEM file of the CA that signed it (the agents' docker must trust that CA too, in /etc/docker/certs.d/"+host+"/ca.crt)", err)
	case errors.As(err, &hostname):
		reason := "TLS: " + strings.TrimPrefix(hostname.Error(), "x509: ")
		if c := hostname.Certificate; c != nil {
			names := append([]string(nil), c.DNSNames...)
			for _, ip := range c.IPAddresses {
				names = append(names, ip.String())
			}
			if len(names) > 0 {
				reason = fmt.Sprintf("TLS: the registry's certificate is for %s, not %s", strings.Join(names, ", "), hostname.Host)
			}
		}
		return ck.newError(KindTLS, op, reason, "set registry.server to a name the certificate was issued for", err)
	case errors.As(err, &invalid):
		return ck.newError(KindTLS, op, "TLS: "+strings.TrimPrefix(invalid.Error(), "x509: "),
			"the registry's certificate must be renewed (or this machine's clock is wrong)", err)
	case errors.As(err, &record), strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return ck.newError(KindTLS, op, "TLS: the server does not answer HTTPS (a plain-HTTP registry?)",
			"the tool only talks HTTPS to registries: credentials never travel in clear text", err)
	case errors.As(err, &dns) && dns.IsNotFound:
		return ck.newError(KindUnknownRegistry, op, fmt.Sprintf("no such host %q (DNS has no record of it)", dns.Name),
			"check registry.server: an ACR's login server is <registry name>.azurecr.io (az acr show -n <registry name> --query loginServer)", err)
	case errors.As(err, &dns):
		return ck.newError(KindConnection, op, fmt.Sprintf("DNS lookup of %q failed: %s", dns.Name, dns.Err),
			"check this machine's DNS resolver", err)
	case errors.Is(err, syscall.ECONNREFUSED):
		return ck.newError(KindConnection, op, "connection refused: nothing listens at "+hostPort(host),
			"check registry.server (host and port) and that the registry is up", err)
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return ck.newError(KindConnection, op, "no route to "+hostPort(host),
			"check the network between this machine and the registry", err)
	case isTimeout(err):
		return ck.newError(KindConnection, op, fmt.Sprintf("no answer from %s within %s", hostPort(host), ck.timeout),
			"check the address, firewalls on the way and HTTPS_PROXY / NO_PROXY", err)
	}
	return nil
}

func (ck *checker) newError(k Kind, op, reason, hint string, err error) *Error {
	return &Error{Kind: k, Server: ck.c.Host(), Op: op, Reason: ck.redact(reason), Hint: hint, Err: redactedError{ck.redact(err.Error()), err}}
}

// redact removes the password (and the base64 form docker configs hold)
// from text that came from elsewhere, should a server ever echo it.
func (ck *checker) redact(s string) string {
	if ck.c.Password == "" {
		return s
	}
	b64 := base64.StdEncoding.EncodeToString([]byte(ck.c.Username + ":" + ck.c.Password))
	return strings.NewReplacer(ck.c.Password, "[redacted]", b64, "[redacted]").Replace(s)
}

// redactedError keeps errors.Is/As working on the cause while its text is
// the redacted one.
type redactedError struct {
	msg   string
	cause error
}

func (r redactedError) Error() string { return r.msg }
func (r redactedError) Unwrap() error { return r.cause }

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

func hostPort(host string) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	return host + ":443"
}

// serverSaid is the status and error codes of a registry answer:
// "401 UNAUTHORIZED: authentication required".
func serverSaid(e *transport.Error) string {
	var parts []string
	for _, d := range e.Errors {
		if d.Message != "" {
			parts = append(parts, fmt.Sprintf("%s: %s", d.Code, d.Message))
		} else {
			parts = append(parts, string(d.Code))
		}
	}
	if len(parts) == 0 {
		return fmt.Sprintf("%d %s", e.StatusCode, http.StatusText(e.StatusCode))
	}
	return fmt.Sprintf("%d %s", e.StatusCode, strings.Join(parts, "; "))
}

func hasCode(e *transport.Error, code transport.ErrorCode) bool {
	for _, d := range e.Errors {
		if d.Code == code {
			return true
		}
	}
	return false
}

var appID = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// isServicePrincipal reports whether a user name is an Azure application
// id: ACR logs such users in as service principals.
func isServicePrincipal(user string) bool { return appID.MatchString(user) }
