// Package ipv4 is the project's one copy of IPv4 address arithmetic.
package ipv4

import (
	"encoding/binary"
	"net/netip"
)

// ToUint is a as a big-endian number. a must be IPv4.
func ToUint(a netip.Addr) uint32 {
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])
}

// FromUint is the IPv4 address u.
func FromUint(u uint32) netip.Addr {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], u)
	return netip.AddrFrom4(b)
}

// Broadcast is p's highest address.
func Broadcast(p netip.Prefix) netip.Addr {
	return FromUint(ToUint(p.Masked().Addr()) | hostMask(p))
}

// LastHost is p's highest address below its broadcast address.
func LastHost(p netip.Prefix) netip.Addr { return FromUint(ToUint(Broadcast(p)) - 1) }

// IsNetworkOrBroadcast reports whether a is p's network or broadcast
// address (neither can be a node's), for prefixes up to /30.
func IsNetworkOrBroadcast(p netip.Prefix, a netip.Addr) bool {
	if p.Bits() >= 31 {
		return false
	}
	return a == p.Masked().Addr() || a == Broadcast(p)
}

// Offset is b's distance from a (b - a), which may be negative.
func Offset(a, b netip.Addr) int { return int(int64(ToUint(b)) - int64(ToUint(a))) }

func hostMask(p netip.Prefix) uint32 { return uint32(1)<<(32-p.Bits()) - 1 }
