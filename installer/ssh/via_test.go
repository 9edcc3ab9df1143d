package ssh

import (
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Config.Via: several targets share one open connection (one login on
// the jump host), and closing a target leaves it open; DialContext
// reaches a service on the jump host's loopback.
func TestDialViaSharedConnection(t *testing.T) {
	jumpPort := freePort(t, "127.0.0.1")
	targetPort := freePort(t, "127.0.0.2")
	target := startSSHD(t, sshdOptions{listen: "127.0.0.2", port: targetPort})
	jump := startSSHD(t, sshdOptions{port: jumpPort, logLevel: "DEBUG1"})
	jcfg := jump.config(t)
	via := dialT(t, jcfg)

	cfg := target.config(t)
	cfg.KnownHostsFile = jcfg.KnownHostsFile
	cfg.Via = via
	for i := range 2 {
		c, err := Dial(context.Background(), cfg)
		if err != nil {
			t.Fatalf("dial %d via the shared connection: %v", i, err)
		}
		if got := whoami(t, c); got != testUser {
			t.Fatalf("logged in as %q", got)
		}
		if !strings.Contains(c.Target(), "127.0.0.2") {
			t.Errorf("target = %s", c.Target())
		}
		c.Close()
		if err := via.Err(); err != nil {
			t.Fatalf("closing a target closed the shared connection: %v", err)
		}
	}
	if n := strings.Count(jump.Log(), "Accepted publickey for "+testUser); n != 1 {
		t.Errorf("jump host saw %d logins, want 1 shared by both targets", n)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			_, _ = c.Write([]byte("hello from loopback\n"))
			c.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := via.DialContext(ctx, "tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("DialContext: %v", err)
	}
	b, _ := io.ReadAll(conn)
	conn.Close()
	if string(b) != "hello from loopback\n" {
		t.Errorf("read %q through DialContext", b)
	}
	if _, err := via.DialContext(ctx, "tcp", "127.0.0.1:"+strconv.Itoa(freePort(t, "127.0.0.1"))); err == nil ||
		!strings.Contains(err.Error(), "through "+via.Target()) {
		t.Errorf("DialContext to a closed port: err = %v, want it to name the connection", err)
	}
}
