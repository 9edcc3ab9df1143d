package ssh

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// maxJumpHops bounds a ProxyJump chain (and so a loop of ProxyJumps).
const maxJumpHops = 8

// DefaultIdentityNames are the keys OpenSSH's ssh tries in ~/.ssh when no
// IdentityFile is configured, in its order.
var DefaultIdentityNames = []string{"id_rsa", "id_ecdsa", "id_ecdsa_sk", "id_ed25519", "id_ed25519_sk", "id_xmss", "id_dsa"}

// Resolver completes a Config with what an OpenSSH user has set up: the
// Host entries of ~/.ssh/config for the host (HostName, User, Port,
// IdentityFile, IdentitiesOnly, IdentityAgent, ProxyJump), and, when the
// Config names no login method, ssh-agent and the default identities
// (~/.ssh/id_rsa, id_ecdsa, id_ed25519, ...) as ssh does.
//
// What the Config itself says wins: a non-empty User, a non-zero Port, a
// Jump or Via, and any of KeyFile, UseAgent, Password (then exactly those
// are used). Host keys are always checked against Config.KnownHostsFile,
// whatever ~/.ssh/config says about them.
type Resolver struct {
	// User is the parsed OpenSSH configuration; nil means none.
	User *UserConfig
	// Home holds .ssh/ with the default identities.
	Home string
	// DefaultUser is the login when neither the Config nor ~/.ssh/config
	// names one.
	DefaultUser string
}

// NewResolver reads the OpenSSH configuration of the user whose home is
// home (os.UserHomeDir() when ""), with defaultUser as the last resort.
func NewResolver(home, defaultUser string) *Resolver {
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	return &Resolver{User: LoadUserConfig(home), Home: home, DefaultUser: defaultUser}
}

// Resolve returns cfg completed for its Host (an address or a Host alias
// of ~/.ssh/config), its jump hosts resolved the same way.
// Its errors are *UserConfigError.
func (r *Resolver) Resolve(cfg Config) (Config, error) {
	out, err := r.resolve(cfg, 0, false)
	if err != nil {
		return cfg, &UserConfigError{Host: cfg.Host, Err: err}
	}
	return out, nil
}

// UserConfigError is a host's ~/.ssh/config entry that cannot be used
// (a ProxyCommand, a bad port, a ProxyJump loop): the configuration must
// change, so its ExitCode is 2.
type UserConfigError struct {
	Host string
	Err  error
}

func (e *UserConfigError) Error() string { return "ssh config for " + e.Host + ": " + e.Err.Error() }
func (e *UserConfigError) Unwrap() error { return e.Err }

// ExitCode is 2: a configuration problem.
func (e *UserConfigError) ExitCode() int { return 2 }

// resolve completes cfg; noProxyJump leaves its ProxyJump unfollowed (a
// hop of a ProxyJump list, whose jump host is the list's previous one).
func (r *Resolver) resolve(cfg Config, depth int, noProxyJump bool) (Config, error) {
	if depth > maxJumpHops {
		return cfg, fmt.Errorf("ProxyJump: more than %d jump hosts (a loop in ~/.ssh/config?)", maxJumpHops)
	}
	alias := cfg.Host
	h, err := r.User.Host(alias)
	if err != nil {
		return cfg, err
	}
	if h.HostName != "" {
		cfg.Host = h.HostName
	}
	if cfg.User == "" {
		cfg.User = h.User
	}
	if cfg.User == "" {
		cfg.User = r.DefaultUser
	}
	if cfg.Port == 0 {
		cfg.Port = h.Port
	}
	if cfg.KeyFile == "" && !cfg.UseAgent && cfg.Password == "" {
		cfg.IdentityFiles = h.IdentityFiles
		if len(cfg.IdentityFiles) == 0 {
			cfg.IdentityFiles = r.defaultIdentities()
		}
		switch agent := h.IdentityAgent; {
		case h.IdentitiesOnly, agent == "none":
		case agent == "" || agent == "SSH_AUTH_SOCK":
			cfg.TryAgent = true
		case strings.HasPrefix(agent, "$"):
			cfg.TryAgent, cfg.AgentSocket = true, os.Getenv(strings.TrimPrefix(agent, "$"))
		default:
			cfg.TryAgent, cfg.AgentSocket = true, agent
		}
	}
	switch {
	case cfg.Via != nil:
	case cfg.Jump != nil:
		j, err := r.resolve(*cfg.Jump, depth+1, false)
		if err != nil {
			return cfg, fmt.Errorf("jump host %s: %w", cfg.Jump.Host, err)
		}
		cfg.Jump = &j
	case noProxyJump:
	case h.ProxyJump != "" && !strings.EqualFold(h.ProxyJump, "none"):
		jump, err := r.proxyJump(h, cfg, depth)
		if err != nil {
			return cfg, err
		}
		cfg.Jump = jump
	case h.ProxyCommand != "" && !strings.EqualFold(h.ProxyCommand, "none"):
		return cfg, fmt.Errorf("%s: host %s has ProxyCommand %q, which dcos-vsphere does not run (it runs no local commands): use ProxyJump, or ssh.jumpHost in cluster.yaml",
			h.Source, alias, h.ProxyCommand)
	}
	return cfg, nil
}

// proxyJump turns "[user@]host[:port][,...]" into the jump chain of cfg:
// the last host is the one cfg is dialled through, each one before it is
// the next's jump host, as ssh -J does. Each hop is configured by its own
// Host entry (not by cfg's login settings), like ssh.
func (r *Resolver) proxyJump(h HostConfig, cfg Config, depth int) (*Config, error) {
	hops := strings.Split(h.ProxyJump, ",")
	var prev *Config
	for _, hop := range hops {
		hop = strings.TrimSpace(strings.TrimPrefix(hop, "ssh://"))
		jc := Config{KnownHostsFile: cfg.KnownHostsFile, ConnectTimeout: cfg.ConnectTimeout, KeepaliveInterval: cfg.KeepaliveInterval,
			KeepaliveMaxMisses: cfg.KeepaliveMaxMisses, MaxAttempts: cfg.MaxAttempts, BackoffInitial: cfg.BackoffInitial, BackoffMax: cfg.BackoffMax,
			Redactor: cfg.Redactor, Log: cfg.Log}
		if user, rest, ok := strings.Cut(hop, "@"); ok {
			jc.User, hop = user, rest
		}
		if host, port, err := net.SplitHostPort(hop); err == nil {
			p, err := strconv.Atoi(port)
			if err != nil || p < 1 || p > 65535 {
				return nil, fmt.Errorf("%s: ProxyJump %q of host %s: bad port %q", h.Source, h.ProxyJump, h.Alias, port)
			}
			jc.Host, jc.Port = host, p
		} else {
			jc.Host = hop
		}
		if jc.Host == "" {
			return nil, fmt.Errorf("%s: ProxyJump %q of host %s names no host", h.Source, h.ProxyJump, h.Alias)
		}
		// The first hop follows its own ProxyJump; the others are reached
		// through the hop before them (ssh -J does the same).
		resolved, err := r.resolve(jc, depth+1, prev != nil)
		if err != nil {
			return nil, fmt.Errorf("jump host %s: %w", jc.Host, err)
		}
		if prev != nil {
			resolved.Jump = prev
		}
		prev = &resolved
	}
	return prev, nil
}

// defaultIdentities are OpenSSH's default key files that exist.
func (r *Resolver) defaultIdentities() []string {
	if r.Home == "" {
		return nil
	}
	var out []string
	for _, name := range DefaultIdentityNames {
		p := filepath.Join(r.Home, ".ssh", name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			out = append(out, p)
		}
	}
	return out
}
