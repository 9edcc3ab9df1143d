package tui

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/progress"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/dcos-vsphere/dcos-vsphere/installer"
)

// Limits of what the view keeps; older entries are dropped (the debug log
// has everything).
const (
	maxWarnings     = 500
	maxFailureLines = 20 // remote output lines kept per node for the failure box
	maxLogLines     = 2000
	logPaneHeight   = 12
	defaultWidth    = 80 // until the terminal reports its size
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

	keys progressKeys
	help help.Model
	spin spinner.Model
	bar  progress.Model

	width  int
	height int // 0 until the terminal reports its size
	start  time.Time
	now    time.Time

	phases    []*phaseRow
	warnings  []warning      // distinct, in order of first appearance
	warnIndex map[string]int // text → index in warnings
	logs      []string       // log pane: remote output, steps, warnings, errors (no byte progress)
	nodeLogs  map[string][]string
	failures  []failure
	result    *installer.Result

	showLog   bool
	logScroll int // lines scrolled up from the newest; 0 follows the tail
	showHelp  bool
	stopping  bool // ctrl+c pressed once; the work is winding down
	aborted   bool // ctrl+c pressed twice; the program quits now
	finished  bool
	workErr   error

	plain    installer.PlainRenderer // formats log pane lines
	plainBuf bytes.Buffer

	memo map[string][]string // parts laid out during one View

	// frameGap > 0 lets View return its last frame while events arrive
	// faster than that (remote output of many nodes); keys, a resize and
	// the end always get a new frame, and the spinner's ticks bring the
	// latest state within a tick.
	frameGap   time.Duration
	lastFrame  string
	lastAt     time.Time
	freshFrame bool
}

func newProgressModel(title string, cancel func()) *progressModel {
	m := &progressModel{
		title:     title,
		cancel:    cancel,
		keys:      newProgressKeys(),
		help:      help.New(),
		spin:      spinner.New(spinner.WithSpinner(spinner.MiniDot), spinner.WithStyle(styleRunning)),
		bar:       progress.New(progress.WithDefaultGradient(), progress.WithoutPercentage()),
		nodeLogs:  map[string][]string{},
		warnIndex: map[string]int{},
	}
	m.help.Width = defaultWidth
	m.plain = installer.PlainRenderer{W: &m.plainBuf, Debug: true}
	return m
}

// declare lists phases that will run, so they show as pending.
func (m *progressModel) declare(infos []installer.PhaseInfo) {
	for _, in := range infos {
		if m.phase(in.ID) == nil {
			m.phases = append(m.phases, &phaseRow{id: in.ID, title: in.Title, status: pending})
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
		m.done(msg.err)
		return m, tea.Quit
	case spinner.TickMsg:
		m.freshFrame = true
		if !msg.Time.IsZero() && msg.Time.After(m.now) {
			m.now = msg.Time
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd
	case tea.WindowSizeMsg:
		m.freshFrame = true
		if msg.Width > 0 {
			m.width = msg.Width
			m.help.Width = msg.Width
		}
		m.height = msg.Height
		return m, nil
	case tea.KeyMsg:
		m.freshFrame = true
		return m.key(msg)
	}
	return m, nil
}

// done records the work's end. An error no failure event reported (one
// from before or after the phases) joins the failure box, so the final
// frame always shows the error; a stop is no failure.
func (m *progressModel) done(err error) {
	m.finished, m.workErr = true, err
	if err != nil && len(m.failures) == 0 && !m.stoppedBy(err) {
		m.failures = append(m.failures, failure{message: err.Error()})
	}
}

// stoppedBy says whether err is the run stopping on request.
func (m *progressModel) stoppedBy(err error) bool {
	return errors.Is(err, installer.ErrStopped) || (m.stopping && errors.Is(err, context.Canceled))
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
		m.logScroll = 0
	case key.Matches(msg, m.keys.Help):
		m.showHelp = !m.showHelp
		m.help.ShowAll = m.showHelp
	case key.Matches(msg, m.keys.Close):
		m.showLog, m.showHelp, m.help.ShowAll = false, false, false
	case m.showLog && key.Matches(msg, m.keys.Up):
		m.scrollLog(1)
	case m.showLog && key.Matches(msg, m.keys.Down):
		m.scrollLog(-1)
	case m.showLog && key.Matches(msg, m.keys.PageUp):
		m.scrollLog(logPaneHeight)
	case m.showLog && key.Matches(msg, m.keys.PageDown):
		m.scrollLog(-logPaneHeight)
	case m.showLog && key.Matches(msg, m.keys.End):
		m.logScroll = 0
	}
	return m, nil
}

func (m *progressModel) scrollLog(by int) {
	m.logScroll = min(max(m.logScroll+by, 0), max(len(m.logs)-1, 0))
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
		p := m.phase(phaseKey(e))
		if p == nil || p.status != pending {
			p = &phaseRow{id: phaseKey(e)}
			m.phases = append(m.phases, p)
		}
		if e.Phase != "" {
			p.title = e.Phase
		}
		p.status, p.started = running, e.Time
	case installer.PhaseFinished:
		p := m.phaseOf(e)
		p.status = succeeded
		p.elapsed = m.elapsedOf(e, p.started)
	case installer.PhaseSkipped:
		p := m.phaseOf(e)
		p.status, p.message = skipped, e.Message
	case installer.PhaseFailed:
		p := m.phaseOf(e)
		p.status, p.message = failed, e.Message
		p.elapsed = m.elapsedOf(e, p.started)
		m.failures = append(m.failures, failure{phase: p.title, message: e.Message})
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
		m.failures = append(m.failures, failure{phase: m.phaseOf(e).title, node: n.name, message: e.Message})
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
		m.addWarning(w)
	case installer.RunResult:
		m.result = e.Result
	}
}

// addWarning counts a warning seen before (the same text, or one that
// differs only in a duration: "no progress for 15s", "… for 20s") and
// shows its latest text.
func (m *progressModel) addWarning(text string) {
	key := durations.ReplaceAllString(text, "#")
	if i, ok := m.warnIndex[key]; ok {
		m.warnings[i].count++
		m.warnings[i].text = text
		return
	}
	if len(m.warnings) >= maxWarnings {
		return // the log has them
	}
	m.warnIndex[key] = len(m.warnings)
	m.warnings = append(m.warnings, warning{text: text, count: 1})
}

// durations matches Go-style durations (15s, 2m5s, 850ms, 1h3m0s).
var durations = regexp.MustCompile(`\b(\d+h)?(\d+m)?\d+(\.\d+)?(ms|s|m|h)\b`)

// appendLog adds the event to the log pane the way the debug log shows
// it, except byte progress (the bars show it) and the result (the
// summary shows it).
func (m *progressModel) appendLog(e installer.Event) {
	if e.Kind == installer.Progress || e.Kind == installer.RunResult {
		return
	}
	m.plainBuf.Reset()
	m.plain.Emit(e)
	text := strings.TrimRight(m.plainBuf.String(), "\n")
	if text == "" {
		return
	}
	lines := strings.Split(text, "\n")
	m.logs = keepLast(append(m.logs, lines...), maxLogLines)
	if m.logScroll > 0 {
		m.logScroll += len(lines) // stay on the lines the user scrolled to
	}
}

// elapsedOf prefers the duration the event reports over the view's clock.
func (m *progressModel) elapsedOf(e installer.Event, start time.Time) time.Duration {
	if e.Elapsed > 0 {
		return e.Elapsed
	}
	return since(start, e.Time)
}

// phaseKey is the event's phase id; events without one (older emitters)
// are keyed on the title.
func phaseKey(e installer.Event) installer.PhaseID {
	if e.PhaseID != "" {
		return e.PhaseID
	}
	return installer.PhaseID(e.Phase)
}

// phase returns the latest row with id, or nil.
func (m *progressModel) phase(id installer.PhaseID) *phaseRow {
	for i := len(m.phases) - 1; i >= 0; i-- {
		if m.phases[i].id == id {
			return m.phases[i]
		}
	}
	return nil
}

// phaseOf returns the row of the event's phase (created when new); an
// event that names no phase belongs to the running one.
func (m *progressModel) phaseOf(e installer.Event) *phaseRow {
	id := phaseKey(e)
	if id == "" {
		for i := len(m.phases) - 1; i >= 0; i-- {
			if m.phases[i].status == running {
				return m.phases[i]
			}
		}
		id = "run"
	}
	if p := m.phase(id); p != nil {
		if p.title == "" {
			p.title = e.Phase
		}
		return p
	}
	title := e.Phase
	if title == "" {
		title = string(id)
	}
	p := &phaseRow{id: id, title: title, status: running, started: e.Time}
	m.phases = append(m.phases, p)
	return p
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
	return m.phaseOf(e).node(name, e.Time)
}

func keepLast(s []string, n int) []string {
	if len(s) > n {
		return append([]string(nil), s[len(s)-n:]...)
	}
	return s
}
