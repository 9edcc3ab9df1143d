package installer

import (
	"context"
	"sync"
	"time"
)

// addressProbeConcurrency bounds the "does anything answer here" probes
// in flight when the installer reaches the nodes directly: each is one
// TCP connect, and a free address only costs waiting (ARP gives up after
// addressProbeTimeout), so 100 new agents must not take 100 such waits
// one after the other. Through a jump host every probe is an SSH
// connection to it, so there the run's --concurrency bounds them (sshd's
// MaxStartups refuses many unauthenticated connections at once).
const addressProbeConcurrency = 128

func (r *Run) addressProbeLimit() int {
	if r.Cluster.SSH.JumpHost != nil {
		return r.Options.Concurrency
	}
	return max(addressProbeConcurrency, r.Options.Concurrency)
}

// addressProbeReuse is how long an address a probe of this run found
// free counts as free without another probe (preflight-vsphere right
// after plan-agents asks about the very addresses plan-agents probed).
const addressProbeReuse = 30 * time.Second

// recentlyFree reports whether a probe of this run found ip free within
// addressProbeReuse.
func (r *Run) recentlyFree(ip string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	at, ok := r.probedFree[ip]
	return ok && time.Since(at) < addressProbeReuse
}

// probeResult is one address probe's answer.
type probeResult struct {
	busy bool
	err  error
}

// probeAddresses asks, concurrently and each bounded by
// addressProbeTimeout, whether anything answers at each of ips.
func (r *Run) probeAddresses(ctx context.Context, ips []string) map[string]probeResult {
	out := make(map[string]probeResult, len(ips))
	var mu sync.Mutex
	var wg sync.WaitGroup
	slots := make(chan struct{}, r.addressProbeLimit())
	for _, ip := range ips {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				mu.Lock()
				out[ip] = probeResult{err: ctx.Err()}
				mu.Unlock()
				return
			}
			defer func() { <-slots }()
			pctx, cancel := context.WithTimeout(ctx, addressProbeTimeout)
			defer cancel()
			busy, err := r.Dialer.Answers(pctx, ip)
			mu.Lock()
			out[ip] = probeResult{busy, err}
			mu.Unlock()
			if !busy && err == nil {
				r.mu.Lock()
				if r.probedFree == nil {
					r.probedFree = map[string]time.Time{}
				}
				r.probedFree[ip] = time.Now()
				r.mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return out
}
