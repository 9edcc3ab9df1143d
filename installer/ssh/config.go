package ssh

import (
	"fmt"
	"net"
	"strconv"
	"time"
)

// Defaults used when the matching Config field is zero.
const (
	DefaultPort               = 22
	DefaultConnectTimeout     = 10 * time.Second
	DefaultKeepaliveInterval  = 15 * time.Second
	DefaultKeepaliveMaxMisses = 3
	DefaultMaxAttempts        = 5
	DefaultBackoffInitial     = 1 * time.Second
	DefaultBackoffMax         = 15 * time.Second
)

// Config says how to reach and authenticate to one host. Secrets are plain
// strings resolved by the caller (prompt, environment variable, file); String
// never prints them.
type Config struct {
	Host string
	Port int // default 22
	User string

	// KeyFile is a private key in OpenSSH or PEM format. KeyPassphrase
	// decrypts it when it is passphrase-protected.
	KeyFile       string
	KeyPassphrase string
	// UseAgent authenticates with the keys of an ssh-agent found at
	// AgentSocket, or at $SSH_AUTH_SOCK when AgentSocket is empty.
	UseAgent    bool
	AgentSocket string
	// Password enables password and keyboard-interactive authentication.
	Password string
	// IdentityFiles are more private keys, tried after KeyFile and the
	// agent (from ~/.ssh/config or OpenSSH's defaults, see Resolver): one
	// that is missing, encrypted or unreadable is skipped, and the
	// authentication error says so.
	IdentityFiles []string
	// TryAgent uses the ssh-agent (AgentSocket or $SSH_AUTH_SOCK) when one
	// answers, and goes on without it otherwise: OpenSSH's default.
	TryAgent bool

	// SudoPassword is fed to `sudo -S` on stdin; empty means `sudo -n`.
	SudoPassword string

	// KnownHostsFile is required. It is created (0600, directory 0700) when
	// missing; unknown hosts are trusted on first use and appended.
	KnownHostsFile string
	// FreshHost says this run has just created the VM behind this address,
	// so a different key recorded for it is stale: it is replaced, and the
	// replacement is reported through Log.
	FreshHost bool

	// Jump is an optional jump host; the target is dialled through it. Its
	// KnownHostsFile, Redactor and Log default to the target's.
	Jump *Config
	// Via is an open connection to dial the target through (direct-tcpip
	// on it, as with Jump, but shared: many targets reuse one connection,
	// and closing the target leaves Via open). Jump is ignored when set.
	Via *Client

	ConnectTimeout time.Duration // per attempt: TCP connect + SSH handshake
	// FirstConnectTimeout, when set, bounds the TCP connect of the first
	// attempt and doubles with each attempt up to ConnectTimeout: a VM
	// that is still booting (its address not yet answering ARP, its
	// firewall dropping SYNs) costs a short wait, not a full timeout,
	// before the next try.
	FirstConnectTimeout time.Duration
	KeepaliveInterval   time.Duration // negative disables keepalives
	KeepaliveMaxMisses  int           // connection declared dead after this many unanswered keepalives
	MaxAttempts         int           // connect attempts, bounded also by the caller's context
	BackoffInitial      time.Duration
	BackoffMax          time.Duration

	// Redactor hides secrets in output lines and errors. The passwords and
	// passphrase above are added to it automatically.
	Redactor *Redactor
	// Log receives notable events (a replaced host key). May be nil.
	Log func(msg string)
	// OnRetry is called before waiting to retry a failed connect attempt.
	OnRetry func(attempt int, wait time.Duration, err error)
	// SFTPMaxPacket is the data size of one SFTP write (default
	// DefaultSFTPMaxPacket, sized for OpenSSH; 32768 suits any server).
	SFTPMaxPacket int
	// Uploads bounds concurrent uploads; nil shares one process-wide
	// limiter of DefaultConcurrentUploads.
	Uploads *UploadLimiter
}

// Addr is host:port.
func (c Config) Addr() string {
	port := c.Port
	if port == 0 {
		port = DefaultPort
	}
	return net.JoinHostPort(c.Host, strconv.Itoa(port))
}

// String describes the target without any secret.
func (c Config) String() string {
	s := c.User + "@" + c.Addr()
	switch {
	case c.Via != nil:
		s += " via " + c.Via.Target()
	case c.Jump != nil:
		s += " via " + c.Jump.String()
	}
	return s
}

// GoString keeps %#v from printing secrets.
func (c Config) GoString() string { return "ssh.Config(" + c.String() + ")" }

func (c Config) withDefaults() Config {
	if c.Port == 0 {
		c.Port = DefaultPort
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.KeepaliveInterval == 0 {
		c.KeepaliveInterval = DefaultKeepaliveInterval
	}
	if c.KeepaliveMaxMisses <= 0 {
		c.KeepaliveMaxMisses = DefaultKeepaliveMaxMisses
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.BackoffInitial <= 0 {
		c.BackoffInitial = DefaultBackoffInitial
	}
	if c.BackoffMax <= 0 {
		c.BackoffMax = DefaultBackoffMax
	}
	if c.SFTPMaxPacket <= 0 {
		c.SFTPMaxPacket = DefaultSFTPMaxPacket
	}
	if c.Redactor == nil {
		c.Redactor = NewRedactor()
	}
	c.Redactor.Add(c.Password, c.KeyPassphrase, c.SudoPassword)
	return c
}

func (c Config) validate() error {
	switch {
	case c.Host == "":
		return fmt.Errorf("ssh.host is empty")
	case c.User == "":
		return fmt.Errorf("ssh.user is empty")
	case c.Port < 1 || c.Port > 65535:
		return fmt.Errorf("ssh.port %d is out of range 1-65535", c.Port)
	case c.KnownHostsFile == "":
		return fmt.Errorf("ssh.knownHostsFile is empty (host keys are always checked)")
	case c.KeyFile == "" && !c.UseAgent && c.Password == "" && !c.TryAgent && len(c.IdentityFiles) == 0:
		return fmt.Errorf("no SSH authentication configured: set ssh.keyFile, ssh.agent or ssh.password (or put a key at ~/.ssh/id_ed25519, or start ssh-agent)")
	}
	return nil
}

// connectTimeout bounds the TCP connect of attempt (1-based).
func (c Config) connectTimeout(attempt int) time.Duration {
	if c.FirstConnectTimeout <= 0 || c.FirstConnectTimeout >= c.ConnectTimeout {
		return c.ConnectTimeout
	}
	d := c.FirstConnectTimeout
	for i := 1; i < attempt && d < c.ConnectTimeout; i++ {
		d *= 2
	}
	return min(d, c.ConnectTimeout)
}

// backoff returns the wait before attempt+1: initial * 2^(attempt-1), capped.
func (c Config) backoff(attempt int) time.Duration {
	d := c.BackoffInitial
	for i := 1; i < attempt && d < c.BackoffMax; i++ {
		d *= 2
	}
	return min(d, c.BackoffMax)
}
