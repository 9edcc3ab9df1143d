package templates

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/types"
)

// named is an inventory object and its name.
type named struct {
	Ref  types.ManagedObjectReference
	Name string
}

// kindsOf lists the subtypes a container view must name explicitly
// (vcsim matches types exactly; vCenter would include subtypes itself).
var kindsOf = map[string][]string{
	"Network": {"Network", "DistributedVirtualPortgroup", "OpaqueNetwork"},
}

// listNamed returns every object of kind below root (recursively) by name,
// e.g. all datastores of a datacenter wherever they sit in folders.
func (s *Session) listNamed(ctx context.Context, root types.ManagedObjectReference, kind string) ([]named, error) {
	kinds := kindsOf[kind]
	if kinds == nil {
		kinds = []string{kind}
	}
	v, err := view.NewManager(s.client).CreateContainerView(ctx, root, kinds, true)
	if err != nil {
		return nil, fmt.Errorf("list %s objects: %w", kind, err)
	}
	defer func() { _ = v.Destroy(context.WithoutCancel(ctx)) }()
	var content []types.ObjectContent
	if err := v.Retrieve(ctx, kinds, []string{"name"}, &content); err != nil {
		return nil, fmt.Errorf("list %s objects: %w", kind, err)
	}
	out := make([]named, 0, len(content))
	seen := map[types.ManagedObjectReference]bool{}
	for _, oc := range content {
		if seen[oc.Obj] {
			continue
		}
		seen[oc.Obj] = true
		n := named{Ref: oc.Obj}
		for _, p := range oc.PropSet {
			if p.Name == "name" {
				n.Name, _ = p.Val.(string)
			}
		}
		out = append(out, n)
	}
	return out, nil
}

func names(list []named) []string {
	out := make([]string, 0, len(list))
	seen := map[string]bool{}
	for _, n := range list {
		if !seen[n.Name] {
			seen[n.Name] = true
			out = append(out, n.Name)
		}
	}
	return out
}

// pick finds want (a bare name; paths are resolved by the caller) in list.
// Two objects with that name are ambiguous: the user must give a path.
func pick(list []named, want, field, in string) (types.ManagedObjectReference, error) {
	var found []named
	for _, n := range list {
		if n.Name == want {
			found = append(found, n)
		}
	}
	switch len(found) {
	case 1:
		return found[0].Ref, nil
	case 0:
		return types.ManagedObjectReference{}, &NotFoundError{Field: field, Name: want, In: in, Have: names(list)}
	default:
		return types.ManagedObjectReference{}, fmt.Errorf("%s: %d objects are named %q in %s; give the inventory path instead", field, len(found), want, in)
	}
}

// isPath tells an inventory path ("F0/DC1", "DC0_C0/Resources/RP1") from a
// bare name.
func isPath(s string) bool { return strings.Contains(s, "/") }

// uplinkTag marks a distributed switch's uplink port group.
const uplinkTag = "SYSTEM/DVS.UPLINKPG"

// vmNetworks lists the port groups a VM can attach to below root, sorted:
// standard and opaque networks and distributed port groups, without the
// distributed switches' uplink port groups (config.uplink, or vCenter's
// SYSTEM/DVS.UPLINKPG tag), which carry the hosts' physical NICs.
func (s *Session) vmNetworks(ctx context.Context, root types.ManagedObjectReference) ([]string, error) {
	v, err := view.NewManager(s.client).CreateContainerView(ctx, root, kindsOf["Network"], true)
	if err != nil {
		return nil, fmt.Errorf("list networks: %w", err)
	}
	defer func() { _ = v.Destroy(context.WithoutCancel(ctx)) }()
	// Two calls: config.uplink exists on distributed port groups only
	// (vCenter's container view also returns them for kind Network).
	var plain, pgs []types.ObjectContent
	if err := v.Retrieve(ctx, []string{"Network", "OpaqueNetwork"}, []string{"name"}, &plain); err != nil {
		return nil, fmt.Errorf("list networks: %w", err)
	}
	if err := v.Retrieve(ctx, []string{"DistributedVirtualPortgroup"}, []string{"name", "config.uplink", "tag"}, &pgs); err != nil {
		return nil, fmt.Errorf("list distributed port groups: %w", err)
	}
	seen := map[string]bool{}
	var out []string
	add := func(oc types.ObjectContent, skip bool) {
		name, uplink := "", false
		for _, p := range oc.PropSet {
			switch p.Name {
			case "name":
				name, _ = p.Val.(string)
			case "config.uplink":
				b, _ := p.Val.(bool)
				uplink = uplink || b
			case "tag":
				if tags, ok := p.Val.(types.ArrayOfTag); ok {
					for _, t := range tags.Tag {
						uplink = uplink || t.Key == uplinkTag
					}
				}
			}
		}
		if name != "" && !uplink && !skip && !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	for _, oc := range plain {
		add(oc, oc.Obj.Type == "DistributedVirtualPortgroup") // judged by the second call
	}
	for _, oc := range pgs {
		add(oc, false)
	}
	sort.Strings(out)
	return out, nil
}
