package acs

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strings"
)

var clusterIDPattern = regexp.MustCompile(`^[a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12}$`)

// Agent roles as 3DT names them.
const (
	RoleAgent       = "agent"
	RolePublicAgent = "agent_public"
)

// Agent is one ACS agent as the master knows it.
type Agent struct {
	IP   string `json:"ip"`
	Role string `json:"role"` // agent | agent_public
	// Health is 3DT's (0 healthy, 1 not; -1 when 3DT does not list it).
	Health int `json:"health"`
	// MesosID is the agent's id at the Mesos master ("" when not registered).
	MesosID string `json:"mesosId,omitempty"`
	// Listed says which lists have it: "3dt+mesos", "3dt" or "mesos".
	Listed string `json:"listed"`
}

// Agents lists the cluster's private and public agents: 3DT's node list on
// the master cross-checked with the Mesos master's agent list (through
// Admin Router). An agent on one list only is kept, with a warning; an
// agent 3DT calls unhealthy is kept too (it still needs the archive). It
// fails only when neither list can be read.
func (m *Master) Agents(ctx context.Context) ([]Agent, []string, error) {
	var warns []string
	byIP := map[string]*Agent{}
	var nodes struct {
		Nodes []struct {
			HostIP string `json:"host_ip"`
			Health int    `json:"health"`
			Role   string `json:"role"`
		} `json:"nodes"`
	}
	errDT := m.GetJSON(ctx, threeDTAddr, "/system/health/v1/nodes", &nodes)
	if errDT == nil {
		for _, n := range nodes.Nodes {
			if n.Role != RoleAgent && n.Role != RolePublicAgent {
				continue
			}
			if _, err := netip.ParseAddr(n.HostIP); err != nil {
				warns = append(warns, fmt.Sprintf("3DT lists an agent with address %q; skipped", n.HostIP))
				continue
			}
			byIP[n.HostIP] = &Agent{IP: n.HostIP, Role: n.Role, Health: n.Health, Listed: "3dt"}
		}
	} else {
		warns = append(warns, "3DT's node list (127.0.0.1:1050/system/health/v1/nodes): "+errDT.Error())
	}

	var slaves struct {
		Slaves []struct {
			ID         string            `json:"id"`
			Hostname   string            `json:"hostname"`
			PID        string            `json:"pid"`
			Active     bool              `json:"active"`
			Attributes map[string]string `json:"attributes"`
		} `json:"slaves"`
	}
	errMesos := m.GetJSON(ctx, adminRouterAddr, "/mesos/master/slaves", &slaves)
	if errMesos != nil {
		warns = append(warns, "the Mesos master's agent list (/mesos/master/slaves): "+errMesos.Error())
	}
	if errDT != nil && errMesos != nil {
		return nil, warns, fmt.Errorf("list the ACS agents on %s: neither 3DT nor the Mesos master answered: %v; %v", m.Info.Target, errDT, errMesos)
	}
	if errMesos == nil {
		for _, s := range slaves.Slaves {
			ip := agentIP(s.PID, s.Hostname)
			if ip == "" {
				warns = append(warns, fmt.Sprintf("the Mesos master lists agent %s without an address (pid %q); skipped", s.ID, s.PID))
				continue
			}
			role := RoleAgent
			if s.Attributes["public_ip"] == "true" {
				role = RolePublicAgent
			}
			a, ok := byIP[ip]
			switch {
			case ok:
				a.MesosID, a.Listed = s.ID, "3dt+mesos"
				if a.Role != role {
					warns = append(warns, fmt.Sprintf("agent %s: 3DT says %s, the Mesos master says %s", ip, a.Role, role))
				}
			case errDT == nil:
				warns = append(warns, fmt.Sprintf("agent %s (%s) is registered with the Mesos master but not listed by 3DT", ip, s.ID))
				byIP[ip] = &Agent{IP: ip, Role: role, Health: -1, MesosID: s.ID, Listed: "mesos"}
			default:
				byIP[ip] = &Agent{IP: ip, Role: role, Health: -1, MesosID: s.ID, Listed: "mesos"}
			}
			if !s.Active {
				warns = append(warns, fmt.Sprintf("agent %s (%s) is not active at the Mesos master", ip, s.ID))
			}
		}
		for ip, a := range byIP {
			if a.Listed == "3dt" {
				warns = append(warns, fmt.Sprintf("agent %s is listed by 3DT but not registered with the Mesos master", ip))
			}
		}
	}
	out := make([]Agent, 0, len(byIP))
	for _, a := range byIP {
		if a.Health > 0 {
			warns = append(warns, fmt.Sprintf("3DT reports agent %s unhealthy", a.IP))
		}
		out = append(out, *a)
	}
	sort.Slice(out, func(i, j int) bool {
		a, _ := netip.ParseAddr(out[i].IP)
		b, _ := netip.ParseAddr(out[j].IP)
		return a.Less(b)
	})
	sort.Strings(warns)
	return out, warns, nil
}

// agentIP takes the address from a Mesos agent's pid ("slave(1)@IP:5051"),
// else its hostname when that is an address (DC/OS sets it to the
// ip-detect address).
func agentIP(pid, hostname string) string {
	if _, hp, ok := strings.Cut(pid, "@"); ok {
		host, _, _ := strings.Cut(hp, ":")
		if a, err := netip.ParseAddr(host); err == nil && a.Is4() {
			return a.String()
		}
	}
	if a, err := netip.ParseAddr(hostname); err == nil && a.Is4() {
		return a.String()
	}
	return ""
}
