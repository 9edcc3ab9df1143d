package installer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path"
	"strconv"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/installer/ssh"
)

// SSH connect retries while a fresh VM boots: up to sshAttempts tries,
// the first ones quick (TCP connect bounded by sshFirstConnect, doubling;
// waits from sshBackoffInitial, doubling) then every sshBackoffMax, about
// three minutes in all, always bounded by the run's context too.
const (
	sshAttempts       = 90
	sshFirstConnect   = time.Second
	sshBackoffInitial = 250 * time.Millisecond
	sshBackoffMax     = 2 * time.Second
)

// SecretRedactor hides every secret the config holds (vCenter, SSH, sudo,
// registry and ACS key passwords) in remote output and errors.
func SecretRedactor(c *config.Cluster) *ssh.Redactor {
	red := ssh.NewRedactor()
	for _, s := range []config.Secret{c.VCenter.Password, c.SSH.KeyPassphrase, c.SSH.Password, c.SSH.SudoPassword, c.Registry.Password, c.ACS.KeyPassphrase} {
		if s.IsSet() {
			red.Add(s.Value())
		}
	}
	return red
}

// NewSSHDialer returns the Dialer backed by package installer/ssh, with
// the config's user, auth, port, jump host and known_hosts file. Every
// secret the config holds is redacted from output lines and errors.
func NewSSHDialer(c *config.Cluster, events Sink) Dialer {
	red := SecretRedactor(c)
	base := ssh.Config{
		Port:                explicitPort(c, "ssh.port", c.SSH.Port),
		User:                explicitUser(c, "ssh.user", c.SSH.User),
		KeyFile:             c.SSH.KeyFile,
		KeyPassphrase:       c.SSH.KeyPassphrase.Value(),
		UseAgent:            c.SSH.Agent,
		Password:            c.SSH.Password.Value(),
		SudoPassword:        c.SSH.SudoPassword.Value(),
		KnownHostsFile:      c.SSH.KnownHostsFile,
		MaxAttempts:         sshAttempts,
		FirstConnectTimeout: sshFirstConnect,
		BackoffInitial:      sshBackoffInitial,
		BackoffMax:          sshBackoffMax,
		Redactor:            red,
	}
	res := ssh.NewResolver("", config.DefaultSSHUser)
	for _, p := range res.User.Problems {
		events.Emit(Event{Kind: Warning, Message: "ssh config " + p})
	}
	if j := c.SSH.JumpHost; j != nil {
		jump := base
		jump.Host, jump.Port, jump.SudoPassword, jump.Jump = j.Host, explicitPort(c, "ssh.jumpHost.port", j.Port), "", nil
		// jumpHost.user defaults to ssh.user, unless ~/.ssh/config names
		// the jump host's user.
		jump.User = j.User
		if !c.IsSet("ssh.jumpHost.user") && j.User == c.SSH.User {
			if h, _ := res.User.Host(j.Host); h.User != "" {
				jump.User = ""
			}
		}
		if j.KeyFile != "" {
			jump.KeyFile = j.KeyFile
		}
		base.Jump = &jump
	}
	return &sshDialer{base: base, events: events, resolver: res}
}

// explicitUser is a user the config gives (written in the file, or not
// the default), else "": ~/.ssh/config or the default then decide.
func explicitUser(c *config.Cluster, path, user string) string {
	if c.IsSet(path) || user != config.DefaultSSHUser {
		return user
	}
	return ""
}

// explicitPort is explicitUser for a port (0 when not given).
func explicitPort(c *config.Cluster, path string, port int) int {
	if c.IsSet(path) || (port != config.DefaultSSHPort && port != 0) {
		return port
	}
	return 0
}

type sshDialer struct {
	base     ssh.Config
	events   Sink
	resolver *ssh.Resolver
}

// forHost is the connection config of the node at ip: the config's
// settings completed by ~/.ssh/config, ssh-agent and the default keys.
func (d *sshDialer) forHost(ip string) (ssh.Config, error) {
	cfg := d.base
	cfg.Host = ip
	return d.resolver.Resolve(cfg)
}

// Answers probes ip's SSH port: a connection accepted or refused means a
// host is there. Through the jump host when there is one (the nodes'
// network may be reachable only from there).
func (d *sshDialer) Answers(ctx context.Context, ip string) (bool, error) {
	cfg, err := d.forHost(ip)
	if err != nil {
		return false, err
	}
	return ssh.Answers(ctx, cfg, cfg.Addr())
}

// Forget removes ip's known_hosts entries (its VM was destroyed).
func (d *sshDialer) Forget(ip string) error {
	file := d.base.KnownHostsFile
	if file == "" {
		return nil
	}
	addr := ip
	if cfg, err := d.forHost(ip); err == nil && cfg.Port != 0 && cfg.Port != 22 {
		addr = net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	}
	return ssh.ForgetHost(file, addr)
}

func (d *sshDialer) Dial(ctx context.Context, name, ip string, fresh bool) (Conn, error) {
	cfg, err := d.forHost(ip)
	if err != nil {
		return nil, err
	}
	cfg.FreshHost = fresh
	cfg.Log = func(msg string) { d.events.Emit(Event{Kind: Warning, Node: name, Message: msg}) }
	cfg.OnRetry = func(attempt int, wait time.Duration, err error) {
		d.events.Emit(Event{Kind: NodeStep, Node: name, Step: "ssh " + ip,
			Message: fmt.Sprintf("attempt %d failed (%v), retrying in %s", attempt, err, wait.Round(time.Millisecond))})
	}
	c, err := ssh.Dial(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &sshConn{c: c}, nil
}

// sshConn adapts *ssh.Client to Conn: everything runs as root via sudo.
type sshConn struct{ c *ssh.Client }

func (s *sshConn) Run(ctx context.Context, script Script, onLine func(string)) (string, error) {
	opts := ssh.RunOptions{Sudo: true, CaptureStdout: true}
	if onLine != nil {
		opts.OnLine = func(_, line string) { onLine(line) }
	}
	res, err := s.c.Run(ctx, script.Body, opts)
	var ce *ssh.CommandError
	if errors.As(err, &ce) && ce.ExitStatus == -1 && ctx.Err() == nil {
		// No exit status and our context is fine: the connection died.
		return res.Stdout, fmt.Errorf("%w: %w", ErrConnectionLost, err)
	}
	return res.Stdout, err
}

func (s *sshConn) mkdir(ctx context.Context, dir string) error {
	_, err := s.Run(ctx, Script{Name: "mkdir", Body: "mkdir -p " + shellQuote(dir)}, nil)
	return err
}

func (s *sshConn) Upload(ctx context.Context, localPath, remotePath string, mode os.FileMode, progress func(done, total int64)) (bool, error) {
	if err := s.mkdir(ctx, path.Dir(remotePath)); err != nil {
		return false, err
	}
	res, err := s.c.Upload(ctx, localPath, remotePath, mode, ssh.UploadOptions{Sudo: true, Progress: progress})
	return res.Skipped, err
}

func (s *sshConn) WriteFile(ctx context.Context, data []byte, remotePath string, mode os.FileMode) error {
	if err := s.mkdir(ctx, path.Dir(remotePath)); err != nil {
		return err
	}
	_, err := s.c.UploadReader(ctx, bytes.NewReader(data), int64(len(data)), remotePath, mode, ssh.UploadOptions{Sudo: true})
	return err
}

func (s *sshConn) HostKey() string { return s.c.HostKeyFingerprint() }
func (s *sshConn) Close() error    { return s.c.Close() }

// NodeSSHConfig is the connection config the installer uses for the node
// at ip (for commands that dial a node themselves); warn receives
// problems with ~/.ssh/config.
func NodeSSHConfig(c *config.Cluster, ip string, warn func(string)) (ssh.Config, error) {
	d := NewSSHDialer(c, SinkFunc(func(e Event) { warn(e.Message) })).(*sshDialer)
	return d.forHost(ip)
}
