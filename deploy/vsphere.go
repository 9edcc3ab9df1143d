package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
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
	o    VSphereOptions
	mc   *marathon.Client
	jump *ssh.Client // through cluster.yaml's ssh.jumpHost, or nil
}

// ConnectVSphere reaches Marathon through Admin Router on the first master
// that answers (through ssh.jumpHost when cluster.yaml has one).
func ConnectVSphere(ctx context.Context, o VSphereOptions) (Cluster, error) {
	v := &vsphereCluster{o: o}
	base := installer.SSHConfig(o.Config)
	dial := (&net.Dialer{Timeout: 10 * time.Second}).DialContext
	if base.Jump != nil {
		jc := *base.Jump
		jc.MaxAttempts, jc.ConnectTimeout = 2, agentConnect
		c, err := ssh.Dial(ctx, jc)
		if err != nil {
			return nil, fmt.Errorf("vsphere: connect to the jump host: %w", err)
		}
		v.jump = c
		dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
			return c.DialContext(ctx, network, addr)
		}
	}
	hc := &http.Client{Transport: &http.Transport{DialContext: dial, Proxy: nil, MaxIdleConnsPerHost: 2, ResponseHeaderTimeout: 30 * time.Second}}
	urls := []string{o.URL}
	if o.URL == "" {
		urls = nil
		for _, n := range installer.WantedNodes(o.Config) {
			if n.Role == installer.RoleMaster {
				urls = append(urls, "http://"+n.IP)
			}
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
	if len(errs) == 0 {
		return nil, errors.New("vsphere: no master in cluster.yaml")
	}
	return nil, fmt.Errorf("vsphere: no master's Admin Router answered for Marathon: %w", errors.Join(errs...))
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
	var warns []string
	registered := map[string]bool{}
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
	return out, warns, nil
}

func (v *vsphereCluster) survey(ctx context.Context, a mesosAgent) AgentArchive {
	r := AgentArchive{Name: a.IP, IP: a.IP, Role: a.Role}
	ctx, cancel := context.WithTimeout(ctx, agentWork)
	defer cancel()
	cfg := installer.SSHConfig(v.o.Config)
	cfg.Host, cfg.MaxAttempts, cfg.ConnectTimeout = a.IP, 2, agentConnect
	if v.jump != nil {
		cfg.Jump, cfg.Via = nil, v.jump
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
