package ssh

import "context"

// DefaultConcurrentUploads bounds uploads in flight per process, like
// k0sctl's --concurrent-uploads.
const DefaultConcurrentUploads = 5

// UploadLimiter is a counting semaphore shared by the clients that should
// not upload more than n files at once.
type UploadLimiter struct{ slots chan struct{} }

// NewUploadLimiter allows n uploads at once (n < 1 means 1).
func NewUploadLimiter(n int) *UploadLimiter {
	return &UploadLimiter{slots: make(chan struct{}, max(n, 1))}
}

// defaultUploads is shared by every Client whose Config.Uploads is nil.
var defaultUploads = NewUploadLimiter(DefaultConcurrentUploads)

func (l *UploadLimiter) acquire(ctx context.Context) error {
	select {
	case l.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *UploadLimiter) release() { <-l.slots }
