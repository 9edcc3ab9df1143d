package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/dcos-vsphere/dcos-vsphere/acs"
	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/installer/ssh"
	"github.com/dcos-vsphere/dcos-vsphere/tui"
)

// liveACS is the guided setup's ACS check (tui.ACSChecker), through
// package acs. It first reads the master's host key without logging in
// (a key exchange only), so that a master not yet in the known_hosts file
// is shown to the user before anything else happens, and is recorded
// there only with the user's yes and after the login with exactly that
// key succeeded.
type liveACS struct{}

// errKeyRead ends the probe's key exchange once the host key is known.
var errKeyRead = errors.New("host key read")

// CheckACS implements tui.ACSChecker.
func (liveACS) CheckACS(ctx context.Context, a config.ACS, connect time.Duration, trust string) (tui.ACSMaster, error) {
	if a.Agent && os.Getenv("SSH_AUTH_SOCK") == "" {
		return tui.ACSMaster{}, tui.ErrACSNoAgent
	}
	addr := net.JoinHostPort(a.MasterFQDN, strconv.Itoa(a.SSHPort))
	host := knownhosts.Normalize(addr)
	recorded, err := recordedHostKeys(a.KnownHostsFile, addr)
	if err != nil {
		return tui.ACSMaster{}, err
	}
	presented, err := readHostKey(ctx, addr, keyAlgorithms(recorded), connect)
	if err != nil {
		return tui.ACSMaster{}, err
	}
	fingerprint := describeHostKey(presented)
	cfg := acs.FromConfig(a)
	cfg.ConnectTimeout = connect
	switch {
	case len(recorded) > 0 && !hasHostKey(recorded, presented):
		mismatch := &ssh.HostKeyMismatchError{Host: host, File: a.KnownHostsFile, Presented: fingerprint}
		for _, k := range recorded {
			mismatch.Known = append(mismatch.Known, ssh.KnownHostKey{Line: k.Line, Fingerprint: describeHostKey(k.Key)})
		}
		return tui.ACSMaster{}, fmt.Errorf("%w: %v", tui.ErrACSHostKeyChanged, mismatch)
	case len(recorded) == 0 && trust == "":
		return tui.ACSMaster{}, &tui.ACSHostKeyError{Host: host, File: a.KnownHostsFile, Fingerprint: fingerprint,
			Key: string(gossh.MarshalAuthorizedKey(presented))}
	case len(recorded) == 0:
		// Log in accepting only the key the user trusted: a scratch
		// known_hosts file holding just it stands in for the real one
		// until the login has succeeded.
		trusted, _, _, _, err := gossh.ParseAuthorizedKey([]byte(trust))
		if err != nil {
			return tui.ACSMaster{}, fmt.Errorf("the trusted host key: %w", err)
		}
		if !sameKey(trusted, presented) {
			return tui.ACSMaster{}, fmt.Errorf("%w: the ACS master %s now presents %s, not the key you trusted (%s); someone may be intercepting the connection",
				tui.ErrACSHostKeyChanged, host, fingerprint, describeHostKey(trusted))
		}
		scratch, err := os.MkdirTemp("", "dcos-vsphere-acs-")
		if err != nil {
			return tui.ACSMaster{}, err
		}
		defer os.RemoveAll(scratch)
		cfg.KnownHostsFile = filepath.Join(scratch, "known_hosts")
		if err := os.WriteFile(cfg.KnownHostsFile, []byte(knownhosts.Line([]string{addr}, trusted)+"\n"), 0o600); err != nil {
			return tui.ACSMaster{}, err
		}
	}
	m, err := acs.Connect(ctx, cfg)
	if err != nil {
		var mismatch *ssh.HostKeyMismatchError
		var sudo *ssh.SudoError
		switch {
		case errors.As(err, &mismatch) && cfg.KnownHostsFile != a.KnownHostsFile:
			return tui.ACSMaster{}, fmt.Errorf("%w: the ACS master %s now presents %s, not the key you trusted (%s); someone may be intercepting the connection",
				tui.ErrACSHostKeyChanged, host, mismatch.Presented, fingerprint)
		case errors.As(err, &mismatch):
			return tui.ACSMaster{}, fmt.Errorf("%w: %v", tui.ErrACSHostKeyChanged, mismatch)
		case errors.As(err, &sudo):
			return tui.ACSMaster{}, fmt.Errorf("%w: %v", tui.ErrACSSudo, err)
		case strings.Contains(err.Error(), "unable to authenticate"):
			return tui.ACSMaster{}, fmt.Errorf("%w: %v", tui.ErrACSLoginRefused, err)
		}
		return tui.ACSMaster{}, err
	}
	defer m.Close()
	if cfg.KnownHostsFile != a.KnownHostsFile {
		if err := recordHostKey(a.KnownHostsFile, addr, presented); err != nil {
			return tui.ACSMaster{}, err
		}
	}
	i := m.Info
	return tui.ACSMaster{Target: i.Target, HostKey: fingerprint, Hostname: i.Hostname, Version: i.Version,
		ClusterName: i.ClusterName, ClusterID: i.ClusterID, OS: i.OS, Warnings: m.Warnings}, nil
}

// readHostKey connects to addr and reads the SSH server's host key in
// the key exchange, offering algos (nil: any), then hangs up before any
// authentication. Bounded by timeout.
func readHostKey(ctx context.Context, addr string, algos []string, timeout time.Duration) (gossh.PublicKey, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("reach the ACS master %s: %w", addr, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	var key gossh.PublicKey
	_, _, _, err = gossh.NewClientConn(conn, addr, &gossh.ClientConfig{
		User:              "none", // never sent: the exchange ends at the host key
		HostKeyAlgorithms: algos,
		Timeout:           timeout,
		HostKeyCallback: func(_ string, _ net.Addr, k gossh.PublicKey) error {
			key = k
			return errKeyRead
		},
	})
	if key != nil {
		return key, nil
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("read the host key of the ACS master %s: %w", addr, ctx.Err())
	}
	return nil, fmt.Errorf("read the host key of the ACS master %s: %w", addr, err)
}

// recordedHostKeys are the keys file holds for addr (none when the file
// does not exist yet).
func recordedHostKeys(file, addr string) ([]knownhosts.KnownKey, error) {
	cb, err := knownhosts.New(file)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	// Any key not recorded makes knownhosts list the recorded ones.
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, err
	}
	probe, err := gossh.NewPublicKey(pub)
	if err != nil {
		return nil, err
	}
	var keyErr *knownhosts.KeyError
	if err := cb(addr, &net.TCPAddr{}, probe); !errors.As(err, &keyErr) {
		return nil, err
	}
	return keyErr.Want, nil
}

// keyAlgorithms are the host key algorithms of the recorded keys, so
// that a master known by its RSA key is not taken for changed because it
// also has an ed25519 key. Nil (any) for a host not recorded.
func keyAlgorithms(recorded []knownhosts.KnownKey) []string {
	var out []string
	for _, k := range recorded {
		if t := k.Key.Type(); t == gossh.KeyAlgoRSA {
			out = append(out, gossh.KeyAlgoRSASHA512, gossh.KeyAlgoRSASHA256, gossh.KeyAlgoRSA)
		} else {
			out = append(out, t)
		}
	}
	return out
}

func hasHostKey(recorded []knownhosts.KnownKey, k gossh.PublicKey) bool {
	for _, r := range recorded {
		if sameKey(r.Key, k) {
			return true
		}
	}
	return false
}

func sameKey(a, b gossh.PublicKey) bool { return string(a.Marshal()) == string(b.Marshal()) }

func describeHostKey(k gossh.PublicKey) string { return k.Type() + " " + gossh.FingerprintSHA256(k) }

// recordHostKey appends addr's key to the known_hosts file (created 0600,
// its directory 0700), as acs.Connect records a new host.
func recordHostKey(file, addr string, key gossh.PublicKey) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return fmt.Errorf("record the ACS master's host key: %w", err)
	}
	line := knownhosts.Line([]string{addr}, key) + "\n"
	if data, err := os.ReadFile(file); err == nil && len(data) > 0 && data[len(data)-1] != '\n' {
		line = "\n" + line // a file edited by hand may lack its last newline
	}
	f, err := os.OpenFile(file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("record the ACS master's host key: %w", err)
	}
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return fmt.Errorf("record the ACS master's host key in %s: %w", file, err)
	}
	return f.Close()
}
