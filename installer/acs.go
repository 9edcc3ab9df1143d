package installer

import (
	"context"

	"github.com/dcos-vsphere/dcos-vsphere/acs"
)

// ACS is the existing DC/OS cluster on Azure Container Service beside
// this one, reached through its master's SSH (package acs behind it; the
// fake is installertest.ACS). One ACS is one master connection.
type ACS interface {
	// Info is what the login learned: the ACS cluster's id, name, version.
	Info() acs.MasterInfo
	// Sync puts o.Archive on every ACS agent that lacks it (o.ReadOnly:
	// only compares). Per-agent failures are in the result; the error is
	// for what stops the whole sync (no agent list).
	Sync(ctx context.Context, o acs.SyncOptions) (acs.SyncResult, error)
	Close() error
}

// ACSConnector connects to the ACS master of cfg.
func ACSConnector(cfg acs.Config) func(ctx context.Context) (ACS, error) {
	return func(ctx context.Context) (ACS, error) {
		m, err := acs.Connect(ctx, cfg)
		if err != nil {
			return nil, err
		}
		return acsMaster{m}, nil
	}
}

type acsMaster struct{ m *acs.Master }

func (a acsMaster) Info() acs.MasterInfo { return a.m.Info }
func (a acsMaster) Close() error         { return a.m.Close() }
func (a acsMaster) Sync(ctx context.Context, o acs.SyncOptions) (acs.SyncResult, error) {
	return acs.Sync(ctx, a.m, o)
}
