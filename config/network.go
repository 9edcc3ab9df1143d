package config

import (
	"math/bits"
	"net/netip"

	"github.com/dcos-vsphere/dcos-vsphere/internal/ipv4"
)

// PrefixLen is the network's prefix length, from network.prefix or
// network.netmask; 0 when neither is valid.
func (c *Cluster) PrefixLen() int {
	if c.Network.Prefix > 0 {
		if c.Network.Prefix > 32 {
			return 0
		}
		return c.Network.Prefix
	}
	if n, ok := maskPrefix(c.Network.Netmask); ok {
		return n
	}
	return 0
}

// Netmask is the network's dotted netmask (e.g. "255.255.255.0"), from
// network.prefix or network.netmask; "" when neither is valid.
func (c *Cluster) Netmask() string {
	p := c.PrefixLen()
	if p == 0 {
		return ""
	}
	return ipv4.FromUint(^uint32(0) << (32 - p)).String()
}

// Subnet is the node network (gateway with prefix), if valid.
func (c *Cluster) Subnet() (netip.Prefix, bool) {
	gw, err := parseIPv4(c.Network.Gateway)
	p := c.PrefixLen()
	if err != nil || p == 0 {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(gw, p).Masked(), true
}

// maskPrefix converts a contiguous dotted netmask to its prefix length.
func maskPrefix(mask string) (int, bool) {
	a, err := parseIPv4(mask)
	if err != nil {
		return 0, false
	}
	u := ipv4.ToUint(a)
	ones := bits.LeadingZeros32(^u)
	if ones == 0 || u<<ones != 0 {
		return 0, false
	}
	return ones, true
}
