package config

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// comments returns the comment texts of a YAML document in order, with
// runs of spaces collapsed (Marshal does not align line comments).
func comments(doc []byte) []string {
	var out []string
	space := regexp.MustCompile(`\s+`)
	for _, l := range strings.Split(string(doc), "\n") {
		t := strings.TrimSpace(l)
		i := strings.Index(t, "#")
		if i < 0 {
			continue
		}
		if i > 0 {
			// A line comment: after the value, outside quotes.
			j := strings.LastIndex(t, ` # `)
			if j < 0 || strings.Count(t[:j], `"`)%2 == 1 {
				continue
			}
			i = j + 1
		}
		out = append(out, space.ReplaceAllString(t[i:], " "))
	}
	return out
}

// TestMarshalKeepsExampleComments: the example `init` writes, read back
// and marshalled, keeps every comment in its place and means the same.
func TestMarshalKeepsExampleComments(t *testing.T) {
	c, err := Decode(Example(), "")
	if err != nil {
		t.Fatal(err)
	}
	out, err := Marshal(*c)
	if err != nil {
		t.Fatal(err)
	}
	want, got := comments(Example()), comments(out)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("comments differ.\nwant:\n%s\n\ngot:\n%s\n\ndocument:\n%s", strings.Join(want, "\n"), strings.Join(got, "\n"), out)
	}
	for _, v := range ExampleEnv {
		t.Setenv(v, "example-"+v)
	}
	path := filepath.Join(t.TempDir(), "cluster.yaml")
	a, _, err := Parse(Example(), path)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := Parse(out, path)
	if err != nil {
		t.Fatalf("Marshal's output does not load: %v\n%s", err, out)
	}
	if diff := diffClusters(a, b); diff != "" {
		t.Errorf("the marshalled example loads differently: %s", diff)
	}
	// Blank lines between sections, as in the example.
	if !strings.Contains(string(out), "\n\nvcenter:\n") || !strings.Contains(string(out), "dcos-lab\n\nvcenter:") {
		t.Errorf("no blank line before a section:\n%s", out)
	}
}

// A field present in the document replaces the example's commented-out
// hint for it, and takes over the hint's explanation.
func TestMarshalHintBecomesComment(t *testing.T) {
	c := Cluster{Name: "x", Template: Template{Name: "t", OVA: "/images/centos7.ova"},
		DCOS: DCOS{InstallerSHA256: strings.Repeat("a", 64)}}
	out, err := Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, w := range []string{"ova: /images/centos7.ova # imported as the template when it is missing", "# checked before running it"} {
		if !strings.Contains(s, w) {
			t.Errorf("document lacks %q:\n%s", w, s)
		}
	}
	if strings.Contains(s, "# ova: centos7.ova") || strings.Contains(s, "# installerSHA256:") {
		t.Errorf("the hint stays beside the real field:\n%s", s)
	}
	if !strings.Contains(s, "# clusterName: dcos-lab") {
		t.Errorf("the hints of absent fields are kept:\n%s", s)
	}
}

func TestMarshalNeverWritesSecretValues(t *testing.T) {
	const value = "S3cret-value-9"
	c := Cluster{Name: "x"}
	c.VCenter.Password = Secret{Ref: "${VC_PW}", value: value}
	c.Registry.Password = NewSecret(value)
	c.Registry.PasswordFile = "/etc/dcos/acr.pw"
	c.SSH.KeyPassphrase = NewSecret(value)
	c.SSH.KeyPassphraseFile = "/etc/dcos/key.pp"
	out, err := Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), value) {
		t.Fatalf("a secret value was written:\n%s", out)
	}
	for _, w := range []string{`password: "${VC_PW}"`, "passwordFile: /etc/dcos/acr.pw", "keyPassphraseFile: /etc/dcos/key.pp"} {
		if !strings.Contains(string(out), w) {
			t.Errorf("document lacks %q:\n%s", w, out)
		}
	}
	// A value with nowhere to go is an error that names the field, not the value.
	c.SSH.SudoPassword = NewSecret(value)
	_, err = Marshal(c)
	if err == nil || !strings.Contains(err.Error(), "ssh.sudoPassword holds a value") || !strings.Contains(err.Error(), "ssh.sudoPasswordFile") {
		t.Fatalf("Marshal = %v, want an error about ssh.sudoPassword", err)
	}
	if strings.Contains(err.Error(), value) {
		t.Fatalf("the error shows the secret: %v", err)
	}
}

func TestMarshalOmitsEmpty(t *testing.T) {
	out, err := Marshal(Cluster{Name: "x", Network: Network{Gateway: "198.18.0.1", Prefix: 24}})
	if err != nil {
		t.Fatal(err)
	}
	for _, absent := range []string{"insecure", "registry", "acs", "linkedClone", "count", "ssh:", "\"\""} {
		if strings.Contains(string(out), absent) {
			t.Errorf("empty %q written:\n%s", absent, out)
		}
	}
}

// TestMarshalRoundTripEveryField fills every field of the schema, found
// by reflection, with random values: Decode(Marshal(c)) == c. A field
// added to the schema is covered without touching this test.
func TestMarshalRoundTripEveryField(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	for i := range 200 {
		var c Cluster
		fillRandom(rng, reflect.ValueOf(&c).Elem(), 0)
		out, err := Marshal(c)
		if err != nil {
			t.Fatalf("round %d: Marshal: %v", i, err)
		}
		back, err := Decode(out, "")
		if err != nil {
			t.Fatalf("round %d: Decode(Marshal(c)): %v\n%s", i, err, out)
		}
		if diff := diffClusters(&c, back); diff != "" {
			t.Fatalf("round %d: %s\ndocument:\n%s", i, diff, out)
		}
	}
}

// trickyStrings are values a YAML writer must quote to keep them strings.
var trickyStrings = []string{"true", "no", "22", "1e3", "0x1F", "null", "~", "a: b", "#x", "- a", " lead", "trail ",
	"{x}", "[y]", "*alias", "&anchor", "!tag", "%pct", "@at", "`bt`", "'q'", `"dq"`, "multi\nline", "ünïcode", "AB:CD:EF", "${NOT_A_SECRET}", "12:30"}

func fillRandom(rng *rand.Rand, v reflect.Value, depth int) {
	t := v.Type()
	switch {
	case t == secretType:
		if rng.IntN(2) == 0 {
			v.Set(reflect.ValueOf(Secret{Ref: fmt.Sprintf("${SECRET_%d}", rng.IntN(100))}))
		}
		return
	case t == anyMapType:
		if rng.IntN(3) == 0 {
			return
		}
		m := map[string]any{}
		for range 1 + rng.IntN(4) {
			m[fmt.Sprintf("key_%d", rng.IntN(50))] = randomAny(rng, depth)
		}
		v.Set(reflect.ValueOf(m))
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if f := t.Field(i); f.IsExported() && f.Tag.Get("yaml") != "-" {
				fillRandom(rng, v.Field(i), depth+1)
			}
		}
	case reflect.Pointer:
		if rng.IntN(2) == 0 {
			p := reflect.New(t.Elem())
			fillRandom(rng, p.Elem(), depth+1)
			v.Set(p)
		}
	case reflect.Slice:
		n := rng.IntN(4)
		s := reflect.MakeSlice(t, n, n)
		for i := range n {
			fillRandom(rng, s.Index(i), depth+1)
		}
		if n > 0 {
			v.Set(s)
		}
	case reflect.String:
		switch rng.IntN(4) {
		case 0:
		case 1:
			v.SetString(trickyStrings[rng.IntN(len(trickyStrings))])
		default:
			v.SetString(fmt.Sprintf("v%d", rng.IntN(1000)))
		}
	case reflect.Int:
		v.SetInt(int64(rng.IntN(70000) - 10))
	case reflect.Bool:
		v.SetBool(rng.IntN(2) == 0)
	default:
		panic("fillRandom: no filler for " + t.String())
	}
}

func randomAny(rng *rand.Rand, depth int) any {
	switch k := rng.IntN(6); {
	case k == 0:
		return trickyStrings[rng.IntN(len(trickyStrings))]
	case k == 1:
		return int64(rng.IntN(1 << 20))
	case k == 2:
		return rng.IntN(2) == 0
	case k == 3 && depth < 6:
		return []any{randomAny(rng, depth+1), randomAny(rng, depth+1)}
	case k == 4 && depth < 6:
		return map[string]any{"inner": randomAny(rng, depth+1)}
	}
	return fmt.Sprintf("s%d", rng.IntN(100))
}

// diffClusters compares two clusters as documents: positions and the
// file path are not part of the comparison.
func diffClusters(a, b *Cluster) string {
	ca, cb := *a, *b
	ca.pos, ca.keyPos, ca.Path = nil, nil, ""
	cb.pos, cb.keyPos, cb.Path = nil, nil, ""
	if reflect.DeepEqual(ca, cb) {
		return ""
	}
	return fmt.Sprintf("\nwant %#v\n got %#v", ca, cb)
}

// problems is the set of "path: message" of an error from Parse or
// Validate, without positions.
func problems(err error) []string {
	var errs *Errors
	if err == nil {
		return nil
	}
	if !errors.As(err, &errs) {
		return []string{err.Error()}
	}
	var out []string
	for _, e := range errs.List {
		out = append(out, e.Path+": "+e.Message)
	}
	sort.Strings(out)
	return out
}

// TestValidateAgreesWithParse: one set of rules. For every fixture, good
// and bad, that decodes: the cluster marshalled and loaded again has
// exactly the problems of the original, and Validate on the in-memory
// cluster (with the secrets resolved as Load does) finds the same ones.
func TestValidateAgreesWithParse(t *testing.T) {
	setTestSecrets(t)
	files, _ := filepath.Glob("../testdata/config/*/*.yaml")
	checked := 0
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		decoded, err := Decode(data, p)
		if err != nil {
			continue // a decoding problem: nothing to marshal
		}
		checked++
		_, _, perr := Parse(data, p)
		want := problems(perr)

		out, err := Marshal(*decoded)
		if err != nil {
			if strings.Contains(err.Error(), "secret values are never written") {
				continue // a fixture with a literal secret (warned about by Load)
			}
			t.Errorf("%s: Marshal: %v", p, err)
			continue
		}
		_, _, merr := Parse(out, p)
		if got := problems(merr); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: marshalled and loaded again:\n%s\nwant:\n%s\ndocument:\n%s", p, strings.Join(got, "\n"), strings.Join(want, "\n"), out)
		}

		mem := *decoded
		mem.resolvePaths()
		r := newReport(p)
		var sites []secretSite // the secrets the document sets, as the decoder records them
		for _, f := range mem.secretFields() {
			if f.secret.Ref != "" || f.secret.IsSet() {
				sites = append(sites, secretSite{path: f.path, secret: f.secret})
			}
		}
		resolveSecrets(&mem, sites, r, os.LookupEnv)
		_, verr := mem.Validate()
		got := problems(verr)
		for _, e := range r.errs {
			got = append(got, e.Path+": "+e.Message)
		}
		sort.Strings(got)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: Validate on the in-memory cluster:\n%s\nwant (Parse):\n%s", p, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	if checked < 40 {
		t.Fatalf("only %d fixtures decoded; the glob or the fixtures moved", checked)
	}
}

func TestValidateLeavesClusterUnchanged(t *testing.T) {
	c := &Cluster{Name: "x", SSH: SSH{JumpHost: &JumpHost{Host: "b"}}}
	_, _ = c.Validate()
	if c.SSH.Port != 0 || c.SSH.JumpHost.Port != 0 || c.DCOS.ClusterName != "" {
		t.Errorf("Validate changed the cluster: %+v", c)
	}
}

func TestExampleDCOSConfigIsTheDefault(t *testing.T) {
	c, err := Decode(Example(), "")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.DCOS.Config, DefaultDCOSConfig()) {
		t.Errorf("example.yaml dcos.config = %v, DefaultDCOSConfig() = %v", c.DCOS.Config, DefaultDCOSConfig())
	}
}

func TestDecodeKeepsDraftsAsWritten(t *testing.T) {
	c, err := Decode([]byte("name: half\nvcenter:\n  password: \"${VC}\"\n"), "draft.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "half" || c.VCenter.Password.Ref != "${VC}" || c.SSH.Port != 0 {
		t.Errorf("Decode = %+v, want the document as written (no defaults)", c)
	}
	_, err = Decode([]byte("name: half\nvcentre: {}\n"), "draft.yaml")
	if err == nil || !strings.Contains(err.Error(), `draft.yaml:2:1: vcentre: unknown field "vcentre"; did you mean "vcenter"?`) {
		t.Errorf("Decode of an unknown key = %v", err)
	}
}

func TestParseEnvUsesTheGivenSecrets(t *testing.T) {
	t.Setenv("VCENTER_PASSWORD", "from-the-environment")
	c, _, err := ParseEnv(Example(), filepath.Join(t.TempDir(), "c.yaml"), func(name string) (string, bool) {
		return "given-" + name, true
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.VCenter.Password.Value() != "given-VCENTER_PASSWORD" || c.Registry.Password.Value() != "given-REGISTRY_PASSWORD" {
		t.Errorf("secrets not taken from the lookup")
	}
}
