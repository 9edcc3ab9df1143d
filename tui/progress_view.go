package tui

import (
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/charmbracelet/lipgloss"

	"github.com/dcos-vsphere/dcos-vsphere/installer"
)

var (
	styleTitle   = lipgloss.NewStyle().Bold(true)
	styleRunning = lipgloss.NewStyle().Foreground(lipgloss.Color("63"))
	styleOK      = lipgloss.NewStyle().Foreground(lipgloss.Color("42"))
	styleFail    = lipgloss.NewStyle().Foreground(lipgloss.Color("196"))
	styleWarn    = lipgloss.NewStyle().Foreground(lipgloss.Color("214"))
	styleDim     = lipgloss.NewStyle().Foreground(lipgloss.Color("245"))
	styleBorder  = lipgloss.NewStyle()
)

// limits say how much of each part a frame shows. View starts from
// everything and gives up detail, step by step, until the frame fits the
// terminal's height.
type limits struct {
	foldDone     bool // runs of finished phases become one line
	foldPending  bool // runs of pending phases become one line
	nodes        int  // node rows per phase (-1: all)
	warnings     int  // lines of the warnings panel (-1: all)
	failures     int  // failures listed (-1: all)
	failLines    int  // lines of each failure's message (-1: all)
	tail         int  // remote output lines in the failure box
	logLines     int  // height of the log pane
	summaryNodes bool // the summary lists every node
	blanks       bool // blank lines between parts
}

func (m *progressModel) fullLimits() limits {
	return limits{nodes: -1, warnings: -1, failures: -1, failLines: -1, tail: maxFailureLines,
		logLines: max(logPaneHeight, m.height/3), summaryNodes: true, blanks: true}
}

// degrade lists the steps of giving up detail, least useful first.
var degrade = []func(*limits){
	func(l *limits) { l.logLines = min(l.logLines, 8) },
	func(l *limits) { l.foldDone = true },
	func(l *limits) { l.summaryNodes = false },
	func(l *limits) { l.warnings = 4; l.tail = min(l.tail, 8) },
	func(l *limits) { l.nodes = 5; l.failLines = 8 },
	func(l *limits) { l.logLines = min(l.logLines, 4); l.tail = min(l.tail, 3) },
	func(l *limits) { l.foldPending = true },
	func(l *limits) { l.tail = 0; l.warnings = 2 },
	func(l *limits) { l.nodes = 2; l.failLines = 3; l.failures = 3 },
	func(l *limits) { l.warnings = 1; l.failures = 1; l.failLines = 2; l.nodes = 1 },
	func(l *limits) { l.blanks = false; l.logLines = min(l.logLines, 2) },
	func(l *limits) { l.nodes = 0; l.failLines = 1; l.logLines = 0 },
}

// View renders the state (it changes nothing but its caches). Every line fits the
// terminal's width, and the frame its height (one line is left for the
// cursor): when everything does not fit, detail goes first (see degrade),
// so the header, the errors and the summary stay on screen. The frame
// ends with a newline: the renderer clears the last line when it stops.
func (m *progressModel) View() string {
	if m.frameGap > 0 && !m.freshFrame && !m.finished && !m.aborted && m.lastFrame != "" && time.Since(m.lastAt) < m.frameGap {
		return m.lastFrame
	}
	v := m.layout()
	if m.frameGap > 0 {
		m.lastFrame, m.lastAt, m.freshFrame = v, time.Now(), false
	}
	return v
}

func (m *progressModel) layout() string {
	m.memo = map[string][]string{}
	defer func() { m.memo = nil }()
	lim := m.fullLimits()
	lines := m.frame(lim)
	if m.height > 0 {
		budget := max(m.height-1, 1)
		for _, step := range degrade {
			if len(lines) <= budget {
				break
			}
			step(&lim)
			lines = m.frame(lim)
		}
		lim, lines = m.growInto(lim, lines, budget)
		if len(lines) > budget { // a tiny terminal: the header and the end
			lines = append(lines[:1], lines[len(lines)-budget+1:]...)
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

// grow gives the rows a degraded frame left free back to the parts that
// lost detail, errors first.
func (m *progressModel) growInto(lim limits, lines []string, budget int) (limits, []string) {
	grow := []func(l *limits, by int) bool{
		func(l *limits, by int) bool { return l.failures >= 0 && add(&l.failures, by) },
		func(l *limits, by int) bool { return l.failLines >= 0 && add(&l.failLines, by) },
		func(l *limits, by int) bool { return l.warnings >= 0 && add(&l.warnings, by) },
		func(l *limits, by int) bool { return l.nodes >= 0 && add(&l.nodes, by) },
		func(l *limits, by int) bool {
			return l.tail < maxFailureLines && add(&l.tail, min(by, maxFailureLines-l.tail))
		},
		func(l *limits, by int) bool {
			return m.showLog && l.logLines < logPaneHeight && add(&l.logLines, min(by, logPaneHeight-l.logLines))
		},
	}
	for _, g := range grow {
		// Halve the step until the frame fits: a part may take more
		// than a row per unit (a wrapped message, a box's borders).
		for by := budget - len(lines); by > 0; {
			next := lim
			if !g(&next, by) {
				break
			}
			more := m.frame(next)
			if len(more) > budget {
				by /= 2
				continue
			}
			if len(more) == len(lines) {
				break // nothing more to show there
			}
			lim, lines = next, more
			by = budget - len(lines)
		}
	}
	return lim, lines
}

func add(v *int, by int) bool {
	*v += by
	return by > 0
}

func (m *progressModel) w() int {
	if m.width > 0 {
		return m.width
	}
	return defaultWidth
}

// frame lays out every part under lim; parts already laid out under the
// same limits during this View are reused.
func (m *progressModel) frame(lim limits) []string {
	over := m.finished || m.aborted
	memo := func(key string, render func() []string) []string {
		if m.memo == nil {
			return render()
		}
		if v, ok := m.memo[key]; ok {
			return v
		}
		v := render()
		m.memo[key] = v
		return v
	}
	out := []string{m.header()}
	part := func(lines []string) {
		if len(lines) == 0 {
			return
		}
		if lim.blanks {
			out = append(out, "")
		}
		out = append(out, lines...)
	}
	part(memo(fmt.Sprint("phases", lim.foldDone, lim.foldPending, lim.nodes), func() []string { return m.phaseLines(lim) }))
	part(memo(fmt.Sprint("warnings", lim.warnings), func() []string { return m.warningLines(lim) }))
	part(memo(fmt.Sprint("failures", lim.failures, lim.failLines, lim.tail), func() []string { return m.failureBox(lim) }))
	if !over {
		if m.showLog && lim.logLines > 0 {
			part(memo(fmt.Sprint("log", lim.logLines), func() []string { return m.logPane(lim.logLines) }))
		}
		if m.stopping {
			part(m.wrapStyled(styleWarn, "Stopping: the running steps finish, nothing new starts. ctrl+c again quits at once (the next run resumes, uploads too)."))
		}
		part(strings.Split(m.help.View(m.keys), "\n"))
	} else {
		part(memo(fmt.Sprint("summary", lim.summaryNodes), func() []string { return m.summaryLines(lim) }))
	}
	return out
}

func (m *progressModel) wrapStyled(st lipgloss.Style, text string) []string {
	var out []string
	for _, l := range wrap(text, m.w()) {
		out = append(out, st.Render(l))
	}
	return out
}

func (m *progressModel) header() string {
	state := m.spin.View() + " running"
	stateW := 1 + len(" running")
	switch {
	case m.aborted:
		state, stateW = styleFail.Render("✖ interrupted"), width("✖ interrupted")
	case m.finished && m.stopped():
		state, stateW = styleWarn.Render("■ stopped"), width("■ stopped")
	case m.finished && m.workErr == nil:
		state, stateW = styleOK.Render("✔ done"), width("✔ done")
	case m.finished:
		state, stateW = styleFail.Render("✖ failed"), width("✖ failed")
	case m.stopping:
		state, stateW = styleWarn.Render(m.spin.View()+" stopping…"), 1+width(" stopping…")
	}
	el := formatDuration(since(m.start, m.now))
	titleW := max(m.w()-stateW-2-width(el)-2, 1)
	return styleTitle.Render(cut(m.title, titleW)) + "  " + state + "  " + styleDim.Render(el)
}

// stopped: the run ended because it was asked to stop.
func (m *progressModel) stopped() bool {
	if m.result != nil {
		return m.result.Status == "stopped"
	}
	return m.stoppedBy(m.workErr) || (m.stopping && m.workErr != nil)
}

// phaseLines lists the phases and, under the running ones, their nodes.
func (m *progressModel) phaseLines(lim limits) []string {
	var out []string
	titleW := 0
	for _, p := range m.phases {
		titleW = max(titleW, width(p.title))
	}
	titleW = min(titleW, 32)
	var run []*phaseRow
	runKind := pending
	flush := func() {
		switch {
		case len(run) == 0:
		case len(run) == 1:
			out = append(out, m.phaseLine(run[0], titleW, lim)...)
		case runKind == pending:
			out = append(out, styleDim.Render("○ ")+cut(fmt.Sprintf("%d more phases (%s … %s)", len(run), run[0].title, run[len(run)-1].title), m.w()-2))
		default:
			out = append(out, styleOK.Render("✔ ")+cut(fmt.Sprintf("%d phases done (%s … %s)", len(run), run[0].title, run[len(run)-1].title), m.w()-2))
		}
		run = run[:0]
	}
	for _, p := range m.phases {
		done := p.status == succeeded || p.status == skipped
		foldable := (lim.foldDone && done && !hasFailedNode(p)) || (lim.foldPending && p.status == pending)
		kind := pending
		if done {
			kind = succeeded
		}
		if !foldable || (len(run) > 0 && kind != runKind) {
			flush()
		}
		if !foldable {
			out = append(out, m.phaseLine(p, titleW, lim)...)
			continue
		}
		run, runKind = append(run, p), kind
	}
	flush()
	return out
}

func hasFailedNode(p *phaseRow) bool {
	for _, n := range p.nodes {
		if n.status == failed {
			return true
		}
	}
	return false
}

// phaseLine is a phase's line and the node rows under it.
func (m *progressModel) phaseLine(p *phaseRow, titleW int, lim limits) []string {
	over := m.finished || m.aborted
	var mark, right string
	switch p.status {
	case pending:
		mark = styleDim.Render("○")
	case running:
		mark = m.spin.View()
		right = formatDuration(since(p.started, m.now))
		switch {
		case over:
			mark, right = styleWarn.Render("■"), "stopped after "+right
		case len(p.nodes) > 0:
			done, active := p.counts()
			right = fmt.Sprintf("%d/%d nodes, %d active  %s", done, len(p.nodes), active, right)
		}
	case succeeded:
		mark, right = styleOK.Render("✔"), formatDuration(p.elapsed)
	case failed:
		mark, right = styleFail.Render("✖"), formatDuration(p.elapsed)
	case skipped:
		mark, right = styleDim.Render("–"), "skipped"
		if p.message != "" {
			right += ": " + p.message
		}
	}
	// The title keeps at least 16 cells; the rest of the line is the
	// right-hand text, cut at its end.
	w := m.w() - 2
	tw := min(titleW, max(w-2-width(right), min(16, width(p.title))))
	line := mark + " " + fitPad(p.title, tw)
	if rest := w - tw - 2; right != "" && rest > 0 {
		line += "  " + styleDim.Render(cut(right, rest))
	}
	out := []string{line}

	var shown []*nodeRow
	for _, n := range p.nodes {
		// Finished phases fold their nodes away except the failed ones.
		if p.status == running || n.status == failed {
			shown = append(shown, n)
		}
	}
	rows, hidden := pickNodes(shown, lim.nodes)
	nameW, stepW := 4, 0
	for _, n := range rows {
		nameW, stepW = max(nameW, width(n.name)), max(stepW, width(m.stepText(n)))
	}
	nameW, stepW = min(nameW, 16), min(stepW, 24+16*boolInt(m.w() >= 120))
	for _, n := range rows {
		out = append(out, m.nodeLine(n, nameW, stepW))
	}
	if len(hidden) > 0 {
		var done, busy, bad int
		for _, n := range hidden {
			switch n.status {
			case running:
				busy++
			case failed:
				bad++
			default:
				done++
			}
		}
		var parts []string
		for _, c := range []struct {
			n    int
			what string
		}{{busy, "running"}, {bad, "failed"}, {done, "done"}} {
			if c.n > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", c.n, c.what))
			}
		}
		out = append(out, "    "+styleDim.Render(cut(fmt.Sprintf("+%d more nodes (%s)", len(hidden), strings.Join(parts, ", ")), m.w()-4)))
	}
	return out
}

// pickNodes keeps at most limit rows, failed and running ones first, in
// their order; limit < 0 keeps all.
func pickNodes(rows []*nodeRow, limit int) (keep, hidden []*nodeRow) {
	if limit < 0 || len(rows) <= limit {
		return rows, nil
	}
	chosen := map[*nodeRow]bool{}
	for _, want := range []status{failed, running, succeeded} {
		for _, n := range rows {
			if len(chosen) < limit && !chosen[n] && (n.status == want || (want == succeeded && n.status != failed && n.status != running)) {
				chosen[n] = true
			}
		}
	}
	for _, n := range rows {
		if chosen[n] {
			keep = append(keep, n)
		} else {
			hidden = append(hidden, n)
		}
	}
	return keep, hidden
}

func (m *progressModel) stepText(n *nodeRow) string {
	switch n.status {
	case succeeded:
		return "done"
	case failed:
		return "failed"
	}
	return n.step
}

// nodeLine is one node row. A running transfer keeps its percentage
// whatever the width; then its byte counts, the step and the bar share
// what is left, in that order.
func (m *progressModel) nodeLine(n *nodeRow, nameW, stepW int) string {
	over := m.finished || m.aborted
	var mark, el string
	switch n.status {
	case succeeded:
		mark, el = styleOK.Render("✔"), formatDuration(n.elapsed)
	case failed:
		mark, el = styleFail.Render("✖"), formatDuration(n.elapsed)
	default:
		mark, el = m.spin.View(), formatDuration(since(n.started, m.now))
		if over {
			mark = styleWarn.Render("■")
		}
	}
	prefix := "    " + mark + " " + fitPad(n.name, nameW) + " "
	el = fmt.Sprintf("%6s", el)
	avail := m.w() - (4 + 1 + 1 + nameW + 1) - 1 - width(el)
	step := m.stepText(n)
	elapsed := " " + styleDim.Render(el)
	maxStep := 24
	if m.w() >= 120 {
		maxStep = 40
	}

	if n.total > 0 && n.status == running {
		pct := fmt.Sprintf("%3d%%", min(n.done*100/n.total, 100))
		counts := formatBytes(n.done) + "/" + formatBytes(n.total)
		sw := min(width(step), 16)
		rem := avail - 1 - len(pct) - sw
		showCounts := rem >= 1+width(counts)
		if showCounts {
			rem -= 1 + width(counts)
		}
		barW := 0
		if rem >= 1+8 {
			barW = min(30, rem-1)
			rem -= 1 + barW
		}
		sw = max(min(sw+rem, width(step), maxStep), 0)
		if rem < 0 { // not even the step's minimum fits: it gets what is left
			sw = max(avail-1-len(pct), 0)
		}
		line := prefix + fitPad(step, sw) + elapsed
		if barW > 0 {
			bar := m.bar
			bar.Width = barW
			line += " " + bar.ViewAs(min(float64(n.done)/float64(n.total), 1))
		}
		line += " " + pct
		if showCounts {
			line += " " + styleDim.Render(counts)
		}
		return line
	}
	sw := min(stepW, max(avail, 0))
	line := prefix + fitPad(step, sw) + elapsed
	if msg := firstLine(n.message); msg != "" && n.status != running {
		if rest := avail - sw - 2; rest > 0 {
			line += "  " + cut(msg, rest)
		}
	}
	return line
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

// warningLines is the warnings panel: the newest distinct warnings that
// fit, and how many more the log holds.
func (m *progressModel) warningLines(lim limits) []string {
	if len(m.warnings) == 0 {
		return nil
	}
	total := len(m.warnings)
	out := []string{styleWarn.Render(fmt.Sprintf("Warnings (%d)", total))}
	show := total
	if lim.warnings >= 0 && total > lim.warnings {
		show = max(lim.warnings-1, 0)
	}
	for _, w := range m.warnings[total-show:] {
		text := w.text
		if w.count > 1 {
			text += fmt.Sprintf(" (×%d)", w.count)
		}
		out = append(out, styleWarn.Render("  ! ")+cut(text, m.w()-4))
	}
	if hidden := total - show; hidden > 0 {
		out = append(out, styleDim.Render(fmt.Sprintf("  +%d more (see log)", hidden)))
	}
	return out
}

// failureBox shows each failure once: where, what (wrapped, never cut
// inside a number), and the failing node's last output lines.
func (m *progressModel) failureBox(lim limits) []string {
	if len(m.failures) == 0 {
		return nil
	}
	inner := m.w() - 4
	stop := m.stopped()
	var b []string
	shown := m.failures
	if lim.failures >= 0 && len(shown) > lim.failures {
		shown = shown[:lim.failures]
	}
	for _, f := range shown {
		where := f.phase
		if f.node != "" {
			where += " / " + f.node
		}
		mark, st := "✖ ", styleFail
		if stop && strings.Contains(f.message, installer.ErrStopped.Error()) {
			mark, st = "■ ", styleWarn
		}
		head := mark + where + ": "
		if where == "" {
			head = mark
		}
		lines := m.wrapped(head+f.message, inner)
		if lim.failLines >= 0 && len(lines) > lim.failLines {
			hidden := len(lines) - lim.failLines + 1
			lines = append(lines[:max(lim.failLines-1, 1)], fmt.Sprintf("  … %d more lines (see log)", hidden))
		}
		for i, l := range lines {
			if i == 0 && strings.HasPrefix(l, head) {
				l = st.Render(head) + l[len(head):]
			}
			b = append(b, l)
		}
	}
	if more := len(m.failures) - len(shown); more > 0 {
		b = append(b, fmt.Sprintf("+%d more failures (see log)", more))
	}
	first := m.failures[0]
	if tail := keepLast(m.nodeLogs[first.node], lim.tail); len(tail) > 0 && lim.tail > 0 {
		who := "all nodes"
		if first.node != "" {
			who = first.node
		}
		b = append(b, "", fmt.Sprintf("Last %d log lines (%s):", len(tail), who))
		for _, l := range tail {
			b = append(b, "  "+cut(l, inner-2))
		}
	}
	if m.logFile != "" && !(m.finished || m.aborted) {
		b = append(b, "", cut("Full log: "+m.logFile, inner))
	}
	if stop {
		return box(styleWarn, b, m.w())
	}
	return box(styleFail, b, m.w())
}

// wrapped is wrap, remembered during one View (failure messages are
// wrapped once for every layout tried).
func (m *progressModel) wrapped(text string, w int) []string {
	key := fmt.Sprint("wrap", w, text)
	if v, ok := m.memo[key]; ok {
		return append([]string(nil), v...)
	}
	v := wrap(text, w)
	if m.memo != nil {
		m.memo[key] = v
	}
	return append([]string(nil), v...)
}

// box draws a rounded border of style st around lines (each at most w-4
// cells wide), w cells wide.
func box(st lipgloss.Style, lines []string, w int) []string {
	inner := max(w-4, 0)
	out := make([]string, 0, len(lines)+2)
	out = append(out, st.Render("╭"+strings.Repeat("─", inner+2)+"╮"))
	side := st.Render("│")
	for _, l := range lines {
		pad := max(inner-lipgloss.Width(l), 0)
		out = append(out, side+" "+l+strings.Repeat(" ", pad)+" "+side)
	}
	return append(out, st.Render("╰"+strings.Repeat("─", inner+2)+"╯"))
}

// logPane shows the newest log lines (or those scrolled to), each cut to
// the pane's width.
func (m *progressModel) logPane(h int) []string {
	inner := m.w() - 4
	end := len(m.logs) - min(m.logScroll, max(len(m.logs)-h, 0))
	start := max(end-h, 0)
	var b []string
	for _, l := range m.logs[start:end] {
		b = append(b, cut(l, inner))
	}
	if len(b) == 0 {
		b = []string{styleDim.Render("(no log lines yet)")}
	}
	if m.logScroll > 0 && end < len(m.logs) {
		b[len(b)-1] = styleDim.Render(cut(fmt.Sprintf("↓ %d newer lines (end: follow)", len(m.logs)-end), inner))
	}
	return box(styleBorder, b, m.w())
}

// summaryLines end the final frame: the outcome, the nodes, and last the
// log, the DC/OS UI and the DC/OS CLI line, from the run's Result.
func (m *progressModel) summaryLines(lim limits) []string {
	w := m.w()
	res := m.result
	logPath := m.logFile
	if res != nil && res.LogPath != "" {
		logPath = res.LogPath
	}
	var out []string
	switch {
	case m.aborted:
		out = m.wrapStyled(styleFail, "Quit at once: the steps that were running were cut short. Run the same command again to resume (an upload continues where it stopped).")
	case res == nil && m.workErr != nil:
		out = m.wrapStyled(styleFail, "FAILED: run the same command again to resume once the cause is fixed.")
	case res == nil:
		out = m.wrapStyled(styleOK, "Done.")
	case res.Status == "planned":
		var b strings.Builder
		_ = res.WritePlan(&b)
		out = wrap(b.String(), w)
	case res.Status == "stopped":
		out = m.wrapStyled(styleWarn, fmt.Sprintf("Stopped: cluster %q is not finished; run the same command again to resume.", res.Cluster))
	case res.Status == "failed":
		out = m.wrapStyled(styleFail, fmt.Sprintf("FAILED: cluster %q is not finished; fix the cause and run the same command again to resume.", res.Cluster))
	case res.Changed == 0 && (res.ACS == nil || res.ACS.Uploaded == 0):
		out = m.wrapStyled(styleOK, fmt.Sprintf("Nothing to do: DC/OS 1.9 cluster %q already matches the config; nothing was changed.", res.Cluster))
	default:
		out = m.wrapStyled(styleOK, fmt.Sprintf("DC/OS 1.9 cluster %q is up.", res.Cluster))
	}
	if res != nil && res.Status != "planned" {
		out = append(out, m.nodeSummary(res, lim.summaryNodes)...)
		out = append(out, m.besideLines(res)...)
	}
	labelled := func(label, value string) {
		if value != "" {
			out = append(out, m.valueLines(label, value)...)
		}
	}
	if res != nil && res.BootstrapURL != "" && lim.summaryNodes {
		labelled("bootstrap:", res.BootstrapURL)
	}
	labelled("log:", logPath)
	if res != nil && res.Status == "ok" && res.DCOSURL != "" {
		labelled("DC/OS UI:", res.DCOSURL)
		labelled("DC/OS CLI:", "dcos cluster setup "+res.DCOSURL)
	}
	return out
}

// besideLines say how the ACS side and the DC/OS CLI registration went
// (nothing when the flow had neither).
func (m *progressModel) besideLines(res *installer.Result) []string {
	var out []string
	if a := res.ACS; a != nil {
		switch {
		case a.Error != "":
			out = append(out, m.wrapStyled(styleWarn, "ACS: NOT DONE: "+a.Error)...)
		default:
			verb := "got"
			if a.Survey {
				verb = "have"
			}
			line := fmt.Sprintf("ACS: %d of %d agents %s %s", len(a.Agents)-a.Failed, len(a.Agents), verb, a.ArchivePath)
			if !a.Survey {
				line += fmt.Sprintf(" (%d uploaded)", a.Uploaded)
			}
			style := styleOK
			if a.Failed > 0 {
				style = styleWarn
				for _, ag := range a.Agents {
					if ag.Failed() {
						line += fmt.Sprintf("; %s (%s): %s", ag.Name, ag.IP, ag.State)
					}
				}
			}
			out = append(out, m.wrapStyled(style, line)...)
		}
	}
	if c := res.CLI; c != nil {
		if c.Error != "" {
			out = append(out, m.wrapStyled(styleWarn, "DC/OS CLI: NOT REGISTERED: "+c.Error)...)
		} else if len(c.Clusters) > 0 {
			var names []string
			for _, e := range c.Clusters {
				names = append(names, e.Name)
			}
			out = append(out, m.wrapStyled(styleOK, fmt.Sprintf("DC/OS CLI: %s in %s (dcos cluster attach NAME)", strings.Join(names, ", "), c.Dir))...)
		}
	}
	return out
}

// valueLines prints "  label value", the value whole: on the next line
// when the two do not fit one, broken over lines only when the value
// alone is wider than the terminal.
func (m *progressModel) valueLines(label, value string) []string {
	w := m.w()
	for _, head := range []string{"  " + padRight(label, 11), "  " + label + " ", label + " "} {
		if width(head)+width(value) <= w {
			return []string{styleDim.Render(head) + value}
		}
	}
	out := []string{styleDim.Render("  " + label)}
	for value != "" {
		p := prefixOf(value, w)
		out = append(out, p)
		value = value[len(p):]
	}
	return out
}

// nodeSummary lists the nodes (name, role, address, health) or, folded,
// counts them by health.
func (m *progressModel) nodeSummary(res *installer.Result, all bool) []string {
	if len(res.Nodes) == 0 {
		return nil
	}
	if !all {
		checked := false
		for _, n := range res.Nodes {
			checked = checked || n.Health != ""
		}
		if !checked {
			return nil // a run that stopped before the health check: counts say nothing
		}
		by := map[string]int{}
		for _, n := range res.Nodes {
			h := n.Health
			if h == "" {
				h = "not checked"
			} else if h != "healthy" {
				h = "not healthy"
			}
			by[h]++
		}
		var parts []string
		for h, c := range by {
			parts = append(parts, fmt.Sprintf("%d %s", c, h))
		}
		sort.Strings(parts)
		return []string{cut(fmt.Sprintf("  %d nodes: %s", len(res.Nodes), strings.Join(parts, ", ")), m.w())}
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, n := range res.Nodes {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", n.Name, n.Role, n.IP, n.Health)
	}
	tw.Flush()
	var out []string
	for _, l := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
		out = append(out, cut(strings.TrimRight(l, " "), m.w()))
	}
	return out
}
