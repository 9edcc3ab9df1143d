package tui

import (
	"fmt"
	"net/netip"
	"strconv"
)

// ipRange is a run of consecutive IPv4 addresses handed to one role.
type ipRange struct {
	role        string
	first, last netip.Addr
}

func (r ipRange) String() string {
	if r.first == r.last {
		return r.first.String()
	}
	return r.first.String() + "-" + r.last.String()
}

func (r ipRange) overlaps(o ipRange) bool {
	return !(r.last.Less(o.first) || o.last.Less(r.first))
}

// subnet is the node network the answers describe.
func subnet(gateway, prefix string) (netip.Prefix, error) {
	gw, err := netip.ParseAddr(gateway)
	if err != nil || !gw.Is4() {
		return netip.Prefix{}, fmt.Errorf("gateway %q is not an IPv4 address", gateway)
	}
	bits, err := strconv.Atoi(prefix)
	if err != nil || bits < 1 || bits > 32 {
		return netip.Prefix{}, fmt.Errorf("prefix %q is not 1-32", prefix)
	}
	return netip.PrefixFrom(gw, bits).Masked(), nil
}

// makeRange returns count addresses starting at first, checked to lie in
// the subnet, off its network and broadcast addresses and off the gateway.
func makeRange(role, first string, count int, gateway, prefix string) (ipRange, error) {
	net, err := subnet(gateway, prefix)
	if err != nil {
		return ipRange{}, err
	}
	start, err := netip.ParseAddr(first)
	if err != nil || !start.Is4() {
		return ipRange{}, fmt.Errorf("%s: %q is not an IPv4 address", role, first)
	}
	r := ipRange{role: role, first: start, last: start}
	for i := 1; i < count; i++ {
		r.last = r.last.Next()
	}
	gw, _ := netip.ParseAddr(gateway)
	for a, i := start, 0; i < count; a, i = a.Next(), i+1 {
		if !net.Contains(a) {
			return r, fmt.Errorf("%s: %s is outside the node network %s", role, a, net)
		}
		if net.Bits() < 31 && (a == net.Addr() || a == lastAddr(net)) {
			return r, fmt.Errorf("%s: %s is the network or broadcast address of %s", role, a, net)
		}
		if a == gw {
			return r, fmt.Errorf("%s: %s is the gateway", role, a)
		}
	}
	return r, nil
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v |= host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// checkNoOverlap reports the first pair of ranges sharing an address.
func checkNoOverlap(ranges ...ipRange) error {
	for i := range ranges {
		for j := range i {
			if ranges[i].overlaps(ranges[j]) {
				return fmt.Errorf("%s (%s) overlaps %s (%s)", ranges[i].role, ranges[i], ranges[j].role, ranges[j])
			}
		}
	}
	return nil
}
