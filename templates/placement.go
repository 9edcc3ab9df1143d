package templates

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// RuleName is the DRS VM-VM anti-affinity rule that keeps the masters of
// cluster on distinct ESXi hosts. vCenter rules carry no annotation: the
// name is the mark, and only a rule of that name whose VMs are all this
// cluster's is ever changed or removed.
func RuleName(cluster string) string { return "dcos-vsphere-" + cluster + "-masters" }

// ruleWanted says whether masters VMs get an anti-affinity rule: only in
// a DRS cluster with a host for each of them (DRS cannot honour a rule
// with more VMs than hosts and may then refuse to power them on).
func (c *compute) ruleWanted(masters int) bool {
	return c.Cluster && c.DRS && masters >= 2 && masters <= len(c.usable())
}

// ours is every VM (not template) marked for cluster at preflight.
func (inv *Inventory) ours(cluster string) []vmInfo {
	var out []vmInfo
	for _, list := range inv.existing {
		for _, vm := range list {
			if vm.Cluster == cluster && cluster != "" && !vm.Template {
				out = append(out, vm)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (inv *Inventory) ourMasters(cluster string) int {
	n := 0
	for _, vm := range inv.ours(cluster) {
		if vm.Role == string(config.RoleMaster) {
			n++
		}
	}
	return n
}

// placement is where each new VM goes.
type placement struct {
	host      map[string]types.ManagedObjectReference // explicit ESXi host by VM name
	datastore map[string]types.ManagedObjectReference // member of the datastore cluster by VM name
	rule      bool                                    // keep masters apart with a DRS rule
	masters   []types.ManagedObjectReference          // the cluster's existing masters
}

// place decides the ESXi host of each VM to create. Masters always get
// the host with the fewest of the cluster's masters (so distinct hosts
// while there are enough); with spreadAgents agents get the host with the
// fewest agents; without DRS every VM needs a host (vCenter requires one)
// and gets the least loaded; otherwise DRS chooses. It returns warnings
// for masters that must share a host.
func (inv *Inventory) place(plan ClonePlan) (placement, []string) {
	c := &inv.compute
	usable := c.usable()
	pl := placement{host: map[string]types.ManagedObjectReference{}}
	type load struct{ masters, agents, total int }
	loads := map[types.ManagedObjectReference]*load{}
	for _, h := range usable {
		loads[h.Ref] = &load{}
	}
	onHost := map[types.ManagedObjectReference][]string{} // masters by host
	existing := map[string]bool{}
	for _, vm := range inv.ours(plan.Cluster) {
		existing[vm.Name] = true
		isMaster := vm.Role == string(config.RoleMaster)
		if isMaster {
			pl.masters = append(pl.masters, vm.Ref)
			onHost[vm.Host] = append(onHost[vm.Host], vm.Name)
		}
		if l := loads[vm.Host]; l != nil {
			l.total++
			if isMaster {
				l.masters++
			} else if isAgent(vm.Role) {
				l.agents++
			}
		}
	}
	pick := func(by func(*load) int) types.ManagedObjectReference {
		best := usable[0].Ref
		for _, h := range usable[1:] {
			a, b := loads[h.Ref], loads[best]
			if by(a) < by(b) || by(a) == by(b) && a.total < b.total {
				best = h.Ref
			}
		}
		return best
	}
	masters := len(pl.masters)
	var create []VMSpec
	for _, spec := range plan.VMs {
		if !existing[spec.Name] {
			create = append(create, spec)
		}
	}
	for _, spec := range create {
		if len(usable) == 0 {
			break
		}
		var h types.ManagedObjectReference
		switch {
		case spec.Role == string(config.RoleMaster):
			h = pick(func(l *load) int { return l.masters })
			loads[h].masters++
			onHost[h] = append(onHost[h], spec.Name)
			masters++
		case isAgent(spec.Role) && inv.spreadAgents:
			h = pick(func(l *load) int { return l.agents })
			loads[h].agents++
		case !c.DRS || !c.Cluster:
			h = pick(func(l *load) int { return l.total })
		default:
			continue // DRS places it
		}
		loads[h].total++
		pl.host[spec.Name] = h
	}
	pl.rule = c.ruleWanted(masters)
	if inv.StoragePod != nil {
		needs := make([]vmStorage, len(create))
		for i, vm := range create {
			needs[i] = inv.storageNeed(vm, plan.LinkedClone)
		}
		pl.datastore, _ = assignDatastores(inv.datastores, needs)
	}
	return pl, inv.placementWarnings(masters, masters-len(pl.masters), onHost, pl.rule)
}

func isAgent(role string) bool {
	return role == string(config.RoleAgent) || role == string(config.RolePublicAgent)
}

// placementWarnings says, precisely, which masters share an ESXi host and
// what losing that host does to the ZooKeeper/Mesos quorum.
func (inv *Inventory) placementWarnings(masters, newMasters int, onHost map[types.ManagedObjectReference][]string, rule bool) []string {
	c := &inv.compute
	if masters < 2 {
		return nil
	}
	var shared []string
	worst, worstHost := 0, ""
	var refs []types.ManagedObjectReference
	for ref := range onHost {
		refs = append(refs, ref)
	}
	sort.Slice(refs, func(i, j int) bool { return c.hostName(refs[i]) < c.hostName(refs[j]) })
	for _, ref := range refs {
		names := onHost[ref]
		if len(names) < 2 {
			continue
		}
		sort.Strings(names)
		shared = append(shared, fmt.Sprintf("%s share %s", joinAnd(names), cmp.Or(c.hostName(ref), ref.Value)))
		if len(names) > worst {
			worst, worstHost = len(names), cmp.Or(c.hostName(ref), ref.Value)
		}
	}
	usable := c.usable()
	var out []string
	if len(shared) > 0 && !rule {
		quorum := masters/2 + 1
		left := masters - worst
		outcome := fmt.Sprintf("%d remain, still a quorum of %d", left, quorum)
		if left < quorum {
			outcome = fmt.Sprintf("%d remain, below the quorum of %d: the cluster stops", left, quorum)
		}
		var names []string
		for _, h := range usable {
			names = append(names, h.Name)
		}
		msg := fmt.Sprintf("placement: %d masters on %d usable ESXi host(s) of %s (%s): %s; losing %s takes %d of the %d masters down (%s)",
			masters, len(usable), c.Name, strings.Join(names, ", "), strings.Join(shared, "; "), worstHost, worst, masters, outcome)
		var down []string
		for _, h := range c.Hosts {
			if h.Unusable != "" {
				down = append(down, h.Name+" "+h.Unusable)
			}
		}
		if len(down) > 0 {
			msg += "; not usable: " + strings.Join(down, ", ")
		}
		if c.Cluster && c.DRS {
			msg += "; no anti-affinity rule is made, DRS could not honour it"
		}
		out = append(out, msg+". Add ESXi hosts or use fewer masters.")
	}
	if c.Cluster && !c.DRS && newMasters > 0 && masters <= len(usable) {
		out = append(out, fmt.Sprintf("placement: DRS is off on %s: the masters are placed on distinct ESXi hosts, but no rule keeps them apart if they are migrated later", c.Name))
	}
	return out
}

func joinAnd(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// ruleKeeper adds each new master to the anti-affinity rule before it is
// powered on (DRS places a VM at power-on and then honours the rule).
// vCenter refuses a VM-VM rule of fewer than 2 VMs, so the rule is first
// written once two masters exist.
type ruleKeeper struct {
	s       *Session
	inv     *Inventory
	cluster string
	mu      sync.Mutex
	members []types.ManagedObjectReference
}

func (k *ruleKeeper) join(ctx context.Context, vm types.ManagedObjectReference) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if vm.Value != "" && !slices.Contains(k.members, vm) {
		k.members = append(k.members, vm)
	}
	if len(k.members) < 2 {
		return nil
	}
	return k.s.ensureRule(ctx, k.inv, k.cluster, k.members)
}

// clusterRule is our rule on one compute cluster.
type clusterRule struct {
	Cluster     types.ManagedObjectReference
	ClusterName string
	Rule        *types.ClusterAntiAffinityRuleSpec // nil: no rule of that name
	Other       bool                               // a rule of that name exists, but not an anti-affinity one
}

func (s *Session) readRule(ctx context.Context, ref types.ManagedObjectReference, name string) (clusterRule, error) {
	var cl mo.ClusterComputeResource
	if err := property.DefaultCollector(s.client).RetrieveOne(ctx, ref, []string{"name", "configurationEx"}, &cl); err != nil {
		return clusterRule{}, fmt.Errorf("read the rules of cluster %s: %w", ref.Value, err)
	}
	out := clusterRule{Cluster: ref, ClusterName: cl.Name}
	cfg, ok := cl.ConfigurationEx.(*types.ClusterConfigInfoEx)
	if !ok {
		return out, nil
	}
	for _, r := range cfg.Rule {
		if r.GetClusterRuleInfo().Name != name {
			continue
		}
		if aa, ok := r.(*types.ClusterAntiAffinityRuleSpec); ok {
			out.Rule = aa
		} else {
			out.Other = true
		}
	}
	return out, nil
}

// ensureRule makes the cluster's anti-affinity rule list exactly members.
// A rule of that name that lists a VM of someone else is not touched.
func (s *Session) ensureRule(ctx context.Context, inv *Inventory, cluster string, members []types.ManagedObjectReference) error {
	name := RuleName(cluster)
	cr, err := s.readRule(ctx, inv.compute.Ref, name)
	if err != nil {
		return err
	}
	if cr.Other {
		return fmt.Errorf("cluster %s has a rule named %s that is not a VM anti-affinity rule; rename or remove it", cr.ClusterName, name)
	}
	known := map[types.ManagedObjectReference]vmInfo{}
	for _, list := range inv.existing {
		for _, vm := range list {
			known[vm.Ref] = vm
		}
	}
	want := slices.Clone(members)
	sort.Slice(want, func(i, j int) bool { return want[i].Value < want[j].Value })
	spec := types.ClusterRuleSpec{ArrayUpdateSpec: types.ArrayUpdateSpec{Operation: types.ArrayUpdateOperationAdd}}
	info := &types.ClusterAntiAffinityRuleSpec{
		ClusterRuleInfo: types.ClusterRuleInfo{Name: name, Enabled: types.NewBool(true), UserCreated: types.NewBool(true)},
		Vm:              want,
	}
	if r := cr.Rule; r != nil {
		for _, vm := range r.Vm {
			if info, ok := known[vm]; ok && info.Cluster != cluster && !slices.Contains(want, vm) {
				return fmt.Errorf("rule %s on cluster %s lists VM %s (%s), which is not marked for cluster %s: not touching the rule; remove that VM from it",
					name, cr.ClusterName, info.Name, vm.Value, cluster)
			}
		}
		have := slices.Clone(r.Vm)
		sort.Slice(have, func(i, j int) bool { return have[i].Value < have[j].Value })
		if slices.Equal(have, want) && r.Enabled != nil && *r.Enabled {
			return nil
		}
		spec.Operation = types.ArrayUpdateOperationEdit
		info.Key = r.Key
		info.RuleUuid = r.RuleUuid
	}
	spec.Info = info
	return s.reconfigureRules(ctx, cr, spec)
}

func (s *Session) reconfigureRules(ctx context.Context, cr clusterRule, spec types.ClusterRuleSpec) error {
	cl := object.NewClusterComputeResource(s.client, cr.Cluster)
	what := fmt.Sprintf("%s anti-affinity rule %s on cluster %s", spec.Operation, spec.Info.GetClusterRuleInfo().Name, cr.ClusterName)
	if spec.Operation == types.ArrayUpdateOperationRemove {
		what = fmt.Sprintf("remove anti-affinity rule %s from cluster %s", spec.Info.GetClusterRuleInfo().Name, cr.ClusterName)
		spec.RemoveKey = spec.Info.GetClusterRuleInfo().Key
		spec.Info = nil
	}
	task, err := cl.Reconfigure(ctx, &types.ClusterConfigSpecEx{RulesSpec: []types.ClusterRuleSpec{spec}}, true)
	if err == nil {
		_, err = s.waitTask(ctx, task)
	}
	if err != nil {
		return describe(what, err)
	}
	return nil
}

// ourRules finds the rule of cluster on every compute cluster of vCenter.
func (s *Session) ourRules(ctx context.Context, cluster string) ([]clusterRule, error) {
	all, err := s.listNamed(ctx, s.client.ServiceContent.RootFolder, "ClusterComputeResource")
	if err != nil {
		return nil, err
	}
	var out []clusterRule
	for _, c := range all {
		cr, err := s.readRule(ctx, c.Ref, RuleName(cluster))
		if err != nil {
			return nil, err
		}
		if cr.Rule != nil {
			out = append(out, cr)
		}
	}
	return out, nil
}

// dropFromRules takes destroyed VMs out of the cluster's anti-affinity
// rules and removes a rule left with fewer than 2 VMs (vCenter drops
// deleted VMs from rules itself; the simulator does not, and an edit to
// the same list is harmless).
func (s *Session) dropFromRules(ctx context.Context, rules []clusterRule, destroyed []types.ManagedObjectReference) error {
	var errs []error
	for _, cr := range rules {
		r := cr.Rule
		left := slices.DeleteFunc(slices.Clone(r.Vm), func(vm types.ManagedObjectReference) bool { return slices.Contains(destroyed, vm) })
		if len(left) == len(r.Vm) && len(left) >= 2 {
			continue
		}
		edit := *r
		edit.Vm = left
		spec := types.ClusterRuleSpec{ArrayUpdateSpec: types.ArrayUpdateSpec{Operation: types.ArrayUpdateOperationEdit}, Info: &edit}
		if len(left) < 2 {
			spec.Operation = types.ArrayUpdateOperationRemove
		}
		if err := s.reconfigureRules(ctx, cr, spec); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
