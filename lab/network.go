package lab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// createBridge makes the lab bridge with the gateway address. There is no
// NAT and no forwarding rule: the subnet's only way out is the bridge.
func createBridge(ctx context.Context, o Options) error {
	gw := netip.PrefixFrom(o.gateway(), o.Subnet.Bits()).String()
	// A bridge without a MAC of its own takes its lowest port's, so it
	// would change as hosts join, and every change flushes the machine's
	// ARP entries for the lab: packets waiting for a host being booted
	// would be dropped. A fixed, locally administered address avoids that.
	if _, err := run(ctx, "ip", "link", "add", o.Bridge, "address", bridgeMAC(o.gateway()), "type", "bridge"); err != nil {
		return fmt.Errorf("create lab bridge %s: %w", o.Bridge, err)
	}
	disableIPv6(o.Bridge)
	// The bridge names its lab (ifalias): another lab up with the same
	// bridge can tell it belongs to a running lab and refuse to clean it up.
	if _, err := run(ctx, "ip", "link", "set", "dev", o.Bridge, "alias", bridgeAliasPrefix+o.Dir); err != nil {
		return fmt.Errorf("name lab bridge %s: %w", o.Bridge, err)
	}
	if _, err := run(ctx, "ip", "addr", "add", gw, "dev", o.Bridge); err != nil {
		return fmt.Errorf("address lab bridge %s with %s: %w", o.Bridge, gw, err)
	}
	if _, err := run(ctx, "ip", "link", "set", o.Bridge, "up"); err != nil {
		return fmt.Errorf("bring up lab bridge %s: %w", o.Bridge, err)
	}
	// A bridge whose last port goes loses carrier, and losing carrier
	// flushes the machine's ARP entries for the lab: a packet queued for a
	// host being booted while the previous cluster's hosts go away would be
	// dropped. A port that never goes (a veth pair with no address on
	// either end) keeps the bridge up.
	keep, peer := o.linkPrefix()+"up", o.linkPrefix()+"upp"
	for i, step := range [][]string{
		{"ip", "link", "add", keep, "type", "veth", "peer", "name", peer},
		{"ip", "link", "set", keep, "master", o.Bridge},
		{"ip", "link", "set", peer, "up"},
		{"ip", "link", "set", keep, "up"},
	} {
		if _, err := run(ctx, step[0], step[1:]...); err != nil {
			return fmt.Errorf("keep lab bridge %s up: %w", o.Bridge, err)
		}
		if i == 0 {
			disableIPv6(keep)
			disableIPv6(peer)
		}
	}
	if err := allowBridgeForwarding(ctx, o.Bridge); err != nil {
		return fmt.Errorf("allow forwarding on lab bridge %s: %w", o.Bridge, err)
	}
	return nil
}

// disableIPv6 keeps an interface of the root namespace from sending IPv6
// (router solicitations, DAD) anywhere; a missing IPv6 stack is fine.
func disableIPv6(link string) {
	_ = os.WriteFile(filepath.Join("/proc/sys/net/ipv6/conf", link, "disable_ipv6"), []byte("1"), 0o644)
}

// createHostNetwork makes the host's namespace and cable: a veth pair with
// one end on the bridge and the other as eth0 in the namespace, the host
// address with a route to the lab subnet only, and lo up.
func createHostNetwork(ctx context.Context, o Options, ip netip.Addr) error {
	ns, veth := o.netnsName(ip), o.vethName(ip)
	peer := veth + "p"
	if len(peer) > 15 {
		peer = veth[:14] + "p"
	}
	steps := [][]string{
		{"ip", "netns", "add", ns},
		{"nsenter", "--net=/run/netns/" + ns, "sh", "-c",
			"for f in /proc/sys/net/ipv6/conf/all/disable_ipv6 /proc/sys/net/ipv6/conf/default/disable_ipv6; do [ -e $f ] && echo 1 > $f; done; true"},
		{"ip", "link", "add", veth, "type", "veth", "peer", "name", peer, "netns", ns},
		{"ip", "-n", ns, "link", "set", peer, "name", "eth0"},
		{"ip", "-n", ns, "addr", "add", netip.PrefixFrom(ip, o.Subnet.Bits()).String(), "dev", "eth0"},
		{"ip", "-n", ns, "link", "set", "lo", "up"},
		{"ip", "-n", ns, "link", "set", "eth0", "up"},
		{"ip", "link", "set", veth, "master", o.Bridge},
		{"ip", "link", "set", veth, "up"},
	}
	for i, s := range steps {
		if _, err := run(ctx, s[0], s[1:]...); err != nil {
			return fmt.Errorf("create network of lab host %s: %w", ip, err)
		}
		if i == 2 {
			disableIPv6(veth)
		}
	}
	// The bridge starts forwarding on the new port a moment after it is up
	// (the kernel applies the carrier change asynchronously); a frame sent
	// before is dropped.
	waitForwarding(veth, 2*time.Second)
	// Say hello to the gateway, as a booting guest's network setup does:
	// its ARP request updates the machine's neighbour entry for the host,
	// so a client that tried the address before the host existed has its
	// waiting packets sent now, not at the next ARP retry a second later.
	// Only the ARP request matters, so the echo reply is not waited for
	// long (a lost one would delay the boot).
	_, _ = run(ctx, "nsenter", "--net=/run/netns/"+ns, "ping", "-c", "1", "-W", "0.2", "-q", o.gateway().String())
	return nil
}

// waitForwarding waits, at most limit, until the bridge forwards on port.
func waitForwarding(port string, limit time.Duration) {
	state := filepath.Join("/sys/class/net", port, "brport", "state")
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if b, err := os.ReadFile(state); err == nil && strings.TrimSpace(string(b)) == "3" { // BR_STATE_FORWARDING
			return
		}
	}
}

// deleteHostNetwork removes the host's veth and namespace; missing pieces
// are not an error.
func deleteHostNetwork(ctx context.Context, ns, veth string) error {
	var errs []error
	if linkExists(veth) {
		if _, err := run(ctx, "ip", "link", "del", veth); err != nil && linkExists(veth) {
			errs = append(errs, err)
		}
	}
	if _, err := os.Stat("/run/netns/" + ns); err == nil {
		if _, err := run(ctx, "ip", "netns", "del", ns); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func linkExists(name string) bool {
	_, err := net.InterfaceByName(name)
	return err == nil
}

// bridgeMAC is the fixed, locally administered MAC of a bridge whose
// address (or gateway) is a: a bridge without one takes its lowest port's
// and changes it as ports come and go.
func bridgeMAC(a netip.Addr) string {
	b := a.As4()
	return fmt.Sprintf("02:64:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3])
}

// netnsPids lists the processes whose network namespace is ns.
func netnsPids(ctx context.Context, ns string) []int {
	out, err := run(ctx, "ip", "netns", "pids", ns)
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(out) {
		if p, err := strconv.Atoi(f); err == nil {
			pids = append(pids, p)
		}
	}
	return pids
}

// listNetns returns the names of namespaces starting with prefix.
func listNetns(prefix string) []string {
	entries, _ := os.ReadDir("/run/netns")
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			out = append(out, e.Name())
		}
	}
	return out
}

// listLinks returns the interfaces of the root namespace starting with prefix.
func listLinks(prefix string) []string {
	ifs, _ := net.Interfaces()
	var out []string
	for _, i := range ifs {
		if strings.HasPrefix(i.Name, prefix) {
			out = append(out, i.Name)
		}
	}
	return out
}
