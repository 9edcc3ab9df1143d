package tui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// Prompts of the placement pages.
const (
	promptDatacenter  = "Datacenter"
	promptCluster     = "Compute cluster"
	promptDatastore   = "Datastore"
	promptNetwork     = "Port group (VM network)"
	promptFolder      = "VM folder"
	promptTemplate    = "CentOS 7 template"
	promptOVA         = "OVA to import when the template is missing (optional)"
	promptNewFolder   = "New VM folder name"
	promptNewTemplate = "New template name"
)

// otherChoice is the pick-list entry that asks for a name vCenter does
// not have yet (a folder to create, a template to import).
const otherChoice = "\x00other"

// inventory is what vCenter listed: the datacenters, and each
// datacenter's clusters, datastores, ... (kept while the vCenter answers
// stand, so going back and forth asks vCenter nothing again).
type inventory struct {
	lists map[string][]string // by invKey
	errs  map[string]error
}

func invKey(field, dc string) string {
	if field == FieldDatacenter {
		return field
	}
	return field + "@" + dc
}

func (inv *inventory) list(field, dc string) ([]string, error) {
	return inv.lists[invKey(field, dc)], inv.errs[invKey(field, dc)]
}

// has reports whether every field of dc was listed without error.
func (inv *inventory) has(dc string, fields ...string) bool {
	for _, f := range fields {
		if _, ok := inv.lists[invKey(f, dc)]; !ok || inv.errs[invKey(f, dc)] != nil {
			return false
		}
	}
	return true
}

// store keeps lookup results for dc.
func (inv *inventory) store(dc string, lists map[string][]string, errs map[string]error) {
	if inv.lists == nil {
		inv.lists, inv.errs = map[string][]string{}, map[string]error{}
	}
	for f, l := range lists {
		inv.lists[invKey(f, dc)] = l
		inv.errs[invKey(f, dc)] = errs[f]
	}
}

// lookup lists fields one after the other, each call bounded by timeout.
func lookup(ctx context.Context, api VCenter, vc config.VCenter, timeout time.Duration, fields ...string) (map[string][]string, map[string]error) {
	lists, errs := map[string][]string{}, map[string]error{}
	for _, f := range fields {
		lctx, cancel := context.WithTimeout(ctx, timeout)
		names, err := api.Names(lctx, f, vc)
		cancel()
		lists[f] = names
		if err != nil {
			if ctx.Err() == nil && lctx.Err() != nil {
				err = fmt.Errorf("vCenter did not answer within %s", timeout)
			}
			errs[f] = err
		}
	}
	return lists, errs
}

// pick asks for one inventory item: a pick-list of what vCenter has (lead
// entries first, tail entries last), the only candidate taken with a
// note, or a typed name with a note when the lookup failed or found
// nothing.
func (w *wizard) pick(f *fieldSet, field, title, where string, v *string, lead, tail []option[string]) {
	if w.defaults.VCenter == nil {
		f.input(title, "", v, required)
		return
	}
	names, err := w.inv.list(field, w.c.VCenter.Datacenter)
	fixed := len(lead) == 0 && len(tail) == 0
	switch {
	case err != nil:
		w.notes = append(w.notes, fmt.Sprintf("Could not list the %ss of %s (%v): type the name.", field, where, err))
		f.input(title, "", v, required)
		return
	case len(names) == 0 && fixed:
		w.notes = append(w.notes, fmt.Sprintf("vCenter lists no %s in %s: type the name.", field, where))
		f.input(title, "", v, required)
		return
	case len(names) == 1 && fixed:
		*v = names[0]
		w.notes = append(w.notes, fmt.Sprintf("%s: %s, the only one in %s (selected).", title, names[0], where))
		return
	}
	opts := append([]option[string](nil), lead...)
	for _, n := range names {
		if !slices.ContainsFunc(lead, func(o option[string]) bool { return o.value == n }) {
			opts = append(opts, option[string]{n, n})
		}
	}
	choose(f, title, "", v, append(opts, tail...)...)
}

type datacenterPage struct {
	meta
	dc string
}

func (p *datacenterPage) load(_ *wizard, c config.Cluster) { p.dc = c.VCenter.Datacenter }
func (p *datacenterPage) hidden(*wizard) bool              { return false }
func (p *datacenterPage) owns(_ *wizard, path string) bool { return path == "vcenter.datacenter" }
func (p *datacenterPage) apply(_ *wizard, c *config.Cluster) error {
	c.VCenter.Datacenter = strings.TrimSpace(p.dc)
	return nil
}
func (p *datacenterPage) fields(w *wizard, f *fieldSet) {
	w.pick(f, FieldDatacenter, promptDatacenter, "vCenter", &p.dc, nil, nil)
}
func (p *datacenterPage) prepare(w *wizard) *job {
	api := w.defaults.VCenter
	if api == nil || w.inv.has("", FieldDatacenter) {
		return nil
	}
	vc, timeout := w.c.VCenter, w.defaults.LookupTimeout
	return &job{busy: "Listing the datacenters…", run: func(ctx context.Context) outcome {
		lists, errs := lookup(ctx, api, vc, timeout, FieldDatacenter)
		return func(w *wizard) tea.Cmd {
			w.inv.store("", lists, errs)
			if names := lists[FieldDatacenter]; len(names) == 1 && errs[FieldDatacenter] == nil {
				w.carry = append(w.carry, fmt.Sprintf("Datacenter: %s, the only one (selected).", names[0]))
			}
			return w.show()
		}
	}}
}

// placementPage asks where the VMs go. The folder defaults to the cluster
// name (created when missing), never to another cluster's folder.
type placementPage struct {
	meta
	cluster, datastore, network, folder, template, ova string
	folderDefault                                      bool // folder follows the cluster name
}

func (p *placementPage) load(_ *wizard, c config.Cluster) {
	v := c.VCenter
	p.cluster, p.datastore, p.network, p.folder = v.Cluster, v.Datastore, v.Network, v.Folder
	p.template, p.ova = c.Template.Name, c.Template.OVA
	p.folderDefault = p.folder == "" || p.folder == c.Name
}
func (p *placementPage) hidden(*wizard) bool { return false }
func (p *placementPage) owns(_ *wizard, path string) bool {
	if p.template == otherChoice && path == "template.name" || p.folder == otherChoice && path == "vcenter.folder" {
		return false // the next page asks the name
	}
	return hasPrefix(path, "vcenter.cluster", "vcenter.resourcePool", "vcenter.datastore", "vcenter.network", "vcenter.folder", "template")
}
func (p *placementPage) prepare(w *wizard) *job {
	api := w.defaults.VCenter
	fields := []string{FieldCluster, FieldDatastore, FieldNetwork, FieldFolder, FieldTemplate}
	dc := w.c.VCenter.Datacenter
	if api == nil || w.inv.has(dc, fields...) {
		return nil
	}
	vc, timeout := w.c.VCenter, w.defaults.LookupTimeout
	return &job{busy: "Listing compute clusters, datastores, port groups, folders and templates in " + dc + "…", run: func(ctx context.Context) outcome {
		lists, errs := lookup(ctx, api, vc, timeout, fields...)
		return func(w *wizard) tea.Cmd {
			w.inv.store(dc, lists, errs)
			return w.show()
		}
	}}
}
func (p *placementPage) fields(w *wizard, f *fieldSet) {
	dc := w.c.VCenter.Datacenter
	if p.folderDefault {
		p.folder = w.c.Name
	}
	w.pick(f, FieldCluster, promptCluster, dc, &p.cluster, nil, nil)
	w.pick(f, FieldDatastore, promptDatastore, dc, &p.datastore, nil, nil)
	w.pick(f, FieldNetwork, promptNetwork, dc, &p.network, nil, nil)
	if w.defaults.VCenter == nil {
		f.input(promptFolder, "created when missing", &p.folder, required)
		f.input(promptTemplate, "", &p.template, required)
	} else {
		name := w.c.Name
		label := name + " (new folder, created by the installer)"
		if folders, _ := w.inv.list(FieldFolder, dc); slices.Contains(folders, name) {
			label = name + " (exists: the installer only touches VMs it marked for this cluster)"
		}
		w.pick(f, FieldFolder, promptFolder, dc, &p.folder, []option[string]{{label, name}}, []option[string]{{"other (type a name)…", otherChoice}})
		w.pick(f, FieldTemplate, promptTemplate, dc, &p.template, nil, []option[string]{{"other (type a name; imported from the OVA)…", otherChoice}})
	}
	f.input(promptOVA, "used only when the template does not exist yet; ~/ is your home directory", &p.ova, optional(checkFile))
}
func (p *placementPage) apply(w *wizard, c *config.Cluster) error {
	v := &c.VCenter
	v.Cluster, v.Datastore, v.Network = strings.TrimSpace(p.cluster), strings.TrimSpace(p.datastore), strings.TrimSpace(p.network)
	v.ResourcePool = "" // the setup asks for a compute cluster (resourcePool is the file's other way)
	p.folderDefault = p.folder == c.Name
	names := pageOf[*newNamesPage](w)
	v.Folder, c.Template.Name = p.folder, p.template
	if p.folder == otherChoice {
		v.Folder = strings.TrimSpace(names.folder)
	}
	if p.template == otherChoice {
		c.Template.Name = strings.TrimSpace(names.template)
		if strings.TrimSpace(p.ova) == "" {
			return fmt.Errorf("%s: a template vCenter does not have is imported from an OVA: give its path", promptOVA)
		}
	}
	c.Template.OVA = expandPath(p.ova)
	return nil
}

// newNamesPage asks the names picked as "other".
type newNamesPage struct {
	meta
	folder, template string
}

func (p *newNamesPage) load(*wizard, config.Cluster) {}
func (p *newNamesPage) hidden(w *wizard) bool {
	pl := pageOf[*placementPage](w)
	return pl.folder != otherChoice && pl.template != otherChoice
}
func (p *newNamesPage) owns(_ *wizard, path string) bool {
	return path == "vcenter.folder" || path == "template.name"
}
func (p *newNamesPage) fields(w *wizard, f *fieldSet) {
	pl := pageOf[*placementPage](w)
	if pl.folder == otherChoice {
		f.input(promptNewFolder, "created by the installer when missing", &p.folder, required)
	}
	if pl.template == otherChoice {
		f.input(promptNewTemplate, "the OVA is imported under this name when it does not exist", &p.template, required)
	}
}
func (p *newNamesPage) apply(w *wizard, c *config.Cluster) error {
	return pageOf[*placementPage](w).apply(w, c)
}
