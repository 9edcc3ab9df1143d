package config

import (
	"bufio"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Origin says where a value that is not written in cluster.yaml came from:
// a GOVC_* environment variable (Var), as govc itself would have read it.
type Origin struct {
	Field string `json:"field"` // e.g. vcenter.url
	Var   string `json:"var"`   // e.g. GOVC_URL
	// Value is the value as used, "(set)" for a secret.
	Value string `json:"value"`
	// Note explains a choice ("GOVC_CLUSTER ignored: ...").
	Note string `json:"note,omitempty"`
}

// String is "vcenter.url = https://vc/sdk (from GOVC_URL)".
func (o Origin) String() string {
	s := fmt.Sprintf("%s = %s (from %s)", o.Field, o.Value, o.Var)
	if o.Note != "" {
		s += "; " + o.Note
	}
	return s
}

// govcSecretShown replaces a secret's value in an Origin.
const govcSecretShown = "(set)"

// ApplyGovcEnv fills the empty fields of vc from the GOVC_* environment,
// the way govc reads it, and returns where each value came from. What vc
// already holds always wins; the rules:
//
//   - GOVC_URL: a bare host ("vcenter.local") or host:port becomes
//     https://host/sdk, as govc does; user:password in it give the user and
//     password (GOVC_USERNAME and GOVC_PASSWORD win over them, as in govc).
//     The URL kept has no user info.
//   - GOVC_USERNAME, GOVC_PASSWORD: a value naming a readable file is
//     read from it (govc's session.Secret).
//   - Trust only when vc has none of caFile, thumbprint, insecure: the
//     thumbprint GOVC_TLS_KNOWN_HOSTS records for the URL's host:port
//     (lines "host:port THUMBPRINT"), else GOVC_TLS_CA_CERTS, else
//     GOVC_INSECURE=1|true. The strongest given wins.
//   - GOVC_DATACENTER, GOVC_NETWORK, GOVC_FOLDER; GOVC_RESOURCE_POOL or
//     GOVC_CLUSTER (not when vc has the other; the pool wins when both are
//     exported); GOVC_DATASTORE or GOVC_DATASTORE_CLUSTER (likewise, the
//     datastore wins).
func ApplyGovcEnv(vc *VCenter, getenv func(string) string) []Origin {
	a := govcApplier{vc: vc, getenv: getenv}
	a.apply()
	sort.SliceStable(a.origins, func(i, j int) bool { return a.origins[i].Field < a.origins[j].Field })
	return a.origins
}

type govcApplier struct {
	vc      *VCenter
	getenv  func(string) string
	origins []Origin
}

func (a *govcApplier) env(name string) string { return strings.TrimSpace(a.getenv(name)) }

func (a *govcApplier) record(field, name, value, note string) {
	a.origins = append(a.origins, Origin{Field: field, Var: name, Value: value, Note: note})
}

func (a *govcApplier) fill(dst *string, field, name, note string) {
	if *dst != "" {
		return
	}
	if v := a.env(name); v != "" {
		*dst = v
		a.record(field, name, v, note)
	}
}

func (a *govcApplier) apply() {
	vc := a.vc
	var urlUser, urlPass string
	if vc.URL == "" {
		if raw := a.env("GOVC_URL"); raw != "" {
			u, user, pass, ok := parseGovcURL(raw)
			if ok {
				vc.URL, urlUser, urlPass = u, user, pass
			} else {
				vc.URL = raw // validation says what is wrong with it
			}
			a.record("vcenter.url", "GOVC_URL", redactUserInfo(vc.URL), "")
		}
	}
	if vc.Username == "" {
		switch v := govcSecret(a.env("GOVC_USERNAME")); {
		case v != "":
			vc.Username = v
			a.record("vcenter.username", "GOVC_USERNAME", v, "")
		case urlUser != "":
			vc.Username = urlUser
			a.record("vcenter.username", "GOVC_URL", urlUser, "the user in the URL")
		}
	}
	if !vc.Password.IsSet() && vc.Password.Ref == "" && vc.PasswordFile == "" {
		switch v := govcSecret(a.getenv("GOVC_PASSWORD")); {
		case v != "":
			vc.Password = NewSecret(v)
			a.record("vcenter.password", "GOVC_PASSWORD", govcSecretShown, "")
		case urlPass != "":
			vc.Password = NewSecret(urlPass)
			a.record("vcenter.password", "GOVC_URL", govcSecretShown, "the password in the URL")
		}
	}
	a.applyTrust()
	a.fill(&vc.Datacenter, "vcenter.datacenter", "GOVC_DATACENTER", "")
	a.fill(&vc.Network, "vcenter.network", "GOVC_NETWORK", "")
	a.fill(&vc.Folder, "vcenter.folder", "GOVC_FOLDER", "")
	a.either(&vc.ResourcePool, &vc.Cluster, "vcenter.resourcePool", "vcenter.cluster", "GOVC_RESOURCE_POOL", "GOVC_CLUSTER")
	a.either(&vc.Datastore, &vc.DatastoreCluster, "vcenter.datastore", "vcenter.datastoreCluster", "GOVC_DATASTORE", "GOVC_DATASTORE_CLUSTER")
}

// either fills one of two exclusive fields: none when the file has
// either, the first when both variables are exported.
func (a *govcApplier) either(first, second *string, firstField, secondField, firstVar, secondVar string) {
	if *first != "" || *second != "" {
		return
	}
	if a.env(firstVar) != "" {
		note := ""
		if a.env(secondVar) != "" {
			note = secondVar + " ignored: " + firstVar + " is set too (" + firstField + " and " + secondField + " exclude each other)"
		}
		a.fill(first, firstField, firstVar, note)
		return
	}
	a.fill(second, secondField, secondVar, "")
}

func (a *govcApplier) applyTrust() {
	vc := a.vc
	if vc.CAFile != "" || vc.Thumbprint != "" || vc.Insecure {
		return
	}
	if files := a.env("GOVC_TLS_KNOWN_HOSTS"); files != "" && vc.URL != "" {
		if u, err := url.Parse(vc.URL); err == nil && u.Host != "" {
			if tp := knownThumbprint(files, u); tp != "" {
				vc.Thumbprint = tp
				a.record("vcenter.thumbprint", "GOVC_TLS_KNOWN_HOSTS", tp, "the entry for "+hostWithPort(u))
				return
			}
		}
	}
	if ca := a.env("GOVC_TLS_CA_CERTS"); ca != "" {
		if abs, err := filepath.Abs(ca); err == nil {
			ca = abs // relative to where govc would have read it
		}
		vc.CAFile = ca
		a.record("vcenter.caFile", "GOVC_TLS_CA_CERTS", ca, "")
		return
	}
	switch strings.ToLower(a.env("GOVC_INSECURE")) {
	case "1", "true":
		vc.Insecure = true
		a.record("vcenter.insecure", "GOVC_INSECURE", "true", "")
	}
}

// parseGovcURL reads GOVC_URL as govc's soap.ParseURL does: https:// by
// default, /sdk when there is no path, no trailing slash. It returns the
// URL without user info, and the user info.
func parseGovcURL(raw string) (clean, user, pass string, ok bool) {
	u := govcURL(raw)
	if u == nil {
		return "", "", "", false
	}
	if u.User != nil {
		user = u.User.Username()
		pass, _ = u.User.Password()
		u.User = nil
	}
	return u.String(), user, pass, true
}

// govcURL is s completed as govc does: https:// when it has no scheme, no
// trailing slash, /sdk when it has no path; nil when it has no host.
func govcURL(s string) *url.URL {
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(strings.TrimSuffix(s, "/"))
	if err != nil || u.Host == "" {
		return nil
	}
	if u.Path == "" {
		u.Path = "/sdk"
	}
	return u
}

// redactUserInfo drops a password from a URL that could not be parsed
// cleanly, so that it can be shown.
func redactUserInfo(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		u.User = nil
		return u.String()
	}
	if at := strings.LastIndex(raw, "@"); at >= 0 {
		if i := strings.Index(raw, "://"); i >= 0 && i < at {
			return raw[:i+3] + raw[at+1:]
		}
		return raw[at+1:]
	}
	return raw
}

// govcSecret is govc's session.Secret: a value naming a readable file is
// that file's content (trimmed), otherwise the value itself.
func govcSecret(v string) string {
	if v == "" {
		return ""
	}
	st, err := os.Stat(v)
	if err != nil || !st.Mode().IsRegular() || st.Size() > maxSecretFileSize {
		return v
	}
	data, err := os.ReadFile(v)
	if err != nil {
		return v
	}
	return strings.TrimSpace(string(data))
}

// hostWithPort is u's host:port, port 443 when the URL has none.
func hostWithPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	return net.JoinHostPort(u.Hostname(), "443")
}

// knownThumbprint looks up u's host in govc's GOVC_TLS_KNOWN_HOSTS files
// (a path list; lines "host:port THUMBPRINT", a host without port meaning
// 443; later lines win, as govc's map does). Missing files are skipped.
func knownThumbprint(files string, u *url.URL) string {
	want := hostWithPort(u)
	found := ""
	for _, name := range filepath.SplitList(files) {
		f, err := os.Open(filepath.Clean(name))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			host, tp, ok := strings.Cut(strings.TrimSpace(sc.Text()), " ")
			if !ok {
				continue
			}
			if _, _, err := net.SplitHostPort(host); err != nil {
				host = net.JoinHostPort(strings.Trim(host, "[]"), "443")
			}
			if strings.EqualFold(host, want) {
				found = strings.TrimSpace(tp)
			}
		}
		f.Close()
	}
	return found
}

// applyEnvironment completes the vcenter section from the GOVC_*
// environment before defaults and validation, recording each value's
// origin for messages and plan. A bare host in vcenter.url is completed
// as govc does.
func (c *Cluster) applyEnvironment(r *report, getenv func(string) string) {
	c.VCenter.URL = completeBareHost(c.VCenter.URL)
	c.origins = ApplyGovcEnv(&c.VCenter, getenv)
	for _, o := range c.origins {
		r.origin[o.Field] = o.Var
	}
}

// completeBareHost turns "vcenter.local" or "vcenter.local:8443/sdk" into
// https://vcenter.local/sdk (govc's defaults); a URL with a scheme stays.
func completeBareHost(s string) string {
	if s == "" || strings.Contains(s, "://") {
		return s
	}
	if u := govcURL(s); u != nil {
		return u.String()
	}
	return s
}

// Origins lists the values taken from the environment (GOVC_*), by field.
func (c *Cluster) Origins() []Origin { return append([]Origin(nil), c.origins...) }

// IsSet reports whether the field at path (e.g. "ssh.user") is written in
// the file, as opposed to defaulted or taken from the environment.
func (c *Cluster) IsSet(path string) bool {
	_, ok := c.pos[path]
	return ok
}
