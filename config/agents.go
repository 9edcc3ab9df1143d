package config

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/dcos-vsphere/dcos-vsphere/internal/ipv4"
)

// GroupSize is the VM size of a new node of role r: the group's size
// fields over the role's defaults.
func (c *Cluster) GroupSize(r Role) Size {
	if g := c.group(r); g != nil {
		return g.Size.or(DefaultSize(r))
	}
	return DefaultSize(r)
}

// GroupPath is the field path of role r's node group ("nodes.agents").
func GroupPath(r Role) string {
	if key, _, ok := groupRoute(r); ok {
		return "nodes." + key
	}
	return "nodes.bootstrap"
}

// NextAgents picks names and addresses for count more nodes of role (an
// agent role): names continue after the highest index of the group's
// namePrefix among taken names; addresses are the next ones of the group's
// ipRange that are not used and for which inUse (may be nil) says false.
// Addresses inUse rejects come back in skipped, so the caller can say so.
// A range too small, or a group without ipRange, is a config error (*Errors).
func (c *Cluster) NextAgents(role Role, count int, takenNames, usedIPs map[string]bool, inUse func(ip string) bool) (out []PlannedNode, skipped []string, err error) {
	if count <= 0 {
		return nil, nil, nil
	}
	g := c.group(role)
	path := GroupPath(role)
	if g == nil || role == RoleMaster {
		return nil, nil, fmt.Errorf("next agents: %s is not an agent role", role)
	}
	if g.IPRange == "" {
		return nil, nil, c.Locate([]FieldError{{Path: path,
			Message: fmt.Sprintf("no ipRange: new agents take their addresses from %s.ipRange (or list them under %s.hosts and run install)", path, path)}})
	}
	first, last, err := rangeBounds(g)
	if err != nil {
		return nil, nil, c.Locate([]FieldError{{Path: path + ".ipRange", Message: err.Error()}})
	}
	size := g.Size.or(DefaultSize(role))
	next := highestIndex(g.NamePrefix, takenNames) + 1
	free := 0
	for u := ipv4.ToUint(first); u <= ipv4.ToUint(last) && len(out) < count; u++ {
		ip := ipv4.FromUint(u).String()
		if usedIPs[ip] {
			continue
		}
		free++
		if inUse != nil && inUse(ip) {
			skipped = append(skipped, ip)
			continue
		}
		name := g.NamePrefix + strconv.Itoa(next)
		for takenNames[name] {
			next++
			name = g.NamePrefix + strconv.Itoa(next)
		}
		next++
		out = append(out, PlannedNode{Name: name, IP: ip, Role: role, Size: size})
		if u == 0xffffffff {
			break
		}
	}
	if len(out) < count {
		msg := fmt.Sprintf("%s has %d free address(es), %d needed", g.IPRange, len(out), count)
		if len(skipped) > 0 {
			msg += fmt.Sprintf(" (%s in use on the network)", strings.Join(skipped, ", "))
		}
		if !strings.Contains(g.IPRange, "-") {
			msg += `; a single address gives exactly count addresses: write the range as "first-last"`
		} else {
			msg += "; widen the range"
		}
		return nil, skipped, c.Locate([]FieldError{{Path: path + ".ipRange", Message: msg}})
	}
	return out, skipped, nil
}

// rangeBounds is the first and last address of the group's ipRange: a
// "first-last" range, or a single first address giving exactly count.
func rangeBounds(g *NodeGroup) (first, last netip.Addr, err error) {
	first, last, hasLast, err := parseRange(g.IPRange)
	if err != nil || hasLast {
		return first, last, err
	}
	n := max(g.Count, 1)
	return first, ipv4.FromUint(ipv4.ToUint(first) + uint32(n-1)), nil
}

// highestIndex finds the largest N among names prefixN.
func highestIndex(prefix string, names map[string]bool) int {
	high := 0
	for n := range names {
		if rest, ok := strings.CutPrefix(n, prefix); ok {
			if i, err := strconv.Atoi(rest); err == nil && i > high {
				high = i
			}
		}
	}
	return high
}
