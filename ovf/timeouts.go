package ovf

import "time"

// cleanupTimeout bounds removing a half-imported VM after a failure (the
// caller's context may already be cancelled then).
const cleanupTimeout = 2 * time.Minute
