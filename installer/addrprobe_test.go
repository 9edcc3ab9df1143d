package installer_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/installer"
	it "github.com/dcos-vsphere/dcos-vsphere/installer/installertest"
)

// probeCounter is the fake Dialer with address probes that take a while
// (a free address on a real network: ARP gives up), counting how many are
// in flight at once.
type probeCounter struct {
	*it.Dialer
	mu            sync.Mutex
	now, max, all int
	probed        map[string]int
}

func (p *probeCounter) Answers(ctx context.Context, ip string) (bool, error) {
	p.mu.Lock()
	p.now++
	p.all++
	p.max = max(p.max, p.now)
	p.probed[ip]++
	p.mu.Unlock()
	defer func() { p.mu.Lock(); p.now--; p.mu.Unlock() }()
	select {
	case <-time.After(20 * time.Millisecond):
	case <-ctx.Done():
	}
	return p.Dialer.Answers(ctx, ip)
}

// add-agents probes the addresses it picks all at once (not one after the
// other), replaces the ones that answer with the next free ones, and
// never hands out an address in use.
func TestAddAgentsProbesAddressesTogether(t *testing.T) {
	e, files := world(t, "c1")
	mustInstall(t, e, files)
	e.AddHost("198.18.0.24")
	e.AddHost("198.18.0.25")
	e.AddHost("198.18.0.27")
	pc := &probeCounter{Dialer: e.Dialer, probed: map[string]int{}}
	r := e.Run(files)
	r.Dialer = pc
	res, err := r.Execute(context.Background(), installer.AddAgentsFlow(10, 0))
	if err != nil {
		t.Fatal(err)
	}
	var ips []string
	for i := 3; i <= 12; i++ {
		vm := e.Cloud.VM("c1-agent-" + strconv.Itoa(i))
		if vm == nil {
			t.Fatalf("no c1-agent-%d: %v", i, names(e))
		}
		ips = append(ips, vm.IP)
	}
	want := "198.18.0.23 198.18.0.26 198.18.0.28 198.18.0.29 198.18.0.30 198.18.0.31 198.18.0.32 198.18.0.33 198.18.0.34 198.18.0.35"
	if got := strings.Join(ips, " "); got != want {
		t.Errorf("new agents at %s\nwant          %s", got, want)
	}
	if pc.max < 10 {
		t.Errorf("at most %d address probes in flight at once, want the 10 picked together", pc.max)
	}
	// Each address is probed once: preflight does not ask again about
	// the addresses plan-agents just found free.
	for ip, n := range pc.probed {
		if n != 1 {
			t.Errorf("%s probed %d times", ip, n)
		}
	}
	skipped := 0
	for _, ev := range e.Events.All() {
		if ev.Kind == installer.Warning && strings.Contains(ev.Message, "is in use on the network") {
			skipped++
		}
	}
	if skipped != 3 || !res.Healthy() {
		t.Errorf("%d addresses reported skipped (want 3); healthy %v", skipped, res.Healthy())
	}
}
