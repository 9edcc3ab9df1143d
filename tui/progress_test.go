package tui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/dcos-vsphere/dcos-vsphere/installer"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// feed applies events to a fresh model, stamping them one second apart,
// and returns the model and its plain-text view.
func feed(t *testing.T, events ...installer.Event) (*progressModel, string) {
	t.Helper()
	m := newProgressModel("install lab", nil)
	for i, e := range events {
		if e.Time.IsZero() {
			e.Time = t0.Add(time.Duration(i) * time.Second)
		}
		m.Update(eventMsg(e))
	}
	return m, ansi.Strip(m.View())
}

// lineWith returns the first view line containing s.
func lineWith(t *testing.T, view, s string) string {
	t.Helper()
	for _, l := range strings.Split(view, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	t.Fatalf("no line contains %q in view:\n%s", s, view)
	return ""
}

func TestPhaseMarks(t *testing.T) {
	_, v := feed(t,
		installer.Event{Kind: installer.PhaseStarted, Phase: "validate config"},
		installer.Event{Kind: installer.PhaseFinished, Phase: "validate config", Elapsed: 1500 * time.Millisecond},
		installer.Event{Kind: installer.PhaseSkipped, Phase: "ensure template", Message: "centos7 exists"},
		installer.Event{Kind: installer.PhaseStarted, Phase: "clone VMs"},
	)
	if l := lineWith(t, v, "validate config"); !strings.HasPrefix(l, "✔") || !strings.Contains(l, "1.5s") {
		t.Errorf("finished phase line = %q, want ✔ and 1.5s", l)
	}
	if l := lineWith(t, v, "ensure template"); !strings.HasPrefix(l, "–") || !strings.Contains(l, "skipped: centos7 exists") {
		t.Errorf("skipped phase line = %q, want – and the reason", l)
	}
	if l := lineWith(t, v, "clone VMs"); strings.HasPrefix(l, "✔") || strings.HasPrefix(l, "✖") {
		t.Errorf("running phase line = %q, want a spinner, not a final mark", l)
	}
}

func TestExpectedPhasesShowPending(t *testing.T) {
	m := newProgressModel("x", nil)
	m.declare([]installer.PhaseInfo{{ID: "connect-vcenter", Title: "connect vCenter"}, {ID: "create-vms", Title: "clone VMs"}})
	m.Update(eventMsg{Kind: installer.PhaseStarted, PhaseID: "connect-vcenter", Phase: "connect vCenter", Time: t0})
	v := ansi.Strip(m.View())
	if l := lineWith(t, v, "clone VMs"); !strings.HasPrefix(l, "○") {
		t.Errorf("pending phase line = %q, want ○", l)
	}
	if n := strings.Count(v, "connect vCenter"); n != 1 {
		t.Errorf("started declared phase appears %d times, want 1:\n%s", n, v)
	}
}

func TestNodeLinesUnderRunningPhase(t *testing.T) {
	m, v := feed(t,
		installer.Event{Kind: installer.PhaseStarted, Phase: "clone VMs"},
		installer.Event{Kind: installer.NodeStep, Phase: "clone VMs", Node: "master-1", Step: "cloning"},
		installer.Event{Kind: installer.NodeStep, Phase: "clone VMs", Node: "agent-1", Step: "cloning"},
		installer.Event{Kind: installer.NodeStep, Node: "master-1", Step: "waiting for IP"},
		installer.Event{Kind: installer.NodeDone, Node: "agent-1", Elapsed: 3 * time.Second},
	)
	if l := lineWith(t, v, "master-1"); !strings.Contains(l, "waiting for IP") || !strings.Contains(l, "3.0s") {
		t.Errorf("master-1 line = %q, want current step and elapsed 3.0s", l)
	}
	if l := lineWith(t, v, "agent-1"); !strings.Contains(l, "✔") || !strings.Contains(l, "done") {
		t.Errorf("agent-1 line = %q, want ✔ done", l)
	}
	if l := lineWith(t, v, "clone VMs"); !strings.Contains(l, "1/2 nodes, 1 active") {
		t.Errorf("phase line = %q, want node counts", l)
	}

	// Once the phase finishes its healthy nodes fold away.
	m.Update(eventMsg{Kind: installer.PhaseFinished, Phase: "clone VMs", Time: t0.Add(9 * time.Second)})
	v = ansi.Strip(m.View())
	if strings.Contains(v, "master-1") {
		t.Errorf("finished phase still lists its nodes:\n%s", v)
	}
}

func TestProgressPercent(t *testing.T) {
	_, v := feed(t,
		installer.Event{Kind: installer.PhaseStarted, Phase: "bootstrap"},
		installer.Event{Kind: installer.Progress, Node: "bootstrap", Step: "upload installer", Done: 630, Total: 1000},
	)
	l := lineWith(t, v, "upload installer")
	if !strings.Contains(l, "63%") || !strings.Contains(l, "630 B/1000 B") {
		t.Errorf("progress line = %q, want 63%% and byte counts", l)
	}
}

func TestFailureBox(t *testing.T) {
	events := []installer.Event{
		{Kind: installer.PhaseStarted, Phase: "install masters"},
		{Kind: installer.NodeStep, Node: "master-2", Step: "dcos_install.sh"},
	}
	for i := range 25 {
		events = append(events, installer.Event{Kind: installer.LogLine, Node: "master-2", Message: fmt.Sprintf("line %02d", i)})
	}
	events = append(events,
		installer.Event{Kind: installer.LogLine, Node: "master-1", Message: "other node output"},
		installer.Event{Kind: installer.NodeFailed, Node: "master-2", Message: "exit status 1"},
		installer.Event{Kind: installer.PhaseFailed, Phase: "install masters", Message: "1 of 3 masters failed"},
	)
	m, _ := feed(t, events...)
	m.logFile = "/tmp/x/install.log"
	v := ansi.Strip(m.View())

	if !strings.Contains(v, "✖ install masters / master-2: exit status 1") {
		t.Errorf("failure box lacks failed node and message:\n%s", v)
	}
	if !strings.Contains(v, "Last 20 log lines (master-2)") {
		t.Errorf("failure box lacks the log tail header:\n%s", v)
	}
	if strings.Contains(v, "line 04") || !strings.Contains(v, "line 05") || !strings.Contains(v, "line 24") {
		t.Errorf("failure box should hold exactly lines 05..24:\n%s", v)
	}
	if strings.Contains(v, "other node output") {
		t.Errorf("failure box mixes in another node's output:\n%s", v)
	}
	if !strings.Contains(v, "Full log: /tmp/x/install.log") {
		t.Errorf("failure box lacks the log file path:\n%s", v)
	}
	if l := lineWith(t, v, "install masters "); !strings.HasPrefix(l, "✖") {
		t.Errorf("failed phase line = %q, want ✖", l)
	}
	// The failed node stays listed even though its phase is over.
	if l := lineWith(t, v, "    ✖ master-2 "); !strings.Contains(l, "failed") {
		t.Errorf("failed node line = %q, want ✖", l)
	}
}

func TestWarningsKeptAndCounted(t *testing.T) {
	var events []installer.Event
	for i := range 7 {
		events = append(events, installer.Event{Kind: installer.Warning, Node: "agent-1", Message: fmt.Sprintf("warn %d", i)})
	}
	events = append(events, installer.Event{Kind: installer.Warning, Node: "agent-1", Message: "warn 6"})
	_, v := feed(t, events...)
	for i := range 6 {
		if !strings.Contains(v, fmt.Sprintf("agent-1: warn %d", i)) {
			t.Errorf("warning %d dropped on an unbounded terminal:\n%s", i, v)
		}
	}
	if !strings.Contains(v, "agent-1: warn 6 (×2)") || !strings.Contains(v, "Warnings (7)") {
		t.Errorf("a repeated warning is not counted once with ×2:\n%s", v)
	}
}

func TestStallWarningsCountedOnce(t *testing.T) {
	var events []installer.Event
	for _, quiet := range []string{"15s", "20s", "1m5s"} {
		events = append(events, installer.Event{Kind: installer.Warning, PhaseID: "health", Message: "no progress for " + quiet + " (master-1: waiting for health)"})
	}
	events = append(events, installer.Event{Kind: installer.Warning, Node: "agent-2", Message: "clock is 900 ms off"},
		installer.Event{Kind: installer.Warning, Node: "agent-3", Message: "clock is 900 ms off"})
	_, v := feed(t, events...)
	if !strings.Contains(v, "no progress for 1m5s (master-1: waiting for health) (×3)") || strings.Contains(v, "for 15s") {
		t.Errorf("stall warnings differing only in the duration are not one line with the latest:\n%s", v)
	}
	if !strings.Contains(v, "agent-2: clock") || !strings.Contains(v, "agent-3: clock") || !strings.Contains(v, "Warnings (3)") {
		t.Errorf("warnings of two nodes were merged:\n%s", v)
	}
}

func TestLogToggle(t *testing.T) {
	m, v := feed(t,
		installer.Event{Kind: installer.PhaseStarted, Phase: "prepare nodes"},
		installer.Event{Kind: installer.LogLine, Node: "agent-1", Message: "Installed: ipset"},
	)
	if strings.Contains(v, "Installed: ipset") {
		t.Fatalf("log pane visible before l:\n%s", v)
	}
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("l")})
	v = ansi.Strip(m.View())
	if !strings.Contains(v, "agent-1: | Installed: ipset") || !strings.Contains(v, "==> prepare nodes") {
		t.Errorf("log pane after l lacks the log lines:\n%s", v)
	}
	// New lines arriving while the pane is open are followed.
	m.Update(eventMsg{Kind: installer.LogLine, Node: "agent-1", Message: "Complete!", Time: t0})
	if v = ansi.Strip(m.View()); !strings.Contains(v, "Complete!") {
		t.Errorf("log pane does not follow new lines:\n%s", v)
	}
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("l")})
	if v = ansi.Strip(m.View()); strings.Contains(v, "Installed: ipset") {
		t.Errorf("log pane still visible after second l:\n%s", v)
	}
}

func TestHelpToggle(t *testing.T) {
	m := newProgressModel("x", nil)
	short := ansi.Strip(m.View())
	if strings.Contains(short, "log: older") {
		t.Fatalf("short help shows full bindings:\n%s", short)
	}
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("?")})
	if v := ansi.Strip(m.View()); !strings.Contains(v, "log: older") {
		t.Errorf("? did not show full help:\n%s", v)
	}
}

func TestCtrlCCancelsThenQuits(t *testing.T) {
	cancelled := 0
	m := newProgressModel("x", func() { cancelled++ })
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyCtrlC})
	if cmd == nil {
		t.Fatal("first ctrl+c returned no cancel intent")
	}
	if cancelled != 0 {
		t.Fatal("Update called cancel itself; it must only return the intent")
	}
	if msg := cmd(); msg != nil {
		t.Errorf("cancel intent produced message %T", msg)
	}
	if cancelled != 1 {
		t.Errorf("cancel called %d times, want 1", cancelled)
	}
	if v := ansi.Strip(m.View()); !strings.Contains(v, "stopping…") {
		t.Errorf("view after ctrl+c lacks stopping…:\n%s", v)
	}
	_, cmd = m.Update(tea.KeyMsg{Type: tea.KeyCtrlC})
	if cmd == nil || !isQuit(cmd()) || !m.aborted {
		t.Error("second ctrl+c did not quit")
	}
}

func TestWorkDoneQuitsWithFinalState(t *testing.T) {
	m := newProgressModel("x", nil)
	_, cmd := m.Update(workDoneMsg{err: errors.New("boom")})
	if cmd == nil || !isQuit(cmd()) {
		t.Fatal("work done did not quit the program")
	}
	if v := ansi.Strip(m.View()); !strings.Contains(v, "✖ failed") {
		t.Errorf("header after failed work:\n%s", v)
	}
}

func isQuit(msg tea.Msg) bool {
	_, ok := msg.(tea.QuitMsg)
	return ok
}

// TestRunReturnsWorkError drives the real program without a terminal:
// events from the work goroutine reach the view, and Run returns the
// work's own error.
func TestRunReturnsWorkError(t *testing.T) {
	var out bytes.Buffer
	p := NewProgress("run test")
	p.Input = strings.NewReader("")
	p.Output = &out
	wantErr := errors.New("master-2 failed")

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := p.Run(ctx, func(ctx context.Context, sink installer.Sink) error {
		sink.Emit(installer.Event{Time: time.Now(), Kind: installer.PhaseStarted, Phase: "install masters"})
		sink.Emit(installer.Event{Time: time.Now(), Kind: installer.NodeFailed, Phase: "install masters", Node: "master-2", Message: "exit status 7"})
		return wantErr
	})
	if !errors.Is(err, wantErr) {
		t.Fatalf("Run returned %v, want %v", err, wantErr)
	}
	text := ansi.Strip(out.String())
	if !regexp.MustCompile(`install masters / master-2: exit status 7`).MatchString(text) {
		t.Errorf("final frame lacks the failure:\n%s", text)
	}
	// Emit after Run must not block or panic.
	p.Emit(installer.Event{Kind: installer.Info, Message: "late"})
}

// TestShortTerminalKeepsFailureOnScreen checks the final frame fits the
// terminal: finished phases fold into one line and the log tail shrinks.
func TestShortTerminalKeepsFailureOnScreen(t *testing.T) {
	var events []installer.Event
	for i := range 8 {
		ph := fmt.Sprintf("phase %d", i)
		events = append(events,
			installer.Event{Kind: installer.PhaseStarted, Phase: ph},
			installer.Event{Kind: installer.PhaseFinished, Phase: ph})
	}
	events = append(events, installer.Event{Kind: installer.PhaseStarted, Phase: "install masters"})
	for i := range 20 {
		events = append(events, installer.Event{Kind: installer.LogLine, Node: "master-2", Message: fmt.Sprintf("out %02d", i)})
	}
	events = append(events, installer.Event{Kind: installer.NodeFailed, Node: "master-2", Message: "exit status 1"})
	m, tall := feed(t, events...)
	if strings.Contains(tall, "phases done") {
		t.Fatalf("folded although the terminal size is unknown:\n%s", tall)
	}
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	m.Update(workDoneMsg{err: errors.New("failed")})
	v := ansi.Strip(m.View())
	if h := strings.Count(v, "\n"); h > 30 {
		t.Errorf("view is %d lines, terminal 30:\n%s", h, v)
	}
	for _, want := range []string{"8 phases done (phase 0 … phase 7)", "install masters / master-2: exit status 1", "out 19"} {
		if !strings.Contains(v, want) {
			t.Errorf("short view lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "out 00") {
		t.Errorf("log tail not shortened:\n%s", v)
	}
}

func TestStoppedRunMarksUnfinishedRows(t *testing.T) {
	m, _ := feed(t,
		installer.Event{Kind: installer.PhaseStarted, Phase: "clone VMs"},
		installer.Event{Kind: installer.NodeStep, Node: "master-1", Step: "cloning"},
	)
	m.Update(tea.KeyMsg{Type: tea.KeyCtrlC})
	m.Update(workDoneMsg{err: context.Canceled})
	v := ansi.Strip(m.View())
	if !strings.Contains(v, "■ stopped") {
		t.Errorf("header after a stopped run:\n%s", v)
	}
	if l := lineWith(t, v, "clone VMs"); !strings.HasPrefix(l, "■") || !strings.Contains(l, "stopped after") {
		t.Errorf("unfinished phase line = %q, want ■ stopped after", l)
	}
	if strings.Contains(v, "ctrl+c") {
		t.Errorf("final frame still shows key help:\n%s", v)
	}
}

// TestRunConcurrentEmit has many goroutines emit at once, as per-node
// fan-out does; run it with -race.
func TestRunConcurrentEmit(t *testing.T) {
	var out bytes.Buffer
	p := NewProgress("fan-out")
	p.Input = strings.NewReader("")
	p.Output = &out
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := p.Run(ctx, func(ctx context.Context, sink installer.Sink) error {
		sink.Emit(installer.Event{Time: time.Now(), Kind: installer.PhaseStarted, Phase: "prepare nodes"})
		done := make(chan struct{})
		for n := range 8 {
			go func() {
				defer func() { done <- struct{}{} }()
				node := fmt.Sprintf("agent-%d", n)
				for i := range 100 {
					sink.Emit(installer.Event{Time: time.Now(), Kind: installer.LogLine, Node: node, Message: fmt.Sprint(i)})
				}
				sink.Emit(installer.Event{Time: time.Now(), Kind: installer.NodeFailed, Node: node, Message: "gave up"})
			}()
		}
		for range 8 {
			<-done
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	text := ansi.Strip(out.String())
	for n := range 8 {
		if want := fmt.Sprintf("agent-%d: gave up", n); !strings.Contains(text, want) {
			t.Errorf("final frame lacks %q", want)
		}
	}
}

// TestFrameGapKeepsUpUnderEventFloods: with a frame gap, events arriving
// faster reuse the last frame; a tick, a key and the end draw anew.
func TestFrameGapKeepsUpUnderEventFloods(t *testing.T) {
	m := newProgressModel("x", nil)
	m.frameGap = time.Hour // only fresh-frame triggers redraw in this test
	m.Update(eventMsg{Kind: installer.PhaseStarted, Phase: "prepare nodes", Time: t0})
	first := ansi.Strip(m.View())
	m.Update(eventMsg{Kind: installer.NodeStep, Node: "agent-1", Step: "yum install", Time: t0})
	if v := ansi.Strip(m.View()); v != first {
		t.Errorf("a frame within the gap was drawn anew:\n%s", v)
	}
	m.Update(spinner.TickMsg{Time: t0.Add(time.Second)})
	if v := ansi.Strip(m.View()); !strings.Contains(v, "agent-1") {
		t.Errorf("a tick did not bring the latest state:\n%s", v)
	}
	m.Update(eventMsg{Kind: installer.NodeStep, Node: "agent-2", Step: "yum install", Time: t0})
	m.Update(workDoneMsg{})
	if v := ansi.Strip(m.View()); !strings.Contains(v, "agent-2") || !strings.Contains(v, "✔ done") {
		t.Errorf("the final frame is stale:\n%s", v)
	}
}
