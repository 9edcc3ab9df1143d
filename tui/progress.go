package tui

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/dcos-vsphere/dcos-vsphere/installer"
)

// ErrInterrupted is returned by Progress.Run when the user pressed ctrl+c
// twice: the view quit at once and the work, whose context is cancelled,
// may still be winding down. It counts as a stop (errors.Is
// installer.ErrStopped): the next run resumes.
var ErrInterrupted error = interrupted{}

type interrupted struct{}

func (interrupted) Error() string { return "interrupted: quit before the work stopped" }

// Is makes an interruption a stop.
func (interrupted) Is(target error) bool { return target == installer.ErrStopped }

// Progress is the live view of a run. It is an installer.Sink: Emit
// forwards each event into the running program, and is safe for
// concurrent use. Events emitted while Run is not active are dropped.
type Progress struct {
	// Input and Output default to the terminal (stdin/stdout); tests and
	// callers with their own TTY set them.
	Input  io.Reader
	Output io.Writer
	// LogFile is where the full log is, for when the run's Result does not
	// say (the failure box while running, an interrupted run).
	LogFile string

	title  string
	phases []installer.PhaseInfo
	// size is the terminal size to lay out for when Output is no terminal
	// (tests); a terminal reports its own.
	size tea.WindowSizeMsg

	mu    sync.Mutex
	prog  *tea.Program
	shown bool
}

// NewProgress returns a progress view whose header reads title.
func NewProgress(title string) *Progress { return &Progress{title: title} }

// Expect lists the phases that will run (installer.Flow.Infos), so they
// show as pending (○) before they start; rows are keyed on the phase ids.
// Call it before Run.
func (p *Progress) Expect(phases ...installer.PhaseInfo) { p.phases = append(p.phases, phases...) }

// Shown reports whether the last Run drew its final frame: the outcome,
// each error once and the summary (log path, DC/OS UI, DC/OS CLI line) are
// on the terminal, and the caller should not print them again.
func (p *Progress) Shown() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.shown
}

// Emit implements installer.Sink.
func (p *Progress) Emit(e installer.Event) {
	p.mu.Lock()
	prog := p.prog
	p.mu.Unlock()
	if prog != nil {
		prog.Send(eventMsg(e)) // returns at once once the program has ended
	}
}

// Run shows the view, runs work in a goroutine with a context that ctrl+c
// (or ctx) cancels, and returns work's error once work has returned and
// the view has drawn its final frame. A second ctrl+c quits the view at
// once and returns ErrInterrupted without waiting for work.
func (p *Progress) Run(ctx context.Context, work func(ctx context.Context, sink installer.Sink) error) error {
	workCtx, cancel := context.WithCancel(ctx)
	defer cancel()

	m := newProgressModel(p.title, cancel)
	m.logFile = p.LogFile
	m.frameGap = time.Second / 15
	m.declare(p.phases)

	var opts []tea.ProgramOption
	if p.Input != nil {
		opts = append(opts, tea.WithInput(p.Input))
	}
	if p.Output != nil {
		opts = append(opts, tea.WithOutput(p.Output))
	}
	prog := tea.NewProgram(m, opts...)
	p.mu.Lock()
	p.prog, p.shown = prog, false
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.prog = nil
		p.mu.Unlock()
	}()
	if p.size.Width > 0 {
		go prog.Send(p.size)
	}

	workErr := make(chan error, 1)
	go func() {
		err := work(workCtx, p)
		workErr <- err
		prog.Send(workDoneMsg{err: err})
	}()

	final, runErr := prog.Run()
	fm, _ := final.(*progressModel)
	if runErr == nil && fm != nil && (fm.finished || fm.aborted) {
		p.mu.Lock()
		p.shown = true
		p.mu.Unlock()
	}
	if fm != nil && fm.aborted {
		return ErrInterrupted
	}
	if runErr != nil {
		// The view broke (no terminal, killed by ctx): stop the work and
		// still report its own result.
		cancel()
		if err := <-workErr; err != nil {
			return err
		}
		return fmt.Errorf("progress view %q: %w", p.title, runErr)
	}
	return <-workErr
}
