package main

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/templates/vcsimtest"
	"github.com/dcos-vsphere/dcos-vsphere/tui"
)

// sessions is how many sessions vCenter has open.
func sessions(t *testing.T, sim *vcsimtest.Sim) int {
	t.Helper()
	c := sim.Admin(t)
	var sm mo.SessionManager
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := property.DefaultCollector(c).RetrieveOne(ctx, *c.ServiceContent.SessionManager, []string{"sessionList"}, &sm); err != nil {
		t.Fatal(err)
	}
	return len(sm.SessionList)
}

// The guided setup's vCenter: one login for every lookup, a wrong
// password reported as such, lookups that never log in themselves.
func TestLiveVCenterOneSession(t *testing.T) {
	sim := vcsimtest.Start(t, vcsimtest.Options{})
	sim.MakeTemplate(t, "DC0_H0_VM0", "centos7")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l := &liveVCenter{}
	defer l.close()
	vc := sim.VCenter()
	before := sessions(t, sim)

	if _, err := l.Names(ctx, tui.FieldDatacenter, vc); err == nil {
		t.Fatal("a lookup before the login succeeded (it must not log in itself)")
	}
	wrong := vc
	wrong.Password = config.NewSecret("not-the-password")
	if err := l.Login(ctx, wrong); !errors.Is(err, tui.ErrLoginRefused) {
		t.Fatalf("wrong password: %v, want ErrLoginRefused", err)
	}
	if err := l.Login(ctx, vc); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{tui.FieldDatacenter, tui.FieldCluster, tui.FieldDatastore, tui.FieldNetwork, tui.FieldFolder, tui.FieldTemplate} {
		if _, err := l.Names(ctx, f, vc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	if err := l.Login(ctx, vc); err != nil { // the same answers: the session stands
		t.Fatal(err)
	}
	if n := sessions(t, sim) - before; n != 1 {
		t.Errorf("%d sessions opened, want 1", n)
	}
	nets, err := l.Names(ctx, tui.FieldNetwork, vc)
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(nets, func(n string) bool { return strings.Contains(n, "DVUplinks") }) || !slices.Contains(nets, "VM Network") {
		t.Errorf("networks offered: %v, want VM port groups only", nets)
	}

	cert, err := l.Certificate(ctx, config.VCenter{URL: sim.URL})
	if err != nil || cert.Trusted || cert.SHA256 != sim.Thumbprint {
		t.Errorf("certificate unpinned: %+v, %v; want untrusted with %s", cert, err, sim.Thumbprint)
	}
}
