// Package acr is the lab's stand-in for an Azure Container Registry: one
// HTTPS host:port (its own CA, certificate for the listen IP) whose
// /oauth2/token answers like ACR's (Basic authentication, the admin user
// named after the registry with two passwords, service principals whose
// secret expires, access_token only, ES256 JWTs with an x5c header,
// UNAUTHORIZED errors) and whose /v2/ is a real distribution registry:
// Debian's docker-registry 2.8, run with the package's own config on
// 127.0.0.1 behind a reverse proxy. The realm shares the registry's
// host:port, as on ACR (go-containerregistry refuses a realm on another
// private address). It needs no root: tests start one on 127.0.0.1; the
// lab starts one on its gateway. See lab/README.md for what it does not do.
package acr

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Options configures a lab registry.
type Options struct {
	// Dir holds the registry's files (created 0700, removed by Cleanup):
	// ca.pem, the registry config, its storage, log and pid file. Private
	// keys never touch it. Required.
	Dir string
	// Addr is the HTTPS listen address, an IP and port (default
	// 127.0.0.1:0, a free port). The login server is the address bound.
	Addr string
	// Name is the registry's name and so its admin user (default labacr).
	Name string
	// Binary is the distribution registry (default /usr/bin/docker-registry,
	// Debian package docker-registry).
	Binary string
	// Log receives one line per token decision and registry event; nil
	// discards.
	Log io.Writer
}

// DefaultBinary is Debian's distribution registry.
const DefaultBinary = "/usr/bin/docker-registry"

// Files in Dir.
const (
	CAFileName   = "ca.pem"
	configName   = "registry.yml"
	logName      = "registry.log"
	pidName      = "registry.pid"
	storageName  = "storage"
	markerName   = ".dcos-vsphere-lab-acr"
	issuer       = "dcos-vsphere-lab-acr"
	readyTimeout = 15 * time.Second
)

// Registry is a running lab registry. Start starts it, Close stops it.
type Registry struct {
	opts     Options
	host     string // login server: ip:port
	pki      *pki
	accounts *accounts
	srv      *http.Server
	backend  string // 127.0.0.1:port of docker-registry
	cmd      *exec.Cmd
	exited   chan struct{}
	logMu    sync.Mutex
	closed   sync.Once
}

// Start creates the CA and certificates, starts docker-registry on
// 127.0.0.1 with a config of its own and serves the ACR front on
// o.Addr. It first removes what an earlier registry in o.Dir left behind
// (a process of a killed lab included).
func Start(ctx context.Context, o Options) (*Registry, error) {
	if o.Dir == "" {
		return nil, errors.New("lab registry: Dir is required")
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, err
	}
	o.Dir = dir
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.Name == "" {
		o.Name = "labacr"
	}
	if o.Binary == "" {
		o.Binary = DefaultBinary
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	ap, err := netip.ParseAddrPort(o.Addr)
	if err != nil || !ap.Addr().Is4() || ap.Addr().IsUnspecified() {
		return nil, fmt.Errorf("lab registry: address %q must be IPv4:port with a concrete IP (the certificate names it)", o.Addr)
	}
	if _, err := os.Stat(o.Binary); err != nil {
		return nil, fmt.Errorf("lab registry: %s not found (Debian package docker-registry; scripts/deps.sh installs it)", o.Binary)
	}
	if err := Cleanup(o.Dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(o.Dir, storageName), 0o700); err != nil {
		return nil, fmt.Errorf("lab registry: %w", err)
	}
	if err := os.Chmod(o.Dir, 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(o.Dir, markerName), nil, 0o600); err != nil {
		return nil, fmt.Errorf("lab registry: %w", err)
	}

	r := &Registry{opts: o, exited: make(chan struct{})}
	ok := false
	defer func() {
		if !ok {
			r.Close()
		}
	}()
	ln, err := net.Listen("tcp4", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("lab registry: listen on %s: %w", o.Addr, err)
	}
	r.host = ln.Addr().String()
	if r.pki, err = newPKI(ap.Addr(), "dcos-vsphere lab ACR "+o.Name); err != nil {
		ln.Close()
		return nil, err
	}
	if err := os.WriteFile(r.CAFile(), r.pki.caPEM, 0o644); err != nil {
		ln.Close()
		return nil, fmt.Errorf("lab registry: %w", err)
	}
	r.accounts = &accounts{admin: o.Name, adminOn: true, sps: map[string]ServicePrincipal{}}
	for i := range r.accounts.passwords {
		if r.accounts.passwords[i], err = randomPassword(); err != nil {
			ln.Close()
			return nil, err
		}
	}
	if err := r.startBackend(ctx); err != nil {
		ln.Close()
		return nil, err
	}
	tokens := &tokenService{
		accounts: r.accounts, service: r.host, issuer: issuer, signer: r.pki.signer,
		x5c: base64.StdEncoding.EncodeToString(r.pki.signerDER), now: time.Now, logf: r.logf,
	}
	backendURL := &url.URL{Scheme: "http", Host: r.backend}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(backendURL)
			pr.Out.Host = pr.In.Host // the registry builds URLs and challenges for the front's name
			pr.SetXForwarded()
		},
		ModifyResponse: r.likeACR,
		ErrorHandler: func(w http.ResponseWriter, req *http.Request, err error) {
			r.logf("proxy %s %s: %v", req.Method, req.URL.Path, err)
			writeErrors(w, http.StatusBadGateway, "UNAVAILABLE", "the lab registry's backend does not answer")
		},
	}
	mux := http.NewServeMux()
	mux.Handle("/oauth2/token", tokens)
	mux.Handle("/v2/", proxy)
	mux.Handle("/v2", proxy)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeErrors(w, http.StatusNotFound, "NOT_FOUND", "the lab registry serves /v2/ and /oauth2/token only")
	})
	r.srv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{r.pki.server}},
		// Handshake errors (a client that does not trust the lab CA) go to
		// the lab's log, not stderr.
		ErrorLog: log.New(logWriter{r}, "", 0),
	}
	go func() {
		if err := r.srv.ServeTLS(ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			r.logf("HTTPS server stopped: %v", err)
		}
	}()
	ok = true
	r.logf("registry %s up (admin user %s, backend %s)", r.host, o.Name, r.backend)
	return r, nil
}

// listening is docker-registry's log line naming the address it bound.
var listening = regexp.MustCompile(`msg="listening on (127\.0\.0\.1:\d+)"`)

// startBackend writes the registry config and runs docker-registry on
// 127.0.0.1 (a port the kernel picks; the registry logs it), then waits
// until it answers /v2/ with its token challenge.
func (r *Registry) startBackend(ctx context.Context) error {
	secret, err := randomPassword()
	if err != nil {
		return err
	}
	cfg := fmt.Sprintf(`# dcos-vsphere lab registry (written by the lab; removed with it)
version: 0.1
log:
  level: info
  formatter: text
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:0
  host: https://%s
  relativeurls: true
  secret: %s
auth:
  token:
    realm: https://%s/oauth2/token
    service: %s
    issuer: %s
    rootcertbundle: %s
`, filepath.Join(r.opts.Dir, storageName), r.host, secret, r.host, r.host, issuer, r.CAFile())
	cfgPath := filepath.Join(r.opts.Dir, configName)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return fmt.Errorf("lab registry: write config: %w", err)
	}
	logFile, err := os.OpenFile(filepath.Join(r.opts.Dir, logName), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("lab registry: %w", err)
	}
	cmd := exec.Command(r.opts.Binary, "serve", cfgPath)
	cmd.Dir = r.opts.Dir
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"} // no REGISTRY_* overrides from our environment
	// Its own process group, and killed with the lab process even by kill -9.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		logFile.Close()
		return err
	}
	cmd.Stdout = logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("lab registry: start %s: %w", r.opts.Binary, err)
	}
	r.cmd = cmd
	if start, err := processStart(cmd.Process.Pid); err == nil {
		_ = os.WriteFile(filepath.Join(r.opts.Dir, pidName), []byte(fmt.Sprintf("%d %s\n", cmd.Process.Pid, start)), 0o600)
	}
	addr := make(chan string, 1)
	go func() {
		defer logFile.Close()
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			if m := listening.FindStringSubmatch(line); m != nil && !sent {
				addr <- m[1]
				sent = true
			}
			r.logMu.Lock()
			fmt.Fprintln(logFile, line)
			r.logMu.Unlock()
		}
	}()
	go func() {
		_ = cmd.Wait()
		close(r.exited)
	}()

	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	select {
	case r.backend = <-addr:
	case <-r.exited:
		return fmt.Errorf("lab registry: docker-registry exited at start: %s", r.logTail())
	case <-ctx.Done():
		return fmt.Errorf("lab registry: docker-registry did not say where it listens within %s: %s", readyTimeout, r.logTail())
	}
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		resp, err := client.Get("http://" + r.backend + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusUnauthorized {
				return nil
			}
			return fmt.Errorf("lab registry: docker-registry answers /v2/ with %s, want 401 (token auth)", resp.Status)
		}
		select {
		case <-r.exited:
			return fmt.Errorf("lab registry: docker-registry exited at start: %s", r.logTail())
		case <-ctx.Done():
			return fmt.Errorf("lab registry: docker-registry on %s does not answer: %w", r.backend, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// manifestPath matches /v2/<repository>/manifests/<reference>.
var manifestPath = regexp.MustCompile(`^/v2/(.+)/manifests/[^/]+$`)

// likeACR makes the registry's answers ACR's where they differ: a manifest
// of a repository that does not exist is 404 NAME_UNKNOWN on ACR, while
// distribution 2.8 says MANIFEST_UNKNOWN (docker then prints "manifest
// ... not found" instead of "repository ... not found").
func (r *Registry) likeACR(resp *http.Response) error {
	req := resp.Request
	m := manifestPath.FindStringSubmatch(req.URL.Path)
	if resp.StatusCode != http.StatusNotFound || m == nil || (req.Method != http.MethodGet && req.Method != http.MethodHead) {
		return nil
	}
	probe, err := http.NewRequestWithContext(req.Context(), http.MethodGet, "http://"+r.backend+"/v2/"+m[1]+"/tags/list", nil)
	if err != nil {
		return nil
	}
	probe.Header.Set("Authorization", req.Header.Get("Authorization"))
	pr, err := http.DefaultTransport.RoundTrip(probe)
	if err != nil {
		return nil
	}
	body, _ := io.ReadAll(io.LimitReader(pr.Body, 64<<10))
	pr.Body.Close()
	if pr.StatusCode != http.StatusNotFound || !strings.Contains(string(body), `"NAME_UNKNOWN"`) {
		return nil
	}
	resp.Body.Close()
	if req.Method == http.MethodHead {
		body = nil
	}
	resp.Body = io.NopCloser(strings.NewReader(string(body)))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	resp.Header.Set("Content-Type", "application/json; charset=utf-8")
	return nil
}

// logTail is the end of the registry's log, for start errors.
func (r *Registry) logTail() string {
	r.logMu.Lock()
	defer r.logMu.Unlock()
	b, _ := os.ReadFile(filepath.Join(r.opts.Dir, logName))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return strings.Join(lines, "\n")
}

func (r *Registry) logf(format string, args ...any) {
	fmt.Fprintf(r.opts.Log, "%s lab acr: %s\n", time.Now().UTC().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

// logWriter turns the HTTPS server's log lines into lab log lines.
type logWriter struct{ r *Registry }

func (w logWriter) Write(p []byte) (int, error) {
	w.r.logf("%s", strings.TrimSpace(string(p)))
	return len(p), nil
}

// Host is the login server, ip:port, as image references name it.
func (r *Registry) Host() string { return r.host }

// CAFile is the lab CA's certificate (PEM) that signed the registry's
// HTTPS certificate: what a client needs to trust it.
func (r *Registry) CAFile() string { return filepath.Join(r.opts.Dir, CAFileName) }

// CAPEM is the content of CAFile.
func (r *Registry) CAPEM() []byte { return append([]byte(nil), r.pki.caPEM...) }

// RootCAs is a pool holding only the lab CA.
func (r *Registry) RootCAs() *x509.CertPool { return r.pki.pool() }

// AdminUser is the admin user's name: the registry name.
func (r *Registry) AdminUser() string { return r.opts.Name }

// AdminPassword returns the admin user's password i (0 or 1; ACR's
// "password" and "password2"). Both log in.
func (r *Registry) AdminPassword(i int) string {
	r.accounts.mu.Lock()
	defer r.accounts.mu.Unlock()
	return r.accounts.passwords[i]
}

// RegenerateAdminPassword replaces password i with a new random one and
// returns it (az acr credential renew); the other one keeps working.
func (r *Registry) RegenerateAdminPassword(i int) (string, error) {
	p, err := randomPassword()
	if err != nil {
		return "", err
	}
	r.accounts.mu.Lock()
	r.accounts.passwords[i] = p
	r.accounts.mu.Unlock()
	r.logf("admin password %d regenerated", i+1)
	return p, nil
}

// SetAdminEnabled turns the admin user on or off (ACR's admin user is off
// until enabled; the lab's starts on).
func (r *Registry) SetAdminEnabled(on bool) {
	r.accounts.mu.Lock()
	r.accounts.adminOn = on
	r.accounts.mu.Unlock()
}

// AddServicePrincipal creates a service principal with a random app id
// and secret, the given role, whose secret expires at expires (in the past
// for an expired one).
func (r *Registry) AddServicePrincipal(role Role, expires time.Time) (ServicePrincipal, error) {
	if role.actions() == nil {
		return ServicePrincipal{}, fmt.Errorf("lab registry: unknown role %q", role)
	}
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return ServicePrincipal{}, err
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	secret, err := randomPassword()
	if err != nil {
		return ServicePrincipal{}, err
	}
	sp := ServicePrincipal{AppID: h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], Secret: secret, Expires: expires, Role: role}
	r.accounts.mu.Lock()
	r.accounts.sps[sp.AppID] = sp
	r.accounts.mu.Unlock()
	r.logf("service principal %s (%s) expires %s", sp.AppID, role, expires.UTC().Format(time.RFC3339))
	return sp, nil
}

// Close stops the front and the registry process and removes the pid
// file; Dir stays (Cleanup removes it).
func (r *Registry) Close() {
	r.closed.Do(func() {
		if r.srv != nil {
			// Close, not Shutdown: a client's half-open connection (a TLS
			// handshake never finished) would hold Shutdown for 5 s.
			_ = r.srv.Close()
		}
		if r.cmd != nil && r.cmd.Process != nil {
			_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGTERM)
			select {
			case <-r.exited:
			case <-time.After(5 * time.Second):
				_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
				<-r.exited
			}
		}
		_ = os.Remove(filepath.Join(r.opts.Dir, pidName))
	})
}

// Cleanup kills a registry process that a killed lab left in dir (found
// by its pid file, checked against the process's start time) and removes
// dir. It refuses a dir that is not a lab registry's.
func Cleanup(dir string) error {
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, markerName)); err != nil {
		entries, _ := os.ReadDir(dir)
		if len(entries) > 0 {
			return fmt.Errorf("lab registry: %s exists and is not a lab registry directory (no %s); not touching it", dir, markerName)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, pidName)); err == nil {
		f := strings.Fields(string(b))
		if len(f) == 2 {
			if pid, err := strconv.Atoi(f[0]); err == nil && pid > 1 {
				if start, err := processStart(pid); err == nil && start == f[1] {
					_ = syscall.Kill(-pid, syscall.SIGKILL)
					_ = syscall.Kill(pid, syscall.SIGKILL)
					waitGone(pid, f[1])
				}
			}
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("lab registry: remove %s: %w", dir, err)
	}
	return nil
}

// waitGone waits (at most 5 s) until the process with that start time has
// gone, so its files can be removed.
func waitGone(pid int, start string) {
	for i := 0; i < 250; i++ {
		if s, err := processStart(pid); err != nil || s != start {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// processStart is the start time of pid in clock ticks since boot
// (field 22 of /proc/PID/stat): with the pid, it names one process.
func processStart(pid int) (string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return "", fmt.Errorf("parse /proc/%d/stat", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return "", fmt.Errorf("parse /proc/%d/stat", pid)
	}
	if f[0] == "Z" {
		return "", fmt.Errorf("process %d is a zombie", pid)
	}
	return f[19], nil
}

// randomPassword is 32 random characters of ACR's password alphabet
// (letters, digits, '+', '/', '=' as base64 gives them).
func randomPassword() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}
