package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/lipgloss"
)

var (
	styleTitle   = lipgloss.NewStyle().Bold(true)
	styleRunning = lipgloss.NewStyle().Foreground(lipgloss.Color("63"))
	styleOK      = lipgloss.NewStyle().Foreground(lipgloss.Color("42"))
	styleFail    = lipgloss.NewStyle().Foreground(lipgloss.Color("196"))
	styleWarn    = lipgloss.NewStyle().Foreground(lipgloss.Color("214"))
	styleDim     = lipgloss.NewStyle().Foreground(lipgloss.Color("245"))
	styleBox     = lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).Padding(0, 1)
	styleFailBox = styleBox.BorderForeground(lipgloss.Color("196"))
)

// View renders the state; it has no side effects. When the terminal is
// too short it first folds finished phases into one line, then shortens
// the failure box's log tail, so the final frame stays on screen.
func (m *progressModel) View() string {
	// Leave two lines for what the caller prints after the view exits.
	budget := m.height - 2
	v := m.render(false, maxFailureLines)
	if m.height <= 0 || lipgloss.Height(v) <= budget {
		return v
	}
	v = m.render(true, maxFailureLines)
	if over := lipgloss.Height(v) - budget; over > 0 {
		v = m.render(true, max(maxFailureLines-over, 3))
	}
	return v
}

func (m *progressModel) render(foldDone bool, failLines int) string {
	var b strings.Builder
	b.WriteString(m.header())
	b.WriteString("\n\n")
	m.writePhases(&b, foldDone)
	if len(m.warnings) > 0 {
		b.WriteString("\n" + styleWarn.Render("Warnings") + "\n")
		for _, w := range m.warnings {
			b.WriteString(styleWarn.Render("  ! ") + w + "\n")
		}
	}
	if len(m.failures) > 0 {
		b.WriteString("\n" + m.failureBox(failLines) + "\n")
	}
	if m.showLog {
		b.WriteString("\n" + styleBox.Width(m.width-2).Render(m.logView.View()) + "\n")
	}
	if !m.finished && !m.aborted {
		b.WriteString("\n" + m.help.View(m.keys) + "\n")
	}
	return b.String()
}

// writePhases lists the phases; with foldDone, runs of finished or
// skipped phases become one summary line.
func (m *progressModel) writePhases(b *strings.Builder, foldDone bool) {
	var folded []string
	flush := func() {
		switch len(folded) {
		case 0:
		case 1:
			m.writePhase(b, m.phase(folded[0]))
		default:
			fmt.Fprintf(b, "%s %d phases done (%s … %s)\n", styleOK.Render("✔"), len(folded), folded[0], folded[len(folded)-1])
		}
		folded = folded[:0]
	}
	for _, p := range m.phases {
		if foldDone && (p.status == succeeded || p.status == skipped) {
			folded = append(folded, p.name)
			continue
		}
		flush()
		m.writePhase(b, p)
	}
	flush()
}

func (m *progressModel) header() string {
	state := m.spin.View() + " running"
	switch {
	case m.aborted:
		state = styleFail.Render("✖ interrupted")
	case m.finished && m.stopping:
		state = styleWarn.Render("■ stopped")
	case m.finished && m.workErr == nil:
		state = styleOK.Render("✔ done")
	case m.finished:
		state = styleFail.Render("✖ failed")
	case m.stopping:
		state = styleWarn.Render(m.spin.View() + " stopping…")
	}
	el := formatDuration(since(m.start, m.now))
	return styleTitle.Render(m.title) + "  " + state + "  " + styleDim.Render(el)
}

func (m *progressModel) writePhase(b *strings.Builder, p *phaseRow) {
	var mark, right string
	switch p.status {
	case pending:
		mark = styleDim.Render("○")
	case running:
		mark = m.spin.View()
		right = formatDuration(since(p.started, m.now))
		switch {
		case m.finished || m.aborted:
			mark, right = styleWarn.Render("■"), "stopped after "+right
		case len(p.nodes) > 0:
			done, active := p.counts()
			right = fmt.Sprintf("%d/%d nodes, %d active  %s", done, len(p.nodes), active, right)
		}
	case succeeded:
		mark = styleOK.Render("✔")
		right = formatDuration(p.elapsed)
	case failed:
		mark = styleFail.Render("✖")
		right = formatDuration(p.elapsed)
	case skipped:
		mark = styleDim.Render("–")
		if p.message != "" {
			right = "skipped: " + p.message
		} else {
			right = "skipped"
		}
	}
	fmt.Fprintf(b, "%s %-32s %s\n", mark, p.name, styleDim.Render(right))
	for _, n := range p.nodes {
		// Finished phases fold their nodes away except the failed ones.
		if p.status == running || n.status == failed {
			m.writeNode(b, n)
		}
	}
}

func (m *progressModel) writeNode(b *strings.Builder, n *nodeRow) {
	var mark string
	var el string
	switch n.status {
	case succeeded:
		mark, el = styleOK.Render("✔"), formatDuration(n.elapsed)
	case failed:
		mark, el = styleFail.Render("✖"), formatDuration(n.elapsed)
	default:
		mark, el = m.spin.View(), formatDuration(since(n.started, m.now))
		if m.finished || m.aborted {
			mark = styleWarn.Render("■")
		}
	}
	step := n.step
	if n.status == succeeded {
		step = "done"
	}
	fmt.Fprintf(b, "    %s %-16s %-24s %s", mark, n.name, step, styleDim.Render(fmt.Sprintf("%6s", el)))
	if n.total > 0 && n.status == running {
		pct := float64(n.done) / float64(n.total)
		fmt.Fprintf(b, "  %s %s", m.bar.ViewAs(min(pct, 1)),
			styleDim.Render(formatBytes(n.done)+"/"+formatBytes(n.total)))
	}
	if n.message != "" && n.status != running {
		b.WriteString("  " + n.message)
	}
	b.WriteString("\n")
}

func (m *progressModel) failureBox(maxLines int) string {
	var b strings.Builder
	first := m.failures[0]
	for _, f := range m.failures {
		where := f.phase
		if f.node != "" {
			where += " / " + f.node
		}
		b.WriteString(styleFail.Render("✖ "+where) + ": " + f.message + "\n")
	}
	lines := keepLast(m.nodeLogs[first.node], maxLines)
	if len(lines) > 0 {
		who := "all nodes"
		if first.node != "" {
			who = first.node
		}
		fmt.Fprintf(&b, "\nLast %d log lines (%s):\n", len(lines), who)
		for _, l := range lines {
			b.WriteString("  " + l + "\n")
		}
	}
	if m.logFile != "" {
		b.WriteString("\nFull log: " + m.logFile + "\n")
	}
	return styleFailBox.Width(m.width - 2).Render(strings.TrimRight(b.String(), "\n"))
}
