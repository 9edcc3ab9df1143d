package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxSecretFileSize bounds reading a *File secret (a password is short;
// a path to a device or a huge file must not hang or exhaust memory).
const maxSecretFileSize = 64 << 10

// Load reads, decodes, defaults and validates cluster.yaml at path.
// Relative paths inside it are resolved against its directory. On any
// problem the error is *Errors (every problem, sorted by line); warnings
// come back even when there are errors.
func Load(path string) (*Cluster, []Warning, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, &Errors{File: path, List: []FieldError{{File: path, Message: fmt.Sprintf("read config: %v", err)}}}
	}
	return Parse(data, path)
}

// Parse is Load for bytes already read; path names the file in messages
// and anchors relative paths (use "" for the working directory).
func Parse(data []byte, path string) (*Cluster, []Warning, error) {
	return ParseEnv(data, path, os.LookupEnv)
}

// ParseEnv is Parse with lookupEnv answering the "${ENV}" references in
// place of the process environment: the guided setup passes the secrets
// it was just given, for the run it starts at once.
func ParseEnv(data []byte, path string, lookupEnv func(string) (string, bool)) (*Cluster, []Warning, error) {
	c, warns, err := parse(data, path, lookupEnv)
	if err != nil {
		return nil, warns, err
	}
	return c, warns, nil
}

// LoadForReport is Load that also returns the cluster as far as it was
// decoded when the config has problems, so that a report can add the
// problems other checks find in it (every problem at once). That cluster
// is for reporting only: it may be incomplete.
func LoadForReport(path string) (*Cluster, []Warning, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, &Errors{File: path, List: []FieldError{{File: path, Message: fmt.Sprintf("read config: %v", err)}}}
	}
	return parse(data, path, os.LookupEnv)
}

func parse(data []byte, path string, lookupEnv func(string) (string, bool)) (*Cluster, []Warning, error) {
	r := newReport(path)
	c := &Cluster{Path: path}
	if root, ok := parseYAML(data, r); ok {
		d := &decoder{r: r}
		d.decode(root, reflect.ValueOf(c).Elem(), "")
		if !d.tooBig {
			c.pos, c.keyPos = r.pos, r.keyPos // defaults tell an explicit 0 from a missing key
			c.resolvePaths()
			resolveSecrets(c, d.secrets, r, lookupEnv)
			c.applyEnvironment(r, os.Getenv)
			c.applyDefaults()
			validate(c, r)
		}
	}
	c.pos, c.keyPos = r.pos, r.keyPos
	sortWarnings(r.warns)
	return c, r.warns, r.errors()
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseYAML parses the single document in data into its root mapping.
func parseYAML(data []byte, r *report) (*yaml.Node, bool) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			r.decodeErr(Pos{1, 1}, "", "the file is empty; run `dcos-vsphere init` for an example")
			return nil, false
		}
		r.decodeErr(yamlErrPos(err), "", "YAML syntax: "+yamlErrMsg(err))
		return nil, false
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		r.decodeErr(Pos{extra.Line, extra.Column}, "", "a second YAML document (---) is not allowed; one file holds one cluster")
		return nil, false
	} else if !errors.Is(err, io.EOF) {
		r.decodeErr(yamlErrPos(err), "", "YAML syntax: "+yamlErrMsg(err))
		return nil, false
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		r.decodeErr(Pos{1, 1}, "", "the file is empty; run `dcos-vsphere init` for an example")
		return nil, false
	}
	return doc.Content[0], true
}

// yamlErrPos is the line of a yaml.v3 syntax error. yaml.v3 reports
// scanner errors 1-based but parser errors ("did not find expected ...")
// with the 0-based line of the construct being parsed; add one to those.
func yamlErrPos(err error) Pos {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		if n, e := strconv.Atoi(m[1]); e == nil && n > 0 {
			if isParserError(m[2]) {
				n++
			}
			return Pos{Line: n}
		}
	}
	return Pos{Line: 1}
}

func isParserError(msg string) bool {
	for _, p := range []string{"did not find expected ", "found duplicate %", "found incompatible YAML document", "found undefined tag handle"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

func yamlErrMsg(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		msg = m[2]
	}
	if strings.Contains(msg, "found character that cannot start any token") || strings.Contains(msg, "found a tab character") {
		msg += " (YAML forbids tabs for indentation: indent with spaces)"
	}
	return msg
}

// dir is the directory relative paths are resolved against.
func (c *Cluster) dir() string {
	if c.Path == "" {
		return "."
	}
	return filepath.Dir(c.Path)
}

// resolve makes p absolute-or-config-relative: "~/" is the home
// directory, a relative path is joined to the config file's directory.
func (c *Cluster) resolve(p string) string {
	if p == "" || strings.Contains(p, "://") {
		return p // a URL (validation rejects unsupported schemes)
	}
	if strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[2:])
		}
	}
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(c.dir(), p)
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// resolvePaths rewrites every file path field relative to the config.
func (c *Cluster) resolvePaths() {
	for _, p := range []*string{
		&c.VCenter.PasswordFile, &c.VCenter.CAFile, &c.Template.OVA,
		&c.SSH.KeyFile, &c.SSH.KeyPassphraseFile, &c.SSH.PasswordFile, &c.SSH.KnownHostsFile, &c.SSH.SudoPasswordFile,
		&c.DCOS.Installer, &c.DCOS.IPDetect.Script, &c.Registry.PasswordFile, &c.Registry.CAFile, &c.ACS.KeyFile, &c.ACS.KeyPassphraseFile, &c.ACS.KnownHostsFile,
	} {
		*p = c.resolve(*p)
	}
	if c.SSH.JumpHost != nil {
		c.SSH.JumpHost.KeyFile = c.resolve(c.SSH.JumpHost.KeyFile)
	}
	if c.DCOS.IPDetectPublic != nil {
		c.DCOS.IPDetectPublic.Script = c.resolve(c.DCOS.IPDetectPublic.Script)
	}
}

// secretField pairs a Secret with its optional sibling *File field.
type secretField struct {
	path, filePath string
	secret         *Secret
	file           string
}

func (c *Cluster) secretFields() []secretField {
	return []secretField{
		{"vcenter.password", "vcenter.passwordFile", &c.VCenter.Password, c.VCenter.PasswordFile},
		{"ssh.keyPassphrase", "ssh.keyPassphraseFile", &c.SSH.KeyPassphrase, c.SSH.KeyPassphraseFile},
		{"ssh.password", "ssh.passwordFile", &c.SSH.Password, c.SSH.PasswordFile},
		{"ssh.sudoPassword", "ssh.sudoPasswordFile", &c.SSH.SudoPassword, c.SSH.SudoPasswordFile},
		{"registry.password", "registry.passwordFile", &c.Registry.Password, c.Registry.PasswordFile},
		{"acs.keyPassphrase", "acs.keyPassphraseFile", &c.ACS.KeyPassphrase, c.ACS.KeyPassphraseFile},
	}
}

// resolveSecrets reads ${ENV} references and *File siblings. Messages
// name fields, variables and files, never values.
func resolveSecrets(c *Cluster, sites []secretSite, r *report, lookupEnv func(string) (string, bool)) {
	inFile := map[*Secret]bool{}
	for _, s := range sites {
		inFile[s.secret] = true
	}
	for _, f := range c.secretFields() {
		if inFile[f.secret] && f.file != "" {
			r.err(f.filePath, fmt.Sprintf("set %s or %s, not both", f.path, f.filePath))
			continue
		}
		switch {
		case f.file != "":
			v, err := readSecretFile(f.file, f.filePath, r)
			if err != nil {
				r.err(f.filePath, err.Error())
				continue
			}
			*f.secret = Secret{value: v}
		case f.secret.Ref != "":
			name := f.secret.EnvVar()
			v, ok := lookupEnv(name)
			switch {
			case !ok:
				r.err(f.path, fmt.Sprintf("environment variable %s is not set", name))
			case v == "":
				r.err(f.path, fmt.Sprintf("environment variable %s is empty", name))
			default:
				f.secret.value = v
			}
		case f.secret.value != "":
			r.warn(f.path, fmt.Sprintf("a literal password is written in the config file; use \"${ENV_VAR}\" or %s instead", f.filePath))
		}
	}
}

// readSecretFile reads a password file, trimming one trailing newline,
// and warns when group or others may read it.
func readSecretFile(path, field string, r *report) (string, error) {
	// Stat before opening: opening a FIFO would block.
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("read secret file: %w", err)
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("secret file %s is not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("read secret file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSecretFileSize+1))
	if err != nil {
		return "", fmt.Errorf("read secret file %s: %w", path, err)
	}
	if len(data) > maxSecretFileSize {
		return "", fmt.Errorf("secret file %s is larger than %d bytes", path, maxSecretFileSize)
	}
	v := strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r")
	if v == "" {
		return "", fmt.Errorf("secret file %s is empty", path)
	}
	if st.Mode().Perm()&0o077 != 0 {
		r.warn(field, fmt.Sprintf("%s can be read by group or others (mode %04o); chmod 600 it", path, st.Mode().Perm()))
	}
	return v, nil
}
