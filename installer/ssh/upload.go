package ssh

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path"
	"strings"
	"time"

	"github.com/pkg/sftp"
)

// SFTP tuning: many large writes in flight hide the round trip and cut
// per-packet cost, so one stream keeps up with OpenSSH's scp. 255 KiB of
// data per write fits OpenSSH sftp-server's 256 KiB message limit (every
// version, including CentOS 7's 7.4); Config.SFTPMaxPacket lowers it to the
// portable 32 KiB for other servers.
const (
	DefaultSFTPMaxPacket  = 255 << 10
	sftpRequestsPerFile   = 64
	uploadFinalizeTimeout = 10 * time.Minute
)

// StagingPrefix starts the name of every temp file an upload writes, so
// that the ones an interrupted upload leaves (the process killed, the
// connection cut) can be found and removed safely: nothing else is named so.
const StagingPrefix = ".dcos-vsphere-"

// UploadOptions tune one upload.
type UploadOptions struct {
	// Progress receives bytes sent so far and the total; the caller derives
	// the rate. Called from the uploading goroutine, at least once at the end.
	Progress func(done, total int64)
	// Sudo writes a destination only root may write (e.g. /opt): the file
	// goes to StagingDir as the login user, then `sudo install` puts it next
	// to the destination and renames it into place. The result is owned by root.
	Sudo bool
	// StagingDir is where Sudo uploads stage; default the user's home.
	StagingDir string
}

// UploadResult says what an upload did.
type UploadResult struct {
	Skipped bool  // the remote file already had this content
	Bytes   int64 // bytes sent (0 when skipped)
	// Resumed is how many bytes of an interrupted earlier upload were
	// verified on the host and kept: only the rest was sent.
	Resumed  int64
	SHA256   string // of the content, hex
	Duration time.Duration
}

// Upload copies localPath to remotePath with the given mode. The content is
// written over SFTP to a staging file while the host hashes what lands in
// it (openssl dgst -sha256, or sha256sum); on a match it is chmod-ed and
// renamed into place, so readers never see a partial or corrupt file. A
// remote file with the same content is left alone (Skipped). Uploads share
// the Config.Uploads bound.
//
// The staging file is resumable (PartialName: one per destination, kept
// when the transfer is cut): the next Upload to the same destination
// verifies, segment by segment, how much of it is this content and sends
// only the rest (UploadResult.Resumed).
func (c *Client) Upload(ctx context.Context, localPath, remotePath string, mode os.FileMode, opts UploadOptions) (UploadResult, error) {
	f, err := os.Open(localPath)
	if err != nil {
		return UploadResult{}, fmt.Errorf("upload %s: %w", localPath, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return UploadResult{}, fmt.Errorf("upload %s: %w", localPath, err)
	}
	start := time.Now()
	limiter := c.uploadLimiter()
	if err := limiter.acquire(ctx); err != nil {
		return UploadResult{}, fmt.Errorf("upload %s to %s:%s: %w", localPath, c.target, remotePath, err)
	}
	defer limiter.release()

	remoteSum, err := c.remoteSumIfSize(ctx, remotePath, st.Size(), opts.Sudo)
	if err != nil {
		return UploadResult{}, fmt.Errorf("upload %s to %s:%s: %w", localPath, c.target, remotePath, err)
	}
	if remoteSum != "" {
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			return UploadResult{}, fmt.Errorf("upload %s: hash: %w", localPath, err)
		}
		if sum := hex.EncodeToString(h.Sum(nil)); sum == remoteSum {
			chmod := fmt.Sprintf("chmod %04o -- %s", mode.Perm(), shellQuote(remotePath))
			if _, err := c.Run(ctx, chmod, RunOptions{Sudo: opts.Sudo}); err != nil {
				return UploadResult{}, fmt.Errorf("upload %s to %s:%s: %w", localPath, c.target, remotePath, err)
			}
			c.removePartial(remotePath, opts) // one a cut finalize left behind
			if opts.Progress != nil {
				opts.Progress(st.Size(), st.Size())
			}
			return UploadResult{Skipped: true, SHA256: sum, Duration: time.Since(start)}, nil
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return UploadResult{}, fmt.Errorf("upload %s: %w", localPath, err)
		}
	}
	res, err := c.upload(ctx, f, st.Size(), remotePath, mode, opts, f)
	res.Duration = time.Since(start)
	if err != nil {
		return res, fmt.Errorf("upload %s to %s:%s: %w", localPath, c.target, remotePath, err)
	}
	return res, nil
}

// UploadReader is Upload for content from r of exactly size bytes. It
// always transfers (an unchanged-content check would need r twice), to a
// throwaway temp file (StagingPrefix+"<name>.tmp-<random>"): without
// reading r twice there is nothing to resume from.
func (c *Client) UploadReader(ctx context.Context, r io.Reader, size int64, remotePath string, mode os.FileMode, opts UploadOptions) (UploadResult, error) {
	start := time.Now()
	limiter := c.uploadLimiter()
	if err := limiter.acquire(ctx); err != nil {
		return UploadResult{}, fmt.Errorf("upload to %s:%s: %w", c.target, remotePath, err)
	}
	defer limiter.release()
	res, err := c.upload(ctx, r, size, remotePath, mode, opts, nil)
	res.Duration = time.Since(start)
	if err != nil {
		return res, fmt.Errorf("upload to %s:%s: %w", c.target, remotePath, err)
	}
	return res, nil
}

func (c *Client) uploadLimiter() *UploadLimiter {
	if c.cfg.Uploads != nil {
		return c.cfg.Uploads
	}
	return defaultUploads
}

// remoteSumIfSize returns the sha256 of remotePath when it is a regular
// file of the given size, else "".
func (c *Client) remoteSumIfSize(ctx context.Context, remotePath string, size int64, sudo bool) (string, error) {
	script := fmt.Sprintf(`f=%s; if [ -f "$f" ] && [ "$(stat -c %%s -- "$f")" = %d ]; then sha256sum -- "$f" | cut -c1-64; fi`,
		shellQuote(remotePath), size)
	res, err := c.Run(ctx, script, RunOptions{Sudo: sudo, CaptureStdout: true})
	if err != nil {
		return "", fmt.Errorf("check existing file: %w", err)
	}
	return strings.TrimSpace(res.Stdout), nil
}

// upload stages the content and moves it into place. With src (the same
// content as r, seekable) the staging file is the destination's resumable
// partial; without, a throwaway temp file.
func (c *Client) upload(ctx context.Context, r io.Reader, size int64, remotePath string, mode os.FileMode, opts UploadOptions, src io.ReadSeeker) (UploadResult, error) {
	sc, err := c.sftpClient()
	if err != nil {
		return UploadResult{}, err
	}
	dir, name := path.Split(remotePath)
	if dir == "" {
		dir = "."
	}
	tmpName := StagingPrefix + name + ".tmp-" + randomHex(6)
	if src != nil {
		release, ok := claimPartial(c.target, remotePath)
		if ok {
			defer release()
			tmpName = PartialName(remotePath)
		} else {
			src = nil // the same destination is being uploaded right now: do not share its partial
		}
	}
	resumable := src != nil
	final := path.Join(dir, tmpName) // next to the destination: rename is atomic
	staged := final
	if opts.Sudo {
		stagingDir := opts.StagingDir
		if stagingDir == "" {
			if stagingDir, err = sc.Getwd(); err != nil {
				return UploadResult{}, fmt.Errorf("find home directory for staging: %w", err)
			}
		}
		staged = path.Join(stagingDir, tmpName)
		if resumable {
			// install(1) copies the verified partial to a temp file next to
			// the destination; the partial stays until that is in place.
			final = path.Join(dir, StagingPrefix+name+".tmp-"+randomHex(6))
		}
	}

	h := sha256.New()
	var offset int64
	if resumable {
		if offset, err = c.resumeOffset(ctx, staged, src, size, h); err != nil {
			return UploadResult{}, err
		}
		r = src
	}
	sent, remoteSum, err := c.send(ctx, sc, r, size, offset, staged, resumable, h, opts.Progress)
	res := UploadResult{Bytes: sent, Resumed: offset}
	if err != nil {
		// A cut transfer keeps its resumable partial for the next try; a
		// short source means the content is not what was announced.
		var short *shortSourceError
		if !resumable || errors.As(err, &short) {
			_ = sc.Remove(staged)
		}
		return res, err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if remoteSum != sum {
		_ = sc.Remove(staged)
		return res, fmt.Errorf("checksum mismatch: sha256sum of %s on the host is %s, sent %s", staged, remoteSum, sum)
	}
	res.SHA256 = sum

	// chmod and rename into place (sudo: install next to the destination,
	// verify that copy, rename) in one round trip; the trap removes the temp
	// file next to the destination whatever happens, and the staged file
	// unless it is a resumable partial not yet in place.
	script := fmt.Sprintf(`s=%s; t=%s; d=%s; `, shellQuote(staged), shellQuote(final), shellQuote(remotePath))
	if resumable {
		script += `trap 'rm -f -- "$t"' EXIT; `
	} else {
		script += `trap 'rm -f -- "$s" "$t"' EXIT; `
	}
	if opts.Sudo {
		script += fmt.Sprintf(`install -m %04o -- "$s" "$t"; `, mode.Perm()) +
			fmt.Sprintf(`got=$(sha256sum -- "$t" | cut -c1-64); `+
				`if [ "$got" != %s ]; then echo "checksum mismatch: $t has sha256 $got, sent %s" >&2; exit 65; fi; `, sum, sum)
	} else {
		script += fmt.Sprintf(`chmod %04o -- "$t"; `, mode.Perm())
	}
	script += `mv -f -- "$t" "$d"`
	if resumable && opts.Sudo {
		script += `; rm -f -- "$s"`
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), uploadFinalizeTimeout)
	defer cancel()
	if ctx.Err() != nil {
		fctx = ctx
	}
	if _, err := c.Run(fctx, script, RunOptions{Sudo: opts.Sudo}); err != nil {
		if !resumable {
			_ = sc.Remove(staged)
		}
		return res, fmt.Errorf("verify and rename into place: %w", err)
	}
	return res, nil
}

// send writes r to remote from offset on (what lies before it is already
// there, verified, and in h) with many SFTP writes in flight, hashing on
// both ends on the way and reporting progress. It returns the bytes sent
// and the remote sha256 of the whole file. Writes carry explicit offsets
// (an append at the verified prefix, not O_APPEND: 64 writes are in flight).
func (c *Client) send(ctx context.Context, sc *sftp.Client, r io.Reader, size, offset int64, remote string, resumable bool, h hash.Hash, progress func(done, total int64)) (int64, string, error) {
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL // a throwaway temp file is new
	if resumable {
		flags = os.O_WRONLY | os.O_CREATE // the partial may exist: truncated to its verified prefix below
	}
	f, err := sc.OpenFile(remote, flags)
	if err != nil {
		return 0, "", fmt.Errorf("create %s: %w", remote, err)
	}
	defer f.Close()
	if err := f.Chmod(0o600); err != nil {
		return 0, "", fmt.Errorf("chmod %s: %w", remote, err)
	}
	if resumable {
		// Whatever follows the verified prefix goes before the writes.
		if err := f.Truncate(offset); err != nil {
			return 0, "", fmt.Errorf("truncate %s to its verified %d bytes: %w", remote, offset, err)
		}
		if _, err := f.Seek(offset, io.SeekStart); err != nil {
			return 0, "", fmt.Errorf("seek %s: %w", remote, err)
		}
	}
	hasher, err := c.startHasher(remote)
	if err != nil {
		return 0, "", err
	}
	defer hasher.abort()
	if offset > 0 {
		if err := hasher.written(offset); err != nil {
			return 0, "", fmt.Errorf("remote sha256sum of %s: %w", remote, err)
		}
	}
	pr := &progressReader{ctx: ctx, r: r, h: h, done: offset, total: size, progress: progress}
	if progress != nil && offset > 0 {
		progress(offset, size)
	}
	var sent int64
	for offset+sent < size {
		seg := min(hashSegment, size-offset-sent)
		n, err := f.ReadFromWithConcurrency(io.LimitReader(pr, seg), sftpRequestsPerFile)
		sent += n
		if err != nil {
			return sent, "", fmt.Errorf("write %s: %w", remote, err)
		}
		if n != seg {
			return sent, "", &shortSourceError{got: offset + sent, want: size}
		}
		if err := hasher.written(n); err != nil {
			return sent, "", fmt.Errorf("remote sha256sum of %s: %w", remote, err)
		}
	}
	if err := f.Close(); err != nil {
		return sent, "", fmt.Errorf("close %s: %w", remote, err)
	}
	remoteSum, err := hasher.sum(ctx)
	if err != nil {
		return sent, "", fmt.Errorf("verify %s: %w", remote, err)
	}
	if progress != nil {
		progress(size, size)
	}
	return sent, remoteSum, nil
}

// shortSourceError: the content ended before the size announced.
type shortSourceError struct{ got, want int64 }

func (e *shortSourceError) Error() string {
	return fmt.Sprintf("source gave %d bytes, expected %d", e.got, e.want)
}

func (c *Client) sftpClient() (*sftp.Client, error) {
	c.sftpMu.Lock()
	defer c.sftpMu.Unlock()
	if c.sftp != nil {
		return c.sftp, nil
	}
	sc, err := sftp.NewClient(c.conn,
		sftp.UseConcurrentWrites(true),
		sftp.MaxPacketUnchecked(c.cfg.SFTPMaxPacket),
		sftp.MaxConcurrentRequestsPerFile(sftpRequestsPerFile))
	if err != nil {
		return nil, fmt.Errorf("start sftp on %s: %w", c.target, err)
	}
	c.sftp = sc
	go func() {
		_ = sc.Wait()
		c.sftpMu.Lock()
		if c.sftp == sc {
			c.sftp = nil
		}
		c.sftpMu.Unlock()
	}()
	return sc, nil
}

// progressReader hashes what it reads, reports progress, and stops when
// ctx ends.
type progressReader struct {
	ctx      context.Context
	r        io.Reader
	h        hash.Hash
	done     int64
	total    int64
	progress func(done, total int64)
	last     time.Time
}

func (p *progressReader) Read(b []byte) (int, error) {
	if err := p.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := p.r.Read(b)
	if n > 0 {
		p.h.Write(b[:n])
		p.done += int64(n)
		if p.progress != nil && time.Since(p.last) >= 100*time.Millisecond {
			p.last = time.Now()
			p.progress(p.done, p.total)
		}
	}
	return n, err
}
