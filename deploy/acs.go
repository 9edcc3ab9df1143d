package deploy

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/acs"
	"github.com/dcos-vsphere/dcos-vsphere/marathon"
)

// ACSOptions say how to reach the ACS cluster.
type ACSOptions struct {
	Config     acs.Config
	ConfigPath string // for the fix commands
	// Archive is the current docker.tar.gz (registry.Archive of
	// cluster.yaml's credentials); nil without a registry section.
	Archive []byte
}

type acsCluster struct {
	o  ACSOptions
	m  *acs.Master
	t  *acs.Tunnel
	mc *marathon.Client
}

// ConnectACS logs in to the ACS master (SSH on 2200) and reaches Marathon
// through a local forward to its Admin Router (acs.Tunnel, what `ssh -L`
// makes): ACS does not expose Admin Router.
func ConnectACS(ctx context.Context, o ACSOptions) (Cluster, error) {
	m, err := acs.Connect(ctx, o.Config)
	if err != nil {
		return nil, err
	}
	t, err := m.Tunnel("127.0.0.1:0")
	if err != nil {
		m.Close()
		return nil, err
	}
	a := &acsCluster{o: o, m: m, t: t}
	a.mc = &marathon.Client{Cluster: ACS, AdminRouter: t.URL(),
		HTTP: &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 2, ResponseHeaderTimeout: 30 * time.Second}}}
	if _, err := a.mc.Connect(ctx); err != nil {
		a.Close()
		return nil, fmt.Errorf("%w (through the tunnel to Admin Router on the ACS master %s)", err, m.Info.Target)
	}
	return a, nil
}

func (a *acsCluster) Name() string               { return ACS }
func (a *acsCluster) Marathon() *marathon.Client { return a.mc }
func (a *acsCluster) Fix() string {
	return "dcos-vsphere acs sync --config " + a.o.ConfigPath + " (gives every ACS agent the current archive; run it after every scale-out)"
}

func (a *acsCluster) Close() error {
	a.t.Close()
	return a.m.Close()
}

// Archives is acs.Sync's read-only survey of every agent's archive.
func (a *acsCluster) Archives(ctx context.Context) ([]AgentArchive, []string, error) {
	if len(a.o.Archive) == 0 {
		return nil, nil, nil
	}
	res, err := acs.Sync(ctx, a.m, acs.SyncOptions{Archive: a.o.Archive, ReadOnly: true})
	if err != nil {
		return nil, res.Warnings, err
	}
	out := make([]AgentArchive, 0, len(res.Agents))
	for _, r := range res.Agents {
		st := map[string]string{acs.StateCurrent: ArchiveCurrent, acs.StateStale: ArchiveStale, acs.StateMissing: ArchiveMissing,
			acs.StateUnreachable: ArchiveUnreachable}[r.State]
		if st == "" {
			st = ArchiveUnknown
		}
		out = append(out, AgentArchive{Name: r.Name, IP: r.IP, Role: r.Role, State: st, Detail: r.Error})
	}
	return out, res.Warnings, nil
}
