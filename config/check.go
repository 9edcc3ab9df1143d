package config

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"

	gossh "golang.org/x/crypto/ssh"

	"github.com/dcos-vsphere/dcos-vsphere/internal/ipv4"
)

// Field checks: the rules Validate applies to single values, exported so
// that the guided setup checks an answer as it is typed with exactly the
// rule Load will apply to the saved file. Messages name the value, never
// a field path (the caller knows which field it asked for).

// CheckClusterName is the rule for name: one DNS label.
func CheckClusterName(name string) error {
	if !hostLabel.MatchString(name) {
		return fmt.Errorf("%q is not a valid cluster name: use letters, digits and '-' (at most 63, not starting or ending with '-')", name)
	}
	return nil
}

// CheckThumbprint is the rule for vcenter.thumbprint: a SHA-256 or SHA-1
// thumbprint as colon-separated hex pairs. NormalizeThumbprint turns
// other spellings into this one.
func CheckThumbprint(tp string) error {
	n := (len(tp) + 1) / 3
	if !thumbprint.MatchString(tp) || (n != 32 && n != 20) {
		return fmt.Errorf("%q is not a SHA-256 or SHA-1 thumbprint (32 or 20 hex byte pairs separated by colons, as govc about.cert -thumbprint prints)", tp)
	}
	return nil
}

// NormalizeThumbprint accepts a thumbprint with or without ':' (or space)
// separators, in either case, and returns the upper-case colon form that
// CheckThumbprint accepts.
func NormalizeThumbprint(s string) (string, error) {
	hex := strings.ToUpper(strings.NewReplacer(":", "", " ", "").Replace(strings.TrimSpace(s)))
	if len(hex)%2 != 0 || hex == "" {
		return "", CheckThumbprint(s)
	}
	pairs := make([]string, 0, len(hex)/2)
	for i := 0; i < len(hex); i += 2 {
		pairs = append(pairs, hex[i:i+2])
	}
	tp := strings.Join(pairs, ":")
	if CheckThumbprint(tp) != nil {
		return "", CheckThumbprint(s)
	}
	return tp, nil
}

// CheckVCenterURL is the rule for vcenter.url (http only with insecure).
func CheckVCenterURL(raw string, insecure bool) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "":
		return fmt.Errorf("%q is not a URL such as https://vcenter.example/sdk (or a bare host name, as govc takes)", redactUserInfo(raw))
	case u.Scheme == "http" && !insecure:
		return errors.New("http:// sends the vCenter password in clear text; use https:// (or set vcenter.insecure: true for a lab)")
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Errorf("scheme %q: use https://", u.Scheme)
	}
	return nil
}

// CheckIPv4 accepts only a dotted-quad IPv4 address.
func CheckIPv4(s string) error {
	_, err := parseIPv4(s)
	return err
}

// CheckPrefix is the rule for network.prefix.
func CheckPrefix(n int) error {
	if n < 1 || n > 30 {
		return fmt.Errorf("prefix %d is outside 1-30", n)
	}
	return nil
}

// CheckDomain accepts a DNS name (network.searchDomain, host names).
func CheckDomain(s string) error {
	if !validDomain(s) {
		return fmt.Errorf("%q is not a domain name", s)
	}
	return nil
}

// CheckPort is the rule for every port field.
func CheckPort(p int) error {
	if p < 1 || p > 65535 {
		return fmt.Errorf("port %d is outside 1-65535", p)
	}
	return nil
}

// CheckMasters is DC/OS 1.9's rule for the number of masters.
func CheckMasters(n int) error {
	switch n {
	case 1, 3, 5, 7, 9:
		return nil
	}
	//lint:ignore ST1005 DC/OS 1.9's own wording, which its users search for
	return fmt.Errorf("Must have 1, 3, 5, 7, or 9 masters. Found %d", n)
}

// MasterCounts are the numbers of masters DC/OS 1.9 accepts.
func MasterCounts() []int { return []int{1, 3, 5, 7, 9} }

// CheckNamePrefix is the rule for nodes.<group>.namePrefix: prefix + a
// number must be a host name.
func CheckNamePrefix(prefix string) error {
	if !hostLabel.MatchString(prefix + "1") {
		return fmt.Errorf("%q does not make valid host names (%q): use letters, digits and '-'", prefix, prefix+"1")
	}
	return nil
}

// CheckHostName is the rule for a node's name.
func CheckHostName(name string) error {
	if !hostLabel.MatchString(name) {
		return fmt.Errorf("%q is not a valid host name: use letters, digits and '-' (at most 63, not starting or ending with '-')", name)
	}
	return nil
}

// CheckIPRange is the rule for nodes.<group>.ipRange holding count nodes:
// "first-last" (inclusive) or just "first".
func CheckIPRange(spec string, count int) error {
	_, err := rangeAddrs(spec, count)
	return err
}

// CheckNodeAddress is the rule for one node address in the node network
// given by gateway and prefix: inside it, neither its network nor its
// broadcast address, and not the gateway.
func CheckNodeAddress(addr, gateway string, prefix int) error {
	a, err := parseIPv4(addr)
	if err != nil {
		return err
	}
	subnet, err := nodeSubnet(gateway, prefix)
	if err != nil {
		return err
	}
	if msg := addressProblem(a, "", subnet); msg != "" {
		return errors.New(msg)
	}
	if gw, _ := parseIPv4(gateway); a == gw {
		return fmt.Errorf("%s is also used by network.gateway", a)
	}
	return nil
}

// nodeSubnet is the network of gateway/prefix.
func nodeSubnet(gateway string, prefix int) (netip.Prefix, error) {
	gw, err := parseIPv4(gateway)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("network.gateway: %w", err)
	}
	if err := CheckPrefix(prefix); err != nil {
		return netip.Prefix{}, fmt.Errorf("network.prefix: %w", err)
	}
	return netip.PrefixFrom(gw, prefix).Masked(), nil
}

// addressProblem says why a cannot be a node address in subnet ("" when
// it can); who, e.g. " (agent-2)", follows the address in the message.
func addressProblem(a netip.Addr, who string, subnet netip.Prefix) string {
	switch {
	case !subnet.Contains(a):
		return fmt.Sprintf("%s%s is outside the network %s (network.gateway with its prefix)", a, who, subnet)
	case ipv4.IsNetworkOrBroadcast(subnet, a):
		return fmt.Sprintf("%s%s is the network or broadcast address of %s", a, who, subnet)
	}
	return ""
}

// CheckACSMasterFQDN is the rule for acs.masterFQDN: the ACS masters'
// public name or address, without scheme, port or path.
func CheckACSMasterFQDN(s string) error {
	if s == "" {
		return errors.New("required: the ACS masters' public name (<dnsprefix>mgmt.<region>.cloudapp.azure.com) or address")
	}
	if !validDomain(s) || strings.HasSuffix(s, ".") {
		return fmt.Errorf("%q is not a host name or IPv4 address (e.g. myacs-mgmt.westeurope.cloudapp.azure.com; no scheme, port or path)", s)
	}
	return nil
}

// CheckACSUser is the rule for acs.user: a Linux user name.
func CheckACSUser(s string) error {
	if !unixUser.MatchString(s) {
		return fmt.Errorf("%q is not a Linux user name (ACS's default is azureuser)", s)
	}
	return nil
}

// ACSPortNote is the warning acs.sshPort gets when it is a valid port
// that does not reach an ACS master through the Azure load balancer
// ("" when there is nothing to say).
func ACSPortNote(p int) string {
	if p >= 1 && p <= 65535 && (p < DefaultACSSSHPort || p > DefaultACSSSHPort+4) && p != 22 {
		return fmt.Sprintf("port %d: ACS masters are reached on 2200 (master 0) to 2204 (master 4) through the Azure load balancer", p)
	}
	return ""
}

// CheckACSKeyFile is the rule for acs.keyFile (checked by CheckFiles): a
// private key without a passphrase. The ACS login takes no passphrase,
// so an encrypted key is used through ssh-agent (acs.agent) instead.
func CheckACSKeyFile(path string) error {
	data, msg := readSmall(path)
	if msg != "" {
		return errors.New(msg)
	}
	_, err := gossh.ParseRawPrivateKey(data)
	var missing *gossh.PassphraseMissingError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &missing):
		return fmt.Errorf("%s is an encrypted private key: set acs.keyPassphrase: \"${ENV_VAR}\" (or acs.keyPassphraseFile), or load it into ssh-agent (ssh-add %s) and set acs.agent: true without acs.keyFile", path, path)
	case strings.Contains(string(data), "PUBLIC KEY") || strings.HasPrefix(string(data), "ssh-"):
		return fmt.Errorf("%s is a public key; acs.keyFile needs the private key (the file without .pub)", path)
	}
	return fmt.Errorf("%s is not a private key this tool can use (%s); want an OpenSSH, PKCS#1 or PKCS#8 private key", path, keyErr(err))
}
