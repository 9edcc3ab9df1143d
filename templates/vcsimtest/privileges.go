package vcsimtest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// Denied is the set of privileges the simulator's AuthorizationManager
// answers "not granted" for (vcsim itself grants everything to everyone).
type Denied struct {
	mu sync.Mutex
	// by entity; the zero reference means every entity
	privs map[types.ManagedObjectReference][]string
}

// DenyPrivileges makes HasPrivilegeOnEntities, HasPrivilegeOnEntity,
// HasUserPrivilegeOnEntities and FetchUserPrivilegeOnEntities answer "not
// granted" for privs on the object at inventory path (e.g.
// "/DC0/datastore/LocalDS_0"), or on every object when path is "". Calls
// add up; tb.Cleanup restores the simulator's own AuthorizationManager.
func (s *Sim) DenyPrivileges(tb testing.TB, path string, privs ...string) {
	tb.Helper()
	var ref types.ManagedObjectReference
	if path != "" {
		ref = s.Ref(tb, path)
	}
	if s.denied == nil {
		reg := s.Model.Map()
		am := reg.Get(*s.Admin(tb).ServiceContent.AuthorizationManager)
		orig, ok := am.(*simulator.AuthorizationManager)
		if !ok {
			tb.Fatalf("DenyPrivileges: AuthorizationManager is a %T", am)
		}
		s.denied = &Denied{privs: map[types.ManagedObjectReference][]string{}}
		reg.Put(&denyingAuthz{AuthorizationManager: orig, denied: s.denied})
		tb.Cleanup(func() { reg.Put(orig); s.denied = nil })
	}
	s.denied.mu.Lock()
	defer s.denied.mu.Unlock()
	s.denied.privs[ref] = append(s.denied.privs[ref], privs...)
}

// Ref is the managed object reference of the object at an inventory path.
func (s *Sim) Ref(tb testing.TB, path string) types.ManagedObjectReference {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	obj, err := object.NewSearchIndex(s.Admin(tb)).FindByInventoryPath(ctx, path)
	if err != nil || obj == nil {
		tb.Fatalf("find %s: %v (not found: %v)", path, err, obj == nil)
	}
	return obj.Reference()
}

func (d *Denied) granted(entity types.ManagedObjectReference, priv string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return !slices.Contains(d.privs[types.ManagedObjectReference{}], priv) && !slices.Contains(d.privs[entity], priv)
}

// denyingAuthz overrides the privilege queries of the simulator's
// AuthorizationManager (dispatch finds methods by name).
type denyingAuthz struct {
	*simulator.AuthorizationManager
	denied *Denied
}

func (m *denyingAuthz) availability(entity types.ManagedObjectReference, ids []string) []types.PrivilegeAvailability {
	out := make([]types.PrivilegeAvailability, len(ids))
	for i, id := range ids {
		out[i] = types.PrivilegeAvailability{PrivId: id, IsGranted: m.denied.granted(entity, id)}
	}
	return out
}

func (m *denyingAuthz) HasPrivilegeOnEntities(req *types.HasPrivilegeOnEntities) soap.HasFault {
	var res []types.EntityPrivilege
	for _, e := range req.Entity {
		res = append(res, types.EntityPrivilege{Entity: e, PrivAvailability: m.availability(e, req.PrivId)})
	}
	return &methods.HasPrivilegeOnEntitiesBody{Res: &types.HasPrivilegeOnEntitiesResponse{Returnval: res}}
}

func (m *denyingAuthz) HasPrivilegeOnEntity(req *types.HasPrivilegeOnEntity) soap.HasFault {
	res := make([]bool, len(req.PrivId))
	for i, a := range m.availability(req.Entity, req.PrivId) {
		res[i] = a.IsGranted
	}
	return &methods.HasPrivilegeOnEntityBody{Res: &types.HasPrivilegeOnEntityResponse{Returnval: res}}
}

func (m *denyingAuthz) HasUserPrivilegeOnEntities(req *types.HasUserPrivilegeOnEntities) soap.HasFault {
	var res []types.EntityPrivilege
	for _, e := range req.Entities {
		res = append(res, types.EntityPrivilege{Entity: e, PrivAvailability: m.availability(e, req.PrivId)})
	}
	return &methods.HasUserPrivilegeOnEntitiesBody{Res: &types.HasUserPrivilegeOnEntitiesResponse{Returnval: res}}
}

func (m *denyingAuthz) FetchUserPrivilegeOnEntities(req *types.FetchUserPrivilegeOnEntities) soap.HasFault {
	body := m.AuthorizationManager.FetchUserPrivilegeOnEntities(req).(*methods.FetchUserPrivilegeOnEntitiesBody)
	for i := range body.Res.Returnval {
		r := &body.Res.Returnval[i]
		r.Privileges = slices.DeleteFunc(slices.Clone(r.Privileges), func(p string) bool { return !m.denied.granted(r.Entity, p) })
	}
	return body
}
