package ssh

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kevinburke/ssh_config"
)

// UserConfig is the OpenSSH client configuration of the user running the
// installer: ~/.ssh/config, then /etc/ssh/ssh_config, read with
// github.com/kevinburke/ssh_config. As in OpenSSH, the first value found
// for a keyword wins (IdentityFile accumulates).
type UserConfig struct {
	home  string
	files []userConfigFile
	// Problems are files that exist but could not be read or parsed; they
	// are ignored (their settings are not used), and the caller says so.
	Problems []string
}

type userConfigFile struct {
	path string
	cfg  *ssh_config.Config
}

// DefaultUserConfigPaths are the files OpenSSH's ssh reads: the user's
// own, then the system-wide one.
func DefaultUserConfigPaths(home string) []string {
	return []string{filepath.Join(home, ".ssh", "config"), "/etc/ssh/ssh_config"}
}

// LoadUserConfig reads paths (DefaultUserConfigPaths(home) when none are
// given). home is what "~" and %d mean. Missing files are no problem.
func LoadUserConfig(home string, paths ...string) *UserConfig {
	if len(paths) == 0 {
		paths = DefaultUserConfigPaths(home)
	}
	u := &UserConfig{home: home}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			u.Problems = append(u.Problems, fmt.Sprintf("%s: %v; its settings are not used", p, err))
			continue
		}
		cfg, err := ssh_config.DecodeBytes(data)
		if err != nil {
			u.Problems = append(u.Problems, fmt.Sprintf("%s: %v; its settings are not used", p, err))
			continue
		}
		u.files = append(u.files, userConfigFile{path: p, cfg: cfg})
	}
	return u
}

// HostConfig is what the user's OpenSSH configuration says about one host
// (the name given to ssh: an address or a Host alias). Zero values mean
// "not said".
type HostConfig struct {
	Alias    string
	HostName string // the address to connect to, %h expanded
	User     string
	Port     int
	// IdentityFiles are absolute paths, with "~" and the %d %h %n %p %r %u
	// %% tokens expanded; a relative path is taken from the directory of
	// the config file naming it (~/.ssh for the user's).
	IdentityFiles  []string
	IdentitiesOnly bool
	// IdentityAgent is the agent socket ("none" turns the agent off).
	IdentityAgent string
	// ProxyJump is the jump host list as written ("none": no jump).
	ProxyJump    string
	ProxyCommand string
	// Source is the config file that said something about the host.
	Source string
}

// Host looks alias up. Its error is a value that cannot be used (a port
// that is not a number).
func (u *UserConfig) Host(alias string) (HostConfig, error) {
	h := HostConfig{Alias: alias}
	if u == nil {
		return h, nil
	}
	get := func(key string) (string, string) {
		for _, f := range u.files {
			if v, err := f.cfg.Get(alias, key); err == nil && v != "" {
				return strings.TrimSpace(v), f.path
			}
		}
		return "", ""
	}
	note := func(src string) {
		if h.Source == "" {
			h.Source = src
		}
	}
	if v, src := get("HostName"); v != "" {
		h.HostName = strings.ReplaceAll(strings.ReplaceAll(v, "%h", alias), "%%", "%")
		note(src)
	}
	if v, src := get("User"); v != "" {
		h.User = v
		note(src)
	}
	if v, src := get("Port"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			return h, fmt.Errorf("%s: Port %q for host %s is not a port number", src, v, alias)
		}
		h.Port = p
		note(src)
	}
	if v, src := get("ProxyJump"); v != "" {
		h.ProxyJump = v
		note(src)
	}
	if v, src := get("ProxyCommand"); v != "" {
		h.ProxyCommand = v
		note(src)
	}
	if v, _ := get("IdentitiesOnly"); strings.EqualFold(v, "yes") {
		h.IdentitiesOnly = true
	}
	if v, _ := get("IdentityAgent"); v != "" {
		h.IdentityAgent = u.expand(v, "", h, alias)
	}
	for _, f := range u.files {
		all, err := f.cfg.GetAll(alias, "IdentityFile")
		if err != nil {
			continue
		}
		for _, v := range all {
			if v = strings.TrimSpace(v); v == "" {
				continue
			}
			h.IdentityFiles = append(h.IdentityFiles, u.expand(v, filepath.Dir(f.path), h, alias))
			note(f.path)
		}
	}
	return h, nil
}

// expand resolves a path like OpenSSH: "~/" and %d are the home
// directory, the %h %n %p %r %u %% tokens; a relative result is taken from
// dir (the config file's directory) when dir is given.
func (u *UserConfig) expand(p, dir string, h HostConfig, alias string) string {
	host := h.HostName
	if host == "" {
		host = alias
	}
	port := h.Port
	if port == 0 {
		port = DefaultPort
	}
	local := os.Getenv("USER")
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] != '%' || i+1 == len(p) {
			b.WriteByte(p[i])
			continue
		}
		i++
		switch p[i] {
		case '%':
			b.WriteByte('%')
		case 'd':
			b.WriteString(u.home)
		case 'h':
			b.WriteString(host)
		case 'n':
			b.WriteString(alias)
		case 'p':
			b.WriteString(strconv.Itoa(port))
		case 'r':
			b.WriteString(h.User)
		case 'u':
			b.WriteString(local)
		default:
			b.WriteByte('%')
			b.WriteByte(p[i])
		}
	}
	s := b.String()
	switch {
	case s == "~":
		return u.home
	case strings.HasPrefix(s, "~/"):
		return filepath.Join(u.home, s[2:])
	case filepath.IsAbs(s) || dir == "":
		return s
	}
	return filepath.Join(dir, s)
}
