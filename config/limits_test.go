package config

import (
	"strings"
	"testing"
)

// TestAliasBombBounded: aliases that expand into billions of values stop
// at the node limit with an error instead of running for ever.
func TestAliasBombBounded(t *testing.T) {
	doc := `a: &a ["x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
name: x
dcos:
  config:
    bomb: *g
`
	_, _, err := Parse([]byte(doc), "bomb.yaml")
	if err == nil || !strings.Contains(err.Error(), "document too large") {
		t.Fatalf("want a size error, got %v", err)
	}
}

// TestHugeCountRejected: a count far beyond any cluster is an error, not
// an attempt to list millions of nodes.
func TestHugeCountRejected(t *testing.T) {
	doc := "nodes:\n  agents:\n    count: 100000000\n    ipRange: 1.0.0.0\n"
	_, _, err := Parse([]byte(doc), "huge.yaml")
	if err == nil || !strings.Contains(err.Error(), "huge.yaml:3:12: nodes.agents.count: count 100000000 is more than 1000") {
		t.Fatalf("got %v", err)
	}
}

// TestRangeOutsideNetworkReportedOnce: a range running out of the
// network gives one error for the group, not one per node.
func TestRangeOutsideNetworkReportedOnce(t *testing.T) {
	doc := "network: {gateway: 198.18.0.1, prefix: 24}\nnodes:\n  agents:\n    count: 50\n    ipRange: 198.18.0.250\n"
	_, _, err := Parse([]byte(doc), "r.yaml")
	if err == nil {
		t.Fatal("no error")
	}
	if n := strings.Count(err.Error(), "nodes.agents.ipRange:"); n != 1 {
		t.Errorf("%d ipRange errors, want 1:\n%v", n, err)
	}
	if !strings.Contains(err.Error(), "r.yaml:5:14: nodes.agents.ipRange: 198.18.0.255 (agent-6) is the network or broadcast address of 198.18.0.0/24") {
		t.Errorf("got:\n%v", err)
	}
}
