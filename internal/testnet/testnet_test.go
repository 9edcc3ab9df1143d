package testnet

import (
	"strings"
	"testing"
)

func TestForIsUniquePerSlotAndIndex(t *testing.T) {
	seen := map[string]string{}
	for slot := 0; slot < Slots; slot++ {
		t.Setenv(SlotEnv, string(rune('0'+slot)))
		for i := 1; i < Indexes; i++ {
			n := For("lab", i)
			for _, k := range []string{n.Bridge, n.Subnet.String(), n.Inner.String()} {
				if prev, dup := seen[k]; dup {
					t.Fatalf("slot %d index %d: %s already used by %s", slot, i, k, prev)
				}
				seen[k] = n.Bridge
			}
			if len(n.Bridge) > 15 {
				t.Errorf("bridge %q is longer than 15 characters", n.Bridge)
			}
			if !strings.HasPrefix(n.NetnsPrefix, n.Bridge) {
				t.Errorf("prefix %q does not start with the bridge name", n.NetnsPrefix)
			}
		}
	}
}

func TestSlotZeroAvoidsTheDefaultLab(t *testing.T) {
	t.Setenv(SlotEnv, "")
	for i := 1; i < Indexes; i++ {
		if s := For("e2e", i).Subnet.String(); s == "198.18.0.0/24" {
			t.Fatalf("index %d uses the default lab subnet", i)
		}
	}
}

func TestBadSlotPanics(t *testing.T) {
	t.Setenv(SlotEnv, "9")
	defer func() {
		if recover() == nil {
			t.Fatal("slot 9 did not panic")
		}
	}()
	Slot()
}

func TestAddr(t *testing.T) {
	t.Setenv(SlotEnv, "2")
	n := For("x", 3)
	if got := Addr(n.Subnet, 10).String(); got != "198.18.67.10" {
		t.Fatalf("Addr = %s", got)
	}
}
