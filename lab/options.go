package lab

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"path/filepath"
	"regexp"

	"github.com/dcos-vsphere/dcos-vsphere/internal/ipv4"
)

// Options configures a lab. The zero value of every field but Dir takes
// the documented default.
type Options struct {
	// Dir holds the lab's state and generated files: cluster.yaml, the SSH
	// key, the vCenter password file, dcos_generate_config.sh, per-host
	// disks (hosts/) and logs. Required.
	Dir string
	// Bridge is the Linux bridge the hosts hang on (default "dvlab0", at
	// most 15 characters).
	Bridge string
	// Subnet is the lab network, inside 198.18.0.0/15 (default
	// 198.18.0.0/24). Its first address is the gateway, on the bridge.
	Subnet netip.Prefix
	// NetnsPrefix starts the name of every namespace and veth of this lab
	// (default "dvlab-"), so several labs can coexist and leftovers of a
	// killed lab can be found.
	NetnsPrefix string
	// VCenterAddr is where the simulated vCenter listens (default
	// 127.0.0.1:0, a free port).
	VCenterAddr string
	// DatastoreCapacity is the size in bytes of the simulated datastore
	// LocalDS_0 (default DefaultDatastoreCapacity, 4 TiB; 64 GiB to
	// 1 PiB); three quarters of it are free when the lab starts. Large
	// clusters (100 agents of 60 GB disks and 16 GB of swap) need more.
	DatastoreCapacity int64
	// InstallerPort is the HTTP port on the gateway serving
	// dcos_generate_config.sh (default 8000).
	InstallerPort int
	// ACRPort is the HTTPS port of the lab registry (an ACR stand-in) on
	// the gateway (default DefaultACRPort, 5443).
	ACRPort int
	// WriteInstaller writes the DC/OS 1.9 stand-in dcos_generate_config.sh
	// (default dcos19.WriteInstaller).
	WriteInstaller func(path string) error
	// CopyDisks gives every host a full copy of the base /etc and
	// /usr/local instead of overlayfs layers over them (what the lab falls
	// back to where overlayfs does not work).
	CopyDisks bool
	// Log receives one line per lab event (host up/down, errors); nil
	// discards.
	Log io.Writer
	// ACS, when set, also builds the ACS world: an Azure-shaped DC/OS 1.9
	// cluster behind a load balancer on the lab bridge (lab/README.md).
	ACS *ACSOptions
}

var labNet = netip.MustParsePrefix("198.18.0.0/15")

var prefixChars = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// withDefaults fills defaults and checks the options.
func (o Options) withDefaults() (Options, error) {
	if o.Dir == "" {
		return o, fmt.Errorf("lab options: Dir is required")
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return o, fmt.Errorf("lab options: dir %s: %w", o.Dir, err)
	}
	o.Dir = dir
	if o.Bridge == "" {
		o.Bridge = "dvlab0"
	}
	if len(o.Bridge) > 15 || !prefixChars.MatchString(o.Bridge) {
		return o, fmt.Errorf("lab options: bridge name %q must be 1-15 letters, digits, '-', '_' or '.'", o.Bridge)
	}
	if !o.Subnet.IsValid() {
		o.Subnet = netip.MustParsePrefix("198.18.0.0/24")
	}
	o.Subnet = o.Subnet.Masked()
	if !o.Subnet.Addr().Is4() || o.Subnet.Bits() < labNet.Bits() || o.Subnet.Bits() > 29 || !labNet.Contains(o.Subnet.Addr()) {
		return o, fmt.Errorf("lab options: subnet %s must be an IPv4 /15../29 inside %s", o.Subnet, labNet)
	}
	if o.NetnsPrefix == "" {
		o.NetnsPrefix = "dvlab-"
	}
	if !prefixChars.MatchString(o.NetnsPrefix) {
		return o, fmt.Errorf("lab options: netns prefix %q has characters other than letters, digits, '-', '_' or '.'", o.NetnsPrefix)
	}
	if o.VCenterAddr == "" {
		o.VCenterAddr = "127.0.0.1:0"
	}
	if o.DatastoreCapacity == 0 {
		o.DatastoreCapacity = DefaultDatastoreCapacity
	}
	if o.DatastoreCapacity < minDatastoreCapacity || o.DatastoreCapacity > maxDatastoreCapacity {
		return o, fmt.Errorf("lab options: datastore capacity %d bytes must be 64 GiB to 1 PiB", o.DatastoreCapacity)
	}
	if o.InstallerPort == 0 {
		o.InstallerPort = 8000
	}
	if o.ACRPort == 0 {
		o.ACRPort = DefaultACRPort
	}
	if o.ACRPort < 1 || o.ACRPort > 65535 || o.ACRPort == o.InstallerPort {
		return o, fmt.Errorf("lab options: registry port %d must be 1-65535 and not the installer port", o.ACRPort)
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	return o, nil
}

// gateway is the bridge's address: the subnet's first host address.
func (o Options) gateway() netip.Addr { return o.Subnet.Addr().Next() }

// linkPrefix starts the root-side veth names: at most 9 characters so
// that prefix + host offset fits the 15-character interface name limit.
func (o Options) linkPrefix() string {
	if len(o.NetnsPrefix) <= 9 {
		return o.NetnsPrefix
	}
	sum := sha256.Sum256([]byte(o.NetnsPrefix))
	return "dv" + hex.EncodeToString(sum[:])[:6] + "-"
}

// offset is ip's position inside the subnet (the gateway is 1).
func (o Options) offset(ip netip.Addr) int {
	return ipv4.Offset(o.Subnet.Addr(), ip)
}

// vethName is the root-side end of the host at ip.
func (o Options) vethName(ip netip.Addr) string {
	return fmt.Sprintf("%s%d", o.linkPrefix(), o.offset(ip))
}

// netnsName is the network namespace of the host at ip.
func (o Options) netnsName(ip netip.Addr) string {
	return fmt.Sprintf("%sh%d", o.NetnsPrefix, o.offset(ip))
}

func (o Options) hostsDir() string { return filepath.Join(o.Dir, "hosts") }

// baseDir holds the base every host disk starts from (see baseDisk).
func (o Options) baseDir() string { return filepath.Join(o.Dir, "base") }

// Files the lab writes into Dir.
const (
	keyFileName        = "id_ed25519"
	knownHostsFileName = "known_hosts"
	passwordFileName   = "vcenter-password"
	stateFileName      = "lab.json"
	installerFileName  = "dcos_generate_config.sh"
)
