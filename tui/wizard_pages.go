package tui

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// wizardPages is the guided setup, in order. A page that does not apply
// hides itself; a new page is one type and one line here.
func wizardPages() []page {
	return []page{
		&resumePage{meta: meta{"Cluster", "Continue a draft?"}},
		&clusterPage{meta: meta{"Cluster", "Cluster"}},
		&vcenterPage{meta: meta{"vCenter", "vCenter"}},
		&thumbprintPage{meta: meta{"vCenter", "vCenter certificate: thumbprint"}},
		&caFilePage{meta: meta{"vCenter", "vCenter certificate: CA bundle"}},
		&insecurePage{meta: meta{"vCenter", "vCenter certificate: no verification"}},
		&certPage{meta: meta{"vCenter", "vCenter certificate: trust on first use"}},
		&datacenterPage{meta: meta{"Placement", "Datacenter"}},
		&placementPage{meta: meta{"Placement", "Where the VMs go"}},
		&newNamesPage{meta: meta{"Placement", "New names"}},
		&networkPage{meta: meta{"Network", "Node network"}},
		&nodesPage{meta: meta{"Nodes", "Nodes"}},
		&addressesPage{meta: meta{"Nodes", "Node addresses"}},
		&namesPage{meta: meta{"Nodes", "Node names"}},
		&sizesPage{meta: meta{"Nodes", "VM sizes"}},
		&sshPage{meta: meta{"SSH", "SSH"}},
		&passphrasePage{meta: meta{"SSH", "SSH key passphrase"}},
		&dcosPage{meta: meta{"DC/OS", "DC/OS 1.9"}},
		&interfacePage{meta: meta{"DC/OS", "DC/OS 1.9: ip-detect interface"}},
		&registryAskPage{meta: meta{"Registry", "Azure Container Registry"}},
		&registryPage{meta: meta{"Registry", "Azure Container Registry: login"}},
		&acsAskPage{meta: meta{"ACS", "DC/OS on Azure Container Service"}},
		&acsNoRegistryPage{meta: meta{"ACS", "ACS without a registry"}},
		&acsPage{meta: meta{"ACS", "ACS master"}},
		&acsLoginPage{meta: meta{"ACS", "ACS master: login"}},
		&acsPassphrasePage{meta: meta{"ACS", "ACS key passphrase"}},
		&acsHostKeyPage{meta: meta{"ACS", "ACS master: host key"}},
		&acsFoundPage{meta: meta{"ACS", "ACS cluster"}},
		&reviewPage{meta: meta{"Save", "Review"}},
		&savePage{meta: meta{"Save", "Save"}},
		&overwritePage{meta: meta{"Save", "Save: replace the file?"}},
	}
}

// meta gives a page its section and title; embedded by every page.
type meta struct{ sec, ttl string }

func (m meta) section() string { return m.sec }
func (m meta) title() string   { return m.ttl }

// page looks up the wizard's page of type T.
func pageOf[T page](w *wizard) T {
	for _, p := range w.pages {
		if t, ok := p.(T); ok {
			return t
		}
	}
	panic("wizard: no such page")
}

// Where a secret typed into the wizard is kept for later runs.
const (
	storeEnv  = "env"
	storeFile = "file"
)

// Environment variables the saved config refers to (those of init's
// example where it has one).
const (
	VCenterPasswordEnv  = "VCENTER_PASSWORD"
	RegistryPasswordEnv = "REGISTRY_PASSWORD"
	KeyPassphraseEnv    = "SSH_KEY_PASSPHRASE"
	ACSKeyPassphraseEnv = "ACS_KEY_PASSPHRASE"
)

// storeOptions offers where to keep a secret for later runs.
func storeOptions(env string) []option[string] {
	return []option[string]{
		{"the environment variable " + env + " (recommended; export it before later runs)", storeEnv},
		{"a file next to the config, mode 0600", storeFile},
	}
}

// storeOf is the store a loaded secret uses.
func storeOf(file string) string {
	if file != "" {
		return storeFile
	}
	return storeEnv
}

// secretFor keeps value in memory and says how the config refers to it:
// an ${ENV} reference, or a file beside the config named after the
// cluster (written on save).
func secretFor(value, store, env, cluster, what string) (config.Secret, string) {
	s := config.NewSecret(value)
	if store == storeFile {
		return s, strings.TrimSpace(cluster) + "-" + what
	}
	s.Ref = "${" + env + "}"
	return s, ""
}

// expandPath makes a path typed by the user absolute: "~/" is the home
// directory (as config.Load reads it), the rest is relative to the
// current directory, where the user typed it (the saved config may live
// elsewhere).
func expandPath(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.Contains(s, "://") {
		return s
	}
	if s == "~" || strings.HasPrefix(s, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			s = filepath.Join(home, strings.TrimPrefix(s[1:], "/"))
		}
	}
	if abs, err := filepath.Abs(s); err == nil {
		return abs
	}
	return s
}

// checkFile is the rule for a file the install reads: it must exist and
// be a regular file ("~/" expanded).
func checkFile(s string) error {
	if s == "" {
		return fmt.Errorf("required: a file path")
	}
	p := expandPath(s)
	st, err := os.Stat(p)
	if err != nil {
		return fmt.Errorf("cannot use %s: %w", p, unwrapPathError(err))
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", p)
	}
	return nil
}

func optional(check func(string) error) func(string) error {
	return func(s string) error {
		if s == "" {
			return nil
		}
		return check(s)
	}
}

func required(s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("required")
	}
	return nil
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// number parses a count, port or size typed into a field.
func number(s, what string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%s: %q is not a whole number", what, strings.TrimSpace(s))
	}
	return n, nil
}

func numberIn(lo, hi int, what string) func(string) error {
	return func(s string) error {
		n, err := number(s, what)
		if err != nil {
			return err
		}
		if n < lo || n > hi {
			return fmt.Errorf("%s: %d is not from %d to %d", what, n, lo, hi)
		}
		return nil
	}
}

func itoaOr(n int, def string) string {
	if n == 0 {
		return def
	}
	return strconv.Itoa(n)
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// hasPrefix reports whether path is p or below it.
func hasPrefix(path string, prefixes ...string) bool {
	for _, p := range prefixes {
		if path == p || strings.HasPrefix(path, p+".") || strings.HasPrefix(path, p+"[") {
			return true
		}
	}
	return false
}

// splitList splits "a, b c" into its items.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' })
}
