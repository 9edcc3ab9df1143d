package acs

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/installer/ssh"
)

// Defaults of Config.
const (
	DefaultSSHPort        = 2200
	DefaultUser           = "azureuser"
	DefaultConnectTimeout = 15 * time.Second
	// masterAttempts bounds connects to the master: it is a running VM
	// behind a load balancer, not one that is booting.
	masterAttempts = 3
	// httpTimeout bounds one request to a master service.
	httpTimeout = 20 * time.Second
)

// Where the master's services are, seen from the master.
const (
	adminRouterAddr = "127.0.0.1:80"
	threeDTAddr     = "127.0.0.1:1050"
	clusterIDPath   = "/var/lib/dcos/cluster-id"
)

// Config says how to reach the ACS masters.
type Config struct {
	MasterFQDN string
	SSHPort    int // default 2200 (master 0); 2200+i reaches master i
	User       string
	KeyFile    string
	// KeyPassphrase unlocks an encrypted KeyFile (secret: never logged).
	KeyPassphrase string
	UseAgent      bool
	// KnownHostsFile is required: the master's key as [fqdn]:2200 and each
	// agent's by address, trusted on first use.
	KnownHostsFile string
	ConnectTimeout time.Duration
	// Redactor hides secrets in remote output and errors (may be nil).
	Redactor *ssh.Redactor
	// Log receives notable events (may be nil).
	Log func(msg string)
}

// FromConfig is the Config of a cluster.yaml acs section (defaults
// applied by config.Load).
func FromConfig(a config.ACS) Config {
	return Config{MasterFQDN: a.MasterFQDN, SSHPort: a.SSHPort, User: a.User, KeyFile: a.KeyFile, KeyPassphrase: a.KeyPassphrase.Value(),
		UseAgent: a.Agent, KnownHostsFile: a.KnownHostsFile}
}

func (c Config) withDefaults() Config {
	if c.SSHPort == 0 {
		c.SSHPort = DefaultSSHPort
	}
	if c.User == "" {
		c.User = DefaultUser
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.Redactor == nil {
		c.Redactor = ssh.NewRedactor()
	}
	return c
}

func (c Config) sshConfig(host string, port int) ssh.Config {
	return ssh.Config{Host: host, Port: port, User: c.User, KeyFile: c.KeyFile, KeyPassphrase: c.KeyPassphrase, UseAgent: c.UseAgent,
		KnownHostsFile: c.KnownHostsFile, ConnectTimeout: c.ConnectTimeout, MaxAttempts: masterAttempts,
		BackoffInitial: 500 * time.Millisecond, BackoffMax: 2 * time.Second, Redactor: c.Redactor, Log: c.Log}
}

// MasterInfo is what Connect learned about the master and the cluster.
type MasterInfo struct {
	Target      string `json:"target"` // user@fqdn:port
	HostKey     string `json:"hostKey"`
	Hostname    string `json:"hostname"`
	ClusterID   string `json:"clusterId"`
	ClusterName string `json:"clusterName,omitempty"`
	Version     string `json:"version"`
	OS          string `json:"os"` // PRETTY_NAME of /etc/os-release
	OSID        string `json:"osId"`
	OSVersion   string `json:"osVersion"`
}

// Master is a logged-in connection to an ACS master; everything else
// travels over it.
type Master struct {
	cfg    Config
	client *ssh.Client
	http   *http.Client
	Info   MasterInfo
	// Warnings are findings that did not stop Connect.
	Warnings []string
}

// Connect logs in to the master, checks `sudo -n`, and reads the cluster
// id (/var/lib/dcos/cluster-id), the DC/OS version (Admin Router's
// /dcos-metadata/dcos-version.json), the cluster name (Mesos
// state-summary) and the OS. Connection, host key and sudo failures keep
// their installer/ssh types (exit code 3).
func Connect(ctx context.Context, cfg Config) (*Master, error) {
	cfg = cfg.withDefaults()
	if cfg.MasterFQDN == "" {
		return nil, fmt.Errorf("acs: no master FQDN (acs.masterFQDN)")
	}
	c, err := ssh.Dial(ctx, cfg.sshConfig(cfg.MasterFQDN, cfg.SSHPort))
	if err != nil {
		return nil, fmt.Errorf("connect to the ACS master: %w", err)
	}
	m := &Master{cfg: cfg, client: c}
	m.http = &http.Client{Timeout: httpTimeout, Transport: &http.Transport{
		DialContext:       func(ctx context.Context, _, addr string) (net.Conn, error) { return c.DialContext(ctx, "tcp", addr) },
		DisableKeepAlives: true,
	}}
	m.Info.Target, m.Info.HostKey = c.Target(), c.HostKeyFingerprint()
	if err := m.readFacts(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return m, nil
}

// Close ends the master connection (and every channel over it).
func (m *Master) Close() error { return m.client.Close() }

func (m *Master) readFacts(ctx context.Context) error {
	if _, err := m.client.Run(ctx, "true", ssh.RunOptions{Sudo: true}); err != nil {
		return fmt.Errorf("check passwordless sudo on the ACS master %s: %w", m.Info.Target, err)
	}
	res, err := m.client.Run(ctx, "hostname; echo ---; cat "+clusterIDPath+"; echo ---; cat /etc/os-release",
		ssh.RunOptions{Sudo: true, CaptureStdout: true})
	if err != nil {
		return fmt.Errorf("read the cluster id and OS on the ACS master %s (is DC/OS installed there?): %w", m.Info.Target, err)
	}
	parts := strings.SplitN(res.Stdout, "---\n", 3)
	if len(parts) != 3 {
		return fmt.Errorf("read facts on the ACS master %s: unexpected output", m.Info.Target)
	}
	m.Info.Hostname = strings.TrimSpace(parts[0])
	m.Info.ClusterID = strings.TrimSpace(strings.SplitN(parts[1], "\n", 2)[0])
	rel := parseOSRelease(parts[2])
	m.Info.OS, m.Info.OSID, m.Info.OSVersion = rel["PRETTY_NAME"], rel["ID"], rel["VERSION_ID"]
	if !clusterIDPattern.MatchString(m.Info.ClusterID) {
		return fmt.Errorf("the ACS master %s: %s holds %q, not a DC/OS cluster id", m.Info.Target, clusterIDPath, m.Info.ClusterID)
	}

	var version struct {
		Version string `json:"version"`
	}
	if err := m.GetJSON(ctx, adminRouterAddr, "/dcos-metadata/dcos-version.json", &version); err != nil {
		return fmt.Errorf("read the DC/OS version on the ACS master %s: %w", m.Info.Target, err)
	}
	m.Info.Version = version.Version
	if !strings.HasPrefix(m.Info.Version, "1.") {
		m.Warnings = append(m.Warnings, fmt.Sprintf("the ACS cluster runs DC/OS %q; this tool is made for 1.9", m.Info.Version))
	}
	var summary struct {
		Cluster string `json:"cluster"`
	}
	if err := m.GetJSON(ctx, adminRouterAddr, "/mesos/state-summary", &summary); err == nil {
		m.Info.ClusterName = summary.Cluster
	} else {
		m.Warnings = append(m.Warnings, "read the cluster name from /mesos/state-summary: "+err.Error())
	}
	var meta struct {
		ClusterID string `json:"CLUSTER_ID"`
	}
	if err := m.GetJSON(ctx, adminRouterAddr, "/metadata", &meta); err == nil && meta.ClusterID != "" && meta.ClusterID != m.Info.ClusterID {
		m.Warnings = append(m.Warnings, fmt.Sprintf("Admin Router's /metadata says CLUSTER_ID %s, but %s holds %s", meta.ClusterID, clusterIDPath, m.Info.ClusterID))
	}
	return nil
}

// GetJSON GETs http://<addr><path> as seen from the master (addr such as
// 127.0.0.1:1050) over a direct-tcpip channel and decodes the answer.
func (m *Master) GetJSON(ctx context.Context, addr, path string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, httpTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		return err
	}
	resp, err := m.http.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s on the master: %w", addr+path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("GET %s on the master: %w", addr+path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s on the master: HTTP %d", addr+path, resp.StatusCode)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s on the master: not the expected JSON: %w", addr+path, err)
	}
	return nil
}

// agentConnectTimeout bounds one connect to an agent through the master
// (a running agent answers in milliseconds; a dead one costs this).
const agentConnectTimeout = 10 * time.Second

func (m *Master) agentConfig(ip string, attempts int) ssh.Config {
	cfg := m.cfg.sshConfig(ip, 22)
	cfg.Via, cfg.MaxAttempts, cfg.ConnectTimeout = m.client, max(attempts, 1), agentConnectTimeout
	return cfg
}

func parseOSRelease(s string) map[string]string {
	out := map[string]string{}
	for _, l := range strings.Split(s, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(l), "=")
		if ok {
			out[k] = strings.Trim(v, `"'`)
		}
	}
	return out
}
