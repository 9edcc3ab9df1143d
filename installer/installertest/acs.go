package installertest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"

	"github.com/dcos-vsphere/dcos-vsphere/acs"
	"github.com/dcos-vsphere/dcos-vsphere/installer"
)

// ACS is an in-memory ACS cluster beside the vSphere one: a master that
// answers (or not) and agents that hold an archive (by sha256).
type ACS struct {
	MasterInfo acs.MasterInfo
	// ConnectErr fails the master login (unreachable, host key changed).
	ConnectErr error

	mu       sync.Mutex
	agents   []*ACSAgent
	connects int
	uploads  int
	surveys  int
	checks   []string
}

// ACSAgent is one agent of the fake ACS cluster.
type ACSAgent struct {
	Name, IP, Role string
	// Archive is the sha256 of its /etc/docker.tar.gz ("" = missing).
	Archive string
	// Down makes it unreachable through the master.
	Down bool
}

// WithACS gives the world an ACS cluster with agents private agents
// (dcos-agent-N at 198.19.0.(10+N)); runs made with Run reach it when the
// config has an acs section.
func (e *Env) WithACS(agents int) *ACS {
	a := &ACS{MasterInfo: acs.MasterInfo{Target: "azureuser@acs-mgmt.test:2200", Hostname: "dcos-master-0",
		ClusterID: "6b1a6e3c-54f1-4c8b-9c6a-2f1e0d9b7a55", ClusterName: "acs-test", Version: "1.9.0", OS: "Ubuntu 16.04.2 LTS"}}
	for i := 1; i <= agents; i++ {
		a.ScaleOut(1)
	}
	e.ACS = a
	return a
}

// ScaleOut adds n agents without the archive, as an ACS scale-out does.
func (a *ACS) ScaleOut(n int) []*ACSAgent {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []*ACSAgent
	for range n {
		i := len(a.agents) + 1
		ag := &ACSAgent{Name: fmt.Sprintf("dcos-agent-%d", i), IP: fmt.Sprintf("198.19.0.%d", 10+i), Role: acs.RoleAgent}
		a.agents = append(a.agents, ag)
		out = append(out, ag)
	}
	return out
}

// Agents returns the agents (the pointers: tests may change them).
func (a *ACS) Agents() []*ACSAgent {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]*ACSAgent(nil), a.agents...)
}

// Counts are the master logins, archive uploads and read-only surveys so
// far.
func (a *ACS) Counts() (connects, uploads, surveys int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.connects, a.uploads, a.surveys
}

// Checks lists the agent checks run (name@agent).
func (a *ACS) Checks() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.checks...)
}

func (e *Env) connectACS() func(context.Context) (installer.ACS, error) {
	return func(context.Context) (installer.ACS, error) {
		a := e.ACS
		if a == nil {
			return nil, fmt.Errorf("installertest: no ACS in this world (Env.WithACS)")
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		a.connects++
		if a.ConnectErr != nil {
			return nil, a.ConnectErr
		}
		return acsConn{a}, nil
	}
}

type acsConn struct{ a *ACS }

func (c acsConn) Info() acs.MasterInfo { return c.a.MasterInfo }
func (c acsConn) Close() error         { return nil }

func (c acsConn) Sync(ctx context.Context, o acs.SyncOptions) (acs.SyncResult, error) {
	sum := sha256.Sum256(o.Archive)
	want := hex.EncodeToString(sum[:])
	a := c.a
	a.mu.Lock()
	defer a.mu.Unlock()
	res := acs.SyncResult{Master: a.MasterInfo, ArchivePath: acs.ArchivePath, ArchiveSHA256: want}
	if o.ReadOnly {
		a.surveys++
	}
	for _, ag := range a.agents {
		r := acs.AgentResult{Agent: acs.Agent{IP: ag.IP, Role: ag.Role}, Name: ag.Name, Before: ag.Archive}
		switch {
		case ag.Down:
			r.State, r.Error = acs.StateUnreachable, "dial through the master: connect: no route to host"
		case o.ReadOnly && ag.Archive == want:
			r.State, r.After = acs.StateCurrent, want
		case o.ReadOnly && ag.Archive == "":
			r.State, r.Error = acs.StateMissing, acs.ArchivePath+" is missing"
		case o.ReadOnly:
			r.State, r.After, r.Error = acs.StateStale, ag.Archive, "other credentials"
		case ag.Archive == want:
			r.State, r.After = acs.StateCurrent, want
		default:
			ag.Archive, r.After, r.State, r.Uploaded = want, want, acs.StateUpdated, true
			a.uploads++
		}
		if !o.ReadOnly && !r.Failed() {
			for _, chk := range o.Checks {
				a.checks = append(a.checks, chk.Name+"@"+ag.Name)
			}
		}
		if r.Uploaded {
			res.Uploaded++
		}
		if r.Failed() {
			res.Failed++
		}
		res.Agents = append(res.Agents, r)
		if o.OnAgent != nil {
			o.OnAgent(r)
		}
	}
	return res, ctx.Err()
}
