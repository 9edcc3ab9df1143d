package templates

import (
	"strings"
	"testing"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

func TestCustomizationCarriesHostnameDomainIPMaskGatewayDNS(t *testing.T) {
	n := config.Network{Gateway: "10.0.0.1", Prefix: 22, DNS: []string{"10.0.0.2", "10.0.0.3"}, SearchDomain: "dcos.example"}
	cs, err := customization(VMSpec{Name: "m1", Hostname: "master-1", IP: "10.0.1.5"}, n)
	if err != nil {
		t.Fatal(err)
	}
	id := cs.Identity.(*types.CustomizationLinuxPrep)
	ip := cs.NicSettingMap[0].Adapter
	if id.HostName.(*types.CustomizationFixedName).Name != "master-1" || id.Domain != "dcos.example" {
		t.Fatalf("identity %+v", id)
	}
	if ip.Ip.(*types.CustomizationFixedIp).IpAddress != "10.0.1.5" || ip.SubnetMask != "255.255.252.0" ||
		ip.Gateway[0] != "10.0.0.1" || len(ip.DnsServerList) != 2 || cs.GlobalIPSettings.DnsSuffixList[0] != "dcos.example" {
		t.Fatalf("adapter %+v", ip)
	}
	// A dotted hostname carries its own domain.
	cs, _ = customization(VMSpec{Name: "a", Hostname: "a1.other.test", IP: "10.0.1.6"}, n)
	if id := cs.Identity.(*types.CustomizationLinuxPrep); id.Domain != "other.test" || id.HostName.(*types.CustomizationFixedName).Name != "a1" {
		t.Fatalf("dotted hostname: %+v", id)
	}
}

func TestCustomizationRejectsBadAddressing(t *testing.T) {
	for _, tc := range []struct {
		n    config.Network
		ip   string
		want string
	}{
		{config.Network{}, "10.0.0.5", "give netmask or prefix"},
		{config.Network{Netmask: "255.255.0"}, "10.0.0.5", "not a dotted IPv4 mask"},
		{config.Network{Prefix: 24}, "fe80::1", "not an IPv4 address"},
	} {
		if _, err := customization(VMSpec{Name: "x", IP: tc.ip}, tc.n); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v %s: got %v, want %q", tc.n, tc.ip, err, tc.want)
		}
	}
}

func TestNormalizeThumbprint(t *testing.T) {
	got, err := normalizeThumbprint("ab:cd" + strings.Repeat("ef", 18))
	if err != nil || got != "AB:CD:"+strings.TrimSuffix(strings.Repeat("EF:", 18), ":") {
		t.Fatalf("got %q %v", got, err)
	}
	if _, err := normalizeThumbprint("abc"); err == nil {
		t.Fatal("short thumbprint accepted")
	}
	if _, err := normalizeThumbprint(strings.Repeat("zz", 20)); err == nil {
		t.Fatal("non-hex thumbprint accepted")
	}
}

func TestMarksRoundTripThroughAnnotation(t *testing.T) {
	_, note := marks("prod", "6f1c2a3e-9b1d-4c55-8a77-0c2d9e1f4b10", "master")
	if c, id, r := parseAnnotation(note); c != "prod" || id != "6f1c2a3e-9b1d-4c55-8a77-0c2d9e1f4b10" || r != "master" {
		t.Fatalf("parsed %q %q %q from %q", c, id, r, note)
	}
}

func TestNewUUIDIsVersion4(t *testing.T) {
	u, err := newUUID()
	if err != nil || len(u) != 36 || u[14] != '4' {
		t.Fatalf("uuid %q %v", u, err)
	}
}
