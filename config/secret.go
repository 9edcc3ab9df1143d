package config

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Secret is a password or passphrase. In cluster.yaml it is written as an
// environment reference ("${VCENTER_PASSWORD}"); a literal is accepted with
// a warning. Its value never prints: String, GoString and MarshalYAML all
// show the reference or "[redacted]".
type Secret struct {
	// Ref is what the file said: "${NAME}" or "" (literal or unset).
	Ref   string
	value string
}

// NewSecret returns a Secret holding value, for code and tests.
func NewSecret(value string) Secret { return Secret{value: value} }

// Value returns the resolved secret. Only code that hands the secret to
// its consumer (a login, a stdin pipe) may call it.
func (s Secret) Value() string { return s.value }

// IsSet reports whether the secret has a non-empty value.
func (s Secret) IsSet() bool { return s.value != "" }

// String never shows the value.
func (s Secret) String() string {
	if s.Ref != "" {
		return s.Ref
	}
	if s.value != "" {
		return "[redacted]"
	}
	return ""
}

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return "config.Secret(" + s.String() + ")" }

// MarshalYAML writes the reference, never the value.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// envRef matches a whole-value environment reference: ${NAME}; bareEnvRef
// the same without braces, a common slip.
var (
	envRef     = regexp.MustCompile(`^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$`)
	bareEnvRef = regexp.MustCompile(`^\$([A-Za-z_][A-Za-z0-9_]*)$`)
)

// UnmarshalYAML records "${NAME}" as Ref (resolved later by Load, which
// knows the field path for its errors) and keeps anything else as a
// literal value, which Load warns about. Its errors never quote the value.
func (s *Secret) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		return errors.New(`expected a string such as "${ENV_VAR}"; found another type (value not shown)`)
	}
	if envRef.MatchString(n.Value) {
		*s = Secret{Ref: n.Value}
		return nil
	}
	if strings.Contains(n.Value, "${") {
		return errors.New(`an environment reference must be the whole value, exactly "${NAME}" (value not shown)`)
	}
	if m := bareEnvRef.FindStringSubmatch(n.Value); m != nil {
		// Almost certainly meant as a reference: never take it as the
		// password. The name is not a secret.
		return fmt.Errorf(`%q looks like an environment variable without braces; write "${%s}" (or, for a literal password, one that does not look like $NAME)`, n.Value, m[1])
	}
	*s = Secret{value: n.Value}
	return nil
}

// EnvVar returns the NAME of a "${NAME}" reference, or "".
func (s Secret) EnvVar() string {
	if m := envRef.FindStringSubmatch(s.Ref); m != nil {
		return m[1]
	}
	return ""
}
