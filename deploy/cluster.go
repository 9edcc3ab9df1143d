// Package deploy puts one Marathon app definition on the vSphere DC/OS
// cluster, the ACS one, or both, with the same image digest: it resolves
// the image in the shared registry once, makes the definition fetch the
// agents' /etc/docker.tar.gz, surveys every agent's archive first (and
// says which agents lack it and the command that fixes it), deploys with
// PUT /v2/apps/<id>, waits for the rolling update, explains each task
// failure by its agent, and reads back the digest each cluster runs.
package deploy

import (
	"context"

	"github.com/dcos-vsphere/dcos-vsphere/marathon"
)

// Cluster names.
const (
	VSphere = "vsphere"
	ACS     = "acs"
)

// Cluster is one DC/OS cluster deploy works on.
type Cluster interface {
	// Name is VSphere or ACS.
	Name() string
	// Marathon is its Marathon (connected: BasePath found).
	Marathon() *marathon.Client
	// Archives surveys every agent's /etc/docker.tar.gz against the
	// current archive of cluster.yaml's credentials; nothing is written.
	Archives(ctx context.Context) ([]AgentArchive, []string, error)
	// Fix is the command that gives every agent the current archive.
	Fix() string
	Close() error
}

// Archive states of an agent (the survey's).
const (
	ArchiveCurrent     = "current"
	ArchiveStale       = "stale"
	ArchiveMissing     = "missing"
	ArchiveUnreachable = "unreachable"
	ArchiveUnknown     = "unknown" // reached, but its files could not be read
)

// AgentArchive is one agent's archive as the survey found it.
type AgentArchive struct {
	Name   string `json:"name"`
	IP     string `json:"ip"`
	Role   string `json:"role"`
	State  string `json:"state"`
	Detail string `json:"detail,omitempty"`
}

// OK reports whether the agent has the current archive.
func (a AgentArchive) OK() bool { return a.State == ArchiveCurrent }
