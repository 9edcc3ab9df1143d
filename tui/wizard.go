package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/templates"
)

// ErrWizardCancelled is what a cancelled guided setup's error matches
// (errors.Is); the error itself is a *CancelledError.
var ErrWizardCancelled = errors.New("guided setup cancelled")

// CancelledError is returned when the user leaves the guided setup
// without saving. Draft names the draft saved on the way out ("" when
// none was), which the next guided setup in the same directory offers to
// continue.
type CancelledError struct{ Draft string }

func (e *CancelledError) Error() string {
	if e.Draft == "" {
		return ErrWizardCancelled.Error() + " (nothing saved)"
	}
	return fmt.Sprintf("%v; draft saved to %s: run `dcos-vsphere install` in that directory to continue it", ErrWizardCancelled, e.Draft)
}

// Is makes errors.Is(err, ErrWizardCancelled) true.
func (e *CancelledError) Is(target error) bool { return target == ErrWizardCancelled }

// ExitCode is 130, what a shell reports for a command ended by ctrl+c.
func (e *CancelledError) ExitCode() int { return 130 }

// Inventory field names passed to VCenter.Names, in the order asked.
const (
	FieldDatacenter = templates.FieldDatacenter
	FieldCluster    = templates.FieldCluster
	FieldDatastore  = templates.FieldDatastore
	FieldNetwork    = templates.FieldNetwork
	FieldFolder     = templates.FieldFolder
	FieldTemplate   = templates.FieldTemplate
)

// ErrLoginRefused is what VCenter.Login's error matches (errors.Is) when
// vCenter rejected the user name or password, as opposed to not being
// reachable.
var ErrLoginRefused = errors.New("vCenter refused the user name or password")

// VCenter is how the guided setup checks its vCenter answers and fills
// its pick-lists. The wizard calls one method at a time, from a goroutine
// of its own, each with a bounded context. The CLI implements it with
// package templates; tests use fakes.
type VCenter interface {
	// Certificate connects to vc.URL's host with TLS only (no request, no
	// credentials) and describes the server's certificate, and whether
	// vc's trust settings accept it: the pinned Thumbprint, else CAFile,
	// else the system's CAs; Insecure accepts any.
	Certificate(ctx context.Context, vc config.VCenter) (ServerCert, error)
	// Login logs in with vc (URL, Username, Password and the trust
	// settings) and keeps that one session for Names. Called again with
	// the same answers it reuses the session; with others it closes it
	// first. A rejected user name or password matches ErrLoginRefused.
	Login(ctx context.Context, vc config.VCenter) error
	// Names lists what vCenter has for field (one of the Field* names)
	// within vc.Datacenter (every datacenter for FieldDatacenter), over
	// the session Login opened: it never logs in itself. Network lists
	// only port groups a VM can use (no distributed-switch uplinks).
	Names(ctx context.Context, field string, vc config.VCenter) ([]string, error)
}

// ServerCert is vCenter's TLS certificate as the wizard shows it for
// trust on first use.
type ServerCert struct {
	SHA256          string // colon-separated upper-case hex, as vSphere shows it
	Subject, Issuer string
	NotAfter        time.Time
	// Trusted says whether the trust settings Certificate was given
	// accept the certificate; Problem says why not.
	Trusted bool
	Problem string
}

// Defaults of the bounds on vCenter calls.
const (
	// DefaultConnectTimeout bounds reaching vCenter (the TLS handshake)
	// and the ACS master (TCP and the SSH key exchange): an unreachable
	// address is reported within it.
	DefaultConnectTimeout = 10 * time.Second
	// DefaultLookupTimeout bounds the login and each inventory lookup
	// (and the ACS login once the master is reached).
	DefaultLookupTimeout = 30 * time.Second
)

// WizardDefaults seeds the wizard.
type WizardDefaults struct {
	// Cluster pre-fills the answers (a loaded config to edit, or site
	// defaults such as the GOVC_* environment). Zero fields take the
	// installer's usual choices; dcos.config defaults to what init writes.
	Cluster config.Cluster
	// OutputDir is where the config is suggested to be saved
	// (OutputDir/cluster.yaml) and where a draft is kept and looked for;
	// "" means the current directory.
	OutputDir string
	// VCenter, when set, checks the vCenter page by logging in (trust on
	// first use for an unknown certificate) and turns the placement
	// questions into pick-lists. Without it they are typed and unchecked.
	VCenter VCenter
	// ACS, when set, checks the ACS page by logging in to the ACS master
	// (trust on first use for its host key, only with the user's yes).
	// Without it the ACS answers are checked with config's rules only.
	ACS ACSChecker
	// ConnectTimeout and LookupTimeout bound the vCenter calls and the
	// ACS login (reaching the master, then the rest of the login); zero
	// means DefaultConnectTimeout and DefaultLookupTimeout.
	ConnectTimeout, LookupTimeout time.Duration
}

// WizardResult is what the wizard produced.
type WizardResult struct {
	// ConfigPath is the saved cluster.yaml (absolute).
	ConfigPath string
	// InstallNow is true when the user chose "Save and install now".
	InstallNow bool
	// Cluster is the saved file as config.Load reads it, except that the
	// secrets typed into the wizard are used as they were typed (never
	// read from the environment): an install started right away needs no
	// environment variable. They are never written anywhere the user did
	// not choose.
	Cluster *config.Cluster
	// Warnings are config.Load's warnings about the saved file.
	Warnings []config.Warning
}

// DraftFileName is the draft a cancelled guided setup leaves in
// WizardDefaults.OutputDir, offered again by the next one there.
const DraftFileName = "cluster.draft.yaml"

// RunWizard runs the guided setup full screen on in and out (stdin and
// stdout when nil): page by page, each checked before moving on (the
// vCenter page and the ACS page log in), back with esc or shift+tab, ctrl+c asks whether
// to keep a draft. It ends by saving cluster.yaml (mode 0600, with the
// comments `init` writes; secrets only as ${ENV} references or 0600
// files) and saying how to use it.
func RunWizard(ctx context.Context, in io.Reader, out io.Writer, defaults WizardDefaults) (WizardResult, error) {
	if in == nil {
		in = os.Stdin
	}
	if out == nil {
		out = os.Stdout
	}
	w := newWizard(ctx, defaults)
	p := tea.NewProgram(w, tea.WithInput(in), tea.WithOutput(out), tea.WithContext(ctx), tea.WithAltScreen())
	if _, err := p.Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) {
		return WizardResult{}, fmt.Errorf("guided setup: %w", err)
	}
	return w.finish(out)
}

// finish reports the outcome once the program has ended (the screen is
// released): what was saved and what later runs need.
func (w *wizard) finish(out io.Writer) (WizardResult, error) {
	if w.err == nil && !w.saved {
		if err := w.ctx.Err(); err != nil {
			w.err = fmt.Errorf("guided setup: %w", err)
		} else {
			w.err = &CancelledError{}
		}
	}
	if w.err != nil {
		return WizardResult{}, w.err
	}
	fmt.Fprintf(out, "Saved %s (mode 0600).\n", w.result.ConfigPath)
	for _, l := range w.secretNotes(w.result.Cluster) {
		fmt.Fprintln(out, l)
	}
	return w.result, nil
}
