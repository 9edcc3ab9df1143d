package tui

import (
	"context"
	"fmt"
	"slices"

	"github.com/charmbracelet/huh"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// otherChoice is the pick-list entry that asks for a name not yet in
// vCenter (a folder to create, a template to import).
const otherChoice = "\x00other"

// pageInventory asks where the VMs go. Without an Inventory hook these are
// plain inputs. With one, each becomes a pick-list of what vCenter has:
// the datacenter first (the rest depend on it), then the others on one
// page. A single candidate is taken without asking, and the page says so.
//
// The lists are fetched before the page is shown rather than through
// huh's OptionsFunc: huh v1.0.0's accessible mode never evaluates
// OptionsFunc, and fetching up front gives each lookup its own timeout
// and a visible error.
func (w *wizard) pageInventory() error {
	a := w.a
	if w.defaults.Inventory == nil {
		return w.page("vCenter inventory",
			w.input("Datacenter", "", &a.Datacenter, required("datacenter")),
			w.input("Compute cluster", "", &a.Cluster, required("compute cluster")),
			w.input("Datastore", "", &a.Datastore, required("datastore")),
			w.input("Port group (network)", "", &a.Network, required("network")),
			w.input("VM folder", "created when missing", &a.Folder, required("folder")),
			w.input("CentOS 7 template", "", &a.Template, required("template")),
			w.input("OVA to import when the template is missing (optional)", "", &a.OVA, optionalFile),
		)
	}

	fields, err := w.pick(FieldDatacenter, "Datacenter", &a.Datacenter, false)
	if err != nil {
		return err
	}
	if err := w.page("vCenter inventory", fields...); err != nil {
		return err
	}

	var page []huh.Field
	asks := []struct {
		field, title string
		v            *string
		other        bool
	}{
		{FieldCluster, "Compute cluster", &a.Cluster, false},
		{FieldDatastore, "Datastore", &a.Datastore, false},
		{FieldNetwork, "Port group (network)", &a.Network, false},
		{FieldFolder, "VM folder", &a.Folder, true},
		{FieldTemplate, "CentOS 7 template", &a.Template, true},
	}
	for _, q := range asks {
		f, err := w.pick(q.field, q.title, q.v, q.other)
		if err != nil {
			return err
		}
		page = append(page, f...)
	}
	page = append(page, w.input("OVA to import when the template is missing (optional)", "", &a.OVA, optionalFile))
	if err := w.page("vCenter inventory", page...); err != nil {
		return err
	}

	// "Other…" was picked: ask for the name.
	var named []huh.Field
	for _, q := range asks {
		if *q.v == otherChoice {
			*q.v = ""
			named = append(named, w.input(q.title+" (new name)", "", q.v, required(q.field)))
		}
	}
	return w.page("vCenter inventory", named...)
}

// pick returns the fields that ask for one inventory item: a select of
// the candidates, a note when there was just one (already chosen), or a
// note and a plain input when the lookup failed or found nothing.
func (w *wizard) pick(field, title string, v *string, other bool) ([]huh.Field, error) {
	ctx, cancel := context.WithTimeout(w.ctx, w.defaults.LookupTimeout)
	defer cancel()
	names, err := w.defaults.Inventory(ctx, field, w.vcenterSoFar())
	if w.ctx.Err() != nil {
		return nil, fmt.Errorf("list %s in vCenter: %w", field, w.ctx.Err())
	}
	switch {
	case err != nil:
		return []huh.Field{
			w.note("Could not list "+field+"s", err.Error()),
			w.input(title, "type the name", v, required(field)),
		}, nil
	case len(names) == 0:
		return []huh.Field{
			w.note("No "+field+" found", "vCenter lists none; type the name."),
			w.input(title, "", v, required(field)),
		}, nil
	case len(names) == 1 && !other:
		*v = names[0]
		return []huh.Field{w.note(title, "Only one "+field+" found: "+names[0]+" (selected).")}, nil
	}
	opts := huh.NewOptions(names...)
	if other {
		opts = append(opts, huh.NewOption("Other (type a name)…", otherChoice))
	}
	if !slices.Contains(names, *v) {
		*v = names[0]
	}
	return []huh.Field{huh.NewSelect[string]().Title(title).Options(opts...).Value(v)}, nil
}

// vcenterSoFar is the connection the inventory lookups use.
func (w *wizard) vcenterSoFar() config.VCenter {
	a := w.a
	vc := config.VCenter{
		URL:        a.URL,
		Username:   a.Username,
		Password:   config.NewSecret(a.Password),
		Datacenter: a.Datacenter,
	}
	switch a.TLS {
	case tlsThumbprint:
		vc.Thumbprint = a.Thumbprint
	case tlsCAFile:
		vc.CAFile = a.CAFile
	default:
		vc.Insecure = true
	}
	return vc
}
