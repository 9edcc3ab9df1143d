package ssh

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pkg/sftp"
	gossh "golang.org/x/crypto/ssh"
)

// Client is one SSH connection to a host, reused for every command and
// upload. It is safe for concurrent use.
type Client struct {
	cfg         Config
	target      string // user@host:port
	conn        *gossh.Client
	jump        *Client
	ownsJump    bool // jump was dialled for this client (not Config.Via)
	fingerprint string

	sftpMu sync.Mutex
	sftp   *sftp.Client

	done      chan struct{}
	closeOnce sync.Once
	deadMu    sync.Mutex
	deadErr   error
}

// Dial connects to cfg's host (through cfg.Jump when set), retrying
// connection refused, unreachable, reset and timeouts with capped
// exponential backoff, at most cfg.MaxAttempts times and never past ctx.
// Authentication and host key failures are not retried. Errors are
// *ConnectError (ExitCode 3).
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	target := cfg.User + "@" + cfg.Addr()
	fail := func(attempts int, err error) (*Client, error) {
		return nil, &ConnectError{Target: target, Attempts: attempts, Err: err}
	}
	if err := cfg.validate(); err != nil {
		return fail(0, err)
	}
	auth, agentConn, tried, err := authMethods(cfg)
	if err != nil {
		return fail(0, err)
	}
	defer agentConn.Close()

	var jump *Client
	ownsJump := cfg.Via == nil && cfg.Jump != nil
	if cfg.Via != nil {
		jump = cfg.Via
	} else if cfg.Jump != nil {
		jcfg := *cfg.Jump
		if jcfg.Redactor == nil {
			jcfg.Redactor = cfg.Redactor
		}
		if jcfg.Log == nil {
			jcfg.Log = cfg.Log
		}
		if jcfg.KnownHostsFile == "" {
			jcfg.KnownHostsFile = cfg.KnownHostsFile
		}
		jump, err = Dial(ctx, jcfg)
		if err != nil {
			return fail(0, fmt.Errorf("jump host: %w", err))
		}
	}

	hk := &hostKeys{file: cfg.KnownHostsFile, fresh: cfg.FreshHost, log: cfg.Log}
	for attempt := 1; ; attempt++ {
		c, err := dialOnce(ctx, cfg, attempt, jump, auth, hk)
		if err == nil {
			c.target = target
			c.ownsJump = ownsJump
			return c, nil
		}
		if !retryable(err) || attempt >= cfg.MaxAttempts || ctx.Err() != nil {
			if ownsJump {
				jump.Close()
			}
			if strings.Contains(err.Error(), "unable to authenticate") {
				err = fmt.Errorf("%w (offered: %s)", err, strings.Join(orNone(tried), ", "))
			}
			return fail(attempt, err)
		}
		wait := cfg.backoff(attempt)
		if cfg.OnRetry != nil {
			cfg.OnRetry(attempt, wait, err)
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			if ownsJump {
				jump.Close()
			}
			return fail(attempt, fmt.Errorf("%w (last error: %w)", ctx.Err(), err))
		}
	}
}

func dialOnce(ctx context.Context, cfg Config, attempt int, jump *Client, auth []gossh.AuthMethod, hk *hostKeys) (*Client, error) {
	addr := cfg.Addr()
	algos, err := hk.knownAlgorithms(addr)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer cancel()

	var conn net.Conn
	dctx, dcancel := context.WithTimeout(ctx, cfg.connectTimeout(attempt))
	if jump != nil {
		conn, err = jump.conn.DialContext(dctx, "tcp", addr)
	} else {
		conn, err = (&net.Dialer{}).DialContext(dctx, "tcp", addr)
	}
	dcancel()
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", addr, err)
	}
	// The handshake has no context of its own: closing the connection
	// when ctx ends unblocks it.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	sc, chans, reqs, err := gossh.NewClientConn(conn, addr, &gossh.ClientConfig{
		User:              cfg.User,
		Auth:              auth,
		HostKeyCallback:   hk.check,
		HostKeyAlgorithms: algos,
		Timeout:           cfg.ConnectTimeout,
	})
	if !stop() {
		if err == nil {
			sc.Close()
		}
		return nil, fmt.Errorf("handshake with %s: %w", addr, ctx.Err())
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("handshake with %s: %w", addr, err)
	}
	c := &Client{
		cfg:         cfg,
		conn:        gossh.NewClient(sc, chans, reqs),
		jump:        jump,
		fingerprint: hk.fingerprint,
		done:        make(chan struct{}),
	}
	go func() {
		_ = c.conn.Wait()
		c.closeOnce.Do(func() { close(c.done) })
	}()
	if cfg.KeepaliveInterval > 0 {
		go c.keepalive(cfg.KeepaliveInterval, cfg.KeepaliveMaxMisses)
	}
	return c, nil
}

// retryable reports whether a connect attempt may succeed later: the host
// is booting (refused, unreachable, reset, timeout, sshd closing early).
func retryable(err error) bool {
	var mismatch *HostKeyMismatchError
	if errors.As(err, &mismatch) || strings.Contains(err.Error(), "unable to authenticate") {
		return false
	}
	var chErr *gossh.OpenChannelError
	if errors.As(err, &chErr) {
		return chErr.Reason == gossh.ConnectionFailed
	}
	for _, e := range []error{syscall.ECONNREFUSED, syscall.EHOSTUNREACH, syscall.ENETUNREACH,
		syscall.ECONNRESET, syscall.ECONNABORTED, syscall.ETIMEDOUT, io.EOF, io.ErrUnexpectedEOF,
		context.DeadlineExceeded} {
		if errors.Is(err, e) {
			return true
		}
	}
	var netErr net.Error
	return errors.As(err, &netErr) && netErr.Timeout()
}

// keepalive sends keepalive@openssh.com every interval and closes the
// connection when maxMisses in a row go unanswered.
func (c *Client) keepalive(interval time.Duration, maxMisses int) {
	t := time.NewTicker(interval)
	defer t.Stop()
	replies := make(chan error, 1)
	inFlight, misses := false, 0
	for {
		select {
		case <-c.done:
			return
		case err := <-replies:
			inFlight = false
			if err != nil {
				c.markDead(fmt.Errorf("keepalive: %w", err))
				return
			}
			misses = 0
		case <-t.C:
			if !inFlight {
				inFlight = true
				go func() {
					_, _, err := c.conn.SendRequest("keepalive@openssh.com", true, nil)
					replies <- err
				}()
				continue
			}
			if misses++; misses >= maxMisses {
				c.markDead(fmt.Errorf("connection dead: %d keepalives unanswered in %s", misses, time.Duration(misses)*interval))
				return
			}
		}
	}
}

func (c *Client) markDead(err error) {
	c.deadMu.Lock()
	if c.deadErr == nil {
		c.deadErr = err
	}
	c.deadMu.Unlock()
	c.conn.Close()
}

// Err returns why the connection died, or nil while it is alive.
func (c *Client) Err() error {
	select {
	case <-c.done:
	default:
		return nil
	}
	c.deadMu.Lock()
	defer c.deadMu.Unlock()
	if c.deadErr != nil {
		return c.deadErr
	}
	return errors.New("connection closed")
}

// DialContext opens a TCP connection from the host to addr (direct-tcpip,
// what `ssh -L` and `ssh -J` use): to a service on the host's loopback, or
// to a machine only the host can reach. The host's sshd must allow TCP
// forwarding. Closing the returned conn closes only that channel.
func (c *Client) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := c.conn.DialContext(ctx, network, addr)
	if err != nil {
		if dead := c.Err(); dead != nil {
			return nil, fmt.Errorf("connect to %s through %s: %w", addr, c.target, dead)
		}
		return nil, fmt.Errorf("connect to %s through %s: %w", addr, c.target, err)
	}
	return conn, nil
}

// HostKeyFingerprint is the SHA256 fingerprint of the host's key, as
// printed by ssh-keygen -l ("SHA256:...").
func (c *Client) HostKeyFingerprint() string { return c.fingerprint }

// Target is user@host:port.
func (c *Client) Target() string { return c.target }

// Close closes the SFTP session, the connection and the jump connection.
func (c *Client) Close() error {
	c.sftpMu.Lock()
	if c.sftp != nil {
		c.sftp.Close()
		c.sftp = nil
	}
	c.sftpMu.Unlock()
	c.markDead(errors.New("connection closed by the installer"))
	err := c.conn.Close()
	if c.jump != nil && c.ownsJump {
		c.jump.Close()
	}
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}
