package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// wizardKeys are the guided setup's own keys; the questions' keys are
// huh's (enter next, shift+tab previous field, ↑/↓ in pick-lists).
type wizardKeys struct {
	Back, PrevField, Quit, ScrollUp, ScrollDown key.Binding
}

var wizardKeyMap = wizardKeys{
	Back:       key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "previous page")),
	PrevField:  key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous question")),
	Quit:       key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit (asks first)")),
	ScrollUp:   key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "scroll up")),
	ScrollDown: key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdn", "scroll down")),
}

var (
	wizHeader   = lipgloss.NewStyle().Bold(true)
	wizSection  = lipgloss.NewStyle().Foreground(lipgloss.Color("8"))
	wizCurrent  = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("12"))
	wizTitle    = lipgloss.NewStyle().Bold(true).Underline(true)
	wizProblem  = lipgloss.NewStyle().Foreground(lipgloss.Color("9"))
	wizBusy     = lipgloss.NewStyle().Foreground(lipgloss.Color("11"))
	wizHelp     = lipgloss.NewStyle().Foreground(lipgloss.Color("8"))
	wizSections = []string{"Cluster", "vCenter", "Placement", "Network", "Nodes", "SSH", "DC/OS", "Registry", "ACS", "Save"}
)

// chrome is the number of lines around the notes and questions: header,
// blank, title, blank, ..., blank, keys.
const chrome = 6

func (w *wizard) formWidth() int { return max(20, min(w.width-2, 100)) }

// problemLines renders what keeps the user on the page.
func (w *wizard) problemLines() string {
	if len(w.problems) == 0 {
		return ""
	}
	var b strings.Builder
	for i, p := range w.problems {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(wizProblem.Width(w.formWidth()).Render("✗ " + p))
	}
	return b.String()
}

// frame is how a frame shares the height, worked out once per View or
// resize: wrapping the notes and rendering the problems is the costly part.
type frame struct {
	notes    []string // the notes wrapped at the form width
	problems string   // the rendered problems, "" when there are none
	room     int      // the height left for notes and questions
	shown    int      // how many note lines fit beside the questions
}

// more tells whether some notes are hidden (a line says so, pgup/pgdn scroll).
func (f frame) more() bool { return len(f.notes) > f.shown }

// frame measures the frame about to be drawn.
func (w *wizard) frame() frame {
	f := frame{notes: w.noteLines(), problems: w.problemLines()}
	h := w.height - chrome
	if f.problems != "" {
		h -= lipgloss.Height(f.problems)
	}
	f.room = max(4, h)
	if len(f.notes) == 0 {
		return f
	}
	need := 3
	if w.form != nil {
		need = w.formNeeds
	}
	room := f.room - need
	if len(f.notes) <= room {
		f.shown = len(f.notes)
	} else {
		f.shown = max(min(len(f.notes), 2), room-1) // and a line saying there is more
	}
	return f
}

// notesHeight is how many note lines fit beside the questions (the
// scroll keys move by half of it).
func (w *wizard) notesHeight() int { return w.frame().shown }

// verbatimNote starts a note line shown as is (a document line, a
// thumbprint): cut at the width, not wrapped at words.
const verbatimNote = "\x00"

func (w *wizard) noteLines() []string {
	var out []string
	for _, n := range w.notes {
		for _, l := range strings.Split(n, "\n") {
			if v, ok := strings.CutPrefix(l, verbatimNote); ok {
				out = append(out, strings.Split(ansi.Hardwrap(v, w.formWidth(), true), "\n")...)
				continue
			}
			out = append(out, strings.Split(ansi.Wrap(l, w.formWidth(), ""), "\n")...)
		}
	}
	return out
}

// resizeForm fits the questions below the notes: the form is measured at
// its natural height, then given what is left.
func (w *wizard) resizeForm() tea.Cmd {
	f := w.form
	if w.dialog != nil {
		f = w.dialog.form
	}
	if f == nil {
		return nil
	}
	f.Update(tea.WindowSizeMsg{Width: w.formWidth(), Height: 1000})
	w.formNeeds = lipgloss.Height(f.View())
	fr := w.frame()
	h := fr.room
	if w.dialog == nil {
		h -= fr.shown
		if fr.more() {
			h-- // the "more" line
		}
	}
	_, cmd := f.Update(tea.WindowSizeMsg{Width: w.formWidth(), Height: max(3, h)})
	return cmd
}

// View implements tea.Model: header, the page's notes and problems, its
// questions (or the spinner of a running check), and the keys.
func (w *wizard) View() string {
	var b strings.Builder
	fr := w.frame()
	b.WriteString(w.header() + "\n\n")
	p := w.pages[w.cur]
	title := p.title()
	if w.dialog != nil {
		title = w.dialog.title
	}
	b.WriteString(wizTitle.Render(title) + "\n\n")
	if w.dialog != nil {
		for _, n := range w.dialog.notes {
			b.WriteString(ansi.Wrap(n, w.formWidth(), "") + "\n")
		}
		b.WriteString(w.dialog.form.View())
	} else {
		lines := fr.notes
		if nh := fr.shown; nh > 0 {
			w.scroll = max(0, min(w.scroll, len(lines)-nh))
			b.WriteString(strings.Join(lines[w.scroll:w.scroll+nh], "\n") + "\n")
			if more := len(lines) - nh; more > 0 {
				b.WriteString(wizHelp.Render(fmt.Sprintf("(lines %d-%d of %d: pgup/pgdn to scroll)", w.scroll+1, w.scroll+nh, len(lines))) + "\n")
			}
		}
		if fr.problems != "" {
			b.WriteString(fr.problems + "\n")
		}
		switch {
		case w.busy != nil:
			elapsed := time.Since(w.busy.since).Truncate(time.Second)
			b.WriteString(wizBusy.Render(fmt.Sprintf("%s %s %s", w.spin.View(), w.busy.text, elapsed)) + "\n")
		case w.form != nil:
			b.WriteString(w.form.View())
		}
	}
	b.WriteString("\n\n" + wizHelp.Render(w.helpLine(fr)))
	view := b.String()
	w.record(view)
	return view
}

// header names the setup and where the user is in it: every section,
// the current one highlighted, or on a narrow terminal only the current
// one and its number.
func (w *wizard) header() string {
	cur := w.pages[w.cur].section()
	title := wizHeader.Render("dcos-vsphere guided setup")
	parts := make([]string, len(wizSections))
	at := 0
	for i, s := range wizSections {
		if s == cur {
			parts[i], at = wizCurrent.Render(s), i
		} else {
			parts[i] = wizSection.Render(s)
		}
	}
	full := title + "  " + strings.Join(parts, wizSection.Render(" › "))
	if lipgloss.Width(full) <= w.width {
		return full
	}
	return title + "  " + wizCurrent.Render(cur) + wizSection.Render(fmt.Sprintf(" (%d of %d)", at+1, len(wizSections)))
}

// helpLine names the keys, as many as fit the width.
func (w *wizard) helpLine(fr frame) string {
	var parts []string
	switch {
	case w.dialog != nil:
		parts = []string{"enter choose", "esc back to the setup", "ctrl+c quit without saving"}
	case w.busy != nil:
		parts = []string{"esc stop", "ctrl+c quit (asks first)"}
	default:
		parts = []string{"enter next", "shift+tab previous question", "esc previous page", "ctrl+c quit (asks first)"}
		if fr.more() {
			parts = append(parts, "pgup/pgdn scroll")
		}
	}
	short := map[string]string{"shift+tab previous question": "shift+tab back", "esc previous page": "esc previous page",
		"ctrl+c quit (asks first)": "ctrl+c quit", "esc back to the setup": "esc back", "ctrl+c quit without saving": "ctrl+c discard"}
	line := strings.Join(parts, " • ")
	if lipgloss.Width(line) > w.width {
		for i, p := range parts {
			if s, ok := short[p]; ok {
				parts[i] = s
			}
		}
		line = strings.Join(parts, " • ")
	}
	return line
}

// snapshot is what the screen shows, for tests: the page, the focused
// question and the last frame without colours.
type snapshot struct {
	Page     string
	Prompt   string
	Value    string
	Options  []string
	Hovered  int
	Busy     string
	Problems []string
	Notes    []string
	Dialog   bool
	Screen   string
	// Token changes whenever another question gets the focus (or the
	// same one on a rebuilt page); Shows counts the pages built.
	Token    string
	Shows    int
	Keys     int    // key presses handled so far
	FieldErr string // the focused question's error, shown under it
	Done     bool   // the setup ended (saved or left)
}

func (w *wizard) focused() *prompt {
	fs, f := w.fset, w.form
	if w.dialog != nil {
		fs, f = w.dialog.fset, w.dialog.form
	}
	if fs == nil || f == nil || w.busy != nil {
		return nil
	}
	ff := f.GetFocusedField()
	for i := range fs.prompts {
		if fs.prompts[i].field == ff {
			return &fs.prompts[i]
		}
	}
	return nil
}

func (w *wizard) record(view string) {
	s := snapshot{Page: w.pages[w.cur].title(), Problems: w.problems, Dialog: w.dialog != nil, Screen: ansi.Strip(view), Hovered: -1}
	for _, n := range w.notes {
		s.Notes = append(s.Notes, strings.ReplaceAll(n, verbatimNote, ""))
	}
	if w.dialog != nil {
		s.Page = w.dialog.title
	}
	if w.busy != nil {
		s.Busy = w.busy.text
	}
	s.Shows, s.Keys, s.Done = w.shows, w.keys, w.saved || w.err != nil
	if p := w.focused(); p != nil {
		if err := p.field.Error(); err != nil {
			s.FieldErr = err.Error()
		}
		s.Token = fmt.Sprintf("%d/%p", w.shows, p.field)
		s.Prompt, s.Options = p.title, p.options
		if p.value != nil {
			s.Value = p.value()
		}
		if p.hovered != nil {
			s.Hovered = p.hovered()
		}
	}
	w.mu.Lock()
	w.snap = s
	w.mu.Unlock()
}

// snapshot returns what the last frame showed; safe from any goroutine.
func (w *wizard) snapshot() snapshot {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.snap
}
