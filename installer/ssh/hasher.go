package ssh

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// hashSegment is how much is written between two hand-offs to the remote
// hasher. All writes of a segment are acknowledged before its size is sent,
// so sha256sum never reads a region still in flight (a hole).
const hashSegment = 16 << 20

// remoteHasher runs sha256sum on the host over a file while it is being
// written: it reads, through one descriptor, exactly as many bytes as we
// announce on its stdin. Verification thus overlaps the transfer instead of
// re-reading the whole file afterwards.
type remoteHasher struct {
	sess   *gossh.Session
	stdin  io.WriteCloser
	stdout bytes.Buffer
	stderr bytes.Buffer
	done   chan error
}

// hasherScript prefers `openssl dgst -sha256` (SHA-NI accelerated, ~5x
// coreutils' sha256sum, so verification keeps up with the transfer) and
// falls back to sha256sum; both print the same digest.
const hasherScript = `set -euo pipefail; exec 3<"$1"; ` +
	`if command -v openssl >/dev/null 2>&1; then sum() { openssl dgst -sha256 -r; }; else sum() { sha256sum; }; fi; ` +
	`{ while IFS= read -r n; do head -c "$n" <&3; done; } | sum | cut -c1-64`

func (c *Client) startHasher(file string) (*remoteHasher, error) {
	sess, err := c.conn.NewSession()
	if err != nil {
		return nil, fmt.Errorf("start sha256sum of %s: %w", file, err)
	}
	h := &remoteHasher{sess: sess, done: make(chan error, 1)}
	if h.stdin, err = sess.StdinPipe(); err != nil {
		sess.Close()
		return nil, err
	}
	sess.Stdout, sess.Stderr = &h.stdout, &h.stderr
	if err := sess.Start("bash --norc -c " + shellQuote(hasherScript) + " sha256 " + shellQuote(file)); err != nil {
		sess.Close()
		return nil, fmt.Errorf("start sha256sum of %s: %w", file, err)
	}
	go func() { h.done <- sess.Wait() }()
	return h, nil
}

// written tells the hasher that n more bytes are in the file.
func (h *remoteHasher) written(n int64) error {
	_, err := fmt.Fprintf(h.stdin, "%d\n", n)
	return err
}

// sum ends the input and returns the remote sha256 (hex).
func (h *remoteHasher) sum(ctx context.Context) (string, error) {
	h.stdin.Close()
	select {
	case err := <-h.done:
		h.sess.Close()
		if err != nil {
			return "", fmt.Errorf("remote sha256sum: %w: %s", err, strings.TrimSpace(h.stderr.String()))
		}
	case <-ctx.Done():
		h.abort()
		return "", ctx.Err()
	case <-time.After(uploadFinalizeTimeout):
		h.abort()
		return "", errors.New("remote sha256sum did not finish")
	}
	sum := strings.TrimSpace(h.stdout.String())
	if len(sum) != 64 {
		return "", fmt.Errorf("remote sha256sum printed %q", sum)
	}
	return sum, nil
}

func (h *remoteHasher) abort() {
	h.stdin.Close()
	h.sess.Close()
}
