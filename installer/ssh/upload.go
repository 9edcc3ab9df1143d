package ssh

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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
	Skipped  bool   // the remote file already had this content
	Bytes    int64  // bytes sent (0 when skipped)
	SHA256   string // of the content, hex
	Duration time.Duration
}

// Upload copies localPath to remotePath with the given mode. The content is
// written over SFTP to StagingPrefix+"<name>.tmp-<random>" in the destination directory
// while the host hashes what lands in that file (openssl dgst -sha256, or
// sha256sum); on a match it is chmod-ed and renamed into place, so readers
// never see a partial or corrupt file. A remote file with the same content
// is left alone (Skipped). Uploads share the Config.Uploads bound.
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
			if opts.Progress != nil {
				opts.Progress(st.Size(), st.Size())
			}
			return UploadResult{Skipped: true, SHA256: sum, Duration: time.Since(start)}, nil
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return UploadResult{}, fmt.Errorf("upload %s: %w", localPath, err)
		}
	}
	res, err := c.upload(ctx, f, st.Size(), remotePath, mode, opts)
	res.Duration = time.Since(start)
	if err != nil {
		return res, fmt.Errorf("upload %s to %s:%s: %w", localPath, c.target, remotePath, err)
	}
	return res, nil
}

// UploadReader is Upload for content from r of exactly size bytes. It
// always transfers (an unchanged-content check would need r twice).
func (c *Client) UploadReader(ctx context.Context, r io.Reader, size int64, remotePath string, mode os.FileMode, opts UploadOptions) (UploadResult, error) {
	start := time.Now()
	limiter := c.uploadLimiter()
	if err := limiter.acquire(ctx); err != nil {
		return UploadResult{}, fmt.Errorf("upload to %s:%s: %w", c.target, remotePath, err)
	}
	defer limiter.release()
	res, err := c.upload(ctx, r, size, remotePath, mode, opts)
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

func (c *Client) upload(ctx context.Context, r io.Reader, size int64, remotePath string, mode os.FileMode, opts UploadOptions) (UploadResult, error) {
	sc, err := c.sftpClient()
	if err != nil {
		return UploadResult{}, err
	}
	dir, name := path.Split(remotePath)
	if dir == "" {
		dir = "."
	}
	tmpName := StagingPrefix + name + ".tmp-" + randomHex(6)
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
	}

	h := sha256.New()
	sent, remoteSum, err := c.send(ctx, sc, r, size, staged, h, opts.Progress)
	if err != nil {
		_ = sc.Remove(staged)
		return UploadResult{Bytes: sent}, err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if remoteSum != sum {
		_ = sc.Remove(staged)
		return UploadResult{Bytes: sent}, fmt.Errorf("checksum mismatch: sha256sum of %s on the host is %s, sent %s", staged, remoteSum, sum)
	}

	// chmod and rename into place (sudo: install next to the destination,
	// verify that copy, rename) in one round trip; the trap removes temp
	// files whatever happens.
	script := fmt.Sprintf(`s=%s; t=%s; d=%s; trap 'rm -f -- "$s" "$t"' EXIT; `,
		shellQuote(staged), shellQuote(final), shellQuote(remotePath))
	if opts.Sudo {
		script += fmt.Sprintf(`install -m %04o -- "$s" "$t"; `, mode.Perm()) +
			fmt.Sprintf(`got=$(sha256sum -- "$t" | cut -c1-64); `+
				`if [ "$got" != %s ]; then echo "checksum mismatch: $t has sha256 $got, sent %s" >&2; exit 65; fi; `, sum, sum)
	} else {
		script += fmt.Sprintf(`chmod %04o -- "$t"; `, mode.Perm())
	}
	script += `mv -f -- "$t" "$d"`
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), uploadFinalizeTimeout)
	defer cancel()
	if ctx.Err() != nil {
		fctx = ctx
	}
	if _, err := c.Run(fctx, script, RunOptions{Sudo: opts.Sudo}); err != nil {
		_ = sc.Remove(staged)
		return UploadResult{Bytes: sent, SHA256: sum}, fmt.Errorf("verify and rename into place: %w", err)
	}
	return UploadResult{Bytes: sent, SHA256: sum}, nil
}

// send writes r to remote with many SFTP writes in flight, hashing on both
// ends on the way and reporting progress. It returns the remote sha256.
func (c *Client) send(ctx context.Context, sc *sftp.Client, r io.Reader, size int64, remote string, h hash.Hash, progress func(done, total int64)) (int64, string, error) {
	f, err := sc.OpenFile(remote, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return 0, "", fmt.Errorf("create %s: %w", remote, err)
	}
	defer f.Close()
	if err := f.Chmod(0o600); err != nil {
		return 0, "", fmt.Errorf("chmod %s: %w", remote, err)
	}
	hasher, err := c.startHasher(remote)
	if err != nil {
		return 0, "", err
	}
	defer hasher.abort()
	pr := &progressReader{ctx: ctx, r: r, h: h, total: size, progress: progress}
	var sent int64
	for sent < size {
		seg := min(hashSegment, size-sent)
		n, err := f.ReadFromWithConcurrency(io.LimitReader(pr, seg), sftpRequestsPerFile)
		sent += n
		if err != nil {
			return sent, "", fmt.Errorf("write %s: %w", remote, err)
		}
		if n != seg {
			return sent, "", fmt.Errorf("source gave %d bytes, expected %d", sent, size)
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
		progress(sent, size)
	}
	return sent, remoteSum, nil
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
