package tui

import (
	"fmt"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/installer"
)

// status is where a phase or a node stands.
type status int

const (
	pending status = iota
	running
	succeeded
	failed
	skipped
)

// phaseRow is one line of the phase list and the nodes working under it,
// keyed on the phase's stable id.
type phaseRow struct {
	id      installer.PhaseID
	title   string
	status  status
	started time.Time
	elapsed time.Duration
	message string
	nodes   []*nodeRow
}

// nodeRow is one node's line under a phase: its current step, timing and
// the bytes moved by its latest transfer.
type nodeRow struct {
	name    string
	step    string
	message string
	status  status
	started time.Time
	elapsed time.Duration
	done    int64
	total   int64
}

// failure is one entry of the failure box.
type failure struct {
	phase   string // title
	node    string
	message string
}

// warning is one distinct warning and how often it came.
type warning struct {
	text  string
	count int
}

func (p *phaseRow) node(name string, at time.Time) *nodeRow {
	for _, n := range p.nodes {
		if n.name == name {
			return n
		}
	}
	n := &nodeRow{name: name, status: running, started: at}
	p.nodes = append(p.nodes, n)
	return n
}

// counts returns how many nodes are finished and how many are still busy.
func (p *phaseRow) counts() (finished, active int) {
	for _, n := range p.nodes {
		if n.status == running {
			active++
		} else {
			finished++
		}
	}
	return finished, active
}

// since is the elapsed time of something started at start and still
// running at now; a zero start or a clock going backwards gives 0.
func since(start, now time.Time) time.Duration {
	if start.IsZero() || now.Before(start) {
		return 0
	}
	return now.Sub(start)
}

// formatDuration gives short, stable widths: 850ms, 4.2s, 38s, 2m05s, 1h03m.
func formatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < 10*time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	default:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
}

// formatBytes prints a byte count with a binary unit.
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
