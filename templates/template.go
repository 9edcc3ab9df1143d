package templates

import (
	"context"
	"fmt"
	"path"

	"github.com/vmware/govmomi/object"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/ovf"
)

// EnsureTemplate makes inv.Template usable: when preflight found it, it
// does nothing; when it is missing and tmpl.OVA names a package, it imports
// that into the inventory's folder, pool and datastore (NICs mapped to
// vcenter.network), reports upload bytes through progress, and marks the
// result as a template named tmpl.Name.
func (s *Session) EnsureTemplate(ctx context.Context, inv *Inventory, tmpl config.Template, progress func(ovf.Progress)) error {
	if inv.Template != nil {
		return nil
	}
	if !inv.NeedsImport || tmpl.OVA == "" {
		return fmt.Errorf("template.name: %q not found in %s and template.ova is not set", tmpl.Name, inv.Datacenter.Name())
	}
	if err := s.ensureVMFolder(ctx, inv); err != nil {
		return err
	}
	target := ovf.Target{Datacenter: inv.Datacenter, Datastore: inv.Datastore, ResourcePool: inv.Pool, Folder: inv.Folder}
	if inv.Network != nil {
		target.Network = path.Base(inv.Network.GetInventoryPath())
	}
	ref, err := ovf.Import(ctx, s.client, target, ovf.Options{
		Path: tmpl.OVA, Name: path.Base(tmpl.Name), MarkAsTemplate: true, Progress: progress,
	})
	if err != nil {
		return fmt.Errorf("template.ova: %w", err)
	}
	inv.Template = object.NewVirtualMachine(s.client, ref)
	inv.NeedsImport = false
	return s.readTemplateSnapshot(ctx, inv)
}
