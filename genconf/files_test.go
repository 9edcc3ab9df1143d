package genconf

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

func TestWriteDirModesAndContents(t *testing.T) {
	tests := []struct {
		name       string
		cluster    string
		configMode os.FileMode
		public     bool
	}{
		{"no secrets", "three-masters", 0o644, false},
		{"secret pass-through key", "five-masters-registry", 0o600, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Render(goldenClusters()[tt.cluster])
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			// An existing, world-readable config.yaml must not keep its mode.
			if err := os.MkdirAll(filepath.Join(dir, "genconf"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, ConfigPath), []byte("old"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := f.WriteDir(dir); err != nil {
				t.Fatal(err)
			}
			want := map[string]struct {
				data []byte
				mode os.FileMode
			}{
				ConfigPath:   {f.ConfigYAML, tt.configMode},
				IPDetectPath: {f.IPDetect, 0o755},
			}
			if tt.public {
				want[IPDetectPublicPath] = struct {
					data []byte
					mode os.FileMode
				}{f.IPDetectPublic, 0o755}
			}
			for name, w := range want {
				st, err := os.Stat(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				if st.Mode().Perm() != w.mode {
					t.Errorf("%s: mode %o, want %o", name, st.Mode().Perm(), w.mode)
				}
				got, _ := os.ReadFile(filepath.Join(dir, name))
				if !bytes.Equal(got, w.data) {
					t.Errorf("%s: content differs from Render's", name)
				}
			}
			entries, err := os.ReadDir(filepath.Join(dir, "genconf"))
			if err != nil {
				t.Fatal(err)
			}
			var names, wantNames []string
			for _, e := range entries {
				names = append(names, "genconf/"+e.Name())
			}
			wantNames = append(wantNames, f.Names()...)
			sort.Strings(names)
			sort.Strings(wantNames)
			if len(names) != len(wantNames) {
				t.Errorf("genconf/ holds %v, want exactly %v (no temporary files left)", names, wantNames)
			}
			for i := range names {
				if i < len(wantNames) && names[i] != wantNames[i] {
					t.Errorf("genconf/ holds %v, want %v", names, wantNames)
					break
				}
			}
		})
	}
}

func TestWriteDirReportsFailure(t *testing.T) {
	f, err := Render(baseCluster())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// genconf exists as a file, so nothing can be written below it.
	if err := os.WriteFile(filepath.Join(dir, "genconf"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := f.WriteDir(dir); err == nil {
		t.Fatal("WriteDir succeeded although genconf is a file")
	}
}
