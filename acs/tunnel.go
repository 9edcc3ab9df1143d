package acs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/installer/ssh"
)

// DefaultTunnelPort is the local port of `acs tunnel` (the dcos_url of the
// ACS entry is http://localhost:<port>).
const DefaultTunnelPort = 10080

// Tunnel is a local forward to Admin Router on the master (127.0.0.1:80
// there), what `ssh -L 10080:localhost:80 -p 2200 azureuser@<fqdn>` makes.
type Tunnel struct {
	ln     net.Listener
	m      *Master
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// Tunnel listens on listen (e.g. "127.0.0.1:10080"; port 0 picks one) and
// forwards every connection to Admin Router over the master connection.
func (m *Master) Tunnel(listen string) (*Tunnel, error) {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("acs tunnel: listen on %s: %w", listen, err)
	}
	t := &Tunnel{ln: ln, m: m, conns: map[net.Conn]struct{}{}}
	t.wg.Add(1)
	go t.serve()
	return t, nil
}

// Addr is the local address the tunnel listens on.
func (t *Tunnel) Addr() *net.TCPAddr { return t.ln.Addr().(*net.TCPAddr) }

// URL is the dcos_url that reaches Admin Router through the tunnel.
func (t *Tunnel) URL() string { return fmt.Sprintf("http://localhost:%d", t.Addr().Port) }

func (t *Tunnel) serve() {
	defer t.wg.Done()
	for {
		c, err := t.ln.Accept()
		if err != nil {
			return
		}
		t.wg.Add(1)
		go t.forward(c)
	}
}

func (t *Tunnel) track(c net.Conn, add bool) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if add {
		if t.closed {
			return false
		}
		t.conns[c] = struct{}{}
	} else {
		delete(t.conns, c)
	}
	return true
}

func (t *Tunnel) forward(local net.Conn) {
	defer t.wg.Done()
	defer local.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	remote, err := t.m.client.DialContext(ctx, "tcp", adminRouterAddr)
	cancel()
	if err != nil {
		return
	}
	defer remote.Close()
	if !t.track(local, true) || !t.track(remote, true) {
		return
	}
	defer t.track(local, false)
	defer t.track(remote, false)
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(remote, local); closeWrite(remote); done <- struct{}{} }()
	go func() { _, _ = io.Copy(local, remote); closeWrite(local); done <- struct{}{} }()
	<-done
	<-done
}

func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	} else {
		_ = c.Close()
	}
}

// Wait blocks until ctx ends or the master connection dies (checked every
// second); then it returns a *ssh.ConnectError (exit code 3).
func (t *Tunnel) Wait(ctx context.Context) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			if err := t.m.client.Err(); err != nil {
				return &ssh.ConnectError{Target: t.m.Info.Target, Err: fmt.Errorf("acs tunnel: the connection to the master ended: %w", err)}
			}
		}
	}
}

// Close stops listening and ends open forwarded connections.
func (t *Tunnel) Close() error {
	err := t.ln.Close()
	t.mu.Lock()
	t.closed = true
	for c := range t.conns {
		c.Close()
	}
	t.mu.Unlock()
	t.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}
