package ssh

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"path"
	"strconv"
	"strings"
	"sync"
)

// PartialName is the name of the resumable staging file of an upload to
// remotePath (in the destination's directory, or the staging directory
// with sudo): StagingPrefix + "<name>.part-" + 12 hex digits of the
// destination path's sha256. It is deterministic, so an upload that was
// cut (the connection lost, the process killed) is found again by the next
// upload to the same destination; it does not match the
// StagingPrefix+"*.tmp-*" pattern of throwaway temp files, which the
// installer removes on connect. There is at most one per destination: the
// next upload there either resumes it or, when its content is another's,
// rewrites it from the first byte that differs.
func PartialName(remotePath string) string {
	sum := sha256.Sum256([]byte(remotePath))
	return StagingPrefix + path.Base(remotePath) + ".part-" + hex.EncodeToString(sum[:6])
}

// removePartial removes the destination's partial, if any (best effort):
// the destination already has the content.
func (c *Client) removePartial(remotePath string, opts UploadOptions) {
	sc, err := c.sftpClient()
	if err != nil {
		return
	}
	dir := path.Dir(remotePath)
	if opts.Sudo {
		if dir = opts.StagingDir; dir == "" {
			if dir, err = sc.Getwd(); err != nil {
				return
			}
		}
	}
	_ = sc.Remove(path.Join(dir, PartialName(remotePath)))
}

// partials are the destinations being uploaded by this process: a second
// concurrent upload to one destination uses a throwaway temp file instead
// of sharing the partial (runs of other processes are kept out by the
// installer's run lock).
var partials sync.Map // target + "\x00" + remotePath → struct{}

func claimPartial(target, remotePath string) (release func(), ok bool) {
	key := target + "\x00" + remotePath
	if _, busy := partials.LoadOrStore(key, struct{}{}); busy {
		return nil, false
	}
	return func() { partials.Delete(key) }, true
}

// segmentSumsScript prints the size of the partial ($1) and the sha256 of
// each hashSegment of it (the last one may be shorter), one per line;
// nothing when there is no partial.
const segmentSumsScript = `f=%s; seg=%d; [ -f "$f" ] || exit 0; size=$(stat -c %%s -- "$f"); echo "size $size"; ` +
	`if command -v openssl >/dev/null 2>&1; then sum() { openssl dgst -sha256 -r; }; else sum() { sha256sum; }; fi; ` +
	`exec 3<"$f"; left=$size; while [ "$left" -gt 0 ]; do n=$seg; [ "$left" -lt "$n" ] && n=$left; ` +
	`head -c "$n" <&3 | sum | cut -c1-64; left=$((left-n)); done`

// resumeOffset finds how much of the partial at staged is a prefix of the
// content (src, size bytes): the host hashes the partial segment by
// segment, src is hashed the same way, and the prefix ends before the
// first segment that differs (a hole or other content). It returns that
// length with src positioned there and h holding the prefix. Segments are
// compared whole (the last may be short), so a transfer cut anywhere keeps
// everything it wrote before the cut.
func (c *Client) resumeOffset(ctx context.Context, staged string, src io.ReadSeeker, size int64, h hash.Hash) (int64, error) {
	res, err := c.Run(ctx, fmt.Sprintf(segmentSumsScript, shellQuote(staged), hashSegment), RunOptions{CaptureStdout: true})
	if err != nil {
		return 0, fmt.Errorf("check the partial upload %s: %w", staged, err)
	}
	have, sums, err := parseSegmentSums(res.Stdout)
	if err != nil {
		return 0, fmt.Errorf("check the partial upload %s: %w", staged, err)
	}
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	if have == 0 || have > size {
		return 0, nil
	}
	saver, canSave := h.(encoding.BinaryMarshaler)
	restorer, canRestore := h.(encoding.BinaryUnmarshaler)
	var offset int64
	for _, want := range sums {
		n := min(hashSegment, have-offset)
		var state []byte
		if canSave && canRestore {
			if state, err = saver.MarshalBinary(); err != nil {
				return 0, err
			}
		}
		seg := sha256.New()
		if _, err := io.CopyN(io.MultiWriter(seg, h), src, n); err != nil {
			return 0, fmt.Errorf("read the content to compare with the partial upload: %w", err)
		}
		if hex.EncodeToString(seg.Sum(nil)) == want {
			offset += n
			continue
		}
		// This segment differs: h must hold the prefix only.
		if state == nil {
			h.Reset()
			if _, err := src.Seek(0, io.SeekStart); err != nil {
				return 0, err
			}
			if _, err := io.CopyN(h, src, offset); err != nil {
				return 0, err
			}
		} else if err := restorer.UnmarshalBinary(state); err != nil {
			return 0, err
		}
		break
	}
	if _, err := src.Seek(offset, io.SeekStart); err != nil {
		return 0, err
	}
	return offset, nil
}

// parseSegmentSums reads segmentSumsScript's output.
func parseSegmentSums(out string) (size int64, sums []string, err error) {
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if rest, ok := strings.CutPrefix(line, "size "); ok {
			if size, err = strconv.ParseInt(rest, 10, 64); err != nil {
				return 0, nil, fmt.Errorf("size %q: %w", rest, err)
			}
			continue
		}
		if len(line) != 64 {
			return 0, nil, fmt.Errorf("unexpected output %q", line)
		}
		sums = append(sums, line)
	}
	if want := (size + hashSegment - 1) / hashSegment; int64(len(sums)) != want {
		return 0, nil, fmt.Errorf("%d segment sums for %d bytes, want %d", len(sums), size, want)
	}
	return size, sums, nil
}
