package tui

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/internal/fsutil"
)

// Prompts of the first and the last pages.
const (
	promptResume    = "Continue the draft?"
	resumeContinue  = "Continue the draft"
	resumeStartOver = "Start over (the draft is kept until a config is saved)"
	promptAction    = "What now?"
	actionSave      = "Save the config"
	actionInstall   = "Save and install now"
	promptSavePath  = "Save the config to"
	promptOverwrite = "Replace it?"
	configFileMode  = 0o600
)

// saveState is what the save pages decided.
type saveState struct {
	installNow bool
	path       string
	exists     bool // path exists: the overwrite question applies
}

// resumePage offers the draft a cancelled setup left in the output
// directory.
type resumePage struct {
	meta
	choice string
	draft  *config.Cluster
	when   time.Time
	err    error
}

func (p *resumePage) load(*wizard, config.Cluster) {}
func (p *resumePage) hidden(*wizard) bool {
	return p.draft == nil && (p.err == nil || errors.Is(p.err, fs.ErrNotExist))
}
func (p *resumePage) owns(*wizard, string) bool { return false }
func (p *resumePage) fields(w *wizard, f *fieldSet) {
	opts := []option[string]{{resumeStartOver, resumeStartOver}}
	if p.draft != nil {
		w.notes = append(w.notes, fmt.Sprintf("A draft of this setup was saved on %s in %s.", p.when.Format("2006-01-02 15:04"), w.draftPath))
		opts = append([]option[string]{{resumeContinue, resumeContinue}}, opts...)
	} else {
		w.notes = append(w.notes, fmt.Sprintf("The draft in %s cannot be continued: %v", w.draftPath, p.err))
	}
	choose(f, promptResume, "", &p.choice, opts...)
}
func (p *resumePage) apply(w *wizard, c *config.Cluster) error {
	if p.choice == resumeContinue && p.draft != nil {
		*c = w.seed(*p.draft)
	}
	return nil
}

// reviewPage shows the document about to be written (secrets only as
// references) and asks whether to install right away. Every rule is
// checked again first: a problem sends the user to the page that asks
// the field.
type reviewPage struct {
	meta
	action string
}

func (p *reviewPage) load(*wizard, config.Cluster)     {}
func (p *reviewPage) hidden(*wizard) bool              { return false }
func (p *reviewPage) owns(_ *wizard, path string) bool { return true }
func (p *reviewPage) prepare(w *wizard) *job {
	return now(func(w *wizard) tea.Cmd {
		_, err := w.c.Validate()
		var errs *config.Errors
		if !errors.As(err, &errs) {
			return w.show()
		}
		first := errs.List[0].Path
		for _, q := range w.pages {
			if _, self := q.(*reviewPage); !self && !q.hidden(w) && q.owns(w, first) {
				return w.goTo(q, w.pageProblems(q, &w.c)...)
			}
		}
		return w.stay(w.pageProblems(p, &w.c)...)
	})
}
func (p *reviewPage) fields(w *wizard, f *fieldSet) {
	doc, err := config.Marshal(w.c)
	if err != nil {
		w.problems = []string{err.Error()}
		return
	}
	w.notes = append(w.notes, "The config to be written (pgup/pgdn scroll):", "")
	for _, l := range strings.Split(strings.TrimRight(string(doc), "\n"), "\n") {
		w.notes = append(w.notes, verbatimNote+l)
	}
	w.notes = append(w.notes, "")
	w.notes = append(w.notes, w.secretNotes(&w.c)...)
	if warns, _ := w.c.Validate(); len(warns) > 0 {
		for _, wr := range warns {
			w.notes = append(w.notes, "⚠ "+wr.Path+": "+wr.Message)
		}
	}
	choose(f, promptAction, "", &p.action,
		option[string]{actionSave, actionSave},
		option[string]{actionInstall + " (the passwords typed here are used for this run)", actionInstall})
}
func (p *reviewPage) apply(w *wizard, _ *config.Cluster) error {
	w.save.installNow = p.action == actionInstall
	return nil
}

type savePage struct {
	meta
	path string
}

func (p *savePage) load(*wizard, config.Cluster) {}
func (p *savePage) hidden(*wizard) bool          { return false }
func (p *savePage) owns(*wizard, string) bool    { return false }
func (p *savePage) fields(w *wizard, f *fieldSet) {
	if p.path == "" {
		p.path = expandPath(filepath.Join(w.defaults.OutputDir, "cluster.yaml"))
	}
	f.input(promptSavePath, "written with mode 0600; relative paths inside it are relative to its directory", &p.path, checkSavePath)
}
func (p *savePage) apply(w *wizard, _ *config.Cluster) error {
	w.save.path = expandPath(p.path)
	return nil
}
func (p *savePage) check(w *wizard, c *config.Cluster) *job {
	return &job{run: func(context.Context) outcome {
		_, err := os.Stat(w.save.path)
		return func(w *wizard) tea.Cmd {
			if err == nil {
				w.save.exists = true
				return w.proceed(c)
			}
			return w.write(c)
		}
	}}
}

func checkSavePath(s string) error {
	if s == "" {
		return errors.New("required: a file path")
	}
	p := expandPath(s)
	if st, err := os.Stat(p); err == nil && st.IsDir() {
		return fmt.Errorf("%s is a directory", p)
	}
	if st, err := os.Stat(filepath.Dir(p)); err != nil || !st.IsDir() {
		return fmt.Errorf("directory %s does not exist", filepath.Dir(p))
	}
	return nil
}

type overwritePage struct {
	meta
	ok bool
}

func (p *overwritePage) load(*wizard, config.Cluster) {}
func (p *overwritePage) hidden(w *wizard) bool        { return !w.save.exists }
func (p *overwritePage) owns(*wizard, string) bool    { return false }
func (p *overwritePage) fields(w *wizard, f *fieldSet) {
	w.notes = append(w.notes, w.save.path+" exists.")
	p.ok = false
	f.confirm(promptOverwrite, "", "Yes, replace it", "No, choose another name", &p.ok)
}
func (p *overwritePage) apply(*wizard, *config.Cluster) error { return nil }
func (p *overwritePage) check(_ *wizard, c *config.Cluster) *job {
	ok := p.ok
	return now(func(w *wizard) tea.Cmd {
		w.save.exists = false
		if !ok {
			return w.goTo(pageOf[*savePage](w), "Choose another file name.")
		}
		return w.write(c)
	})
}

// secretField is a secret the wizard asked, with where the config keeps it.
type secretField struct {
	what   string
	secret config.Secret
	file   string
}

func secretFields(c *config.Cluster) []secretField {
	return []secretField{
		{"vCenter password", c.VCenter.Password, c.VCenter.PasswordFile},
		{"Registry password", c.Registry.Password, c.Registry.PasswordFile},
		{"SSH key passphrase", c.SSH.KeyPassphrase, c.SSH.KeyPassphraseFile},
		{"ACS key passphrase", c.ACS.KeyPassphrase, c.ACS.KeyPassphraseFile},
	}
}

// secretNotes says, masked, where each secret is kept for later runs.
func (w *wizard) secretNotes(c *config.Cluster) []string {
	var out []string
	for _, s := range secretFields(c) {
		switch {
		case s.file != "":
			out = append(out, fmt.Sprintf("%s: ******** kept in %s (mode 0600).", s.what, s.file))
		case s.secret.Ref != "":
			out = append(out, fmt.Sprintf("%s: ******** not stored: export %s=… before later runs (dcos-vsphere install --config …).", s.what, s.secret.EnvVar()))
		}
	}
	return out
}

// write saves the secret files the user chose, then the config (mode
// 0600), loads it as config.Load will (with the typed secrets for the
// ${ENV} references) and ends the setup.
func (w *wizard) write(c *config.Cluster) tea.Cmd {
	path := w.save.path
	dir := filepath.Dir(path)
	typed := map[string]string{}
	var written []string
	undo := func() {
		for _, f := range written {
			os.Remove(f)
		}
	}
	for _, s := range secretFields(c) {
		switch {
		case s.file != "" && s.secret.IsSet():
			p := s.file
			if !filepath.IsAbs(p) {
				p = filepath.Join(dir, p)
			}
			if err := fsutil.WriteAtomic(p, []byte(s.secret.Value()), configFileMode); err != nil {
				undo()
				return w.stay(err.Error())
			}
			written = append(written, p)
		case s.secret.Ref != "" && s.secret.IsSet():
			typed[s.secret.EnvVar()] = s.secret.Value()
		}
	}
	w.keepACSKnownHosts(c, path)
	doc, err := config.Marshal(*c)
	if err != nil {
		undo()
		return w.stay(err.Error())
	}
	loaded, warns, err := config.ParseEnv(doc, path, func(name string) (string, bool) {
		if v, ok := typed[name]; ok {
			return v, true
		}
		return os.LookupEnv(name)
	})
	if err != nil {
		undo()
		return w.stay("The config would not load: " + err.Error())
	}
	if err := fsutil.WriteAtomic(path, doc, configFileMode); err != nil {
		undo()
		return w.stay(err.Error())
	}
	if err := os.Remove(w.draftPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		warns = append(warns, config.Warning{Message: fmt.Sprintf("could not remove the draft %s: %v", w.draftPath, err)})
	}
	w.saved = true
	w.result = WizardResult{ConfigPath: path, InstallNow: w.save.installNow, Cluster: loaded, Warnings: warns}
	return tea.Quit
}

// keepACSKnownHosts names the known_hosts file the ACS login recorded the
// master's key in when the config is saved elsewhere than that file's
// default place assumed: later runs then find the key the user trusted.
func (w *wizard) keepACSKnownHosts(c *config.Cluster, path string) {
	a := c.ACS
	if !a.Enabled() || a.KnownHostsFile != "" || w.acs.knownHosts == "" || acsKey(a, w.acs.knownHosts) != w.acs.checked {
		return
	}
	if defaultACSKnownHosts(path, c.Name) != w.acs.knownHosts {
		c.ACS.KnownHostsFile = w.acs.knownHosts
	}
}
