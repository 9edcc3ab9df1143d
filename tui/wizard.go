package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/charmbracelet/huh"
	"golang.org/x/term"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/templates"
)

// ErrWizardCancelled is returned when the user cancels the wizard.
var ErrWizardCancelled = errors.New("wizard cancelled")

// Inventory field names passed to an InventoryFunc, in the order asked:
// the ones templates.Session.Names answers.
const (
	FieldDatacenter = templates.FieldDatacenter
	FieldCluster    = templates.FieldCluster
	FieldDatastore  = templates.FieldDatastore
	FieldNetwork    = templates.FieldNetwork
	FieldFolder     = templates.FieldFolder
	FieldTemplate   = templates.FieldTemplate
)

// InventoryFunc lists what vCenter offers for field (one of the Field*
// names). vc carries the answers so far: URL, username, the password (in
// memory), the TLS choice and, for every field after the datacenter, the
// chosen Datacenter. The wizard bounds each call with
// WizardDefaults.LookupTimeout.
type InventoryFunc func(ctx context.Context, field string, vc config.VCenter) ([]string, error)

// WizardDefaults seeds the wizard.
type WizardDefaults struct {
	// Cluster pre-fills the answers (a loaded config to edit, or a few
	// site defaults). Zero fields take the installer's usual choices.
	Cluster config.Cluster
	// OutputDir is where the config is suggested to be saved
	// (OutputDir/cluster.yaml); "" means the current directory.
	OutputDir string
	// Inventory, when set, turns the datacenter, cluster, datastore,
	// network, folder and template inputs into pick-lists from vCenter.
	Inventory InventoryFunc
	// LookupTimeout bounds each inventory call; 0 means 20 seconds.
	LookupTimeout time.Duration
	// Accessible forces plain line prompts; they are also used whenever
	// the ACCESSIBLE environment variable is non-empty.
	Accessible bool
}

// WizardResult is what the wizard produced.
type WizardResult struct {
	// ConfigPath is the saved cluster.yaml.
	ConfigPath string
	// InstallNow is true when the user chose "save and install now".
	InstallNow bool
	// Cluster is the saved configuration with the secrets typed into the
	// wizard held in memory (Secret.Value), so an install started right
	// away needs no environment variable. It is never written out with
	// the values.
	Cluster config.Cluster
}

// wizard is one run of the wizard: its I/O, mode and answers.
type wizard struct {
	ctx        context.Context
	in         io.Reader
	out        io.Writer
	accessible bool
	secretTTY  bool        // accessible input is a terminal: passwords are read without echo
	lines      *lineReader // accessible input from a pipe; nil otherwise
	defaults   WizardDefaults
	a          *answers
}

// RunWizard asks for everything cluster.yaml needs, page by page, shows
// the YAML it is about to write (secrets only as references), and saves
// it. in and out default to stdin and stdout. With ACCESSIBLE set (or
// defaults.Accessible) it uses plain line prompts that also work with
// answers piped into in, one per line; an empty line keeps the default.
func RunWizard(ctx context.Context, in io.Reader, out io.Writer, defaults WizardDefaults) (WizardResult, error) {
	if in == nil {
		in = os.Stdin
	}
	if out == nil {
		out = os.Stdout
	}
	if defaults.LookupTimeout <= 0 {
		defaults.LookupTimeout = 20 * time.Second
	}
	w := &wizard{
		ctx:        ctx,
		in:         in,
		out:        out,
		accessible: defaults.Accessible || os.Getenv("ACCESSIBLE") != "",
		defaults:   defaults,
		a:          newAnswers(defaults.Cluster),
	}
	if w.accessible {
		if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			w.secretTTY = true
		} else {
			w.lines = newLineReader(in)
			w.in = w.lines
		}
	}
	return w.run()
}

func (w *wizard) run() (WizardResult, error) {
	for {
		if err := w.askAll(); err != nil {
			return WizardResult{}, err
		}
		c, err := w.a.build()
		if err != nil {
			// The pages validate each answer; this catches a combination
			// changed by going back within a page.
			fmt.Fprintf(w.out, "\nThe answers do not fit together: %v\nPlease review them.\n", err)
			continue
		}
		action, err := w.review(c)
		if err != nil {
			return WizardResult{}, err
		}
		switch action {
		case actionEdit:
			continue
		case actionCancel:
			return WizardResult{}, ErrWizardCancelled
		}
		path, err := w.save(c)
		if err != nil {
			return WizardResult{}, err
		}
		return WizardResult{ConfigPath: path, InstallNow: action == actionInstall, Cluster: resolved(c, path)}, nil
	}
}

// askAll runs every page in order; pages that depend on earlier answers
// (TLS details, registry, ACS) are shown only when they apply.
func (w *wizard) askAll() error {
	steps := []func() error{
		w.pageCluster, w.pageVCenter, w.pageTLS, w.pageInventory,
		w.pageNetwork, w.pageNodes, w.pageSSH, w.pageDCOS, w.pageExtras,
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// page shows one page (a huh form with one group) and waits for it.
func (w *wizard) page(title string, fields ...huh.Field) error {
	if err := w.ctx.Err(); err != nil {
		return fmt.Errorf("wizard page %q: %w", title, err)
	}
	if len(fields) == 0 {
		return nil
	}
	if w.accessible {
		fmt.Fprintf(w.out, "\n== %s ==\n", title)
	}
	form := huh.NewForm(huh.NewGroup(fields...).Title(title)).
		WithAccessible(w.accessible).
		WithInput(w.in).
		WithOutput(w.out).
		WithShowHelp(true)
	err := form.RunWithContext(w.ctx)
	switch {
	case errors.Is(err, huh.ErrUserAborted):
		return ErrWizardCancelled
	case w.ctx.Err() != nil:
		return fmt.Errorf("wizard page %q: %w", title, w.ctx.Err())
	case err != nil:
		return fmt.Errorf("wizard page %q: %w", title, err)
	case w.lines != nil && w.lines.eof:
		return fmt.Errorf("wizard page %q: input ended before every question was answered: %w", title, io.ErrUnexpectedEOF)
	}
	return nil
}

// input is a text field bound to v. In accessible mode an empty answer
// keeps the current value, so the check runs on that value instead, and
// the title shows it.
func (w *wizard) input(title, desc string, v *string, check func(string) error) *huh.Input {
	if w.accessible {
		// Plain prompts print only the title: fold the hint and the
		// current value into it.
		if desc != "" {
			title += " (" + desc + ")"
		}
		if *v != "" {
			title += " [" + *v + "]"
		}
	}
	in := huh.NewInput().Title(title).Description(desc).Value(v)
	if check != nil {
		in.Validate(func(s string) error {
			s = strings.TrimSpace(s)
			if w.accessible && s == "" && *v != "" {
				s = *v
			}
			return check(s)
		})
	}
	return in
}

// password is a masked input. Accessible prompts can hide typing only on
// a terminal; answers piped in are not echoed anyway, so they are read as
// plain lines there.
func (w *wizard) password(title string, v *string) *huh.Input {
	if w.accessible && *v != "" {
		title += " [keep current]"
	}
	in := huh.NewInput().Title(title).Value(v).Validate(func(s string) error {
		if s == "" && !(w.accessible && *v != "") {
			return errors.New("a password is required")
		}
		return nil
	})
	if !w.accessible || w.secretTTY {
		in.EchoMode(huh.EchoModePassword)
	}
	return in
}

// note shows text as is. huh's full-screen notes read _ * ` as markup
// (LocalDS_0 would lose its underscore), so they are escaped there;
// accessible mode prints descriptions raw.
func (w *wizard) note(title, text string) *huh.Note {
	if !w.accessible {
		text = noteEscaper.Replace(text)
	}
	return huh.NewNote().Title(title).Description(text)
}

var noteEscaper = strings.NewReplacer(`\`, `\\`, "_", `\_`, "*", `\*`, "`", "\\`")

func (w *wizard) confirm(title string, v *bool) *huh.Confirm {
	return huh.NewConfirm().Title(title).Value(v)
}

func selectOf(title string, v *string, opts ...huh.Option[string]) *huh.Select[string] {
	return huh.NewSelect[string]().Title(title).Options(opts...).Value(v)
}
