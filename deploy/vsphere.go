package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/installer"
	"github.com/dcos-vsphere/dcos-vsphere/installer/ssh"
	"github.com/dcos-vsphere/dcos-vsphere/marathon"
	"github.com/dcos-vsphere/dcos-vsphere/registry"
)

// VSphereOptions say how to reach the vSphere cluster.
type VSphereOptions struct {
	Config     *config.Cluster
	ConfigPath string // for the fix commands
	// URL is Admin Router (a load balancer in front of the masters); ""
	// tries each master of cluster.yaml in turn.
	URL string
	// Token is the DC/OS login token ("" with oauth_enabled: false).
	Token string
	// Want are the registry files every agent should have (nil without a
	// registry section).
	Want []registry.NodeFile
}

// Survey bounds.
const (
	surveyConcurrency = 10
	agentConnect      = 10 * time.Second
	agentWork         = time.Minute
)

type vsphereCluster struct {
	o        VSphereOptions
	mc       *marathon.Client
	jump     *ssh.Client // the nodes' jump host (ssh.jumpHost, or ProxyJump in ~/.ssh/config), or nil
	jumpHost string
	mu       sync.Mutex
	warns    []string // ~/.ssh/config problems, once each
}

// ConnectVSphere reaches Marathon through Admin Router on the first master
// that answers (through the nodes' jump host when they have one).
func ConnectVSphere(ctx context.Context, o VSphereOptions) (Cluster, error) {
	v := &vsphereCluster{o: o}
	var masters []string
	for _, n := range installer.WantedNodes(o.Config) {
		if n.Role == installer.RoleMaster {
			masters = append(masters, n.IP)
		}
	}
	if len(masters) == 0 {
		return nil, errors.New("vsphere: no master in cluster.yaml")
	}
	base, err := v.sshConfig(masters[0])
	if err != nil {
		return nil, err
	}
	dial := (&net.Dialer{Timeout: 10 * time.Second}).DialContext
	if base.Jump != nil {
		jc := *base.Jump
		jc.MaxAttempts, jc.ConnectTimeout = 2, agentConnect
		c, err := ssh.Dial(ctx, jc)
		if err != nil {
			return nil, fmt.Errorf("vsphere: connect to the jump host: %w", err)
		}
		v.jump, v.jumpHost = c, jc.Host
		dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
			return c.DialContext(ctx, network, addr)
		}
	}
	hc := &http.Client{Transport: &http.Transport{DialContext: dial, Proxy: nil, MaxIdleConnsPerHost: 2, ResponseHeaderTimeout: 30 * time.Second}}
	urls := []string{o.URL}
	if o.URL == "" {
		urls = nil
		for _, ip := range masters {
			urls = append(urls, "http://"+ip)
		}
	}
	var errs []error
	for _, u := range urls {
		mc := &marathon.Client{Cluster: VSphere, AdminRouter: strings.TrimSuffix(u, "/"), Token: o.Token, HTTP: hc}
		_, err := mc.Connect(ctx)
		var he *marathon.HTTPError
		if errors.As(err, &he) && he.Auth() {
			v.Close()
			return nil, err // the same answer on every master
		}
		if err == nil {
			v.mc = mc
			return v, nil
		}
		errs = append(errs, err)
	}
	v.Close()
	return nil, fmt.Errorf("vsphere: no master's Admin Router answered for Marathon: %w", errors.Join(errs...))
}

// sshConfig is how the installer reaches the node at ip (cluster.yaml's
// ssh section completed by ~/.ssh/config), with few attempts: a survey
// must not wait for an agent that is down.
func (v *vsphereCluster) sshConfig(ip string) (ssh.Config, error) {
	cfg, err := installer.NodeSSHConfig(v.o.Config, ip, func(w string) {
		v.mu.Lock()
		defer v.mu.Unlock()
		if !slices.Contains(v.warns, w) {
			v.warns = append(v.warns, w)
		}
	})
	if err != nil {
		return cfg, err
	}
	cfg.MaxAttempts, cfg.ConnectTimeout = 2, agentConnect
	if v.jump != nil && cfg.Jump != nil && cfg.Jump.Host == v.jumpHost {
		cfg.Via, cfg.Jump = v.jump, nil // share the one connection to the jump host
	}
	return cfg, nil
}

func (v *vsphereCluster) Name() string               { return VSphere }
func (v *vsphereCluster) Marathon() *marathon.Client { return v.mc }
func (v *vsphereCluster) Fix() string {
	return "dcos-vsphere registry rotate --config " + v.o.ConfigPath + " (writes the agents' files that differ from cluster.yaml's registry)"
}

func (v *vsphereCluster) Close() error {
	if v.jump != nil {
		return v.jump.Close()
	}
	return nil
}

// mesosAgent is an agent of /mesos/master/slaves.
type mesosAgent struct {
	IP, Role string
}

func (v *vsphereCluster) agents(ctx context.Context) ([]mesosAgent, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	u := v.mc.AdminRouter + "/mesos/master/slaves"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if v.o.Token != "" {
		req.Header.Set("Authorization", "token="+v.o.Token)
	}
	resp, err := v.mc.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d", u, resp.StatusCode)
	}
	var doc struct {
		Slaves []struct {
			Hostname   string            `json:"hostname"`
			PID        string            `json:"pid"`
			Attributes map[string]string `json:"attributes"`
		} `json:"slaves"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	var out []mesosAgent
	for _, s := range doc.Slaves {
		ip := s.Hostname
		if _, hp, ok := strings.Cut(s.PID, "@"); ok {
			ip, _, _ = strings.Cut(hp, ":")
		}
		role := "agent"
		if s.Attributes["public_ip"] == "true" {
			role = "agent_public"
		}
		out = append(out, mesosAgent{IP: ip, Role: role})
	}
	return out, nil
}

// surveyScript prints the agent's hostname, then NodeCheckScript's lines.
var surveyScript = "hostname; echo ---; " + registry.NodeCheckScript()

// Archives asks the Mesos master for its agents and reads each one's
// registry files over SSH (as status does): hashes only, nothing written.
func (v *vsphereCluster) Archives(ctx context.Context) ([]AgentArchive, []string, error) {
	list, err := v.agents(ctx)
	if err != nil {
		return nil, nil, err
	}
	registered := map[string]bool{}
	var warns []string
	for _, a := range list {
		registered[a.IP] = true
	}
	for _, n := range installer.WantedNodes(v.o.Config) {
		if (n.Role == installer.RoleAgent || n.Role == installer.RolePublicAgent) && !registered[n.IP] {
			warns = append(warns, fmt.Sprintf("%s (%s) is in cluster.yaml but not registered with the Mesos master: no task can land there (see dcos-vsphere status)", n.Name, n.IP))
		}
	}
	out := make([]AgentArchive, len(list))
	sem := make(chan struct{}, surveyConcurrency)
	var wg sync.WaitGroup
	for i, a := range list {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i] = v.survey(ctx, a)
		}()
	}
	wg.Wait()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	v.mu.Lock()
	warns = append(warns, v.warns...)
	v.mu.Unlock()
	return out, warns, nil
}

func (v *vsphereCluster) survey(ctx context.Context, a mesosAgent) AgentArchive {
	r := AgentArchive{Name: a.IP, IP: a.IP, Role: a.Role}
	ctx, cancel := context.WithTimeout(ctx, agentWork)
	defer cancel()
	cfg, err := v.sshConfig(a.IP)
	if err != nil {
		r.State, r.Detail = ArchiveUnreachable, err.Error()
		return r
	}
	c, err := ssh.Dial(ctx, cfg)
	if err != nil {
		r.State, r.Detail = ArchiveUnreachable, cfg.Redactor.Redact(err.Error())
		return r
	}
	defer c.Close()
	res, err := c.Run(ctx, surveyScript, ssh.RunOptions{Sudo: true, CaptureStdout: true})
	if err != nil {
		r.State, r.Detail = ArchiveUnknown, cfg.Redactor.Redact(err.Error())
		return r
	}
	host, rest, _ := strings.Cut(res.Stdout, "---\n")
	if h := strings.TrimSpace(host); h != "" {
		r.Name = h
	}
	st, err := registry.ParseNodeState(rest)
	if err != nil {
		r.State, r.Detail = ArchiveUnknown, err.Error()
		return r
	}
	r.State = ArchiveCurrent
	var details []string
	for _, p := range st.Compare(v.o.Want) {
		details = append(details, p.String())
		if p.Path == registry.ArchivePath {
			r.State = ArchiveStale
			if p.What == "missing" {
				r.State = ArchiveMissing
			}
		}
	}
	r.Detail = strings.Join(details, "; ")
	return r
}
