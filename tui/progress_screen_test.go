package tui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"github.com/dcos-vsphere/dcos-vsphere/dcoscli"
	"github.com/dcos-vsphere/dcos-vsphere/installer"
)

func init() { lipgloss.SetColorProfile(termenv.Ascii) }

// The screen tests run the progress view in a real bubbletea program
// (teatest) with a fixed terminal size and replay its output through
// vtScreen: what they assert, line by line, is the screen.

// pvWait bounds every wait of the screen tests.
const pvWait = 10 * time.Second

// pvLog is the log path of the scenarios.
const pvLog = "/var/lib/dcos-vsphere/lab/logs/install-20260102T030405.000Z-4242.log"

// The number that must never be cut (629174116 bytes = 600.0 MiB).
const pvBig = 629174116

type pvDriver struct {
	t     *testing.T
	tm    *teatest.TestModel
	scr   *vtScreen
	w, h  int
	clock time.Time
}

func startProgressScreen(t *testing.T, w, h int) *pvDriver {
	t.Helper()
	m := newProgressModel("dcos-vsphere install lab", nil)
	m.logFile = pvLog
	m.declare(installer.InstallFlow().Infos())
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h))
	t.Cleanup(func() { _ = tm.Quit() })
	return &pvDriver{t: t, tm: tm, scr: newVTScreen(t, w, h), w: w, h: h, clock: time.Now()}
}

// emit sends events, one second apart.
func (d *pvDriver) emit(events ...installer.Event) {
	for _, e := range events {
		d.clock = d.clock.Add(time.Second)
		if e.Time.IsZero() {
			e.Time = d.clock
		}
		d.tm.Send(eventMsg(e))
	}
}

func (d *pvDriver) key(k string) { d.tm.Type(k) }

// drain feeds the program's output so far to the screen.
func (d *pvDriver) drain() {
	b, _ := io.ReadAll(d.tm.Output())
	d.scr.Write(b)
}

// waitFor polls the screen until cond holds, bounded.
func (d *pvDriver) waitFor(what string, cond func(lines []string) bool) []string {
	d.t.Helper()
	deadline := time.Now().Add(pvWait)
	for {
		d.drain()
		if lines := d.scr.Lines(); cond(lines) {
			return lines
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("waited %s for %s; %s", pvWait, what, d.scr)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitLine waits for a screen line containing s and returns it.
func (d *pvDriver) waitLine(s string) string {
	d.t.Helper()
	var found string
	d.waitFor(fmt.Sprintf("a line with %q", s), func(lines []string) bool {
		for _, l := range lines {
			if strings.Contains(l, s) {
				found = l
				return true
			}
		}
		return false
	})
	return found
}

// finish ends the work with err and returns the final screen.
func (d *pvDriver) finish(err error) []string {
	d.t.Helper()
	d.tm.Send(workDoneMsg{err: err})
	d.tm.WaitFinished(d.t, teatest.WithFinalTimeout(pvWait))
	d.drain()
	return d.scr.Lines()
}

// fits checks the frame is whole on the screen: the header on the first
// row, nothing pushed into the scrollback.
func (d *pvDriver) fits(lines []string) {
	d.t.Helper()
	if !strings.HasPrefix(lines[0], "dcos-vsphere install lab") {
		d.t.Errorf("the header is not on the first row; %s", d.scr)
	}
	if len(d.scr.scrollback) > 0 {
		d.t.Errorf("%d lines scrolled off the %d-line terminal: %q; %s", len(d.scr.scrollback), d.h, d.scr.scrollback, d.scr)
	}
}

// count is how many screen lines (and scrolled-off lines) contain s.
func (d *pvDriver) count(s string) int {
	return strings.Count(d.scr.All(), s)
}

// lastLines are the last n non-empty screen lines.
func lastLines(lines []string, n int) []string {
	var out []string
	for i := len(lines) - 1; i >= 0 && len(out) < n; i-- {
		if strings.TrimSpace(lines[i]) != "" {
			out = append([]string{lines[i]}, out...)
		}
	}
	return out
}

// noCutNumbers fails when the screen shows a piece of a number that the
// events only carried whole.
func (d *pvDriver) noCutNumbers(whole ...string) {
	d.t.Helper()
	for _, n := range whole {
		for i := 1; i < len(n); i++ {
			for _, piece := range []string{n[:i], n[i:]} {
				re := regexp.MustCompile(`(^|[^0-9])` + piece + `([^0-9]|$)`)
				for _, l := range strings.Split(d.scr.All(), "\n") {
					if re.MatchString(l) && !strings.Contains(l, n) && len(piece) > 3 {
						d.t.Errorf("%q shows %q, a piece of %s; %s", l, piece, n, d.scr)
					}
				}
			}
		}
	}
}

var bootPhase = installer.Event{PhaseID: installer.PhaseBootstrap, Phase: "Bootstrap node"}

func phaseEvent(kind installer.EventKind, id installer.PhaseID, title string) installer.Event {
	return installer.Event{Kind: kind, PhaseID: id, Phase: title}
}

// doneUntilBootstrap runs the phases before the bootstrap one.
func doneUntilBootstrap() []installer.Event {
	var out []installer.Event
	for _, in := range installer.InstallFlow().Infos() {
		if in.ID == installer.PhaseBootstrap {
			break
		}
		if in.ID == installer.PhaseTemplate {
			out = append(out, installer.Event{Kind: installer.PhaseSkipped, PhaseID: in.ID, Phase: in.Title, Message: "template centos7 exists"})
			continue
		}
		out = append(out, phaseEvent(installer.PhaseStarted, in.ID, in.Title), phaseEvent(installer.PhaseFinished, in.ID, in.Title))
	}
	return out
}

func uploadAt(done int64) installer.Event {
	e := bootPhase
	e.Kind, e.Node, e.Step, e.Done, e.Total = installer.Progress, "bootstrap", "upload dcos_generate_config.sh", done, pvBig
	return e
}

func remoteLine(node, msg string) installer.Event {
	e := bootPhase
	e.Kind, e.Node, e.Message = installer.LogLine, node, msg
	return e
}

// longOutput is remote output whose number straddles the edge of an
// 80-column log pane.
// The pane's lines start "15:04:05     bootstrap: | " (26 cells) inside a
// 76-cell box: the number spans cells 70-78.
var longOutput = "Extracting dcos_generate_config.sh payload, " + fmt.Sprint(pvBig) + " bytes into genconf/serve"

func TestScreenUploadAt80x24KeepsNumbers(t *testing.T) {
	d := startProgressScreen(t, 80, 24)
	d.emit(doneUntilBootstrap()...)
	d.emit(phaseEvent(installer.PhaseStarted, installer.PhaseBootstrap, "Bootstrap node"))
	d.emit(remoteLine("bootstrap", longOutput))
	d.emit(uploadAt(pvBig / 2))

	line := d.waitLine(" 50%")
	if !strings.Contains(line, "bootstrap") || !strings.Contains(line, "300.0 MiB/600.0 MiB") {
		t.Errorf("upload row %q: want the node, 50%% and the byte counts", line)
	}
	d.fits(d.scr.Lines())

	// The log pane: remote output and phase lines, not byte progress.
	for _, done := range []int64{pvBig / 5 * 3, pvBig / 4 * 3} {
		d.emit(uploadAt(done))
	}
	d.key("l")
	d.waitLine("==> Bootstrap node")
	line = d.waitLine(" 75%") // the bar keeps its numbers with the pane open
	if !strings.Contains(line, "450.0 MiB/600.0 MiB") {
		t.Errorf("upload row with the log pane open: %q", line)
	}
	out := d.waitLine("bootstrap: | Extracting")
	if !strings.HasSuffix(strings.TrimRight(out, " │"), "payload, …") {
		t.Errorf("the long output line %q: want its number whole or left out", out)
	}
	screen := d.scr.Lines()
	d.fits(screen)
	for _, l := range screen {
		if strings.Contains(l, "│") && (strings.Contains(l, "%") || strings.Contains(l, "bytes)")) {
			t.Errorf("the log pane shows byte progress: %q", l)
		}
	}
	d.noCutNumbers(fmt.Sprint(pvBig))
	d.finish(nil)
}

func TestScreenUploadAt200x60(t *testing.T) {
	d := startProgressScreen(t, 200, 60)
	d.emit(doneUntilBootstrap()...)
	d.emit(phaseEvent(installer.PhaseStarted, installer.PhaseBootstrap, "Bootstrap node"))
	d.emit(remoteLine("bootstrap", longOutput))
	d.emit(uploadAt(pvBig / 4))
	line := d.waitLine(" 25%")
	for _, want := range []string{"upload dcos_generate_config.sh", "150.0 MiB/600.0 MiB", "███"} {
		if !strings.Contains(line, want) {
			t.Errorf("upload row %q lacks %q at 200 columns", line, want)
		}
	}
	d.key("l")
	d.waitLine(longOutput) // wide enough: whole
	lines := d.scr.Lines()
	d.fits(lines)
	// Nothing was folded at this height: every phase has its own row.
	for _, in := range installer.InstallFlow().Infos() {
		if !strings.Contains(strings.Join(lines, "\n"), in.Title) {
			t.Errorf("phase %q not listed at 200x60; %s", in.Title, d.scr)
		}
	}
	d.finish(nil)
}

func TestScreenWarningsShowMore(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {200, 60}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			d := startProgressScreen(t, size[0], size[1])
			d.emit(doneUntilBootstrap()...)
			d.emit(phaseEvent(installer.PhaseStarted, installer.PhaseBootstrap, "Bootstrap node"))
			const n = 60
			for i := range n {
				e := bootPhase
				e.Kind, e.Node = installer.Warning, fmt.Sprintf("agent-%d", i+1)
				e.Message = fmt.Sprintf("clock is %d ms off (chrony not running); DC/OS needs %d ms or less", 1000+i, 500)
				d.emit(e)
			}
			d.waitLine(fmt.Sprintf("agent-%d:", n))
			more := d.waitLine("more (see log)")
			lines := d.scr.Lines()
			d.fits(lines)
			shown := 0
			for _, l := range lines {
				if strings.HasPrefix(l, "  ! ") {
					shown++
				}
			}
			if want := fmt.Sprintf("+%d more (see log)", n-shown); !strings.Contains(more, want) || shown == 0 {
				t.Errorf("%d warnings shown and %q, want %q", shown, more, want)
			}
			if !strings.Contains(strings.Join(lines, "\n"), fmt.Sprintf("agent-%d: clock is %d ms off", n, 1000+n-1)) {
				t.Errorf("the newest warning is not shown; %s", d.scr)
			}
			d.finish(nil)
		})
	}
}

// manyFailed is the phase error of an install where every agent failed,
// as the installer words it (NodesError).
func manyFailed(n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d node(s) failed:", n)
	for i := range n {
		fmt.Fprintf(&b, "\n  agent-%d (10.0.1.%d): dcos_install.sh: exit status 1: download %d of %d bytes failed", i+1, 20+i, pvBig/3, pvBig)
	}
	return b.String()
}

func TestScreenFailureShownOnce(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {200, 60}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			d := startProgressScreen(t, size[0], size[1])
			d.emit(doneUntilBootstrap()...)
			var events []installer.Event
			for _, id := range []installer.PhaseID{installer.PhaseBootstrap, installer.PhaseInstallMasters} {
				events = append(events, phaseEvent(installer.PhaseStarted, id, string(id)), phaseEvent(installer.PhaseFinished, id, string(id)))
			}
			d.emit(events...)
			d.emit(phaseEvent(installer.PhaseStarted, installer.PhaseInstallAgents, "Install agents"))
			for i := range 20 {
				d.emit(installer.Event{Kind: installer.NodeStep, PhaseID: installer.PhaseInstallAgents, Node: fmt.Sprintf("agent-%d", i+1), Step: "dcos_install.sh slave"})
			}
			msg := manyFailed(20)
			d.emit(installer.Event{Kind: installer.PhaseFailed, PhaseID: installer.PhaseInstallAgents, Phase: "Install agents", Message: msg})
			d.emit(installer.Event{Kind: installer.RunResult, Result: &installer.Result{Command: "install", Status: "failed", Cluster: "lab",
				DCOSURL: "http://10.0.1.11/", LogPath: pvLog, Error: "Install agents: " + msg}})
			lines := d.finish(&installer.PhaseError{Phase: installer.PhaseInstallAgents, Title: "Install agents", Err: errors.New(msg)})
			d.fits(lines)
			if c := d.count("20 node(s) failed"); c != 1 {
				t.Errorf("the error is on screen %d times, want once; %s", c, d.scr)
			}
			if c := d.count("FAILED: cluster"); c != 1 {
				t.Errorf("the outcome is on screen %d times, want once; %s", c, d.scr)
			}
			end := lastLines(lines, 2)
			if !strings.Contains(end[0], "resume.") || !strings.Contains(end[1], "log:") || !strings.Contains(end[1], pvLog) {
				t.Errorf("the frame ends with %q, want the outcome then the log path; %s", end, d.scr)
			}
			if strings.Contains(d.scr.All(), "DC/OS CLI") {
				t.Errorf("a failed install offers the DC/OS CLI; %s", d.scr)
			}
			if size[0] == 80 && !strings.Contains(d.scr.All(), "more lines (see log)") {
				t.Errorf("20 failed agents fit an 80x24 screen without a 'see log'; %s", d.scr)
			}
			d.noCutNumbers(fmt.Sprint(pvBig), fmt.Sprint(pvBig/3))
		})
	}
}

func okResult(agents int) *installer.Result {
	res := &installer.Result{Command: "install", Status: "ok", Cluster: "lab", Changed: 3 + agents + 1,
		DCOSURL: "http://10.0.1.11/", BootstrapURL: "http://10.0.1.10:8080/", LogPath: pvLog}
	res.Nodes = append(res.Nodes, installer.NodeResult{Name: "bootstrap", Role: "bootstrap", IP: "10.0.1.10", Health: ""})
	for i := range 3 {
		res.Nodes = append(res.Nodes, installer.NodeResult{Name: fmt.Sprintf("master-%d", i+1), Role: "master", IP: fmt.Sprintf("10.0.1.%d", 11+i), Health: "healthy"})
	}
	for i := range agents {
		res.Nodes = append(res.Nodes, installer.NodeResult{Name: fmt.Sprintf("agent-%d", i+1), Role: "agent", IP: fmt.Sprintf("10.0.1.%d", 20+i), Health: "healthy"})
	}
	return res
}

func TestScreenSummaryOnceWithLogPaneOpen(t *testing.T) {
	for _, tc := range []struct {
		w, h, agents int
		listed       bool // every node has its summary line
	}{{80, 24, 12, false}, {80, 24, 2, true}, {200, 60, 12, true}} {
		t.Run(fmt.Sprintf("%dx%d/%d-agents", tc.w, tc.h, tc.agents), func(t *testing.T) {
			d := startProgressScreen(t, tc.w, tc.h)
			var events []installer.Event
			for _, in := range installer.InstallFlow().Infos() {
				events = append(events, phaseEvent(installer.PhaseStarted, in.ID, in.Title))
				events = append(events, remoteLine("master-1", "output of "+string(in.ID)))
				events = append(events, phaseEvent(installer.PhaseFinished, in.ID, in.Title))
			}
			d.emit(events...)
			d.key("l")
			d.waitLine("==> Check cluster health")
			d.emit(installer.Event{Kind: installer.RunResult, Result: okResult(tc.agents)})
			lines := d.finish(nil)
			d.fits(lines)
			if c := d.count("is up."); c != 1 {
				t.Errorf("the summary is on screen %d times, want once; %s", c, d.scr)
			}
			end := lastLines(lines, 3)
			want := []string{"log:", "DC/OS UI:", "DC/OS CLI:"}
			vals := []string{pvLog, "http://10.0.1.11/", "dcos cluster setup http://10.0.1.11/"}
			for i := range want {
				if !strings.HasPrefix(strings.TrimSpace(end[i]), want[i]) || !strings.HasSuffix(end[i], vals[i]) {
					t.Errorf("summary line %d = %q, want %q … %q; %s", i, end[i], want[i], vals[i], d.scr)
				}
			}
			if strings.Contains(d.scr.All(), "│") {
				t.Errorf("the final frame still shows the log pane; %s", d.scr)
			}
			listed := regexp.MustCompile(fmt.Sprintf(`agent-%d +agent +10\.0\.1\.%d +healthy`, tc.agents, 19+tc.agents)).MatchString(d.scr.All())
			if listed != tc.listed {
				t.Errorf("every node listed = %v, want %v; %s", listed, tc.listed, d.scr)
			}
			if !tc.listed && !strings.Contains(d.scr.All(), fmt.Sprintf("%d nodes: 1 not checked, %d healthy", 4+tc.agents, 3+tc.agents)) {
				t.Errorf("folded node summary missing; %s", d.scr)
			}
		})
	}
}

// TestScreenRunDrivesTheView drives Progress.Run itself, as the CLI does:
// events from the work, the Result last, the final screen at 80x24 and
// Shown so the caller prints nothing more.
func TestScreenRunDrivesTheView(t *testing.T) {
	var out bytes.Buffer
	p := NewProgress("dcos-vsphere install lab")
	p.Input, p.Output = strings.NewReader(""), &out // read once Run has returned
	p.size.Width, p.size.Height = 80, 24
	p.Expect(installer.InstallFlow().Infos()...)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := p.Run(ctx, func(ctx context.Context, sink installer.Sink) error {
		for _, e := range append(doneUntilBootstrap(), uploadAt(pvBig)) {
			e.Time = time.Now()
			sink.Emit(e)
		}
		infos := installer.InstallFlow().Infos()
		from := slices.IndexFunc(infos, func(in installer.PhaseInfo) bool { return in.ID == installer.PhaseBootstrap })
		for _, in := range infos[from:] { // bootstrap on
			sink.Emit(installer.Event{Time: time.Now(), Kind: installer.PhaseStarted, PhaseID: in.ID, Phase: in.Title})
			sink.Emit(installer.Event{Time: time.Now(), Kind: installer.PhaseFinished, PhaseID: in.ID, Phase: in.Title})
		}
		sink.Emit(installer.Event{Time: time.Now(), Kind: installer.RunResult, Result: okResult(2)})
		return nil
	})
	if err != nil || !p.Shown() {
		t.Fatalf("Run: %v, Shown %v", err, p.Shown())
	}
	scr := newVTScreen(t, 80, 24)
	scr.Write(out.Bytes())
	lines := scr.Lines()
	if !strings.HasPrefix(lines[0], "dcos-vsphere install lab  ✔ done") {
		t.Errorf("first row %q; %s", lines[0], scr)
	}
	if end := lastLines(lines, 1); !strings.Contains(end[0], "dcos cluster setup http://10.0.1.11/") {
		t.Errorf("the screen ends with %q; %s", end, scr)
	}
	// The upload came before its phase started: one row all the same.
	infos := installer.InstallFlow().Infos()
	if want := fmt.Sprintf("✔ %d phases done (Connect to vCenter … %s)", len(infos), infos[len(infos)-1].Title); !strings.Contains(scr.All(), want) {
		t.Errorf("want %q, each phase once; %s", want, scr)
	}
}

// TestScreenManyNodesFit: thirty agents at work fit 80x24: as many rows
// as there is room for, then how many more and what they do.
func TestScreenManyNodesFit(t *testing.T) {
	d := startProgressScreen(t, 80, 24)
	d.emit(doneUntilBootstrap()...)
	d.emit(phaseEvent(installer.PhaseStarted, installer.PhaseInstallAgents, "Install agents"))
	const n = 30
	for i := range n {
		d.emit(installer.Event{Kind: installer.NodeStep, PhaseID: installer.PhaseInstallAgents, Node: fmt.Sprintf("agent-%d", i+1), Step: "dcos_install.sh slave"})
	}
	for i := range 4 {
		d.emit(installer.Event{Kind: installer.NodeDone, PhaseID: installer.PhaseInstallAgents, Node: fmt.Sprintf("agent-%d", i+1)})
	}
	d.waitLine("4/30 nodes, 26 active")
	more := d.waitLine("more nodes")
	lines := d.scr.Lines()
	d.fits(lines)
	rows := 0
	for _, l := range lines {
		if regexp.MustCompile(`^    \S agent-\d+ `).MatchString(l) {
			rows++
		}
	}
	if want := fmt.Sprintf("+%d more nodes (", n-rows); !strings.Contains(more, want) || rows < 5 {
		t.Errorf("%d node rows and %q, want %q with at least 5 rows; %s", rows, more, want, d.scr)
	}
	if strings.Count(strings.Join(lines, "\n"), "✔ agent-") > 0 && strings.Contains(more, "running") && rows < n-4 {
		t.Errorf("done rows shown while running ones are hidden; %s", d.scr)
	}
	d.tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC}) // the first: a stop, with its hint
	d.waitLine("Stopping: the running steps finish")
	d.fits(d.scr.Lines())
	d.finish(installer.ErrStopped)
	if !strings.Contains(d.scr.Lines()[0], "■ stopped") {
		t.Errorf("header after a stop; %s", d.scr)
	}
}

// The final frame says how the ACS side and the DC/OS CLI registration
// went: an unreachable ACS master is on screen, not only in the log.
func TestScreenSummaryShowsTheACSSide(t *testing.T) {
	d := startProgressScreen(t, 80, 24)
	res := okResult(2)
	res.ACS = &installer.ACSResult{Error: "master acs.example:2200: dial tcp: i/o timeout"}
	res.CLI = &installer.CLIResult{Result: dcoscli.Result{Dir: "/root/.dcos", Clusters: []dcoscli.Entry{{Name: "lab", ID: "x"}}}}
	d.emit(installer.Event{Kind: installer.RunResult, Result: res})
	lines := d.finish(nil)
	d.fits(lines)
	all := d.scr.All()
	if !strings.Contains(all, "ACS: NOT DONE: master acs.example:2200") || !strings.Contains(all, "DC/OS CLI: lab in /root/.dcos") {
		t.Errorf("the ACS side or the CLI registration is not on screen; %s", d.scr)
	}
}
