package lab

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// The ACS world's network (see lab/README.md, "The ACS world"):
//
//	machine ── lab bridge ── [LB namespace] ── inner bridge ── ACS masters, agents
//	           PublicAddr     eth0 │ eth1       (no address in the machine;
//	                                │ nft        an unreachable route for it)
//
// The "Azure load balancer" is a network namespace with one leg on each
// bridge. Its nftables ruleset is the whole policy: inbound NAT
// PublicAddr:2200+i -> master i:22 (DNAT, so the master sees the real
// client address, as behind Azure's load balancer), and outbound from the
// inner network only to the lab ACR (gateway:Options.ACRPort, 5443), masqueraded to
// PublicAddr; everything else is dropped. The rules live in the
// namespace and go with it.

// acsNetRules renders the LB's nftables ruleset.
func acsNetRules(st acsState) string {
	var b strings.Builder
	b.WriteString("table ip azurelb {\n")
	b.WriteString("  chain prerouting {\n    type nat hook prerouting priority dstnat; policy accept;\n")
	for _, n := range st.Nodes {
		if n.Role == roleMaster {
			fmt.Fprintf(&b, "    iifname \"eth0\" ip daddr %s tcp dport %d dnat to %s:22\n", st.PublicAddr, 2200+n.Seq, n.IP)
		}
	}
	b.WriteString("  }\n")
	b.WriteString("  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n")
	fmt.Fprintf(&b, "    iifname \"eth1\" oifname \"eth0\" masquerade\n  }\n")
	b.WriteString("  chain forward {\n    type filter hook forward priority filter; policy drop;\n")
	b.WriteString("    ct state established,related accept\n")
	b.WriteString("    iifname \"eth0\" oifname \"eth1\" ct status dnat tcp dport 22 accept\n")
	acrPort := st.LabACRPort
	if acrPort == 0 {
		acrPort = DefaultACRPort // a state written before the port was recorded
	}
	fmt.Fprintf(&b, "    iifname \"eth1\" oifname \"eth0\" ip daddr %s tcp dport %d accept\n", st.LabGateway, acrPort)
	b.WriteString("  }\n")
	b.WriteString("  chain input {\n    type filter hook input priority filter; policy drop;\n")
	b.WriteString("    ct state established,related accept\n    iifname \"lo\" accept\n    icmp type echo-request accept\n  }\n")
	b.WriteString("}\n")
	return b.String()
}

// createACSNetwork builds the inner bridge, the LB namespace with its two
// legs and rules, and the machine's unreachable route for the inner
// subnet.
func createACSNetwork(ctx context.Context, labBridge string, labBits int, st acsState) error {
	inner := netip.MustParsePrefix(st.Subnet)
	steps := [][]string{
		{"ip", "link", "add", st.Bridge, "address", bridgeMAC(netip.MustParseAddr(st.InnerGateway)), "type", "bridge"},
		{"ip", "link", "set", st.Bridge, "up"},
		{"ip", "netns", "add", st.LBNetns},
		{"nsenter", "--net=/run/netns/" + st.LBNetns, "sh", "-c",
			"for f in /proc/sys/net/ipv6/conf/all/disable_ipv6 /proc/sys/net/ipv6/conf/default/disable_ipv6; do [ -e $f ] && echo 1 > $f; done; echo 1 > /proc/sys/net/ipv4/ip_forward"},
		{"ip", "link", "add", st.LBOuterVeth, "type", "veth", "peer", "name", st.LBOuterVeth + "p", "netns", st.LBNetns},
		{"ip", "-n", st.LBNetns, "link", "set", st.LBOuterVeth + "p", "name", "eth0"},
		{"ip", "link", "add", st.LBInnerVeth, "type", "veth", "peer", "name", st.LBInnerVeth + "p", "netns", st.LBNetns},
		{"ip", "-n", st.LBNetns, "link", "set", st.LBInnerVeth + "p", "name", "eth1"},
		{"ip", "-n", st.LBNetns, "addr", "add", fmt.Sprintf("%s/%d", st.PublicAddr, labBits), "dev", "eth0"},
		{"ip", "-n", st.LBNetns, "addr", "add", netip.PrefixFrom(netip.MustParseAddr(st.InnerGateway), inner.Bits()).String(), "dev", "eth1"},
		{"ip", "-n", st.LBNetns, "link", "set", "lo", "up"},
		{"ip", "-n", st.LBNetns, "link", "set", "eth0", "up"},
		{"ip", "-n", st.LBNetns, "link", "set", "eth1", "up"},
		{"ip", "link", "set", st.LBOuterVeth, "master", labBridge},
		{"ip", "link", "set", st.LBInnerVeth, "master", st.Bridge},
		{"ip", "link", "set", st.LBOuterVeth, "up"},
		{"ip", "link", "set", st.LBInnerVeth, "up"},
		{"ip", "route", "add", "unreachable", st.Subnet},
	}
	for i, s := range steps {
		if _, err := run(ctx, s[0], s[1:]...); err != nil {
			return fmt.Errorf("create the ACS network: %w", err)
		}
		switch i {
		case 0:
			disableIPv6(st.Bridge)
		case 4:
			disableIPv6(st.LBOuterVeth)
		case 6:
			disableIPv6(st.LBInnerVeth)
		}
	}
	if err := loadACSRules(ctx, st); err != nil {
		return err
	}
	if err := allowBridgeForwarding(ctx, st.Bridge); err != nil {
		return fmt.Errorf("allow forwarding on the ACS bridge %s: %w", st.Bridge, err)
	}
	waitForwarding(st.LBOuterVeth, 2*time.Second)
	waitForwarding(st.LBInnerVeth, 2*time.Second)
	return nil
}

// loadACSRules (re)loads the LB's ruleset atomically (scale-out never adds
// masters, but a rebuilt ruleset must replace, not add to, the old one).
func loadACSRules(ctx context.Context, st acsState) error {
	rules := "table ip azurelb\ndelete table ip azurelb\n" + acsNetRules(st)
	if _, err := runCmd(ctx, strings.NewReader(rules), "ip", "netns", "exec", st.LBNetns, "nft", "-f", "-"); err != nil {
		return fmt.Errorf("load the ACS load balancer's rules: %w", err)
	}
	return nil
}

// routeACSHost gives an ACS host its only route out: the lab subnet
// through the load balancer (the policy there lets the ACR through and
// the answers to the machine's SSH sessions).
func routeACSHost(ctx context.Context, h *Host, st acsState) error {
	if _, err := run(ctx, "ip", "-n", h.Netns, "route", "add", st.LabSubnet, "via", st.InnerGateway); err != nil {
		return fmt.Errorf("route ACS host %s: %w", h.Hostname, err)
	}
	return nil
}
