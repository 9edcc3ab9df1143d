package templates

import (
	"errors"
	"testing"

	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

func TestGuestViewSettles(t *testing.T) {
	ci := func(s types.GuestInfoCustomizationStatus) types.PropertyChange {
		return types.PropertyChange{Name: propCustomization, Val: types.GuestInfoCustomizationInfo{CustomizationStatus: string(s)}}
	}
	ip := func(s string) types.PropertyChange { return types.PropertyChange{Name: propGuestIP, Val: s} }
	for _, c := range []struct {
		name    string
		want    string
		changes []types.PropertyChange
		settled bool
	}{
		{"no address yet", "198.18.0.11", nil, false},
		{"IPv6 only", "", []types.PropertyChange{ip("fe80::1")}, false},
		{"any IPv4 when none planned", "", []types.PropertyChange{ip("10.0.0.5")}, true},
		{"the planned address", "198.18.0.11", []types.PropertyChange{ip("198.18.0.11")}, true},
		{"an earlier address while customizing", "198.18.0.11", []types.PropertyChange{ip("10.0.0.5"), ci(types.GuestInfoCustomizationStatusTOOLSDEPLOYPKG_RUNNING)}, false},
		{"an earlier address, status unknown (vCenter < 7.0.1)", "198.18.0.11", []types.PropertyChange{ip("10.0.0.5")}, false},
		{"customized, yet another address", "198.18.0.11", []types.PropertyChange{ip("10.0.0.5"), ci(types.GuestInfoCustomizationStatusTOOLSDEPLOYPKG_SUCCEEDED)}, true},
		{"customization failed, no address", "198.18.0.11", []types.PropertyChange{ci(types.GuestInfoCustomizationStatusTOOLSDEPLOYPKG_FAILED)}, true},
	} {
		var v guestView
		v.apply(c.changes)
		if got := v.settled(c.want); got != c.settled {
			t.Errorf("%s: settled = %v, want %v (view %+v)", c.name, got, c.settled, v)
		}
	}
}

// A vCenter older than 7.0.1 refuses guest.customizationInfo with an
// InvalidProperty fault: the wait must recognise it to fall back.
func TestInvalidPropertyFaultIsRecognised(t *testing.T) {
	f := &soap.Fault{Code: "ServerFaultCode", String: "InvalidProperty"}
	f.Detail.Fault = &types.InvalidProperty{Name: propCustomization}
	if !isInvalidProperty(soap.WrapSoapFault(f)) {
		t.Error("InvalidProperty fault not recognised")
	}
	other := &soap.Fault{Code: "ServerFaultCode", String: "NotAuthenticated"}
	other.Detail.Fault = &types.NotAuthenticated{}
	if isInvalidProperty(soap.WrapSoapFault(other)) || isInvalidProperty(errors.New("InvalidProperty")) {
		t.Error("other errors taken for InvalidProperty")
	}
}
