package tui

import (
	"bytes"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/progress"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/dcos-vsphere/dcos-vsphere/installer"
)

// Limits of what the view keeps; older entries are dropped.
const (
	maxWarnings     = 5
	maxFailureLines = 20
	maxLogLines     = 2000
	logPaneHeight   = 12
	defaultWidth    = 100
)

// eventMsg carries one installer event into the program.
type eventMsg installer.Event

// workDoneMsg says the work function returned.
type workDoneMsg struct{ err error }

// progressModel is the state of the progress view. Update only changes
// this state and returns intents (cancel the work, quit); View renders it.
type progressModel struct {
	title   string
	logFile string
	cancel  func() // cancels the work's context; called from a tea.Cmd

	keys    progressKeys
	help    help.Model
	spin    spinner.Model
	bar     progress.Model
	logView viewport.Model

	width  int
	height int // 0 until the terminal reports its size
	start  time.Time
	now    time.Time

	phases   []*phaseRow
	warnings []string
	logs     []string            // every event, formatted like the plain log
	nodeLogs map[string][]string // last remote output lines per node ("" = all)
	failures []failure

	showLog  bool
	showHelp bool
	stopping bool // ctrl+c pressed once; the work is winding down
	aborted  bool // ctrl+c pressed twice; the program quits now
	finished bool
	workErr  error

	plain    installer.PlainRenderer // formats log pane lines
	plainBuf bytes.Buffer
}

func newProgressModel(title string, cancel func()) *progressModel {
	m := &progressModel{
		title:    title,
		cancel:   cancel,
		keys:     newProgressKeys(),
		help:     help.New(),
		spin:     spinner.New(spinner.WithSpinner(spinner.MiniDot), spinner.WithStyle(styleRunning)),
		bar:      progress.New(progress.WithDefaultGradient(), progress.WithWidth(30)),
		logView:  viewport.New(defaultWidth, logPaneHeight),
		width:    defaultWidth,
		nodeLogs: map[string][]string{},
	}
	m.plain = installer.PlainRenderer{W: &m.plainBuf, Debug: true}
	return m
}

// declare lists phases that will run, so they show as pending.
func (m *progressModel) declare(titles []string) {
	for _, t := range titles {
		if m.phase(t) == nil {
			m.phases = append(m.phases, &phaseRow{name: t, status: pending})
		}
	}
}

// Init starts the spinner, whose ticks also advance the clock.
func (m *progressModel) Init() tea.Cmd { return m.spin.Tick }

// Update applies one message to the state.
func (m *progressModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case eventMsg:
		m.apply(installer.Event(msg))
		return m, nil
	case workDoneMsg:
		m.finished, m.workErr = true, msg.err
		return m, tea.Quit
	case spinner.TickMsg:
		if !msg.Time.IsZero() {
			m.now = msg.Time
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd
	case tea.WindowSizeMsg:
		m.resize(msg.Width)
		m.height = msg.Height
		return m, nil
	case tea.KeyMsg:
		return m.key(msg)
	}
	return m, nil
}

func (m *progressModel) key(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	switch {
	case key.Matches(msg, m.keys.Cancel):
		if m.stopping || m.finished {
			m.aborted = true
			return m, tea.Quit
		}
		m.stopping = true
		cancel := m.cancel
		return m, func() tea.Msg {
			if cancel != nil {
				cancel()
			}
			return nil
		}
	case key.Matches(msg, m.keys.Log):
		m.showLog = !m.showLog
		m.refreshLog()
		return m, nil
	case key.Matches(msg, m.keys.Help):
		m.showHelp = !m.showHelp
		m.help.ShowAll = m.showHelp
		return m, nil
	case m.showLog && (key.Matches(msg, m.keys.Up) || key.Matches(msg, m.keys.Down)):
		var cmd tea.Cmd
		m.logView, cmd = m.logView.Update(msg)
		return m, cmd
	}
	return m, nil
}

func (m *progressModel) resize(width int) {
	if width <= 0 {
		return
	}
	m.width = width
	m.help.Width = width
	m.logView.Width = width - 2
	m.refreshLog()
}

// refreshLog loads the log pane, following the tail unless the user has
// scrolled up.
func (m *progressModel) refreshLog() {
	if !m.showLog {
		return
	}
	follow := m.logView.AtBottom() || m.logView.TotalLineCount() == 0
	m.logView.SetContent(strings.Join(m.logs, "\n"))
	if follow {
		m.logView.GotoBottom()
	}
}

// apply folds one installer event into the state.
func (m *progressModel) apply(e installer.Event) {
	if !e.Time.IsZero() {
		if m.start.IsZero() {
			m.start = e.Time
		}
		if e.Time.After(m.now) {
			m.now = e.Time
		}
	}
	m.appendLog(e)

	switch e.Kind {
	case installer.PhaseStarted:
		p := m.phase(e.Phase)
		if p == nil || p.status != pending {
			p = &phaseRow{name: e.Phase}
			m.phases = append(m.phases, p)
		}
		p.status, p.started = running, e.Time
	case installer.PhaseFinished:
		p := m.ensurePhase(e.Phase, e.Time)
		p.status = succeeded
		p.elapsed = m.elapsedOf(e, p.started)
	case installer.PhaseSkipped:
		p := m.ensurePhase(e.Phase, e.Time)
		p.status, p.message = skipped, e.Message
	case installer.PhaseFailed:
		p := m.ensurePhase(e.Phase, e.Time)
		p.status, p.message = failed, e.Message
		p.elapsed = m.elapsedOf(e, p.started)
		m.failures = append(m.failures, failure{phase: p.name, message: e.Message})
	case installer.NodeStep:
		n := m.nodeFor(e)
		n.step, n.message, n.status = e.Step, e.Message, running
		n.done, n.total = 0, 0
	case installer.NodeDone:
		n := m.nodeFor(e)
		n.status, n.message = succeeded, e.Message
		n.elapsed = m.elapsedOf(e, n.started)
	case installer.NodeFailed:
		n := m.nodeFor(e)
		n.status, n.message = failed, e.Message
		n.elapsed = m.elapsedOf(e, n.started)
		m.failures = append(m.failures, failure{phase: m.phaseNameFor(e), node: n.name, message: e.Message})
	case installer.Progress:
		n := m.nodeFor(e)
		if e.Step != "" {
			n.step = e.Step
		}
		n.done, n.total = e.Done, e.Total
	case installer.LogLine:
		m.nodeLogs[e.Node] = keepLast(append(m.nodeLogs[e.Node], e.Message), maxFailureLines)
		if e.Node != "" {
			m.nodeLogs[""] = keepLast(append(m.nodeLogs[""], e.Node+" | "+e.Message), maxFailureLines)
		}
	case installer.Warning:
		w := e.Message
		if e.Node != "" {
			w = e.Node + ": " + w
		}
		m.warnings = keepLast(append(m.warnings, w), maxWarnings)
	}
}

func (m *progressModel) appendLog(e installer.Event) {
	m.plainBuf.Reset()
	m.plain.Emit(e)
	if line := strings.TrimRight(m.plainBuf.String(), "\n"); line != "" {
		m.logs = keepLast(append(m.logs, line), maxLogLines)
		m.refreshLog()
	}
}

// elapsedOf prefers the duration the event reports over the view's clock.
func (m *progressModel) elapsedOf(e installer.Event, start time.Time) time.Duration {
	if e.Elapsed > 0 {
		return e.Elapsed
	}
	return since(start, e.Time)
}

// phase returns the latest row named name, or nil.
func (m *progressModel) phase(name string) *phaseRow {
	for i := len(m.phases) - 1; i >= 0; i-- {
		if m.phases[i].name == name {
			return m.phases[i]
		}
	}
	return nil
}

func (m *progressModel) ensurePhase(name string, at time.Time) *phaseRow {
	if p := m.phase(name); p != nil {
		return p
	}
	p := &phaseRow{name: name, status: running, started: at}
	m.phases = append(m.phases, p)
	return p
}

// phaseNameFor is the event's phase, or the running phase when the event
// names none.
func (m *progressModel) phaseNameFor(e installer.Event) string {
	if e.Phase != "" {
		return e.Phase
	}
	for i := len(m.phases) - 1; i >= 0; i-- {
		if m.phases[i].status == running {
			return m.phases[i].name
		}
	}
	return "run"
}

// nodeFor returns the row of the event's node under its phase. Transfers
// that belong to no node (an OVA import) get a row named after the step.
func (m *progressModel) nodeFor(e installer.Event) *nodeRow {
	name := e.Node
	if name == "" {
		name = e.Step
	}
	if name == "" {
		name = "transfer"
	}
	return m.ensurePhase(m.phaseNameFor(e), e.Time).node(name, e.Time)
}

func keepLast(s []string, n int) []string {
	if len(s) > n {
		return append([]string(nil), s[len(s)-n:]...)
	}
	return s
}
