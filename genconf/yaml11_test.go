package genconf

import (
	"encoding/json"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"testing"
)

// resolverCorpus is every string up to three characters over an alphabet
// of the characters PyYAML's implicit resolvers look at, four characters
// over the numeric ones, hand-picked cases of every tag, and seeded random
// longer strings.
func resolverCorpus() []string {
	alphabet := []rune("019_.:-+eExbonNyYtfF~=<aiTZ \t")
	numeric := []rune("018_.:-+x")
	var out []string
	var grow func(prefix string, alpha []rune, n int)
	grow = func(prefix string, alpha []rune, n int) {
		out = append(out, prefix)
		if n == 0 {
			return
		}
		for _, r := range alpha {
			grow(prefix+string(r), alpha, n-1)
		}
	}
	grow("", alphabet, 3)
	grow("", numeric, 4)
	out = append(out,
		"yes", "Yes", "YES", "no", "NO", "on", "On", "OFF", "true", "False", "y", "n", "yEs", "nO",
		"null", "Null", "NULL", "~", "nULL", "None",
		"0", "-0", "+0", "012", "08", "0o17", "0b101", "-0b1_0", "0b_", "0b", "0x1F", "0x_", "0xG", "1_000", "_1", "1__0",
		"190:20:30", "-1:30", "0:30", "1:60", "1:5:9", "1e3", "1.0e3", "1.0e+3", "1.", ".5", "._", "._1", "._e+1", "1._",
		".inf", "-.Inf", "+.INF", ".NaN", ".nan", "-.nan", "190:20:30.15", "6.8523015e+5",
		"2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5", "2001-12-15T02:59:43.1Z",
		"2002-1-1 1:02:03", "2001-12-14 21:59:43.10Z", "2001-12-14\t21:59:43", "2001-1-1", "20011-12-14",
		"=", "==", "<<", "<", "<<<", "yes\n", "12\n", "=\n", "1420", " 1420", "1420 ", "0001420",
	)
	rng := rand.New(rand.NewSource(15))
	for i := 0; i < 20000; i++ {
		n := 4 + rng.Intn(9)
		var b strings.Builder
		for j := 0; j < n; j++ {
			b.WriteRune(alphabet[rng.Intn(len(alphabet))])
		}
		out = append(out, b.String())
	}
	return out
}

// TestResolverMatchesPyYAML: the Go resolvers give every string of the
// corpus the tag the installed PyYAML gives it as a plain scalar (6.0's
// set, or 3.12's when that is what is installed).
func TestResolverMatchesPyYAML(t *testing.T) {
	compareResolvers(t, requirePyYAML(t), "")
}

// TestResolverMatchesPyYAML312 compares with PyYAML 3.12 itself, the
// version DC/OS 1.9.10 runs, when DCOS_VSPHERE_PYYAML312 names its lib3
// directory (a checkout of yaml/pyyaml at tag 3.12); it is not shipped.
func TestResolverMatchesPyYAML312(t *testing.T) {
	lib := os.Getenv("DCOS_VSPHERE_PYYAML312")
	if lib == "" {
		t.Skip("set DCOS_VSPHERE_PYYAML312 to PyYAML 3.12's lib3 directory to compare with it")
	}
	compareResolvers(t, requirePyYAML(t), lib)
}

func compareResolvers(t *testing.T, py pyYAML, lib string) {
	corpus := resolverCorpus()
	in, err := json.Marshal(corpus)
	if err != nil {
		t.Fatal(err)
	}
	program := `
import json, sys
if ` + strconv.Quote(lib) + `:
    sys.path.insert(0, ` + strconv.Quote(lib) + `)
import yaml
print(yaml.__version__)
r = yaml.resolver.Resolver()
for s in json.load(sys.stdin):
    print(r.resolve(yaml.ScalarNode, s, (True, False)).rsplit(':', 1)[1])
`
	out, err := runPython(t, py, program, in)
	if err != nil {
		t.Fatalf("python: %v", err)
	}
	tags := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	py.version, tags = tags[0], tags[1:]
	if len(tags) != len(corpus) {
		t.Fatalf("python resolved %d strings, want %d", len(tags), len(corpus))
	}
	version := pyyaml60
	if strings.HasPrefix(py.version, "3.") {
		version = pyyaml312
	}
	t.Logf("PyYAML %s at %s, %d strings", py.version, py.python, len(corpus))
	seen := map[string]int{}
	mismatches := 0
	for i, s := range corpus {
		got, want := resolvePlain(version, s), yaml11Tag(tags[i])
		seen[string(want)]++
		if got != want && mismatches < 20 {
			t.Errorf("%q: Go resolves %s, PyYAML %s", s, got, want)
		}
		if got != want {
			mismatches++
		}
	}
	// The corpus must exercise every tag, or the comparison proves little.
	for _, tag := range []yaml11Tag{tagStr, tagBool, tagInt, tagFloat, tagNull, tagTimestamp, tagMerge, tagValue} {
		if seen[string(tag)] == 0 {
			t.Errorf("no corpus string resolves to %s", tag)
		}
	}
	if mismatches > 0 {
		t.Errorf("%d mismatches in %d strings", mismatches, len(corpus))
	}
}

// The resolver sets of PyYAML 3.12 (DC/OS 1.9.10) and 6.0 differ in one
// float pattern: 3.12 reads "._" and "._1" as floats.
func TestResolver312Differs(t *testing.T) {
	for _, s := range resolverCorpus() {
		a, b := resolvePlain(pyyaml312, s), resolvePlain(pyyaml60, s)
		if a != b && !strings.HasPrefix(s, "._") {
			t.Errorf("%q: 3.12 %s, 6.0 %s: an unexpected difference", s, a, b)
		}
	}
	for _, s := range []string{"._", "._1", "._e+1"} {
		if resolvePlain(pyyaml312, s) != tagFloat || resolvePlain(pyyaml60, s) != tagStr {
			t.Errorf("%q: want float in 3.12, str in 6.0", s)
		}
		if !plainIsNotString(s) {
			t.Errorf("%q would be written plain", s)
		}
	}
}

func TestYAML11Int(t *testing.T) {
	for s, want := range map[string]int64{
		"0": 0, "-0": 0, "12": 12, "+12": 12, "-12": -12, "1_000": 1000, "012": 10, "0_7": 7,
		"0b101": 5, "-0b1_0": -2, "0x1F": 31, "0x_1f": 31, "190:20:30": 685230, "-1:30": -90,
	} {
		if got, ok := yaml11Int(s); !ok || got != want {
			t.Errorf("yaml11Int(%q) = %d, %v; want %d", s, got, ok, want)
		}
	}
	for _, s := range []string{"0b_", "0x_", "99999999999999999999"} {
		if _, ok := yaml11Int(s); ok {
			t.Errorf("yaml11Int(%q) succeeded; PyYAML fails (or it overflows)", s)
		}
	}
}
