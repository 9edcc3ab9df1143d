package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/dcos-vsphere/dcos-vsphere/internal/fsutil"
)

// Edits of cluster.yaml by the tool itself (add-agents, remove-agents):
// the file stays the truth about the cluster. Every edit changes only the
// lines it must (a count is replaced in place; a group whose form changes
// is re-encoded alone, its comments kept), checks that the result loads
// and describes what was asked, backs the file up beside itself
// (<file>.bak-<UTC time>, 0600) and writes it atomically with the
// file's mode. Nothing is written when any step fails.

// FileEdit is one edit written to cluster.yaml.
type FileEdit struct {
	Path    string   `json:"path"`
	Backup  string   `json:"backup"`
	Changes []string `json:"changes"` // e.g. "nodes.agents.count: 2 -> 4"
}

// String says what was changed, for people.
func (e *FileEdit) String() string {
	return fmt.Sprintf("updated %s (%s); the previous version is %s", e.Path, strings.Join(e.Changes, "; "), e.Backup)
}

// groupKey is the YAML key of role's node group.
func groupKey(role Role) (string, error) {
	if key, _, ok := groupRoute(role); ok {
		return key, nil
	}
	return "", fmt.Errorf("%s has no node group", role)
}

// SetGroupCount sets nodes.<group of role>.count to n in the file at path.
// The group must be in count form (count + ipRange); for a hosts list use
// AddHosts or RemoveHosts.
func SetGroupCount(path string, role Role, n int) (*FileEdit, error) {
	return editFile(path, func(d *document) ([]string, error) {
		g, err := d.group(role)
		if err != nil {
			return nil, err
		}
		if g.has("hosts") {
			return nil, fmt.Errorf("%s lists hosts: add or remove them (AddHosts, RemoveHosts) instead of setting a count", g.path)
		}
		old := g.value("count")
		if old == nil {
			return nil, fmt.Errorf("%s has no count to set", g.path)
		}
		if err := d.replaceScalar(old, strconv.Itoa(n)); err != nil {
			return nil, err
		}
		return []string{fmt.Sprintf("%s.count: %s -> %d", g.path, old.Value, n)}, nil
	}, func(c *Cluster) error {
		if got := len(c.NodesOf(role)); got != n {
			return fmt.Errorf("the edited file describes %d %s nodes, not %d", got, role, n)
		}
		return nil
	})
}

// AddHosts appends hosts (name and ip) to nodes.<group of role>.hosts.
// A group in count form becomes a hosts list: its current nodes, then
// these (count and ipRange go: the list says everything).
func AddHosts(path string, role Role, hosts []Node) (*FileEdit, error) {
	var want []PlannedNode
	return editFile(path, func(d *document) ([]string, error) {
		c, g, err := d.loadGroup(role)
		if err != nil {
			return nil, err
		}
		current := c.NodesOf(role)
		want = append(nodesToPlanned(current), hostsToPlanned(hosts, role)...)
		if g.has("hosts") {
			return d.appendHosts(g, hosts)
		}
		return d.convertToHosts(g, append(plannedToNodes(current), hosts...))
	}, func(c *Cluster) error { return sameNodes(c.NodesOf(role), want) })
}

// RemoveHosts removes the nodes named from the group of role: in hosts
// form their entries go; in count form, the highest-numbered nodes are
// removed by lowering the count, any other makes the group a hosts list
// of the nodes that stay. A name not in the group is an error.
func RemoveHosts(path string, role Role, names []string) (*FileEdit, error) {
	var want []PlannedNode
	return editFile(path, func(d *document) ([]string, error) {
		c, g, err := d.loadGroup(role)
		if err != nil {
			return nil, err
		}
		current := c.NodesOf(role)
		drop := map[string]bool{}
		for _, n := range names {
			drop[n] = true
		}
		var keep []PlannedNode
		for _, n := range current {
			if drop[n.Name] {
				delete(drop, n.Name)
				continue
			}
			keep = append(keep, n)
		}
		if len(drop) > 0 {
			missing := make([]string, 0, len(drop))
			for n := range drop {
				missing = append(missing, n)
			}
			slices.Sort(missing)
			return nil, fmt.Errorf("%s has no node %s", g.path, strings.Join(missing, ", "))
		}
		want = keep
		if g.has("hosts") {
			return d.removeHosts(g, names)
		}
		if isPrefixOf(keep, current) {
			old := g.value("count")
			if err := d.replaceScalar(old, strconv.Itoa(len(keep))); err != nil {
				return nil, err
			}
			return []string{fmt.Sprintf("%s.count: %s -> %d", g.path, old.Value, len(keep))}, nil
		}
		return d.convertToHosts(g, plannedToNodes(keep))
	}, func(c *Cluster) error { return sameNodes(c.NodesOf(role), want) })
}

// RecordAdded writes nodes a run added to role's group (add-agents): the
// count is raised when they are exactly the nodes the raised count
// describes (same names, same addresses), otherwise they are appended as
// hosts (a count group becoming a hosts list, e.g. when an address of the
// range was skipped because it was in use).
func RecordAdded(path string, role Role, added []PlannedNode) (*FileEdit, error) {
	if len(added) == 0 {
		return nil, errors.New("record added nodes: none given")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("update %s: %w", path, err)
	}
	c, _, err := Parse(data, path)
	if err != nil {
		return nil, fmt.Errorf("update %s: it does not load as it is: %w", path, err)
	}
	g := c.group(role)
	if g != nil && len(g.Hosts) == 0 && g.Count > 0 {
		// What would count+k describe? Only a raise that gives exactly
		// the added nodes (in any order) is written as a count.
		current := c.NodesOf(role)
		probe := *c
		pg := *g
		pg.Count = g.Count + len(added)
		probe.setGroup(role, pg)
		if raised := probe.NodesOf(role); len(raised) == len(current)+len(added) && isPrefixOf(current, raised) && sameSet(raised[len(current):], added) {
			return SetGroupCount(path, role, pg.Count)
		}
	}
	hosts := make([]Node, len(added))
	for i, n := range added {
		hosts[i] = Node{Name: n.Name, IP: n.IP}
	}
	return AddHosts(path, role, hosts)
}

func (c *Cluster) setGroup(role Role, g NodeGroup) {
	if p := c.group(role); p != nil {
		*p = g
	}
}

func nodesToPlanned(n []PlannedNode) []PlannedNode { return append([]PlannedNode(nil), n...) }

func hostsToPlanned(hosts []Node, role Role) []PlannedNode {
	out := make([]PlannedNode, len(hosts))
	for i, h := range hosts {
		out[i] = PlannedNode{Name: h.Name, IP: h.IP, Role: role}
	}
	return out
}

func plannedToNodes(p []PlannedNode) []Node {
	out := make([]Node, len(p))
	for i, n := range p {
		out[i] = Node{Name: n.Name, IP: n.IP}
	}
	return out
}

func isPrefixOf(a, b []PlannedNode) bool {
	if len(a) > len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || a[i].IP != b[i].IP {
			return false
		}
	}
	return true
}

// sameSet compares names and addresses, in any order.
func sameSet(a, b []PlannedNode) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, n := range a {
		seen[n.Name+"="+n.IP]++
	}
	for _, n := range b {
		if seen[n.Name+"="+n.IP]--; seen[n.Name+"="+n.IP] < 0 {
			return false
		}
	}
	return true
}

// sameNodes compares names and addresses, in order.
func sameNodes(got, want []PlannedNode) error {
	if len(got) == len(want) && isPrefixOf(got, want) {
		return nil
	}
	describe := func(ns []PlannedNode) string {
		var s []string
		for _, n := range ns {
			s = append(s, n.Name+"="+n.IP)
		}
		return strings.Join(s, " ")
	}
	return fmt.Errorf("the edited file describes [%s], not [%s]", describe(got), describe(want))
}

// editFile reads path, lets edit change the document, checks that the
// result loads and passes check, then backs up and writes.
func editFile(path string, edit func(*document) ([]string, error), check func(*Cluster) error) (*FileEdit, error) {
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real // keep a symlinked cluster.yaml a symlink
	}
	fail := func(err error) (*FileEdit, error) {
		return nil, fmt.Errorf("update %s: %w; the file was not changed", path, err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fail(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return fail(err)
	}
	d, err := newDocument(data, path)
	if err != nil {
		return fail(err)
	}
	changes, err := edit(d)
	if err != nil {
		return fail(err)
	}
	out := d.bytes()
	c, _, err := Parse(out, path)
	if err != nil {
		return fail(fmt.Errorf("the edited file would not load: %w", err))
	}
	if err := check(c); err != nil {
		return fail(err)
	}
	backup, err := writeBackup(path, data)
	if err != nil {
		return fail(err)
	}
	if err := fsutil.WriteAtomic(path, out, st.Mode().Perm()); err != nil {
		return fail(err)
	}
	return &FileEdit{Path: path, Backup: backup, Changes: changes}, nil
}

// writeBackup writes data beside path as <path>.bak-<UTC time> (0600,
// never over an existing file).
func writeBackup(path string, data []byte) (string, error) {
	stamp := time.Now().UTC().Format("20060102T150405Z")
	for i := 0; i < 100; i++ {
		name := path + ".bak-" + stamp
		if i > 0 {
			name += "-" + strconv.Itoa(i)
		}
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("back up to %s: %w", name, err)
		}
		_, werr := f.Write(data)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			os.Remove(name)
			return "", fmt.Errorf("back up to %s: %w", name, werr)
		}
		return name, nil
	}
	return "", fmt.Errorf("back up %s: too many backups from this second", path)
}

// document is cluster.yaml as lines plus its node tree; edits replace
// line ranges located through the tree.
type document struct {
	path  string
	lines []string // without line ends
	root  *yaml.Node
}

func newDocument(data []byte, path string) (*document, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("not a YAML mapping")
	}
	if bytes.Contains(data, []byte("\r\n")) {
		return nil, errors.New("the file has CRLF line ends; this edit keeps files with LF only")
	}
	return &document{path: path, lines: strings.Split(string(data), "\n"), root: doc.Content[0]}, nil
}

func (d *document) bytes() []byte { return []byte(strings.Join(d.lines, "\n")) }

// groupRef is a node group's key and mapping in the tree.
type groupRef struct {
	path     string // nodes.agents
	key, val *yaml.Node
	parent   *yaml.Node // the nodes mapping
}

func mappingValue(m *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

func (g *groupRef) has(key string) bool { _, v := mappingValue(g.val, key); return v != nil }

func (g *groupRef) value(key string) *yaml.Node { _, v := mappingValue(g.val, key); return v }

func (d *document) group(role Role) (*groupRef, error) {
	name, err := groupKey(role)
	if err != nil {
		return nil, err
	}
	_, nodes := mappingValue(d.root, "nodes")
	k, v := mappingValue(nodes, name)
	if v == nil || v.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("the file has no nodes.%s mapping", name)
	}
	for _, n := range []*yaml.Node{k, v} {
		if n.Kind == yaml.AliasNode || n.Anchor != "" {
			return nil, fmt.Errorf("nodes.%s uses YAML anchors or aliases; edit it by hand", name)
		}
	}
	return &groupRef{path: "nodes." + name, key: k, val: v, parent: nodes}, nil
}

// loadGroup is group plus the whole file loaded (for the current nodes).
func (d *document) loadGroup(role Role) (*Cluster, *groupRef, error) {
	c, _, err := Parse(d.bytes(), d.path)
	if err != nil {
		return nil, nil, fmt.Errorf("it does not load as it is: %w", err)
	}
	g, err := d.group(role)
	return c, g, err
}

// replaceScalar puts text where the plain scalar n is written.
func (d *document) replaceScalar(n *yaml.Node, text string) error {
	if n.Kind != yaml.ScalarNode || n.Style != 0 || n.Line < 1 || n.Line > len(d.lines) {
		return fmt.Errorf("line %d: the value is not a plain scalar; edit it by hand", n.Line)
	}
	line := []rune(d.lines[n.Line-1])
	col := n.Column - 1
	old := []rune(n.Value)
	if col < 0 || col+len(old) > len(line) || string(line[col:col+len(old)]) != n.Value {
		return fmt.Errorf("line %d: %q not found where YAML says it is", n.Line, n.Value)
	}
	d.lines[n.Line-1] = string(line[:col]) + text + string(line[col+len(old):])
	return nil
}

// groupLines is the line range [first, last] (0-based) the group's key
// and value occupy: up to the next key of its parent (or of the levels
// above), less trailing blank lines and comments that belong to that key.
func (d *document) groupLines(g *groupRef) (int, int) {
	first := g.key.Line - 1
	next := len(d.lines)
	for _, m := range []*yaml.Node{g.parent, d.root} {
		for i := 0; i+1 < len(m.Content); i += 2 {
			if l := m.Content[i].Line - 1; l > first && l < next {
				next = l
			}
		}
	}
	last := next - 1
	for last > first {
		t := strings.TrimSpace(d.lines[last])
		indent := len(d.lines[last]) - len(strings.TrimLeft(d.lines[last], " "))
		if t == "" || (strings.HasPrefix(t, "#") && indent < g.key.Column) {
			last--
			continue
		}
		break
	}
	return first, last
}

// reencode writes the group (key and value, as edited in the tree) over
// its lines, indented as its key was. yaml.v3 keeps the comments inside.
func (d *document) reencode(g *groupRef) error {
	first, last := d.groupLines(g)
	if strings.Contains(strings.Join(d.lines[first:last+1], "\n"), "\t") {
		return fmt.Errorf("%s contains tabs; edit it by hand", g.path)
	}
	key := *g.key
	key.HeadComment = "" // it stays on the lines above
	m := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{&key, g.val}}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(m); err != nil {
		return fmt.Errorf("encode %s: %w", g.path, err)
	}
	enc.Close()
	pad := strings.Repeat(" ", g.key.Column-1)
	var out []string
	for _, l := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
		if l == "" {
			out = append(out, l)
			continue
		}
		out = append(out, pad+l)
	}
	d.lines = slices.Concat(d.lines[:first], out, d.lines[last+1:])
	return nil
}

func hostNode(h Node) *yaml.Node {
	str := func(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }
	return &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle, Content: []*yaml.Node{str("name"), str(h.Name), str("ip"), str(h.IP)}}
}

func (d *document) appendHosts(g *groupRef, hosts []Node) ([]string, error) {
	seq := g.value("hosts")
	if seq.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s.hosts is not a list", g.path)
	}
	var changes []string
	for _, h := range hosts {
		seq.Content = append(seq.Content, hostNode(h))
		changes = append(changes, fmt.Sprintf("%s.hosts += {name: %s, ip: %s}", g.path, h.Name, h.IP))
	}
	return changes, d.reencode(g)
}

func (d *document) removeHosts(g *groupRef, names []string) ([]string, error) {
	seq := g.value("hosts")
	if seq.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s.hosts is not a list", g.path)
	}
	drop := map[string]bool{}
	for _, n := range names {
		drop[n] = true
	}
	var keep []*yaml.Node
	var changes []string
	for _, item := range seq.Content {
		_, name := mappingValue(item, "name")
		if name != nil && drop[name.Value] {
			changes = append(changes, fmt.Sprintf("%s.hosts -= %s", g.path, name.Value))
			continue
		}
		keep = append(keep, item)
	}
	if len(changes) != len(names) {
		return nil, fmt.Errorf("%s.hosts: some of %s are listed without a name; edit it by hand", g.path, strings.Join(names, ", "))
	}
	seq.Content = keep
	return changes, d.reencode(g)
}

// convertToHosts makes a count group an explicit hosts list.
func (d *document) convertToHosts(g *groupRef, hosts []Node) ([]string, error) {
	var content []*yaml.Node
	for i := 0; i+1 < len(g.val.Content); i += 2 {
		switch g.val.Content[i].Value {
		case "count", "ipRange":
			continue
		}
		content = append(content, g.val.Content[i], g.val.Content[i+1])
	}
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	var names []string
	for _, h := range hosts {
		seq.Content = append(seq.Content, hostNode(h))
		names = append(names, h.Name)
	}
	key := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "hosts"}
	g.val.Content = append([]*yaml.Node{key, seq}, content...)
	g.val.Style = 0 // a block mapping, one host per line
	return []string{fmt.Sprintf("%s: count and ipRange replaced by hosts [%s] (the addresses no longer follow the range)", g.path, strings.Join(names, ", "))},
		d.reencode(g)
}
