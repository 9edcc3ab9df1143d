package genconf

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// TestAgainstDCOS1910 replays the tables of dcos1910_test.go against the
// real DC/OS 1.9.10 generator: every value the tool accepts must be one
// 1.9.10 accepts and renders (valid JSON included), and every value the
// tool refuses must do in 1.9.10 what the table says (refused, crash,
// invalid JSON, or accepted: a deliberate strictness). The generator is
// not shipped: set DCOS_VSPHERE_DCOS1910 to a checkout of
// github.com/dcos/dcos at tag 1.9.10 (gen/, pkgpanda/, dcos_installer/,
// ssh/). It runs with the installed PyYAML, whose resolvers match 3.12's
// for every value here (TestResolver312Differs).
func TestAgainstDCOS1910(t *testing.T) {
	src := os.Getenv("DCOS_VSPHERE_DCOS1910")
	if src == "" {
		t.Skip("set DCOS_VSPHERE_DCOS1910 to a checkout of dcos/dcos at tag 1.9.10 to compare with the real generator")
	}
	py := requirePyYAML(t)
	type job struct {
		name string
		want string // "ok" or an outcome
		dir  string
	}
	var jobs []job
	root := t.TempDir()
	add := func(name, want string, cfg []byte, f *Files) {
		dir := filepath.Join(root, fmt.Sprintf("c%04d", len(jobs)))
		writeGenconf(t, dir, cfg, f)
		jobs = append(jobs, job{name, want, dir})
	}
	// base renders the case's context and returns its entries.
	base := func(c *config.Cluster) ([]entry, *Files) {
		f, err := Render(c)
		if err != nil {
			t.Fatalf("context refused: %v", err)
		}
		var errs errList
		values, _ := readYAML11(f.ConfigYAML, &errs)
		var entries []entry
		for k, v := range values {
			entries = append(entries, entry{k, v})
		}
		sort.Slice(entries, func(i, j int) bool { return entries[i].key < entries[j].key })
		return entries, f
	}
	with := func(entries []entry, key string, v any) []byte {
		out := []entry{}
		for _, e := range entries {
			if e.key != key {
				out = append(out, e)
			}
		}
		out = append(out, entry{key, v})
		b, err := encodeConfig(out, false)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for name, pc := range passCases {
		entries, f := base(withConfig(pc.ctx))
		for _, v := range pc.good {
			// What the tool writes itself (num_masters included).
			good, errs, err := renderOne(pc.ctx, name, v)
			if err != nil || errs != nil {
				t.Fatalf("%s=%#v refused: %v %v", name, v, errs, err)
			}
			add(fmt.Sprintf("%s=%#v", name, v), "ok", good.ConfigYAML, good)
		}
		for _, b := range pc.bad {
			add(fmt.Sprintf("%s=%#v", name, b.v), b.by19.String(), with(entries, name, b.v), f)
		}
	}
	for name, tc := range toolCases {
		for _, v := range tc.good {
			c := baseCluster()
			tc.set(c, v)
			f, err := Render(c)
			if err != nil {
				t.Fatal(err)
			}
			add(fmt.Sprintf("tool %s=%q", name, v), "ok", f.ConfigYAML, f)
		}
		entries, f := base(baseCluster())
		for _, b := range tc.bad {
			v := b.v.(string)
			var raw any = v
			switch name {
			case "master_list":
				var ips []any
				for i := range v {
					ips = append(ips, fmt.Sprintf("198.18.0.%d", 11+i))
				}
				raw = ips
			case "ip_detect_filename", "ip_detect_public_filename":
				raw = "genconf/" + v
			}
			add(fmt.Sprintf("tool %s=%#v", name, raw), b.by19.String(), with(entries, name, raw), f)
		}
	}
	for name, cc := range combinationCases {
		for _, pair := range []struct {
			cfg  map[string]any
			want string
		}{{cc.cfg, cc.by19.String()}, {cc.acceptedWhen, "ok"}} {
			cfg, want := pair.cfg, pair.want
			if want == "ok" {
				f, err := Render(withConfig(cfg))
				if err != nil {
					t.Fatal(err)
				}
				add("combination "+name+" (accepted)", want, f.ConfigYAML, f)
				continue
			}
			entries, f := base(baseCluster())
			var out []entry
			for _, e := range entries {
				if _, over := cfg[e.key]; !over {
					out = append(out, e)
				}
			}
			for k, v := range cfg {
				n, _ := normalize(v, k, &errList{})
				out = append(out, entry{k, n})
			}
			b, err := encodeConfig(out, false)
			if err != nil {
				t.Fatal(err)
			}
			add("combination "+name, want, b, f)
		}
	}

	for name, c := range goldenClusters() {
		f, err := Render(c)
		if err != nil {
			t.Fatal(err)
		}
		add("golden "+name, "ok", f.ConfigYAML, f)
	}
	// Seeded random combinations of good and bad values of several
	// parameters: whatever the tool accepts, 1.9.10 must accept and render.
	names := make([]string, 0, len(passCases))
	for n := range passCases {
		names = append(names, n)
	}
	sort.Strings(names)
	rng := rand.New(rand.NewSource(1910))
	combos, refusedCombos := 0, 0
	for combos < 200 {
		cfg := map[string]any{}
		for k := 0; k < 2+rng.Intn(6); k++ {
			name := names[rng.Intn(len(names))]
			pc := passCases[name]
			cfg = merge(cfg, pc.ctx)
			if rng.Intn(4) == 0 {
				cfg[name] = pc.bad[rng.Intn(len(pc.bad))].v
			} else {
				cfg[name] = pc.good[rng.Intn(len(pc.good))]
			}
		}
		f, err := Render(withConfig(cfg))
		if err != nil {
			refusedCombos++
			continue
		}
		combos++
		add(fmt.Sprintf("combination %v", cfg), "ok", f.ConfigYAML, f)
	}
	t.Logf("random combinations: %d accepted by the tool (checked), %d refused (not checked)", combos, refusedCombos)

	dirs := make([]string, len(jobs))
	for i, j := range jobs {
		dirs[i] = j.dir
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, py.python, append([]string{"-I", dcos1910Dir + "oracle.py", src}, dirs...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("oracle: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(jobs) {
		t.Fatalf("oracle answered %d of %d configs\n%s", len(lines), len(jobs), stderr.String())
	}
	counts := map[string]int{}
	for i, line := range lines {
		var r struct {
			Validate any      `json:"validate"`
			Generate string   `json:"generate"`
			JSON     []string `json:"json"`
			Harness  string   `json:"harness"`
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("oracle line %q: %v", line, err)
		}
		got := "ok"
		switch v := r.Validate.(type) {
		case string:
			got = "crashes"
		case map[string]any:
			if len(v) > 0 {
				got = "refused"
			}
		}
		switch {
		case r.Harness != "":
			t.Fatalf("%s: harness failed: %s", jobs[i].name, r.Harness)
		case got != "ok":
		case strings.HasPrefix(r.Generate, "crash"):
			got = "crashes"
		case len(r.JSON) > 0:
			got = "invalid JSON"
		}
		want := jobs[i].want
		if want == "accepted" {
			want = "ok" // 1.9.10 takes it; the tool is deliberately stricter
		}
		counts[jobs[i].want]++
		if got != want {
			t.Errorf("%s: DC/OS 1.9.10 gives %s (%s), the table says %s", jobs[i].name, got, line, jobs[i].want)
		}
	}
	t.Logf("%d configs checked against DC/OS 1.9.10: %v", len(jobs), counts)
}

// writeGenconf writes dir/genconf/config.yaml and the ip-detect scripts.
func writeGenconf(t *testing.T, dir string, cfg []byte, f *Files) {
	t.Helper()
	gen := filepath.Join(dir, "genconf")
	if err := os.MkdirAll(gen, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"config.yaml": cfg, "ip-detect": f.IPDetect}
	if f.IPDetectPublic != nil {
		files["ip-detect-public"] = f.IPDetectPublic
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(gen, name), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}
