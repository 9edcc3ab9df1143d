package installer

import (
	"sync"
	"time"
)

// EventKind says what an Event reports.
type EventKind string

// The kinds of event a run emits. Renderers switch on these.
const (
	PhaseStarted  EventKind = "phase-started"
	PhaseFinished EventKind = "phase-finished"
	PhaseSkipped  EventKind = "phase-skipped"
	PhaseFailed   EventKind = "phase-failed"
	NodeStep      EventKind = "node-step" // a node moved to Step
	NodeDone      EventKind = "node-done"
	NodeFailed    EventKind = "node-failed"
	Progress      EventKind = "progress" // Done of Total bytes
	LogLine       EventKind = "log"      // a line of remote output (debug)
	Info          EventKind = "info"
	Warning       EventKind = "warning"
	// RunResult is the last event of a run; its Result holds the outcome.
	RunResult EventKind = "result"
)

// Event is one thing that happened during a run. Messages are already
// redacted when they are emitted.
type Event struct {
	Time time.Time `json:"time"`
	Kind EventKind `json:"kind"`
	// PhaseID is the phase's stable id; Phase its title, for people.
	PhaseID PhaseID       `json:"phaseId,omitempty"`
	Phase   string        `json:"phase,omitempty"`
	Node    string        `json:"node,omitempty"`
	Step    string        `json:"step,omitempty"`
	Message string        `json:"message,omitempty"`
	Done    int64         `json:"done,omitempty"`
	Total   int64         `json:"total,omitempty"`
	Elapsed time.Duration `json:"elapsedNs,omitempty"`
	// Result is set on the RunResult event only.
	Result *Result `json:"result,omitempty"`
}

// Sink receives events. Implementations must be safe for concurrent use.
type Sink interface{ Emit(Event) }

// SinkFunc adapts a function to Sink.
type SinkFunc func(Event)

// Emit calls f.
func (f SinkFunc) Emit(e Event) { f(e) }

// Fanout sends each event to every sink, in order, one event at a time,
// so renderers never see interleaved events.
type Fanout struct {
	mu    sync.Mutex
	sinks []Sink
}

// NewFanout returns a Fanout over sinks.
func NewFanout(sinks ...Sink) *Fanout { return &Fanout{sinks: sinks} }

// Emit stamps the event time when missing and forwards it.
func (f *Fanout) Emit(e Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.sinks {
		s.Emit(e)
	}
}
