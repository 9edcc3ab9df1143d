package tui

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// page is one screen of the guided setup. Its answers live in its own
// fields (kept when the user goes back and forth); apply turns them into
// config, which is then checked with config's own rules.
type page interface {
	// section is the part of the setup the page belongs to (the header).
	section() string
	title() string
	// load seeds the page's answers from a cluster (defaults or a draft).
	load(w *wizard, c config.Cluster)
	// hidden says the page does not apply now (declared, as huh's
	// WithHideFunc); hidden pages are passed in both directions.
	hidden(w *wizard) bool
	// fields adds the page's questions to f; called each time the page
	// is shown, so they may depend on earlier answers.
	fields(w *wizard, f *fieldSet)
	// apply writes the page's answers into c.
	apply(w *wizard, c *config.Cluster) error
	// owns says whether a config problem at path is this page's to show.
	owns(w *wizard, path string) bool
}

// preparer is a page that fetches what it offers before it is shown.
type preparer interface {
	prepare(w *wizard) *job
}

// checker is a page with a check beyond config's rules (vCenter login,
// a file on disk), run once its answers pass those rules.
type checker interface {
	check(w *wizard, c *config.Cluster) *job
}

// job is work a page starts. With a busy text it runs off the UI loop
// under a spinner (esc cancels it); without one it runs at once. It must
// not touch the wizard: its outcome, applied on the UI loop, does.
type job struct {
	busy string
	run  func(ctx context.Context) outcome
}

// outcome is a job's result: it updates the wizard and says what follows.
type outcome func(w *wizard) tea.Cmd

// now is a job with nothing to do but apply o (start applies it at once).
func now(o outcome) *job {
	return &job{run: func(context.Context) outcome { return o }}
}

type (
	jobDoneMsg struct {
		id   int
		then outcome
	}
	formDoneMsg struct{ form *huh.Form }
)

// wizard is the guided setup's bubbletea model.
type wizard struct {
	ctx       context.Context
	defaults  WizardDefaults
	draftPath string

	pages  []page
	cur    int
	passed map[int]bool // pages passed without asking (one candidate); back skips them
	c      config.Cluster

	// The page on screen.
	form       *huh.Form
	fset       *fieldSet
	notes      []string // shown above the questions
	entryNotes []string // notes carried in from the page before
	carry      []string // notes for the next page shown
	problems   []string // what keeps the user on the page
	scroll     int      // first note line shown

	busy *busyJob
	jobs int
	spin spinner.Model

	dialog *cancelDialog

	width, height int
	formNeeds     int // the questions' natural height, measured by resizeForm
	shows         int // pages built so far
	keys          int // key presses handled (for tests: the screen is up to date)

	// State pages share.
	trust trustState
	vc    vcState
	inv   inventory
	ssh   sshState
	acs   acsState
	save  saveState

	saved  bool
	result WizardResult
	err    error

	mu   sync.Mutex
	snap snapshot
}

type busyJob struct {
	id     int
	text   string
	since  time.Time
	cancel context.CancelFunc
}

func newWizard(ctx context.Context, d WizardDefaults) *wizard {
	if d.ConnectTimeout <= 0 {
		d.ConnectTimeout = DefaultConnectTimeout
	}
	if d.LookupTimeout <= 0 {
		d.LookupTimeout = DefaultLookupTimeout
	}
	w := &wizard{
		ctx:       ctx,
		defaults:  d,
		draftPath: filepath.Join(d.OutputDir, DraftFileName),
		passed:    map[int]bool{},
		spin:      spinner.New(spinner.WithSpinner(spinner.Dot)),
		width:     80, // until the terminal says: the smallest it is made for
		height:    24,
	}
	w.pages = wizardPages()
	w.c = w.seed(d.Cluster)
	rp := pageOf[*resumePage](w)
	rp.draft, rp.when, rp.err = readDraft(w.draftPath)
	return w
}

// seed fills every page's answers from c and returns c with the
// defaults the wizard starts from (dcos.config as init writes it).
func (w *wizard) seed(c config.Cluster) config.Cluster {
	if c.DCOS.Config == nil {
		c.DCOS.Config = config.DefaultDCOSConfig()
	}
	for _, p := range w.pages {
		p.load(w, c)
	}
	return c
}

// Init shows the first page that applies.
func (w *wizard) Init() tea.Cmd { return w.enter(0, +1) }

// Update implements tea.Model.
func (w *wizard) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		w.width, w.height = msg.Width, msg.Height
		return w, w.resizeForm()
	case spinner.TickMsg:
		if w.busy == nil {
			return w, nil // no job runs: let the ticks stop
		}
		var cmd tea.Cmd
		w.spin, cmd = w.spin.Update(msg)
		return w, cmd
	case jobDoneMsg:
		if w.busy == nil || msg.id != w.busy.id {
			return w, nil // a cancelled job's late answer
		}
		w.busy.cancel()
		w.busy = nil
		return w, msg.then(w)
	case formDoneMsg:
		if w.dialog != nil && msg.form == w.dialog.form {
			return w, w.dialogDone()
		}
		if msg.form == w.form && w.busy == nil {
			return w, w.submit()
		}
		return w, nil
	case tea.KeyMsg:
		w.keys++
		return w, w.key(msg)
	}
	return w, w.forward(msg)
}

// forward hands a message to the question form on screen.
func (w *wizard) forward(msg tea.Msg) tea.Cmd {
	f := w.form
	if w.dialog != nil {
		f = w.dialog.form
	}
	if f == nil {
		return nil
	}
	_, cmd := f.Update(msg)
	return cmd
}

func (w *wizard) key(msg tea.KeyMsg) tea.Cmd {
	k := wizardKeyMap
	switch {
	case w.dialog != nil:
		switch {
		case key.Matches(msg, k.Quit):
			return w.quitWithoutSaving() // a second ctrl+c: the answer to the question
		case key.Matches(msg, k.Back):
			w.dialog = nil
			return w.show()
		}
		return w.forward(msg)
	case key.Matches(msg, k.Quit):
		w.cancelJob()
		return w.openDialog()
	case w.busy != nil:
		if key.Matches(msg, k.Back) {
			w.cancelJob()
			w.problems = []string{"Stopped. Change the answers or press enter to try again."}
			return w.show()
		}
		return nil
	case key.Matches(msg, k.ScrollUp):
		w.scroll = max(0, w.scroll-w.notesHeight()/2-1)
		return nil
	case key.Matches(msg, k.ScrollDown):
		w.scroll += w.notesHeight()/2 + 1
		return nil
	case key.Matches(msg, k.Back) && !w.filtering():
		return w.back()
	case key.Matches(msg, k.PrevField) && w.onFirstField():
		return w.back()
	}
	return w.forward(msg)
}

// filtering reports whether the focused pick-list is being filtered (esc
// then ends the filter, not the page).
func (w *wizard) filtering() bool {
	if p := w.focused(); p != nil && p.filtering != nil {
		return p.filtering()
	}
	return false
}

func (w *wizard) onFirstField() bool {
	return w.form != nil && w.fset != nil && len(w.fset.prompts) > 0 && w.form.GetFocusedField() == w.fset.prompts[0].field
}

func (w *wizard) cancelJob() {
	if w.busy != nil {
		w.busy.cancel()
		w.busy = nil
	}
}

// enter shows page i, or the next one that applies in direction dir.
func (w *wizard) enter(i, dir int) tea.Cmd {
	for i >= 0 && i < len(w.pages) && w.pages[i].hidden(w) {
		i += dir
	}
	if i < 0 {
		i = w.cur // nothing before: stay
	}
	if i >= len(w.pages) {
		return tea.Quit // not reached: the save page ends the setup
	}
	w.cur = i
	delete(w.passed, i)
	w.problems, w.scroll = nil, 0
	w.entryNotes, w.carry = w.carry, nil
	if pr, ok := w.pages[i].(preparer); ok {
		if j := pr.prepare(w); j != nil {
			return w.start(j)
		}
	}
	return w.show()
}

// goTo shows page p with the problems to fix there.
func (w *wizard) goTo(p page, problems ...string) tea.Cmd {
	i := w.indexOf(p)
	dir := +1
	if i < w.cur {
		dir = -1
	}
	cmd := w.enter(i, dir)
	w.problems = problems
	return tea.Batch(cmd, w.resizeForm())
}

func (w *wizard) indexOf(p page) int {
	for i, q := range w.pages {
		if q == p {
			return i
		}
	}
	panic("wizard: page not in the list")
}

// back shows the previous page that applies and was asked.
func (w *wizard) back() tea.Cmd {
	i := w.cur - 1
	for i >= 0 && (w.pages[i].hidden(w) || w.passed[i]) {
		i--
	}
	if i < 0 {
		return nil
	}
	return w.enter(i, -1)
}

// show builds the current page's questions.
func (w *wizard) show() tea.Cmd {
	p := w.pages[w.cur]
	fs := &fieldSet{}
	w.notes = append([]string(nil), w.entryNotes...)
	p.fields(w, fs)
	if len(fs.fields) == 0 {
		w.form, w.fset = nil, nil
		if len(w.problems) > 0 {
			return nil // nothing to change here: the problems say where to go
		}
		return w.pass()
	}
	w.fset = fs
	w.form = newForm(fs)
	w.shows++
	return tea.Batch(w.form.Init(), w.resizeForm())
}

// submit applies the page's answers, checks them with config's rules and
// the page's own check, and moves on when they pass.
func (w *wizard) submit() tea.Cmd {
	p := w.pages[w.cur]
	c := w.c
	if err := p.apply(w, &c); err != nil {
		return w.stay(err.Error())
	}
	if probs := w.pageProblems(p, &c); len(probs) > 0 {
		return w.stay(probs...)
	}
	if ch, ok := p.(checker); ok {
		if j := ch.check(w, &c); j != nil {
			return w.start(j)
		}
	}
	return w.proceed(&c)
}

// pageProblems is what config's rules say about the fields page owns.
func (w *wizard) pageProblems(p page, c *config.Cluster) []string {
	_, err := c.Validate()
	var errs *config.Errors
	if !errors.As(err, &errs) {
		return nil
	}
	var out []string
	for _, e := range errs.List {
		if p.owns(w, e.Path) {
			out = append(out, e.Path+": "+e.Message)
		}
	}
	return out
}

// proceed keeps c as the answers so far and shows the next page.
func (w *wizard) proceed(c *config.Cluster) tea.Cmd {
	w.c = *c
	return w.enter(w.cur+1, +1)
}

// pass goes on from a page that had nothing to ask (its one choice was
// taken); going back skips it.
func (w *wizard) pass() tea.Cmd {
	cur := w.cur
	cmd := w.submit()
	if w.cur != cur {
		w.passed[cur] = true
	}
	return cmd
}

// stay shows the page again with what keeps the user on it.
func (w *wizard) stay(problems ...string) tea.Cmd {
	w.problems = problems
	return w.show()
}

// start runs j: at once without a busy text, else under the spinner.
func (w *wizard) start(j *job) tea.Cmd {
	if j.busy == "" {
		return j.run(w.ctx)(w)
	}
	ctx, cancel := context.WithCancel(w.ctx)
	w.jobs++
	id := w.jobs
	w.busy = &busyJob{id: id, text: j.busy, since: time.Now(), cancel: cancel}
	run := j.run
	return tea.Batch(w.spin.Tick, func() tea.Msg { return jobDoneMsg{id: id, then: run(ctx)} })
}

// fieldSet collects a page's questions and what tests and the view need
// to know about each (its prompt, a pick-list's options).
type fieldSet struct {
	fields  []huh.Field
	prompts []prompt
}

type prompt struct {
	field     huh.Field
	title     string
	options   []string      // a pick-list's labels
	hovered   func() int    // the pick-list's cursor
	filtering func() bool   // the pick-list is being filtered
	value     func() string // the current answer, as shown
}

func (f *fieldSet) add(field huh.Field, p prompt) {
	p.field = field
	f.fields = append(f.fields, field)
	f.prompts = append(f.prompts, p)
}

// input asks for text; check (config's rule for the field) runs as the
// user leaves the field.
func (f *fieldSet) input(title, desc string, v *string, check func(string) error) {
	in := huh.NewInput().Title(title).Description(desc).Value(v)
	if check != nil {
		in.Validate(func(s string) error { return check(strings.TrimSpace(s)) })
	}
	f.add(in, prompt{title: title, value: func() string { return *v }})
}

// secret asks for a password without echoing it.
func (f *fieldSet) secret(title, desc string, v *string) {
	in := huh.NewInput().Title(title).Description(desc).Value(v).EchoMode(huh.EchoModePassword).
		Validate(func(s string) error {
			if s == "" {
				return errors.New("required")
			}
			return nil
		})
	f.add(in, prompt{title: title, value: func() string { return strings.Repeat("*", len(*v)) }})
}

// option is one entry of a pick-list.
type option[T comparable] struct {
	label string
	value T
}

// choose adds a pick-list; *v is set to the first option when it holds
// none of them.
func choose[T comparable](f *fieldSet, title, desc string, v *T, opts ...option[T]) {
	labels := make([]string, len(opts))
	hopts := make([]huh.Option[T], len(opts))
	found := false
	for i, o := range opts {
		labels[i] = o.label
		hopts[i] = huh.NewOption(o.label, o.value)
		found = found || o.value == *v
	}
	if !found && len(opts) > 0 {
		*v = opts[0].value
	}
	s := huh.NewSelect[T]().Title(title).Description(desc).Options(hopts...).Value(v)
	f.add(s, prompt{
		title:   title,
		options: labels,
		hovered: func() int {
			h, _ := s.Hovered()
			for i, o := range opts {
				if o.value == h {
					return i
				}
			}
			return -1
		},
		filtering: s.GetFiltering,
		value: func() string {
			for _, o := range opts {
				if o.value == *v {
					return o.label
				}
			}
			return ""
		},
	})
}

// confirm asks yes or no.
func (f *fieldSet) confirm(title, desc, yes, no string, v *bool) {
	c := huh.NewConfirm().Title(title).Description(desc).Affirmative(yes).Negative(no).Value(v)
	f.add(c, prompt{title: title, options: []string{yes, no}, value: func() string {
		if *v {
			return yes
		}
		return no
	}})
}

// formTheme is built once: huh builds its default theme anew for every
// field it renders without one.
var formTheme = sync.OnceValue(huh.ThemeCharm)

func newForm(fs *fieldSet) *huh.Form {
	km := huh.NewDefaultKeyMap()
	km.Quit = key.NewBinding(key.WithDisabled()) // ctrl+c is the wizard's: it asks first
	f := huh.NewForm(huh.NewGroup(fs.fields...)).WithShowHelp(false).WithKeyMap(km).WithTheme(formTheme())
	f.SubmitCmd = func() tea.Msg { return formDoneMsg{form: f} }
	return f
}
