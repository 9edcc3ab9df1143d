package config

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/dcos-vsphere/dcos-vsphere/registry"
)

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

// checkRegistryFiles is CheckFiles' part for registry: registry.caFile
// holds certificates.
func checkRegistryFiles(c *Cluster, r *report) {
	if ca := c.Registry.CAFile; ca != "" {
		if msg := checkCABundle(ca); msg != "" {
			r.err("registry.caFile", msg)
		}
	}
}

// CheckRegistryFiles is CheckFiles for the registry section only (what
// `registry check` needs): *Errors with the fields' lines, or nil.
func (c *Cluster) CheckRegistryFiles() error {
	r := reportFor(c)
	checkRegistryFiles(c, r)
	return r.errors()
}
