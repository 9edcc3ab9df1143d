package templates

import (
	"context"
	"fmt"
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
