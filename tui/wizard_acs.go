package tui

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// ACSChecker is how the guided setup checks its ACS answers: one live
// login to the ACS master. The wizard calls it from a goroutine of its
// own with a bounded context. The CLI implements it with package acs;
// tests use fakes.
type ACSChecker interface {
	// CheckACS logs in to the master that a names (a.KnownHostsFile is
	// set), checks passwordless sudo and reads what the cluster is.
	// Reaching the master (TCP and the SSH key exchange) is bounded by
	// connect, the rest by ctx.
	//
	// The master's host key is checked against a.KnownHostsFile before
	// any login is attempted. A recorded key that differs matches
	// ErrACSHostKeyChanged, with both fingerprints in the message. A
	// master not recorded there is an *ACSHostKeyError, unless trust is
	// that error's Key (the user agreed to trust it): then the login goes
	// ahead only if the master presents exactly that key, and the key is
	// recorded in a.KnownHostsFile once the login succeeded (as acs.Connect
	// records a new host). A refused login matches ErrACSLoginRefused,
	// failing sudo ErrACSSudo, ssh-agent asked for but not running
	// ErrACSNoAgent. The private key is never copied anywhere.
	CheckACS(ctx context.Context, a config.ACS, connect time.Duration, trust string) (ACSMaster, error)
}

// What CheckACS's errors match (errors.Is), for the ACS page to explain.
var (
	ErrACSHostKeyChanged = errors.New("the ACS master's host key is not the one recorded")
	ErrACSLoginRefused   = errors.New("the ACS master refused the login")
	ErrACSSudo           = errors.New("passwordless sudo failed on the ACS master")
	ErrACSNoAgent        = errors.New("no ssh-agent: SSH_AUTH_SOCK is not set")
)

// ACSHostKeyError is a master whose host key is not recorded yet: the
// wizard shows it for trust on first use.
type ACSHostKeyError struct {
	Host        string // as known_hosts writes it: [fqdn]:2200
	File        string // the known_hosts file it is not in
	Fingerprint string // "ssh-ed25519 SHA256:..."
	Key         string // the key in authorized_keys form, passed back as CheckACS's trust
}

func (e *ACSHostKeyError) Error() string {
	return fmt.Sprintf("the ACS master %s is not in %s yet: it presents %s", e.Host, e.File, e.Fingerprint)
}

// ACSMaster is what the login found on the ACS master.
type ACSMaster struct {
	Target      string // user@fqdn:port
	HostKey     string // "ssh-rsa SHA256:..."
	Hostname    string
	Version     string // DC/OS version (dcos-version.json)
	ClusterName string
	ClusterID   string
	OS          string
	// Warnings are findings that did not stop the login (a DC/OS other
	// than 1.x, an unreadable cluster name).
	Warnings []string
}
