package marathon

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Labels the tool sets on the apps it deploys.
const (
	// LabelImage is the image reference as given (a tag, before it was
	// resolved to its digest).
	LabelImage = "dcos-vsphere/image"
	// LabelDigest is the manifest digest the app runs.
	LabelDigest = "dcos-vsphere/digest"
)

// App is a Marathon app definition as its author wrote it. Fields the
// tool does not touch are kept as they are (numbers too).
type App struct {
	raw  map[string]any
	file string
}

// AppError is a problem with an app definition file: its location and
// the field, what is wrong and what is expected. Exit code 2.
type AppError struct {
	File         string
	Line, Column int
	Field        string
	Msg          string
}

func (e *AppError) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Column)
	}
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", loc, e.Field, e.Msg)
	}
	return loc + ": " + e.Msg
}

// ExitCode is 2: the app definition is bad input.
func (e *AppError) ExitCode() int { return 2 }

// idSegment is one segment of a Marathon 1.4 app id (PathId validation).
var idSegment = regexp.MustCompile(`^(([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])\.)*([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])$`)

// ParseApp reads an app definition (file names it in errors). It must be
// one JSON object with a valid "id"; a syntax error is reported with its
// line and column.
func ParseApp(data []byte, file string) (*App, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		e := &AppError{File: file, Msg: "not a JSON object: " + err.Error()}
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			e.Line, e.Column = lineCol(data, se.Offset-1)
			e.Msg = "invalid JSON: " + se.Error()
		case errors.As(err, &te):
			e.Line, e.Column = lineCol(data, te.Offset-1)
			e.Msg = "the app definition must be one JSON object (Marathon's /v2/apps/<id> body), not a " + te.Value
		}
		return nil, e
	}
	if raw == nil {
		return nil, &AppError{File: file, Msg: "the app definition must be one JSON object, not null"}
	}
	if dec.More() {
		line, col := lineCol(data, dec.InputOffset())
		return nil, &AppError{File: file, Line: line, Column: col, Msg: "more than one JSON value: give one app definition per file"}
	}
	a := &App{raw: raw, file: file}
	id, _ := raw["id"].(string)
	if id == "" {
		return nil, &AppError{File: file, Field: "id", Msg: `missing: every app needs an "id" such as "/shop/front"`}
	}
	norm, err := NormalizeID(id)
	if err != nil {
		return nil, &AppError{File: file, Field: "id", Msg: err.Error()}
	}
	raw["id"] = norm
	if err := a.checkShape(); err != nil {
		return nil, err
	}
	return a, nil
}

// NormalizeID makes an app id absolute ("front" is "/front") and checks
// it the way Marathon 1.4 does.
func NormalizeID(id string) (string, error) {
	s := strings.TrimSpace(id)
	if !strings.HasPrefix(s, "/") {
		s = "/" + s
	}
	s = strings.TrimSuffix(s, "/")
	if s == "" {
		return "", fmt.Errorf("%q is not an app id", id)
	}
	for _, seg := range strings.Split(s[1:], "/") {
		if !idSegment.MatchString(seg) {
			return "", fmt.Errorf("%q is not a valid app id: each part between slashes must be lowercase letters, digits, '-' and '.' (not at either end), e.g. /shop/front", id)
		}
	}
	return s, nil
}

// lineCol is the 1-based line and column of the byte at index idx.
func lineCol(data []byte, idx int64) (int, int) {
	idx = max(0, min(idx, int64(len(data))))
	before := data[:idx]
	return bytes.Count(before, []byte("\n")) + 1, int(idx) - bytes.LastIndexByte(before, '\n')
}

// checkShape rejects the field types this tool would have to guess about.
func (a *App) checkShape() error {
	bad := func(field, msg string) error { return &AppError{File: a.file, Field: field, Msg: msg} }
	if v, ok := a.raw["container"]; ok {
		c, ok := v.(map[string]any)
		if !ok {
			return bad("container", "must be an object")
		}
		if t, ok := c["type"]; ok {
			if s, _ := t.(string); s != "DOCKER" && s != "MESOS" {
				return bad("container.type", fmt.Sprintf("%v: must be DOCKER or MESOS", t))
			}
		}
		if d, ok := c["docker"]; ok {
			dm, ok := d.(map[string]any)
			if !ok {
				return bad("container.docker", "must be an object")
			}
			if img, ok := dm["image"]; ok {
				if _, ok := img.(string); !ok {
					return bad("container.docker.image", "must be a string")
				}
			}
		}
	}
	for _, f := range []string{"uris"} {
		if v, ok := a.raw[f]; ok {
			list, ok := v.([]any)
			if !ok {
				return bad(f, "must be a list of strings")
			}
			for i, e := range list {
				if _, ok := e.(string); !ok {
					return bad(fmt.Sprintf("%s[%d]", f, i), "must be a string")
				}
			}
		}
	}
	if v, ok := a.raw["fetch"]; ok {
		list, ok := v.([]any)
		if !ok {
			return bad("fetch", `must be a list of objects such as {"uri": "file:///etc/docker.tar.gz"}`)
		}
		for i, e := range list {
			m, ok := e.(map[string]any)
			if _, s := m["uri"].(string); !ok || !s {
				return bad(fmt.Sprintf("fetch[%d]", i), `must be an object with a "uri" string`)
			}
		}
		if _, both := a.raw["uris"]; both {
			return bad("fetch", `give "fetch" or "uris", not both (Marathon refuses both)`)
		}
	}
	if v, ok := a.raw["labels"]; ok {
		m, ok := v.(map[string]any)
		if !ok {
			return bad("labels", "must be an object of strings")
		}
		for k, e := range m {
			if _, ok := e.(string); !ok {
				return bad("labels."+k, "must be a string")
			}
		}
	}
	if v, ok := a.raw["instances"]; ok {
		n, ok := v.(json.Number)
		if i, err := n.Int64(); !ok || err != nil || i < 0 {
			return bad("instances", fmt.Sprintf("%v: must be a whole number, 0 or more", v))
		}
	}
	return nil
}

// ID is the app's absolute id ("/shop/front").
func (a *App) ID() string { return a.raw["id"].(string) }

// File is the file the definition came from.
func (a *App) File() string { return a.file }

func (a *App) container() map[string]any {
	c, _ := a.raw["container"].(map[string]any)
	return c
}

// ContainerType is container.type: DOCKER or MESOS ("" without container).
func (a *App) ContainerType() string {
	if c := a.container(); c != nil {
		t, _ := c["type"].(string)
		if t == "" && c["docker"] != nil {
			return "DOCKER" // Marathon's default
		}
		return t
	}
	return ""
}

// Image is container.docker.image ("" when there is none).
func (a *App) Image() string {
	if c := a.container(); c != nil {
		if d, ok := c["docker"].(map[string]any); ok {
			s, _ := d["image"].(string)
			return s
		}
	}
	return ""
}

// SetImage sets container.docker.image, creating a DOCKER container when
// the app has none.
func (a *App) SetImage(ref string) {
	c := a.container()
	if c == nil {
		c = map[string]any{"type": "DOCKER"}
		a.raw["container"] = c
	}
	d, _ := c["docker"].(map[string]any)
	if d == nil {
		d = map[string]any{}
		c["docker"] = d
	}
	d["image"] = ref
}

// SetForcePull sets container.docker.forcePullImage: a tag deployed again
// is pulled again (Mesos otherwise keeps the image it has).
func (a *App) SetForcePull(on bool) {
	if c := a.container(); c != nil {
		if d, ok := c["docker"].(map[string]any); ok {
			d["forcePullImage"] = on
		}
	}
}

// Instances is the number of tasks asked for (Marathon's default 1).
func (a *App) Instances() int {
	if n, ok := a.raw["instances"].(json.Number); ok {
		i, _ := n.Int64()
		return int(i)
	}
	return 1
}

// User is the task user ("" for Marathon's --mesos_user, root on DC/OS).
func (a *App) User() string { s, _ := a.raw["user"].(string); return s }

// URIs are the files fetched into the sandbox (uris, or fetch[].uri).
func (a *App) URIs() []string {
	var out []string
	if list, ok := a.raw["fetch"].([]any); ok {
		for _, e := range list {
			out = append(out, e.(map[string]any)["uri"].(string))
		}
		return out
	}
	list, _ := a.raw["uris"].([]any)
	for _, e := range list {
		out = append(out, e.(string))
	}
	return out
}

// EnsureURI adds uri to the fetched files (to "fetch" when the app uses
// it, else to "uris") unless it is there; it reports whether it added it.
func (a *App) EnsureURI(uri string) bool {
	for _, u := range a.URIs() {
		if u == uri {
			return false
		}
	}
	if list, ok := a.raw["fetch"].([]any); ok {
		a.raw["fetch"] = append(list, map[string]any{"uri": uri, "extract": true})
		return true
	}
	list, _ := a.raw["uris"].([]any)
	a.raw["uris"] = append(list, uri)
	return true
}

// SetLabel sets a label.
func (a *App) SetLabel(k, v string) {
	m, _ := a.raw["labels"].(map[string]any)
	if m == nil {
		m = map[string]any{}
		a.raw["labels"] = m
	}
	m[k] = v
}

// Label is a label's value.
func (a *App) Label(k string) string {
	m, _ := a.raw["labels"].(map[string]any)
	s, _ := m[k].(string)
	return s
}

// minimumHealthCapacity is upgradeStrategy.minimumHealthCapacity (-1
// when unset: Marathon's default 1).
func (a *App) minimumHealthCapacity() float64 {
	u, _ := a.raw["upgradeStrategy"].(map[string]any)
	if n, ok := u["minimumHealthCapacity"].(json.Number); ok {
		f, err := n.Float64()
		if err == nil {
			return f
		}
	}
	return -1
}

// JSON is the definition to PUT, with the id in it.
func (a *App) JSON() ([]byte, error) { return json.Marshal(a.raw) }

// Clone is an independent copy (one per cluster).
func (a *App) Clone() *App {
	b, _ := a.JSON()
	c, _ := ParseApp(b, a.file)
	return c
}

// Lint lists what cannot work, or may not do what its author expects,
// when the app pulls from registryHost on DC/OS 1.9 (archive is the
// docker.tar.gz URI the tool adds).
func (a *App) Lint(registryHost, archiveURI string) []string {
	var w []string
	onRegistry := registryHost != "" && ImageHost(a.Image()) == strings.ToLower(registryHost)
	if onRegistry && a.ContainerType() == "MESOS" {
		w = append(w, fmt.Sprintf(`container.type MESOS (the Mesos containerizer, UCR) cannot pull %s from ACR on DC/OS 1.9: its registry client reads a "token" field that ACR's token answer does not have (only "access_token"); the tasks will fail with "Failed to find token in JSON object". Use "type": "DOCKER"`, a.Image()))
	}
	if u := a.User(); u != "" && u != "root" && onRegistry {
		for _, uri := range a.URIs() {
			if uri == archiveURI {
				w = append(w, fmt.Sprintf(`the tasks run as user %q, but the Mesos fetcher copies %s as that user and the archive is root 0600 on every agent: the fetch will fail ("Failed to fetch all URIs for container"). Leave "user" out (tasks run as root) or give that user a readable copy`, u, archiveURI))
			}
		}
	}
	if mhc := a.minimumHealthCapacity(); mhc == 0 {
		w = append(w, "upgradeStrategy.minimumHealthCapacity is 0: Marathon may stop every old task before a new one runs (a gap with no task); 1 keeps all old tasks until their replacements run")
	}
	if a.Instances() == 0 {
		w = append(w, "instances is 0: the app is deployed with no task")
	}
	sort.Strings(w)
	return w
}

// ImageHost is the registry host[:port] an image reference names, lower
// case ("" for images of the default registry, such as nginx:1.13).
func ImageHost(image string) string {
	first, _, ok := strings.Cut(image, "/")
	if !ok || !(strings.ContainsAny(first, ".:") || first == "localhost") {
		return ""
	}
	return strings.ToLower(first)
}

// DigestOf is the manifest digest an image reference pins
// ("repo@sha256:..."), else "".
func DigestOf(image string) string {
	if _, d, ok := strings.Cut(image, "@"); ok {
		return d
	}
	return ""
}
