// Package testnet hands every test that builds a lab network its own
// bridge, namespace prefix and subnet, so that the tests of different
// packages, a second checkout's tests running on the same machine, and a
// lab a user runs at the defaults (bridge dvlab0, 198.18.0.0/24) never
// collide.
//
// A machine-wide slot (0-7, from DCOS_VSPHERE_TEST_SLOT, default 0) picks
// one of eight blocks of 32 /24 networks in each half of 198.18.0.0/15;
// a test picks its network inside the block by index (1-31; index 0 is
// left out so that slot 0 never uses a default lab's subnets).
package testnet

import (
	"fmt"
	"net/netip"
	"os"
	"strconv"
)

// SlotEnv names the environment variable that selects the slot.
const SlotEnv = "DCOS_VSPHERE_TEST_SLOT"

// Slots is the number of slots; indexes run from 1 to Indexes-1.
const (
	Slots   = 8
	Indexes = 32
)

// Slot is the machine-wide slot from the environment: 0 when unset.
// An invalid value panics: a test run on the wrong network is worse
// than one that does not start.
func Slot() int {
	v := os.Getenv(SlotEnv)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n >= Slots {
		panic(fmt.Sprintf("%s=%q: want a number from 0 to %d", SlotEnv, v, Slots-1))
	}
	return n
}

// Net is one test's network names.
type Net struct {
	// Bridge is the Linux bridge (at most 15 characters).
	Bridge string
	// NetnsPrefix starts every namespace and veth name of the test.
	NetnsPrefix string
	// Subnet is the test's /24 in 198.18.0.0/16.
	Subnet netip.Prefix
	// Inner is a second /24, in 198.19.0.0/16, for networks behind the
	// first one (an Azure-shaped inner network, routing tests).
	Inner netip.Prefix
}

// For returns the network of the test called name (a few letters, e.g.
// "lab", "e2e") at index 1-31 of the current slot.
func For(name string, index int) Net {
	if index < 1 || index >= Indexes {
		panic(fmt.Sprintf("testnet: index %d out of 1..%d", index, Indexes-1))
	}
	slot := Slot()
	third := byte(slot*Indexes + index)
	id := fmt.Sprintf("dvt%d%s%d", slot, name, index)
	if len(id) > 14 {
		panic(fmt.Sprintf("testnet: name %q makes %q, longer than a bridge name may be", name, id))
	}
	return Net{
		Bridge:      id,
		NetnsPrefix: id + "-",
		Subnet:      netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 18, third, 0}), 24),
		Inner:       netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 19, third, 0}), 24),
	}
}

// Addr is the address at host offset off (1-254) in p.
func Addr(p netip.Prefix, off int) netip.Addr {
	a := p.Masked().Addr().As4()
	a[3] = byte(off)
	return netip.AddrFrom4(a)
}
