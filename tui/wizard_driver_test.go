package tui

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"
)

func init() { lipgloss.SetColorProfile(termenv.Ascii) }

// driver runs the wizard in-process (teatest: a real bubbletea program
// with a fixed-size terminal) and answers it by prompt, not by position:
// a question the test does not name keeps its default, so a new page or
// question does not shift the answers of every test.
type driver struct {
	t             *testing.T
	w             *wizard
	tm            *teatest.TestModel
	width, height int
}

// waitBound bounds every wait of the driver.
const waitBound = 15 * time.Second

func startWizard(t *testing.T, d WizardDefaults) *driver {
	t.Helper()
	return startWizardSized(t, d, 120, 40)
}

func startWizardSized(t *testing.T, d WizardDefaults, width, height int) *driver {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	w := newWizard(ctx, d)
	tm := teatest.NewTestModel(t, w, teatest.WithInitialTermSize(width, height))
	t.Cleanup(func() { _ = tm.Quit() })
	return &driver{t: t, w: w, tm: tm, width: width, height: height}
}

// wait polls the screen until cond holds (bounded).
func (d *driver) wait(what string, cond func(s snapshot) bool) snapshot {
	d.t.Helper()
	deadline := time.Now().Add(waitBound)
	for {
		s := d.w.snapshot()
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("waited %s for %s; the screen:\n%s", waitBound, what, s.Screen)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// focus waits until prompt is the focused question. Other questions met
// on the way keep their defaults (enter); one that refuses its default
// stops the test.
func (d *driver) focus(prompt string) snapshot {
	d.t.Helper()
	for kept := 0; ; kept++ {
		s := d.wait("a question", func(s snapshot) bool { return s.Prompt != "" || s.Done })
		d.fits(s)
		if s.Prompt == prompt {
			return s
		}
		if s.Done || kept > 60 {
			d.t.Fatalf("question %q never came (at %q on page %q); the screen:\n%s", prompt, s.Prompt, s.Page, s.Screen)
		}
		d.press(s, tea.KeyMsg{Type: tea.KeyEnter})
		if after := d.w.snapshot(); after.FieldErr != "" && after.Token == s.Token {
			d.t.Fatalf("question %q (on the way to %q) refuses its default %q: %s", s.Prompt, prompt, s.Value, after.FieldErr)
		}
	}
}

// fits checks the frame against the terminal: no more lines than it
// has, none wider, and the focused question on screen.
func (d *driver) fits(s snapshot) {
	d.t.Helper()
	lines := strings.Split(s.Screen, "\n")
	if len(lines) > d.height {
		d.t.Errorf("page %q: %d lines on a %d-line terminal:\n%s", s.Page, len(lines), d.height, s.Screen)
	}
	for _, l := range lines {
		if w := lipgloss.Width(l); w > d.width {
			d.t.Errorf("page %q: a line %d wide on a %d-column terminal: %q", s.Page, w, d.width, l)
			break
		}
	}
	if s.Prompt != "" && !strings.Contains(s.Screen, s.Prompt) {
		d.t.Errorf("page %q: the focused question %q is not on screen:\n%s", s.Page, s.Prompt, s.Screen)
	}
}

// press sends k and waits until the wizard has moved on from s: another
// question or page, a field error, a problem, a running check, the end.
func (d *driver) press(s snapshot, keys ...tea.KeyMsg) {
	d.t.Helper()
	for _, k := range keys {
		d.tm.Send(k)
	}
	d.wait("the wizard to take "+fmt.Sprint(keys), func(n snapshot) bool {
		return n.Keys >= s.Keys+len(keys) &&
			(n.Token != s.Token || n.Shows != s.Shows || n.FieldErr != "" || n.Busy != "" || n.Done || n.Dialog != s.Dialog)
	})
}

// submitPage keeps the defaults of the questions left on the page on
// screen and submits it.
func (d *driver) submitPage() {
	d.t.Helper()
	start := d.w.snapshot()
	for {
		s := d.wait("a question", func(s snapshot) bool { return s.Prompt != "" || s.Done || s.Busy != "" })
		if s.Shows != start.Shows || s.Busy != "" || s.Done {
			return
		}
		d.press(s, tea.KeyMsg{Type: tea.KeyEnter})
		if n := d.w.snapshot(); n.FieldErr != "" && n.Token == s.Token {
			d.t.Fatalf("question %q refuses its default %q: %s", s.Prompt, s.Value, n.FieldErr)
		}
	}
}

// leave submits page p if it is still on screen (its last question may
// have been answered already, which submits it).
func (d *driver) leave(p page) {
	d.t.Helper()
	s := d.wait("a question", func(s snapshot) bool { return s.Prompt != "" || s.Done || s.Busy != "" })
	if s.Page == p.title() && !s.Dialog {
		d.submitPage()
	}
}

// answer types text into the question prompt (replacing its value) and
// presses enter; the answer must be accepted.
func (d *driver) answer(prompt, text string) {
	d.t.Helper()
	if err := d.try(prompt, text); err != "" {
		d.t.Fatalf("%q refused %q: %s", prompt, text, err)
	}
}

// try is answer that returns the field's error instead of failing.
func (d *driver) try(prompt, text string) string {
	d.t.Helper()
	s := d.focus(prompt)
	keys := []tea.KeyMsg{{Type: tea.KeyEnd}, {Type: tea.KeyCtrlU}}
	if text != "" {
		keys = append(keys, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(text)})
	}
	d.press(s, append(keys, tea.KeyMsg{Type: tea.KeyEnter})...)
	if n := d.w.snapshot(); n.Token == s.Token && n.FieldErr != "" {
		return n.FieldErr
	}
	return ""
}

// choose picks the option of the pick-list prompt whose label starts
// with label.
func (d *driver) choose(prompt, label string) {
	d.t.Helper()
	s := d.focus(prompt)
	target := -1
	for i, o := range s.Options {
		if strings.HasPrefix(o, label) {
			target = i
			break
		}
	}
	if target < 0 {
		d.t.Fatalf("%q offers no %q: %q", prompt, label, s.Options)
	}
	for s.Hovered != target {
		k := tea.KeyMsg{Type: tea.KeyDown}
		if s.Hovered > target {
			k = tea.KeyMsg{Type: tea.KeyUp}
		}
		keys := s.Keys
		d.tm.Send(k)
		s = d.wait("the cursor to move", func(n snapshot) bool { return n.Keys > keys })
	}
	d.press(s, tea.KeyMsg{Type: tea.KeyEnter})
}

// confirm answers a yes/no question.
func (d *driver) confirm(prompt string, yes bool) {
	d.t.Helper()
	s := d.focus(prompt)
	r := 'n'
	if yes {
		r = 'y'
	}
	d.press(s, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
}

// key sends a key and waits until the wizard reacted to it.
func (d *driver) key(k tea.KeyMsg) {
	d.t.Helper()
	d.press(d.w.snapshot(), k)
}

func (d *driver) waitPage(title string) snapshot {
	d.t.Helper()
	return d.wait("page "+title, func(s snapshot) bool { return s.Page == title && s.Busy == "" })
}

func (d *driver) waitProblem(text string) snapshot {
	d.t.Helper()
	return d.wait(fmt.Sprintf("a problem with %q", text), func(s snapshot) bool {
		return strings.Contains(strings.Join(s.Problems, "\n"), text)
	})
}

// finish waits for the program to end and returns what RunWizard would.
func (d *driver) finish() (WizardResult, error) {
	d.t.Helper()
	d.tm.WaitFinished(d.t, teatest.WithFinalTimeout(waitBound))
	return d.w.finish(io.Discard)
}
