package genconf

import (
	"os"
	"path/filepath"
	"testing"
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
