package templates

import (
	"context"
	"reflect"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"
)

// Retry bounds transient-fault retries of one vCenter call.
type Retry struct {
	Attempts int           // total tries, default 4
	Base     time.Duration // first back-off, default 200ms, doubled each time
	Max      time.Duration // back-off cap, default 5s
}

func (r Retry) withDefaults() Retry {
	if r.Attempts <= 0 {
		r.Attempts = 4
	}
	if r.Base <= 0 {
		r.Base = 200 * time.Millisecond
	}
	if r.Max <= 0 {
		r.Max = 5 * time.Second
	}
	return r
}

// isTransient reports faults worth retrying as they are: vCenter busy or a
// host briefly unreachable.
func isTransient(err error) bool {
	return fault.IsTransientError(err)
}

// do runs fn until it succeeds, fails permanently, or the attempts are used.
func (r Retry) do(ctx context.Context, onRetry func(attempt int, err error), fn func() error) error {
	r = r.withDefaults()
	delay := r.Base
	var err error
	for attempt := 1; ; attempt++ {
		if err = fn(); err == nil || !isTransient(err) || attempt >= r.Attempts {
			return err
		}
		if onRetry != nil {
			onRetry(attempt, err)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		delay = min(2*delay, r.Max)
	}
}

// faultName is the vSphere fault type of err ("NoDiskSpace"), or "".
func faultName(err error) string {
	name := ""
	fault.In(err, func(f types.BaseMethodFault, _ string, _ []types.LocalizableMessage) bool {
		name = reflect.TypeOf(f).Elem().Name()
		return true
	})
	return name
}

func isDuplicateName(err error) bool { return fault.Is(err, &types.DuplicateName{}) }

// waitTask waits for a task; when the session was renewed meanwhile (the
// waiter's property collector died with the old session) it waits again.
func (s *Session) waitTask(ctx context.Context, t *object.Task) (*types.TaskInfo, error) {
	for range 3 {
		gen := s.generation()
		info, err := t.WaitForResult(ctx, nil)
		if err == nil || ctx.Err() != nil || !s.sessionChanged(gen, err) {
			return info, err
		}
	}
	return t.WaitForResult(ctx, nil)
}

// sessionChanged tells a wait that broke because the session was renewed.
func (s *Session) sessionChanged(gen uint64, err error) bool {
	return s.generation() != gen || fault.Is(err, &types.NotAuthenticated{}) || fault.Is(err, &types.ManagedObjectNotFound{})
}
