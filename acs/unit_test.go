package acs

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/installer/ssh"
)

// A master that does not answer fails with a connection error (exit 3)
// naming the target, after a bounded number of attempts.
func TestConnectUnreachableMaster(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // now nothing listens there
	dir := t.TempDir()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, _ := gossh.MarshalPrivateKey(priv, "")
	key := filepath.Join(dir, "id")
	if err := os.WriteFile(key, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := Config{MasterFQDN: "127.0.0.1", SSHPort: port, KeyFile: key, KnownHostsFile: filepath.Join(dir, "kh"), ConnectTimeout: 2 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	_, err = Connect(ctx, cfg)
	var ce *ssh.ConnectError
	if !errors.As(err, &ce) || ce.ExitCode() != 3 || !strings.Contains(err.Error(), "azureuser@127.0.0.1:"+strconv.Itoa(port)) {
		t.Fatalf("err = %v, want a connection error for azureuser@127.0.0.1:%d", err, port)
	}
	if ce.Attempts != masterAttempts {
		t.Errorf("%d attempts, want %d", ce.Attempts, masterAttempts)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("gave up after %s", d)
	}
}

func TestFromConfigTakesTheACSSection(t *testing.T) {
	c := FromConfig(config.ACS{MasterFQDN: "acs-mgmt.example", SSHPort: 2201, User: "admin", KeyFile: "/k", Agent: true, KnownHostsFile: "/kh"})
	if c.MasterFQDN != "acs-mgmt.example" || c.SSHPort != 2201 || c.User != "admin" || c.KeyFile != "/k" || !c.UseAgent || c.KnownHostsFile != "/kh" {
		t.Errorf("FromConfig = %+v", c)
	}
	d := Config{}.withDefaults()
	if d.SSHPort != 2200 || d.User != "azureuser" {
		t.Errorf("defaults = %+v", d)
	}
}

func TestAgentIP(t *testing.T) {
	for _, c := range []struct{ pid, host, want string }{
		{"slave(1)@10.32.0.4:5051", "10.32.0.4", "10.32.0.4"},
		{"slave(1)@10.32.0.5:5051", "agent-5.example", "10.32.0.5"},
		{"", "10.0.0.6", "10.0.0.6"},
		{"slave(1)@host:5051", "host", ""},
	} {
		if got := agentIP(c.pid, c.host); got != c.want {
			t.Errorf("agentIP(%q, %q) = %q, want %q", c.pid, c.host, got, c.want)
		}
	}
}

func TestPartialErrorNamesFailedAgents(t *testing.T) {
	res := SyncResult{Agents: []AgentResult{
		{Agent: Agent{IP: "10.32.0.4", Role: RoleAgent}, Name: "dcos-agent-private-0", State: StateCurrent},
		{Agent: Agent{IP: "10.32.0.5", Role: RoleAgent}, Name: "agent 1234-S1", State: StateUnreachable, Error: "no route to host"},
	}}
	err := res.Err()
	var pe *PartialError
	if !errors.As(err, &pe) || pe.ExitCode() != ExitPartial || ExitPartial == 1 || ExitPartial == 2 || ExitPartial == 3 || ExitPartial == 4 {
		t.Fatalf("err = %v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "1 of 2") || !strings.Contains(msg, "agent 1234-S1 (10.32.0.5, agent): unreachable: no route to host") {
		t.Errorf("message: %s", msg)
	}
	if (SyncResult{Agents: res.Agents[:1]}).Err() != nil {
		t.Error("no failure gave an error")
	}
}

func TestParseOSRelease(t *testing.T) {
	m := parseOSRelease("NAME=\"Ubuntu\"\nVERSION_ID=\"16.04\"\nID=ubuntu\nPRETTY_NAME=\"Ubuntu 16.04.2 LTS\"\n")
	if m["ID"] != "ubuntu" || m["VERSION_ID"] != "16.04" || m["PRETTY_NAME"] != "Ubuntu 16.04.2 LTS" {
		t.Errorf("parsed %v", m)
	}
}
