package installer

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

type recorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *recorder) Emit(e Event) { r.mu.Lock(); r.events = append(r.events, e); r.mu.Unlock() }

func (r *recorder) kinds() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, string(e.Kind)+":"+e.Phase)
	}
	return out
}

type fakePhase struct {
	name    string
	err     error
	skip    bool
	log     *[]string
	cleanup bool
}

func (f *fakePhase) ID() PhaseID   { return PhaseID(f.name) }
func (f *fakePhase) Title() string { return f.name }
func (f *fakePhase) Run(context.Context, *Run) error {
	*f.log = append(*f.log, "run "+f.name)
	return f.err
}
func (f *fakePhase) ShouldRun(*Run) (bool, string) { return !f.skip, "nothing to do" }
func (f *fakePhase) CleanUp(context.Context, *Run) {
	if f.cleanup {
		*f.log = append(*f.log, "cleanup "+f.name)
	}
}
func (f *fakePhase) Plan(*Run) []Action { return []Action{{Phase: f.ID(), What: f.name}} }

// testRun is a run with an empty cluster (the runner needs no more).
func testRun(events Sink, dryRun bool) *Run {
	return &Run{Cluster: &config.Cluster{Name: "t"}, Events: events, Options: Options{DryRun: dryRun}}
}

func TestExecuteStopsAtFailureAndCleansUpNewestFirst(t *testing.T) {
	var log []string
	rec := &recorder{}
	boom := errors.New("boom")
	phases := []Phase{
		&fakePhase{name: "a", log: &log, cleanup: true},
		&fakePhase{name: "b", log: &log, skip: true, cleanup: true},
		&fakePhase{name: "c", log: &log, cleanup: true, err: boom},
		&fakePhase{name: "d", log: &log, cleanup: true},
	}
	err := Execute(context.Background(), testRun(rec, false), Flow{Phases: phases})
	var pe *PhaseError
	if !errors.As(err, &pe) || pe.Phase != "c" || pe.Title != "c" || !errors.Is(err, boom) {
		t.Fatalf("err = %v, want PhaseError for c wrapping boom", err)
	}
	want := "run a,run c,cleanup c,cleanup a"
	if got := strings.Join(log, ","); got != want {
		t.Fatalf("order = %s, want %s", got, want)
	}
	if got := strings.Join(rec.kinds(), " "); got != "phase-started:a phase-finished:a phase-skipped:b phase-started:c phase-failed:c" {
		t.Fatalf("events = %s", got)
	}
}

func TestExecuteDryRunRunsNothing(t *testing.T) {
	var log []string
	rec := &recorder{}
	phases := []Phase{&fakePhase{name: "a", log: &log}, &fakePhase{name: "b", log: &log, skip: true}}
	r := testRun(rec, true)
	if err := Execute(context.Background(), r, Flow{Phases: phases}); err != nil {
		t.Fatal(err)
	}
	if len(log) != 0 {
		t.Fatalf("dry run ran phases: %v", log)
	}
	var msgs []string
	for _, e := range rec.events {
		msgs = append(msgs, string(e.Kind)+":"+e.Message)
	}
	if got := strings.Join(msgs, ","); got != "phase-skipped:dry run,info:would a,phase-skipped:nothing to do" {
		t.Fatalf("dry run events = %q", got)
	}
	if acts := r.Actions(); len(acts) != 1 || acts[0].Phase != "a" {
		t.Fatalf("planned actions = %v", acts)
	}
}

func TestExecuteCancelledContextStopsBeforeNextPhase(t *testing.T) {
	var log []string
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Execute(ctx, testRun(&recorder{}, false), Flow{Phases: []Phase{&fakePhase{name: "a", log: &log}}})
	if !errors.Is(err, context.Canceled) || len(log) != 0 {
		t.Fatalf("err=%v log=%v", err, log)
	}
}

func TestExecuteSoftStopFinishesRunningPhaseAndStartsNoOther(t *testing.T) {
	var log []string
	stop := make(chan struct{})
	ctx := WithSoftStop(context.Background(), stop)
	first := &stopPhase{name: "a", log: &log, stop: stop}
	err := Execute(ctx, testRun(&recorder{}, false), Flow{Phases: []Phase{first, &fakePhase{name: "b", log: &log}}})
	if !errors.Is(err, ErrStopped) {
		t.Fatalf("err = %v, want ErrStopped", err)
	}
	if strings.Join(log, ",") != "run a,finished a" {
		t.Fatalf("log = %v", log)
	}
}

// stopPhase requests a soft stop while it runs, then finishes its work.
type stopPhase struct {
	name string
	log  *[]string
	stop chan struct{}
}

func (p *stopPhase) ID() PhaseID   { return PhaseID(p.name) }
func (p *stopPhase) Title() string { return p.name }
func (p *stopPhase) Run(ctx context.Context, _ *Run) error {
	*p.log = append(*p.log, "run "+p.name)
	close(p.stop)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	*p.log = append(*p.log, "finished "+p.name)
	return nil
}

func TestForEachNodeSoftStopStartsNoNewNode(t *testing.T) {
	stop := make(chan struct{})
	ctx := WithSoftStop(context.Background(), stop)
	var ran []string
	nodes := []VMSpec{{Name: "a"}, {Name: "b"}, {Name: "c"}}
	err := forEachNode(ctx, nodes, 1, func(_ context.Context, n VMSpec) error {
		ran = append(ran, n.Name) // limit 1: never concurrent
		close(stop)
		return nil
	})
	if len(ran) != 1 {
		t.Fatalf("ran %v after the stop, want only the first", ran)
	}
	var ne *NodesError
	if !errors.As(err, &ne) || len(ne.Errs) != 2 || !errors.Is(err, ErrStopped) {
		t.Fatalf("err = %v", err)
	}
}

type lookPhase struct{ fakePhase }

func (lookPhase) ReadOnly() {}

func TestExecuteDryRunRunsReadOnlyPhasesOnly(t *testing.T) {
	var log []string
	phases := []Phase{&lookPhase{fakePhase{name: "look", log: &log}}, &fakePhase{name: "change", log: &log}}
	if err := Execute(context.Background(), testRun(&recorder{}, true), Flow{Phases: phases}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(log, ",") != "run look" {
		t.Fatalf("dry run ran %v, want only the read-only phase", log)
	}
}
