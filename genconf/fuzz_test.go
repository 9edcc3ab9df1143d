package genconf

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"unicode/utf8"
)

// FuzzCheck: Check must never panic, whatever the bytes; seeds are the
// golden config.yaml files and the hand-written examples.
func FuzzCheck(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join(goldenDir, "*.config.yaml"))
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(goodConfig))
	f.Add([]byte("master_list: [1, 2.5, ~, {a: b}]\nresolvers: [[x]]\ndns_forward_zones: [[a, [[b]]]]\n"))
	f.Add([]byte("dcos_overlay_network: {overlays: [1, {name: 2}]}\ncosmos_config: []\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = Check(data)
	})
}

// FuzzWriterRoundTrip: any string, as a value, a mapping key or a list
// item, reads back unchanged with the YAML 1.1 reading (PyYAML 3.12's
// resolvers) from what the writer writes, and the output is ASCII.
func FuzzWriterRoundTrip(f *testing.F) {
	for _, s := range trickyStrings() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		entries := []entry{{"v", s}, {"m", map[string]any{s: s}}, {"l", []any{s, []any{s}}}}
		out, err := encodeConfig(entries, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range out {
			if b >= 0x80 {
				t.Fatalf("non-ASCII output for %q", s)
			}
		}
		var errs errList
		values, ok := readYAML11(out, &errs)
		if !ok || len(errs) > 0 || !reflect.DeepEqual(values, entriesMap(entries)) {
			t.Fatalf("%q: read back %#v (%v) from\n%s", s, values, errs.sorted(), out)
		}
	})
}
