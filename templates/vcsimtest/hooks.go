package vcsimtest

import (
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// CloneIPs forces the IP a clone reports after power-on, by VM name,
// whatever customization the client sent (none, DHCP or another IP). It
// rewrites CloneVM_Task requests inside the simulator, so WaitForIP and
// WaitForNetIP both see it. Safe for concurrent Set calls.
type CloneIPs struct {
	mu  sync.Mutex
	ips map[string]string
}

// InjectCloneIPs installs the hook on the simulator and returns it.
func (s *Sim) InjectCloneIPs() *CloneIPs {
	c := &CloneIPs{ips: map[string]string{}}
	prev := s.Model.Map().Handler
	s.Model.Map().Handler = func(ctx *simulator.Context, m *simulator.Method) (mo.Reference, types.BaseMethodFault) {
		if req, ok := m.Body.(*types.CloneVM_Task); ok {
			if ip, found := c.get(req.Name); found {
				cs := req.Spec.Customization
				if cs == nil {
					cs = &types.CustomizationSpec{Identity: &types.CustomizationLinuxPrep{
						HostName: &types.CustomizationFixedName{Name: req.Name}, Domain: "local"}}
					req.Spec.Customization = cs
				}
				if len(cs.NicSettingMap) == 0 {
					cs.NicSettingMap = []types.CustomizationAdapterMapping{{}}
				}
				cs.NicSettingMap[0].Adapter.Ip = &types.CustomizationFixedIp{IpAddress: ip}
			}
		}
		if prev != nil {
			return prev(ctx, m)
		}
		return nil, nil
	}
	return c
}

// Set makes the clone named vm report ip.
func (c *CloneIPs) Set(vm, ip string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ips[vm] = ip
}

func (c *CloneIPs) get(vm string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ip, ok := c.ips[vm]
	return ip, ok
}
