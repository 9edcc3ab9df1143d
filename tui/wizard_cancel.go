package tui

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/internal/fsutil"
)

// The ctrl+c question's prompts and answers.
const (
	promptLeave    = "Leave the guided setup?"
	leaveDraft     = "Save a draft and quit"
	leaveDiscard   = "Quit without saving"
	leaveContinue  = "Go back to the setup"
	draftFileMode  = 0o600
	draftHeaderFmt = "# A draft of the dcos-vsphere guided setup, saved %s; not a complete config yet.\n" +
		"# Run `dcos-vsphere install` in this directory to continue it (passwords are asked again).\n"
)

// cancelDialog is the question ctrl+c asks before anything is discarded.
type cancelDialog struct {
	title  string
	notes  []string
	form   *huh.Form
	fset   *fieldSet
	choice string
}

func (w *wizard) openDialog() tea.Cmd {
	d := &cancelDialog{title: promptLeave, choice: leaveDraft,
		notes: []string{"Nothing is saved yet. A draft keeps your answers (never passwords) in " + w.draftPath + ", mode 0600."}}
	fs := &fieldSet{}
	choose(fs, promptLeave, "", &d.choice,
		option[string]{leaveDraft, leaveDraft}, option[string]{leaveDiscard, leaveDiscard}, option[string]{leaveContinue, leaveContinue})
	d.fset, d.form = fs, newForm(fs)
	w.dialog = d
	w.shows++
	return tea.Batch(d.form.Init(), w.resizeForm())
}

func (w *wizard) dialogDone() tea.Cmd {
	d := w.dialog
	switch d.choice {
	case leaveDraft:
		path, err := w.saveDraft()
		if err != nil {
			w.dialog = nil
			cmd := w.openDialog()
			w.dialog.notes = append(w.dialog.notes, "✗ "+err.Error())
			return cmd
		}
		w.err = &CancelledError{Draft: path}
		return tea.Quit
	case leaveDiscard:
		return w.quitWithoutSaving()
	}
	w.dialog = nil
	return w.show()
}

func (w *wizard) quitWithoutSaving() tea.Cmd {
	w.cancelJob()
	w.err = &CancelledError{}
	return tea.Quit
}

// saveDraft writes the answers so far, those of the page on screen
// included when they apply, as cluster.yaml without secrets (mode 0600).
func (w *wizard) saveDraft() (string, error) {
	c := w.c
	if w.form != nil {
		if err := w.pages[w.cur].apply(w, &c); err != nil {
			c = w.c
		}
	}
	doc, err := config.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("save the draft: %w", err)
	}
	path, err := filepath.Abs(w.draftPath)
	if err != nil {
		return "", fmt.Errorf("save the draft: %w", err)
	}
	data := append([]byte(fmt.Sprintf(draftHeaderFmt, time.Now().Format("2006-01-02 15:04"))), doc...)
	if err := fsutil.WriteAtomic(path, data, draftFileMode); err != nil {
		return "", fmt.Errorf("save the draft: %w", err)
	}
	return path, nil
}

// readDraft loads the draft in the output directory, if there is one.
func readDraft(path string) (*config.Cluster, time.Time, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, time.Time{}, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, st.ModTime(), fmt.Errorf("read the draft: %w", err)
	}
	c, err := config.Decode(data, path)
	if err != nil {
		return nil, st.ModTime(), fmt.Errorf("read the draft: %w", err)
	}
	c.Path = ""
	return c, st.ModTime(), nil
}
