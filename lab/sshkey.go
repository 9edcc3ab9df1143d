package lab

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// ensureKey returns the public half (authorized_keys format) of the lab's
// ed25519 key at path, creating the key (0600) when missing.
func ensureKey(path string) ([]byte, error) {
	if b, err := os.ReadFile(path); err == nil {
		signer, err := ssh.ParsePrivateKey(b)
		if err != nil {
			return nil, fmt.Errorf("read lab key %s: %w", path, err)
		}
		if err := os.Chmod(path, 0o600); err != nil {
			return nil, err
		}
		return ssh.MarshalAuthorizedKey(signer.PublicKey()), nil
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, "dcos-vsphere-lab")
	if err != nil {
		return nil, err
	}
	if _, err := writeSecretFile(filepath.Dir(path), filepath.Base(path), string(pem.EncodeToMemory(block))); err != nil {
		return nil, fmt.Errorf("write lab key %s: %w", path, err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil, err
	}
	authorized := ssh.MarshalAuthorizedKey(sp)
	authorized = []byte(strings.TrimSpace(string(authorized)) + " dcos-vsphere-lab\n")
	if err := os.WriteFile(path+".pub", authorized, 0o644); err != nil {
		return nil, err
	}
	return authorized, nil
}

// sshBanner reports whether ip:22 answers with an SSH identification line.
func sshBanner(ip netip.Addr, timeout time.Duration) bool {
	c, err := net.DialTimeout("tcp", netip.AddrPortFrom(ip, 22).String(), timeout)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(timeout))
	buf := make([]byte, 8)
	n, _ := c.Read(buf)
	return strings.HasPrefix(string(buf[:n]), "SSH-")
}
