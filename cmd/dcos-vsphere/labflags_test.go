package main

import (
	"errors"
	"testing"
)

func TestLabDatastoreCapacityFlag(t *testing.T) {
	for in, want := range map[string]int64{"4TiB": 4 << 40, "16TiB": 16 << 40, "500GiB": 500 << 30} {
		f := &labFlags{dir: t.TempDir(), subnet: "198.18.0.0/24", datastoreCapacity: in}
		o, err := f.options(nil)
		if err != nil || o.DatastoreCapacity != want {
			t.Errorf("--datastore-capacity %s: %d, %v; want %d", in, o.DatastoreCapacity, err, want)
		}
	}
	for _, in := range []string{"4T", "4TB", "-1TiB", "0GiB", "1.5TiB", "TiB", ""} {
		f := &labFlags{dir: t.TempDir(), subnet: "198.18.0.0/24", datastoreCapacity: in}
		var ue usageError
		if _, err := f.options(nil); !errors.As(err, &ue) {
			t.Errorf("--datastore-capacity %q: %v; want a usage error", in, err)
		}
	}
}
