package dcoscli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const (
	vsphereID = "6f1c2a3e-9b1d-4c55-8a77-0c2d9e1f4b10"
	acsID     = "0b8e4d7c-2f36-4e1a-9d0c-5a4b3c2d1e0f"
	otherID   = "97193161-ea0c-4fd5-a84e-6b4cc0b1f07e"
)

var both = []Cluster{
	{ID: vsphereID, Name: "vsphere-prod", URL: "http://198.51.100.20"},
	{ID: acsID, Name: "acs-integration", URL: "http://localhost:10080"},
}

func register(t *testing.T, dir string, o Options, cs ...Cluster) Result {
	t.Helper()
	o.Dir = dir
	res, err := Register(context.Background(), o, cs...)
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	return res
}

func readDoc(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := decode(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return doc
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}

func attachedIn(t *testing.T, dir string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, ClustersDir, "*", AttachedFile))
	var ids []string
	for _, p := range m {
		ids = append(ids, filepath.Base(filepath.Dir(p)))
	}
	return ids
}

// An empty directory gets the CLI 0.5 layout: two entries, 0600, the
// documented keys, exactly one attached (the first), and 0.4.x files.
func TestRegisterFreshLayout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".dcos")
	res := register(t, dir, Options{}, both...)
	for _, c := range both {
		p := filepath.Join(dir, "clusters", c.ID, "dcos.toml")
		if got := mode(t, p); got != 0o600 {
			t.Errorf("%s mode %o, want 600", p, got)
		}
		if got := mode(t, filepath.Dir(p)); got != 0o700 {
			t.Errorf("%s mode %o, want 700", filepath.Dir(p), got)
		}
		want := map[string]any{
			"core":    map[string]any{"dcos_url": c.URL, "ssl_verify": "false"},
			"cluster": map[string]any{"name": c.Name},
		}
		if doc := readDoc(t, p); !reflect.DeepEqual(doc, want) {
			t.Errorf("%s = %v, want %v", p, doc, want)
		}
		legacy := filepath.Join(dir, "cli-0.4", c.Name+".toml")
		if doc := readDoc(t, legacy); !reflect.DeepEqual(doc, map[string]any{"core": map[string]any{"dcos_url": c.URL, "ssl_verify": "false"}}) {
			t.Errorf("0.4.x file %s = %v", legacy, doc)
		}
		if got := mode(t, legacy); got != 0o600 {
			t.Errorf("%s mode %o, want 600", legacy, got)
		}
	}
	if got := attachedIn(t, dir); !reflect.DeepEqual(got, []string{vsphereID}) {
		t.Errorf("attached in %v, want only %s", got, vsphereID)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "clusters", vsphereID, "attached")); len(b) != 0 {
		t.Errorf("attached marker is not empty: %q", b)
	}
	if res.Attached != vsphereID || !res.Clusters[0].Attached || res.Clusters[1].Attached {
		t.Errorf("result attached = %s, entries %+v", res.Attached, res.Clusters)
	}
	if res.Clusters[0].Action != Created || res.Clusters[1].Action != Created || res.Migrated != nil {
		t.Errorf("actions %s/%s, migrated %v", res.Clusters[0].Action, res.Clusters[1].Action, res.Migrated)
	}
	wantCmd := "DCOS_CONFIG=" + filepath.Join(dir, "cli-0.4", "acs-integration.toml") + " dcos node"
	if !containsStr(res.Clusters[1].Commands, wantCmd) || !containsStr(res.Clusters[1].Commands, "DCOS_CLUSTER=acs-integration dcos node") {
		t.Errorf("commands = %v", res.Clusters[1].Commands)
	}
}

// A second run changes nothing, byte for byte.
func TestRegisterTwiceChangesNothing(t *testing.T) {
	dir := t.TempDir()
	register(t, dir, Options{}, both...)
	before := snapshot(t, dir)
	res := register(t, dir, Options{}, both...)
	if after := snapshot(t, dir); !reflect.DeepEqual(before, after) {
		t.Errorf("second run changed files:\nbefore %v\nafter  %v", before, after)
	}
	for _, e := range res.Clusters {
		if e.Action != Unchanged || e.Legacy04Action != Unchanged {
			t.Errorf("%s: actions %s / %s, want unchanged", e.Name, e.Action, e.Legacy04Action)
		}
	}
}

// An existing entry with a token, comments and keys of its own keeps all
// of them byte for byte when its URL is the same, and only the dcos_url
// line changes when it is not. The attached cluster stays attached.
func TestRegisterKeepsExistingEntry(t *testing.T) {
	dir := t.TempDir()
	existing := "# my ACS cluster, set up by hand\n[core]\ndcos_url = \"http://localhost:8000\"  # old tunnel port\ndcos_acs_token = \"eyJ0eXAi.secret.token\"\nssl_verify = \"false\"\ntimeout = 20\nreporting = false\n\n[cluster]\nname = \"my-acs\"\n\n[package]\ncosmos_url = \"http://localhost:8000/package\"\n"
	acsFile := filepath.Join(dir, "clusters", acsID, "dcos.toml")
	writeFile(t, acsFile, existing, 0o600)
	otherFile := filepath.Join(dir, "clusters", otherID, "dcos.toml")
	writeFile(t, otherFile, "[core]\ndcos_url = \"https://other.example\"\ndcos_acs_token = \"other-token\"\n[cluster]\nname = \"other\"\n", 0o600)
	writeFile(t, filepath.Join(dir, "clusters", otherID, "attached"), "", 0o600)

	// Same URL: not a byte changes.
	res := register(t, dir, Options{}, Cluster{ID: acsID, Name: "acs-integration", URL: "http://localhost:8000"})
	if b, _ := os.ReadFile(acsFile); string(b) != existing {
		t.Fatalf("existing entry changed although its URL is the same:\n%s", b)
	}
	if res.Clusters[0].Action != Unchanged || res.Clusters[0].Name != "my-acs" {
		t.Errorf("entry = %+v, want unchanged, named as the file says", res.Clusters[0])
	}

	// New URL: one line changes, everything else stays.
	res = register(t, dir, Options{}, both...)
	got, _ := os.ReadFile(acsFile)
	want := strings.Replace(existing, `dcos_url = "http://localhost:8000"  # old tunnel port`, `dcos_url = "http://localhost:10080"  # old tunnel port`, 1)
	if string(got) != want {
		t.Errorf("entry after URL change:\n%s\nwant:\n%s", got, want)
	}
	if e := res.Clusters[1]; e.Action != Updated || e.OldURL != "http://localhost:8000" {
		t.Errorf("ACS entry result = %+v", e)
	}
	if b, _ := os.ReadFile(otherFile); !strings.Contains(string(b), `dcos_acs_token = "other-token"`) {
		t.Errorf("another cluster's entry changed: %s", b)
	}
	if got := attachedIn(t, dir); !reflect.DeepEqual(got, []string{otherID}) {
		t.Errorf("attached in %v, want it left on %s", got, otherID)
	}
	if mode(t, acsFile) != 0o600 {
		t.Errorf("mode of the updated entry = %o", mode(t, acsFile))
	}
}

// A lone existing cluster without a marker is the one the CLI treats as
// attached; after more are added it must still be the current one.
func TestRegisterKeepsLoneClusterCurrent(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "clusters", otherID, "dcos.toml"), "[core]\ndcos_url = \"https://other.example\"\n", 0o600)
	res := register(t, dir, Options{}, both...)
	if got := attachedIn(t, dir); !reflect.DeepEqual(got, []string{otherID}) || res.Attached != otherID {
		t.Errorf("attached in %v (result %s), want %s", got, res.Attached, otherID)
	}
}

// A legacy single dcos.toml is migrated like CLI 0.5 does it: its
// CLUSTER_ID from <dcos_url>/metadata (with its token), copied byte for
// byte into clusters/<id>/, attached; the legacy file stays.
func TestRegisterMigratesLegacyConfig(t *testing.T) {
	var gotAuth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metadata" {
			http.NotFound(w, r)
			return
		}
		gotAuth = r.Header.Get("Authorization")
		fmt.Fprintf(w, `{"PUBLIC_IPV4": "127.0.0.1", "CLUSTER_ID": %q}`, otherID)
	}))
	defer srv.Close()
	dir := t.TempDir()
	legacy := fmt.Sprintf("[core]\ndcos_url = %q\ndcos_acs_token = \"legacy-token\"\nreporting = false\n", srv.URL)
	writeFile(t, filepath.Join(dir, "dcos.toml"), legacy, 0o600)

	res := register(t, dir, Options{}, both...)
	if res.Migrated == nil || res.Migrated.ClusterID != otherID {
		t.Fatalf("migrated = %+v", res.Migrated)
	}
	if gotAuth != "token=legacy-token" {
		t.Errorf("/metadata asked with Authorization %q, want the legacy token", gotAuth)
	}
	moved, _ := os.ReadFile(filepath.Join(dir, "clusters", otherID, "dcos.toml"))
	if string(moved) != legacy {
		t.Errorf("migrated entry = %q, want the legacy file byte for byte", moved)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "dcos.toml")); err != nil || string(b) != legacy {
		t.Errorf("the legacy file was not kept: %v", err)
	}
	if got := attachedIn(t, dir); !reflect.DeepEqual(got, []string{otherID}) {
		t.Errorf("attached in %v, want the migrated cluster %s", got, otherID)
	}
	if len(res.Clusters) != 2 || res.Clusters[0].Action != Created {
		t.Errorf("clusters = %+v", res.Clusters)
	}
}

// When the legacy cluster's id cannot be found, nothing is created and the
// error says why and what to do; with the id given, it migrates.
func TestRegisterStopsWhenLegacyCannotBeMigrated(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"title":"Unauthorized"}`, http.StatusUnauthorized)
	}))
	defer srv.Close()
	dir := t.TempDir()
	legacy := fmt.Sprintf("[core]\ndcos_url = %q\n", srv.URL)
	writeFile(t, filepath.Join(dir, "dcos.toml"), legacy, 0o600)

	_, err := Register(context.Background(), Options{Dir: dir}, both...)
	var le *LegacyError
	if !errors.As(err, &le) || le.ExitCode() != 2 {
		t.Fatalf("err = %v, want a *LegacyError", err)
	}
	for _, want := range []string{"HTTP 401", "--legacy-cluster-id", "Nothing was changed", srv.URL} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "clusters")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("clusters/ was created although the migration failed")
	}
	if _, err := os.Stat(filepath.Join(dir, "cli-0.4")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cli-0.4/ was created although the migration failed")
	}

	res := register(t, dir, Options{LegacyClusterID: otherID}, both...)
	if res.Migrated == nil || res.Migrated.ClusterID != otherID {
		t.Errorf("with --legacy-cluster-id: migrated = %+v", res.Migrated)
	}
}

// Already in the per-cluster layout, the global file is left alone (the
// CLI ignores it then), and so is a legacy file without a dcos_url.
func TestRegisterLeavesGlobalFileWhenNothingToMigrate(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "dcos.toml"), "[core]\nreporting = false\n", 0o600)
	res := register(t, dir, Options{}, both...)
	if res.Migrated != nil {
		t.Errorf("a file without dcos_url was migrated: %+v", res.Migrated)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "dcos.toml")); string(b) != "[core]\nreporting = false\n" {
		t.Errorf("global file changed: %q", b)
	}
}

func TestRegisterRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	for name, c := range map[string]Cluster{
		"not a uuid4": {ID: "1234", Name: "x", URL: "http://a"},
		"uppercase":   {ID: strings.ToUpper(acsID), Name: "x", URL: "http://a"},
		"no name":     {ID: acsID, URL: "http://a"},
		"bad url":     {ID: acsID, Name: "x", URL: "localhost:10080"},
	} {
		if _, err := Register(context.Background(), Options{Dir: dir}, c); err == nil {
			t.Errorf("%s: accepted %+v", name, c)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("bad input left files: %v", entries)
	}
	// A broken existing entry stops the run before anything is written.
	bad := filepath.Join(dir, "clusters", acsID, "dcos.toml")
	writeFile(t, bad, "[core\ndcos_url = 1\n", 0o600)
	if _, err := Register(context.Background(), Options{Dir: dir}, both...); err == nil || !strings.Contains(err.Error(), "not valid TOML") {
		t.Fatalf("broken entry: err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "clusters", vsphereID)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the other cluster was written although an entry was broken")
	}
}

func TestDefaultDirHonoursDCOSDir(t *testing.T) {
	d := t.TempDir()
	t.Setenv("DCOS_DIR", d)
	if got, err := DefaultDir(); err != nil || got != d {
		t.Errorf("DefaultDir = %s, %v; want %s", got, err, d)
	}
	t.Setenv("DCOS_DIR", "")
	t.Setenv("HOME", d)
	if got, _ := DefaultDir(); got != filepath.Join(d, ".dcos") {
		t.Errorf("DefaultDir = %s, want ~/.dcos", got)
	}
}

func TestSetCoreURLShapes(t *testing.T) {
	for name, in := range map[string]string{
		"no core":          "[cluster]\nname = \"x\"\n",
		"core no url":      "[core]\nssl_verify = \"false\"\n[cluster]\nname = \"x\"\n",
		"literal string":   "[core]\ndcos_url = 'http://old'\n",
		"dotted keys":      "core.dcos_url = \"http://old\"\ncore.timeout = 5\n",
		"inline table":     "core = { dcos_url = \"http://old\", timeout = 5 }\n",
		"no final newline": "[core]\ndcos_url = \"http://old\"",
		"empty":            "",
	} {
		t.Run(name, func(t *testing.T) {
			doc, err := decode([]byte(in))
			if err != nil {
				t.Fatal(err)
			}
			out, _, err := setCoreURL([]byte(in), doc, "http://new:10080")
			if err != nil {
				t.Fatal(err)
			}
			before, _ := decode([]byte(in))
			after, err := decode(out)
			if err != nil {
				t.Fatalf("result is not TOML: %v\n%s", err, out)
			}
			if got, _ := coreString(after, "dcos_url"); got != "http://new:10080" {
				t.Errorf("dcos_url = %q in\n%s", got, out)
			}
			delete(after["core"].(map[string]any), "dcos_url")
			if c, ok := before["core"].(map[string]any); ok {
				delete(c, "dcos_url")
				if len(c) == 0 {
					delete(before, "core")
				}
			}
			if len(after["core"].(map[string]any)) == 0 {
				delete(after, "core")
			}
			if !reflect.DeepEqual(before, after) {
				t.Errorf("other keys changed: before %v after %v", before, after)
			}
		})
	}
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	_ = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			b, _ := os.ReadFile(p)
			out[p] = fmt.Sprintf("%o %s", info.Mode().Perm(), b)
		}
		return nil
	})
	return out
}

func containsStr(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Preview tells what Register would do and changes nothing: created
// before, unchanged after, updated when dcos_url moved.
func TestPreviewMatchesRegister(t *testing.T) {
	dir := t.TempDir()
	c := Cluster{ID: "2b0e4d4e-7d1b-4e67-9a0e-0c3e6f1f6a11", Name: "vs", URL: "http://198.18.0.11"}
	before := snapshot(t, dir)
	got, migrate, err := Preview(Options{Dir: dir}, c)
	if err != nil || migrate || len(got) != 1 || got[0].Action != Created {
		t.Fatalf("preview of a new entry = %+v, %v, %v", got, migrate, err)
	}
	if after := snapshot(t, dir); len(after) != len(before) {
		t.Errorf("preview wrote files: %v", after)
	}
	register(t, dir, Options{}, c)
	if got, _, _ := Preview(Options{Dir: dir}, c); got[0].Action != Unchanged {
		t.Errorf("preview after register = %+v, want unchanged", got[0])
	}
	moved := c
	moved.URL = "http://198.18.0.12"
	got, _, _ = Preview(Options{Dir: dir}, moved)
	if got[0].Action != Updated || got[0].OldURL != c.URL {
		t.Errorf("preview of a moved url = %+v", got[0])
	}
	if res := register(t, dir, Options{}, moved); res.Clusters[0].Action != got[0].Action {
		t.Errorf("register did %s, preview said %s", res.Clusters[0].Action, got[0].Action)
	}
}

// A legacy dcos.toml without clusters/ would be migrated first.
func TestPreviewSeesLegacyMigration(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, ConfigFile), "[core]\ndcos_url = \"http://old\"\n", 0o600)
	if _, migrate, err := Preview(Options{Dir: dir}, Cluster{ID: "2b0e4d4e-7d1b-4e67-9a0e-0c3e6f1f6a11", Name: "vs", URL: "http://x"}); err != nil || !migrate {
		t.Errorf("migrate = %v, %v; want true", migrate, err)
	}
}
