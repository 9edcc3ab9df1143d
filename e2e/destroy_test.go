package e2e

import (
	"strings"
	"testing"
	"time"
)

// plan changes nothing; destroy needs --force without a terminal and then
// removes exactly this cluster's VMs (their hosts go with them).
func TestPlanAndDestroy(t *testing.T) {
	l := needLab(t)
	c := newCluster(t, l, "dst", 140, 1, 1, 0)

	r := run(t, 3*time.Minute, "plan", "--config", c.Path)
	ok(t, r, "plan")
	if !strings.Contains(r.Stdout, "3 node(s) to change.") || strings.Count(r.Stdout, "clone (") != 3 || !strings.Contains(r.Stdout, "dcos_install.sh master") {
		t.Fatalf("plan output:\n%s", r.Stdout)
	}
	if n := c.vmCount(t); n != 0 {
		t.Fatalf("plan created %d VMs", n)
	}

	ok(t, run(t, 10*time.Minute, "install", "--config", c.Path), "install")
	r = run(t, 3*time.Minute, "plan", "--config", c.Path)
	ok(t, r, "plan after install")
	if !strings.Contains(r.Stdout, "Nothing to do") {
		t.Errorf("plan on an installed cluster:\n%s", r.Stdout)
	}

	hostsBefore := len(l.Hosts())
	r = run(t, 3*time.Minute, "destroy", "--config", c.Path)
	if r.Exit != 2 || !strings.Contains(r.Stderr, "--force") {
		t.Fatalf("destroy without --force off a terminal: exit %d\n%s", r.Exit, r.Stderr)
	}
	if n := c.vmCount(t); n != 3 {
		t.Fatalf("refused destroy removed VMs: %d left", n)
	}
	r = run(t, 5*time.Minute, "destroy", "--config", c.Path, "--force")
	ok(t, r, "destroy --force")
	if !strings.Contains(r.Stdout, "Deleted 3 VM(s)") {
		t.Errorf("destroy output:\n%s", r.Stdout)
	}
	if n := c.vmCount(t); n != 0 {
		t.Errorf("%d VMs left after destroy", n)
	}
	// Hosts follow VMs asynchronously: poll with a bound.
	deadline := time.Now().Add(20 * time.Second)
	for len(l.Hosts()) != hostsBefore-3 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if got := len(l.Hosts()); got != hostsBefore-3 {
		t.Errorf("lab hosts: %d, want %d (only this cluster's 3 go)", got, hostsBefore-3)
	}
	r = run(t, 3*time.Minute, "destroy", "--config", c.Path, "--force")
	ok(t, r, "second destroy")
	if !strings.Contains(r.Stdout, "No VM of cluster dst exists") {
		t.Errorf("second destroy:\n%s", r.Stdout)
	}
}
