package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/dcos-vsphere/dcos-vsphere/installer"
)

// ErrInterrupted is returned by Progress.Run when the user pressed ctrl+c
// twice: the view quit at once and the work, whose context is cancelled,
// may still be winding down.
var ErrInterrupted = errors.New("interrupted: quit before the work stopped")

// Progress is the live view of an install. It is an installer.Sink: Emit
// forwards each event into the running program, and is safe for
// concurrent use. Events emitted while Run is not active are dropped.
type Progress struct {
	// Input and Output default to the terminal (stdin/stdout); tests and
	// callers with their own TTY set them.
	Input  io.Reader
	Output io.Writer
	// LogFile is shown in the failure box so users find the full log.
	LogFile string

	title  string
	phases []string

	mu   sync.Mutex
	prog *tea.Program
}

// NewProgress returns a progress view whose header reads title.
func NewProgress(title string) *Progress { return &Progress{title: title} }

// Expect lists the phases that will run, so they show as pending (○)
// before they start. Call it before Run.
func (p *Progress) Expect(phases ...string) { p.phases = append(p.phases, phases...) }

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
	p.prog = prog
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.prog = nil
		p.mu.Unlock()
	}()

	workErr := make(chan error, 1)
	go func() {
		err := work(workCtx, p)
		workErr <- err
		prog.Send(workDoneMsg{err: err})
	}()

	final, runErr := prog.Run()
	if fm, ok := final.(*progressModel); ok && fm.aborted {
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
