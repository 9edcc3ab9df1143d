package ipv4

import (
	"net/netip"
	"testing"
)

func TestArithmetic(t *testing.T) {
	p := netip.MustParsePrefix("198.18.4.77/22")
	if got := Broadcast(p).String(); got != "198.18.7.255" {
		t.Errorf("Broadcast = %s", got)
	}
	if got := LastHost(p).String(); got != "198.18.7.254" {
		t.Errorf("LastHost = %s", got)
	}
	a := netip.MustParseAddr("198.18.0.255")
	if got := FromUint(ToUint(a) + 1).String(); got != "198.18.1.0" {
		t.Errorf("next = %s", got)
	}
	if !IsNetworkOrBroadcast(p, netip.MustParseAddr("198.18.4.0")) || !IsNetworkOrBroadcast(p, netip.MustParseAddr("198.18.7.255")) ||
		IsNetworkOrBroadcast(p, netip.MustParseAddr("198.18.5.0")) {
		t.Error("IsNetworkOrBroadcast wrong")
	}
	if IsNetworkOrBroadcast(netip.MustParsePrefix("198.18.0.0/31"), netip.MustParseAddr("198.18.0.0")) {
		t.Error("a /31 has no network or broadcast address")
	}
	if got := Offset(netip.MustParseAddr("198.18.0.10"), netip.MustParseAddr("198.18.0.7")); got != -3 {
		t.Errorf("Offset = %d", got)
	}
}
