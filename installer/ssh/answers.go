package ssh

import (
	"context"
	"errors"
	"net"
	"strings"
	"syscall"

	gossh "golang.org/x/crypto/ssh"
)

// Answers reports whether a host answers at addr (host:port): a TCP
// connect that is accepted, or refused (a host is there, nothing listens),
// says yes; a timeout or "no route" says no. With cfg.Jump set, the probe
// goes through the jump host (a direct-tcpip channel), since the nodes'
// network may be reachable only from there. Bounded by ctx.
func Answers(ctx context.Context, cfg Config, addr string) (bool, error) {
	if cfg.Jump == nil {
		conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		if err == nil {
			conn.Close()
			return true, nil
		}
		return errors.Is(err, syscall.ECONNREFUSED), nil
	}
	jcfg := *cfg.Jump
	jcfg.MaxAttempts = 1
	if jcfg.KnownHostsFile == "" {
		jcfg.KnownHostsFile = cfg.KnownHostsFile
	}
	jump, err := Dial(ctx, jcfg)
	if err != nil {
		return false, err
	}
	defer jump.Close()
	conn, err := jump.conn.DialContext(ctx, "tcp", addr)
	if err == nil {
		conn.Close()
		return true, nil
	}
	var oce *gossh.OpenChannelError
	if errors.As(err, &oce) && oce.Reason == gossh.ConnectionFailed && strings.Contains(strings.ToLower(oce.Message), "refused") {
		return true, nil
	}
	return false, nil
}
