package config

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/dcos-vsphere/dcos-vsphere/registry"
)

// maxCAFileSize bounds reading registry.caFile (a CA bundle is small).
const maxCAFileSize = 4 << 20

func validateRegistry(c *Cluster, r *report) {
	g := c.Registry
	hasPw := g.Password.Ref != "" || g.Password.IsSet() || g.PasswordFile != ""
	if g.Server == "" && g.Username == "" && !hasPw && g.CAFile == "" && g.CheckImage == "" && !g.CheckPush {
		return
	}
	required(r, "registry.server", g.Server)
	required(r, "registry.username", g.Username)
	if !hasPw {
		r.err("registry.password", `required: set registry.password: "${ENV_VAR}" or registry.passwordFile`)
	}
	serverOK := g.Server != ""
	if g.Server != "" {
		if msg := checkRegistryServer(g.Server); msg != "" {
			r.err("registry.server", msg)
			serverOK = false
		}
	}
	if strings.ContainsAny(g.Username, ":\n") {
		r.err("registry.username", "must not contain ':' or a newline (docker joins user:password)")
	}
	if g.CAFile != "" {
		if msg := checkCAFile(g.CAFile); msg != "" {
			r.err("registry.caFile", msg)
		}
	}
	if g.CheckImage != "" && serverOK {
		if _, _, err := registry.ParseImage(g.Server, g.CheckImage); err != nil {
			r.err("registry.checkImage", err.Error())
		}
	}
	if g.CheckPush && g.CheckImage == "" {
		r.err("registry.checkPush", "needs registry.checkImage: the repository the push check starts an upload in")
	}
}

// checkRegistryServer says what is wrong with a login server, or "".
func checkRegistryServer(s string) string {
	const example = " (e.g. myregistry.azurecr.io, or host:port; no scheme or path)"
	if strings.Contains(s, "://") || strings.ContainsAny(s, "/ \t") {
		return fmt.Sprintf("%q is not a registry host name%s", s, example)
	}
	host, port := s, ""
	if h, p, err := net.SplitHostPort(s); err == nil {
		host, port = h, p
	} else if strings.Contains(s, ":") {
		return fmt.Sprintf("%q is not a registry host name%s", s, example)
	}
	if !validDomain(host) {
		return fmt.Sprintf("%q is not a registry host name%s", s, example)
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Sprintf("port %s is outside 1-65535", port)
		}
	}
	return ""
}

// checkCAFile says what is wrong with a PEM CA bundle, or "".
func checkCAFile(path string) string {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Sprintf("read CA bundle: %v", err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Sprintf("%s is not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("read CA bundle: %v", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCAFileSize+1))
	if err != nil {
		return fmt.Sprintf("read CA bundle %s: %v", path, err)
	}
	if len(data) > maxCAFileSize {
		return fmt.Sprintf("%s is larger than %d bytes; a CA bundle is a few PEM certificates", path, maxCAFileSize)
	}
	n := 0
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		n++
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			return fmt.Sprintf("%s: certificate %d: %v", path, n, err)
		}
	}
	if n == 0 {
		return fmt.Sprintf("%s holds no PEM certificate (-----BEGIN CERTIFICATE-----)", path)
	}
	return ""
}
