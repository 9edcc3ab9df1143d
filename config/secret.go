package config

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
