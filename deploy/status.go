package deploy

import (
	"context"
	"errors"

	"github.com/dcos-vsphere/dcos-vsphere/marathon"
)

// StatusResult is an app on one or more clusters.
type StatusResult struct {
	App      string          `json:"app"`
	Clusters []ClusterStatus `json:"clusters"`
	// SameDigest is true when every cluster runs the app with one digest.
	SameDigest bool `json:"sameDigest"`
}

// ClusterStatus is the app on one cluster.
type ClusterStatus struct {
	Cluster  string `json:"cluster"`
	Marathon string `json:"marathon"`
	Found    bool   `json:"found"`
	// Settled: found, no deployment in progress, every instance running
	// the current definition.
	Settled bool                `json:"settled"`
	App     *marathon.AppStatus `json:"app,omitempty"`
	Error   string              `json:"error,omitempty"`
}

// Status reads app id on each cluster. A cluster that does not answer is
// reported in its entry; the error is the first such failure.
func Status(ctx context.Context, id string, clusters []Cluster) (*StatusResult, error) {
	res := &StatusResult{App: id}
	var first error
	digests := map[string]bool{}
	for _, c := range clusters {
		cs := ClusterStatus{Cluster: c.Name(), Marathon: c.Marathon().URL()}
		st, err := c.Marathon().Status(ctx, id)
		switch {
		case errors.Is(err, marathon.ErrNoApp):
			cs.Error = "no app " + id + " on this cluster"
		case err != nil:
			cs.Error = err.Error()
			if first == nil {
				first = err
			}
		default:
			cs.Found, cs.App = true, st
			cs.Settled = len(st.Deployments) == 0 && st.Running == st.Instances && len(st.Versions) <= 1
			digests[st.Digest] = true
		}
		res.Clusters = append(res.Clusters, cs)
	}
	res.SameDigest = len(digests) == 1 && !digests[""]
	for _, c := range res.Clusters {
		res.SameDigest = res.SameDigest && c.Found
	}
	return res, first
}

// Settled reports whether the app is found and settled on every cluster.
func (r *StatusResult) Settled() bool {
	for _, c := range r.Clusters {
		if !c.Settled {
			return false
		}
	}
	return len(r.Clusters) > 0
}
