package templates

import (
	"context"
	"fmt"
	"sort"

	"github.com/vmware/govmomi/object"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// Inventory field names Names understands (the guided setup's pick-lists).
const (
	FieldDatacenter = "datacenter"
	FieldCluster    = "cluster"
	FieldDatastore  = "datastore"
	FieldNetwork    = "network"
	FieldFolder     = "folder"
	FieldTemplate   = "template"
)

// Names lists what vCenter has for one inventory field, sorted: every
// datacenter, or, within vc.Datacenter, its compute clusters, datastores,
// the port groups a VM can use (no uplinks), VM folders or templates. It
// is read only.
func (s *Session) Names(ctx context.Context, field string, vc config.VCenter) ([]string, error) {
	if field == FieldDatacenter {
		all, err := s.listNamed(ctx, s.client.ServiceContent.RootFolder, "Datacenter")
		return sorted(names(all)), err
	}
	dc, err := s.findDatacenter(ctx, vc.Datacenter)
	if err != nil {
		return nil, err
	}
	folders, err := dc.Folders(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the folders of %s: %w", dc.Name(), err)
	}
	var root *object.Folder
	var kind string
	switch field {
	case FieldCluster:
		root, kind = folders.HostFolder, "ClusterComputeResource"
	case FieldDatastore:
		root, kind = folders.DatastoreFolder, "Datastore"
	case FieldNetwork:
		return s.vmNetworks(ctx, folders.NetworkFolder.Reference())
	case FieldFolder:
		root, kind = folders.VmFolder, "Folder"
	case FieldTemplate:
		vms, err := s.listVMs(ctx, folders.VmFolder.Reference())
		if err != nil {
			return nil, err
		}
		var out []string
		for name, list := range vms {
			for _, vm := range list {
				if vm.Template {
					out = append(out, name)
					break
				}
			}
		}
		return sorted(out), nil
	default:
		return nil, fmt.Errorf("unknown inventory field %q", field)
	}
	list, err := s.listNamed(ctx, root.Reference(), kind)
	return sorted(names(list)), err
}

func sorted(s []string) []string {
	sort.Strings(s)
	return s
}
