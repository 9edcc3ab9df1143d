package ssh

import (
	"strings"
	"sync"
)

// Redacted replaces every secret in redacted text.
const Redacted = "***"

// Redactor replaces known secret strings in text. The zero value and nil
// are usable and redact nothing. It is safe for concurrent use.
type Redactor struct {
	mu      sync.RWMutex
	secrets []string
}

// NewRedactor returns a Redactor for the given secrets (empty ones ignored).
func NewRedactor(secrets ...string) *Redactor {
	r := &Redactor{}
	r.Add(secrets...)
	return r
}

// Add registers more secrets; empty strings and duplicates are ignored.
func (r *Redactor) Add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		if s == "" || containsString(r.secrets, s) {
			continue
		}
		r.secrets = append(r.secrets, s)
		// Longest first, so a secret containing another is hidden whole.
		for i := len(r.secrets) - 1; i > 0 && len(r.secrets[i]) > len(r.secrets[i-1]); i-- {
			r.secrets[i], r.secrets[i-1] = r.secrets[i-1], r.secrets[i]
		}
	}
}

// Redact returns s with every secret replaced by Redacted.
func (r *Redactor) Redact(s string) string {
	if r == nil {
		return s
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, secret := range r.secrets {
		if strings.Contains(s, secret) {
			s = strings.ReplaceAll(s, secret, Redacted)
		}
	}
	return s
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
