package lab

import (
	"context"
	"strings"
)

// Bridged traffic between lab hosts passes the machine's iptables FORWARD
// chain when br_netfilter is loaded. Where that chain drops by default (a
// machine running Docker), the lab inserts one rule accepting traffic that
// stays on its bridge, tagged with this comment, and removes it in Cleanup.
const firewallComment = "dcos-vsphere-lab"

func bridgeRule(op, bridge string) []string {
	return []string{op, "FORWARD", "-i", bridge, "-o", bridge, "-m", "comment", "--comment", firewallComment, "-j", "ACCEPT"}
}

// allowBridgeForwarding adds the rule when iptables exists and FORWARD
// does not already accept everything.
func allowBridgeForwarding(ctx context.Context, bridge string) error {
	if _, err := lookTool("iptables"); err != nil {
		return nil
	}
	out, err := run(ctx, "iptables", "-S", "FORWARD")
	if err != nil {
		return nil // iptables without kernel support: nothing filters
	}
	if strings.Contains(out, "-P FORWARD ACCEPT") {
		return nil
	}
	_, err = run(ctx, "iptables", bridgeRule("-I", bridge)...)
	return err
}

// removeBridgeForwarding deletes every copy of the rule (bounded).
func removeBridgeForwarding(ctx context.Context, bridge string) {
	if _, err := lookTool("iptables"); err != nil {
		return
	}
	for range 10 {
		if _, err := run(ctx, "iptables", bridgeRule("-D", bridge)...); err != nil {
			return
		}
	}
}
