package genconf

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// trickyStrings are strings a YAML writer easily gets wrong for a YAML
// 1.1 reader: every implicit type, YAML indicators, spaces at the ends,
// line breaks of every kind, control and non-ASCII characters, and text
// long enough to be folded.
func trickyStrings() []string {
	out := []string{
		"", " ", "  ", "a", "=", "<<", "~", "-", "?", ":", "!", "&", "*", "|", ">", "%", "@", "`", "#", ",", "[", "]", "{", "}", "'", `"`, `\`,
		"yes", "No", "ON", "off", "y", "N", "true", "FALSE", "null", "Null", "NULL",
		"0", "012", "08", "0o17", "0b101", "0b_", "0x1F", "0x_", "1_000", "+12", "-0", "190:20:30", "0:30", "1:60",
		"1.5", "1.", ".5", "._", "._1", "1e3", "1.0e+3", ".inf", "-.Inf", ".NaN", "190:20:30.15",
		"2001-12-14", "2001-12-14 21:59:43.10 -5", "2001-12-14t21:59:43.10-05:00", "2002-1-1 1:02:03",
		" 1420", "1420 ", "a ", " a", "a  b", "a #b", "a# b", "a: b", "a:b", "a:", "- a", "-a", "? a", "a\tb", "\ta",
		"a\n", "\n", "a\nb", "a\n\nb", "a\r\nb", "a\rb", "a\u0085b", "a\u2028b", "a\u2029b", "a\n ", " \na",
		"a\x00b", "a\x07b", "a\x1bb", "a\x7fb", "a\u0080b", "a\u009fb", "\ufeffa", "a\ufffeb",
		"h\u00e9llo", "\u65e5\u672c", "\U0001F600", "\u00a0", "caf\u00e9 \u2603",
		"http://198.18.0.10:80", "198.18.0.1:53", "--not-an-option", "@at", "`tick", "%percent", "!tag", "&anchor", "*alias",
		"'single'", `"double"`, `back\slash`, "it's", `say "hi"`, "[a, b]", "{a: b}", "a, b", "key: value # comment",
		strings.Repeat("word ", 30), strings.Repeat("x", 200), strings.Repeat("a  b ", 25), strings.Repeat("\u00e9 ", 50),
	}
	for _, w := range []string{"yes", "no", "on", "off", "true", "false", "null", "y", "n"} {
		out = append(out, strings.ToUpper(w), strings.ToUpper(w[:1])+w[1:])
	}
	return out
}

// writerCases builds entries holding every tricky string as a value, as
// a mapping key, and inside nested lists and mappings.
func writerCases() []entry {
	strs := trickyStrings()
	var entries []entry
	keyed := map[string]any{}
	list := []any{}
	for i, s := range strs {
		entries = append(entries, entry{fmt.Sprintf("value_%03d", i), s})
		keyed[s] = s
		list = append(list, s, []any{s, int64(i)}, map[string]any{"k": s})
	}
	entries = append(entries,
		entry{"keys", keyed},
		entry{"list", list},
		entry{"scalars", map[string]any{"t": true, "f": false, "zero": int64(0), "neg": int64(-5), "big": int64(1) << 62, "empty_list": []any{}, "empty_map": map[string]any{}}},
	)
	return entries
}

func entriesMap(entries []entry) map[string]any {
	m := map[string]any{}
	for _, e := range entries {
		m[e.key] = e.value
	}
	return m
}

// TestWriterRoundTripsThroughPyYAML writes every tricky string and reads
// the file back with PyYAML's safe_load, the loader DC/OS 1.9 uses: each
// value must come back exactly, and the file must be pure ASCII.
func TestWriterRoundTripsThroughPyYAML(t *testing.T) {
	py := requirePyYAML(t)
	entries := writerCases()
	out, err := encodeConfig(entries, false)
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range out {
		if b >= 0x80 {
			t.Fatalf("config.yaml has a non-ASCII byte at %d: %q", i, out[max(0, i-20):min(len(out), i+20)])
		}
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	// encoding='ascii' as the 1.9 generator's Python opens it in a C locale.
	program := `
import json, sys, yaml
with open(sys.argv[1] if len(sys.argv) > 1 else ` + fmt.Sprintf("%q", path) + `, encoding='ascii') as f:
    data = yaml.safe_load(f)
print(json.dumps(data, sort_keys=True))
`
	got, err := runPython(t, py, program, nil)
	if err != nil {
		t.Fatalf("PyYAML %s cannot load the written config.yaml: %v", py.version, err)
	}
	var loaded, want any
	if err := json.Unmarshal(got, &loaded); err != nil {
		t.Fatal(err)
	}
	wantJSON, err := json.Marshal(entriesMap(entries))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(wantJSON, &want); err != nil {
		t.Fatal(err)
	}
	lm, wm := loaded.(map[string]any), want.(map[string]any)
	for k, w := range wm {
		if !reflect.DeepEqual(lm[k], w) {
			t.Errorf("%s: PyYAML %s read back %#v, want %#v", k, py.version, lm[k], w)
		}
	}
	if len(lm) != len(wm) {
		t.Errorf("PyYAML read %d keys, want %d", len(lm), len(wm))
	}
}

// TestWriterRoundTripsThroughYAML11Reader is the same check with the Go
// YAML 1.1 reading (PyYAML 3.12's resolvers, which the installed PyYAML
// may not have): every plain scalar the writer leaves must be a string to
// 3.12 too.
func TestWriterRoundTripsThroughYAML11Reader(t *testing.T) {
	entries := writerCases()
	out, err := encodeConfig(entries, false)
	if err != nil {
		t.Fatal(err)
	}
	var errs errList
	values, ok := readYAML11(out, &errs)
	if !ok || len(errs) > 0 {
		t.Fatalf("readYAML11: %v", errs.sorted())
	}
	if want := entriesMap(entries); !reflect.DeepEqual(values, want) {
		for k, w := range want {
			if !reflect.DeepEqual(values[k], w) {
				t.Errorf("%s: read back %#v, want %#v", k, values[k], w)
			}
		}
	}
}

// The writer keeps yaml.v3's layout for values that were always safe, so
// that an existing cluster's config.yaml (and its config id) stays the
// same bytes; quoting is added only where a YAML 1.1 reader needs it.
func TestWriterQuotesOnlyWhereNeeded(t *testing.T) {
	for _, tt := range []struct {
		value any
		want  string
	}{
		{"lab.example", "k: lab.example\n"},
		{"DC/OS lab three", "k: DC/OS lab three\n"},
		{"http://198.18.0.10:80", "k: http://198.18.0.10:80\n"},
		{"**HIDDEN**", "k: '**HIDDEN**'\n"},
		{"=", `k: "="` + "\n"},
		{"<<", `k: "<<"` + "\n"},
		{"._1", `k: "._1"` + "\n"},
		{"2001-12-14 21:59:43.10 -5", `k: "2001-12-14 21:59:43.10 -5"` + "\n"},
		{"yes", `k: "yes"` + "\n"},
		{"y", `k: "y"` + "\n"},
		{"1420", `k: "1420"` + "\n"},
		{" 1420", "k: ' 1420'\n"},
		{"h\u00e9llo", `k: "h\u00E9llo"` + "\n"},
		{"a\tb", `k: "a\tb"` + "\n"},
		{true, "k: true\n"},
		{int64(1400), "k: 1400\n"},
		{[]any{}, "k: []\n"},
		{map[string]any{"on": "off"}, "k:\n  \"on\": \"off\"\n"},
	} {
		out, err := encodeConfig([]entry{{"k", tt.value}}, false)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimPrefix(string(out), header); got != tt.want {
			t.Errorf("%#v: wrote %q, want %q", tt.value, got, tt.want)
		}
	}
}
