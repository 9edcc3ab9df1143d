package ssh

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func randomFile(t testing.TB, size int) (string, []byte) {
	t.Helper()
	data := make([]byte, size)
	rand.Read(data)
	p := filepath.Join(t.TempDir(), "payload.bin")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, data
}

func uploadT(t *testing.T, c *Client, local, remote string, mode os.FileMode, opts UploadOptions) UploadResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := c.Upload(ctx, local, remote, mode, opts)
	if err != nil {
		t.Fatalf("Upload: %v", err)
	}
	return res
}

// tempLeftovers lists the staging files in dir: throwaway temp files and
// resumable partials.
func tempLeftovers(t *testing.T, dir string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, StagingPrefix+"*.tmp-*"))
	p, _ := filepath.Glob(filepath.Join(dir, StagingPrefix+"*.part-*"))
	return append(m, p...)
}

func TestUploadVerifiesRenamesAndSkipsUnchanged(t *testing.T) {
	f := needFixture(t)
	s := startSSHD(t, sshdOptions{})
	c := dialT(t, s.config(t))
	local, data := randomFile(t, 3<<20+123)
	dir := f.userDir(t)
	remote := filepath.Join(dir, "dcos_install.sh")

	var mu sync.Mutex
	var events [][2]int64
	progress := func(done, total int64) {
		mu.Lock()
		events = append(events, [2]int64{done, total})
		mu.Unlock()
	}
	res := uploadT(t, c, local, remote, 0o750, UploadOptions{Progress: progress})
	got, err := os.ReadFile(remote)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("remote content differs (err %v, %d bytes)", err, len(got))
	}
	sum := sha256.Sum256(data)
	if res.Skipped || res.Bytes != int64(len(data)) || res.SHA256 != hexOf(sum[:]) {
		t.Errorf("result %+v", res)
	}
	st, _ := os.Stat(remote)
	if st.Mode().Perm() != 0o750 || st.Sys().(*syscall.Stat_t).Uid != uint32(f.uid) {
		t.Errorf("mode %v uid %d", st.Mode().Perm(), st.Sys().(*syscall.Stat_t).Uid)
	}
	if left := tempLeftovers(t, dir); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
	if len(events) == 0 || events[len(events)-1] != [2]int64{int64(len(data)), int64(len(data))} {
		t.Errorf("progress events %v, want the last to be done == total == %d", events, len(data))
	}
	for i := 1; i < len(events); i++ {
		if events[i][0] < events[i-1][0] {
			t.Fatalf("progress went backwards: %v", events)
		}
	}

	// Unchanged: skipped, no transfer, the file not rewritten; mode still applied.
	before, _ := os.Stat(remote)
	os.Chmod(remote, 0o600)
	res = uploadT(t, c, local, remote, 0o750, UploadOptions{})
	after, _ := os.Stat(remote)
	if !res.Skipped || res.Bytes != 0 {
		t.Errorf("unchanged file not skipped: %+v", res)
	}
	if !after.ModTime().Equal(before.ModTime()) || sameInode(before, after) == false || after.Mode().Perm() != 0o750 {
		t.Errorf("skipped upload touched the file or did not fix its mode: %v", after.Mode())
	}

	// Changed, same size: uploaded again.
	data[0] ^= 0xff
	os.WriteFile(local, data, 0o644)
	res = uploadT(t, c, local, remote, 0o750, UploadOptions{})
	got, _ = os.ReadFile(remote)
	if res.Skipped || !bytes.Equal(got, data) {
		t.Errorf("changed file: skipped=%v equal=%v", res.Skipped, bytes.Equal(got, data))
	}
}

func sameInode(a, b os.FileInfo) bool {
	return a.Sys().(*syscall.Stat_t).Ino == b.Sys().(*syscall.Stat_t).Ino
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	var sb strings.Builder
	for _, x := range b {
		sb.WriteByte(digits[x>>4])
		sb.WriteByte(digits[x&15])
	}
	return sb.String()
}

func TestUploadReaderShortSourceLeavesNothing(t *testing.T) {
	f := needFixture(t)
	s := startSSHD(t, sshdOptions{})
	cfg := s.config(t)
	cfg.SFTPMaxPacket = 32768 // the portable size works too
	c := dialT(t, cfg)
	dir := f.userDir(t)
	remote := filepath.Join(dir, "short.bin")
	// A reader shorter than the size it claims must not produce a file.
	_, err := c.UploadReader(context.Background(), strings.NewReader("only this"), 100, remote, 0o644, UploadOptions{})
	if err == nil || !strings.Contains(err.Error(), "source gave 9 bytes, expected 100") {
		t.Fatalf("got %v", err)
	}
	if _, err := os.Stat(remote); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("destination exists after failed upload: %v", err)
	}
	if left := tempLeftovers(t, dir); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
	res, err := c.UploadReader(context.Background(), strings.NewReader("hello\n"), 6, remote, 0o644, UploadOptions{})
	if err != nil || res.Bytes != 6 {
		t.Fatalf("UploadReader: %v %+v", err, res)
	}
	if got, _ := os.ReadFile(remote); string(got) != "hello\n" {
		t.Errorf("content %q", got)
	}
}

func TestUploadToRootOwnedDirWithSudo(t *testing.T) {
	f := needFixture(t)
	s := startSSHD(t, sshdOptions{})
	c := dialT(t, s.config(t))
	rootDir, err := os.MkdirTemp(f.base, "opt-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(rootDir, 0o755)
	t.Cleanup(func() { os.RemoveAll(rootDir) })
	local, data := randomFile(t, 1<<20)
	remote := filepath.Join(rootDir, "bootstrap.tar.xz")

	// Without sudo the user cannot write there.
	_, err = c.Upload(context.Background(), local, remote, 0o644, UploadOptions{})
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "permission denied") {
		t.Fatalf("upload without sudo into a root dir: %v", err)
	}

	f.sudoers(t, true)
	res := uploadT(t, c, local, remote, 0o644, UploadOptions{Sudo: true})
	got, err := os.ReadFile(remote)
	if err != nil || !bytes.Equal(got, data) || res.Skipped {
		t.Fatalf("content differs (err %v) res %+v", err, res)
	}
	st, _ := os.Stat(remote)
	if st.Sys().(*syscall.Stat_t).Uid != 0 || st.Mode().Perm() != 0o644 {
		t.Errorf("owner %d mode %v, want root 0644", st.Sys().(*syscall.Stat_t).Uid, st.Mode().Perm())
	}
	if left := append(tempLeftovers(t, rootDir), tempLeftovers(t, f.home)...); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
	if res := uploadT(t, c, local, remote, 0o644, UploadOptions{Sudo: true}); !res.Skipped {
		t.Errorf("unchanged root-owned file not skipped")
	}
}

func TestUploadLimiterBoundsConcurrency(t *testing.T) {
	l := NewUploadLimiter(2)
	ctx := context.Background()
	if err := l.acquire(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l.acquire(ctx); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := l.acquire(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("third acquire: %v, want to wait until the deadline", err)
	}
	l.release()
	if err := l.acquire(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestUploadFallsBackToSha256sumWithoutOpenSSL(t *testing.T) {
	f := needFixture(t)
	// The session's PATH holds the tools an upload uses, but no openssl.
	bin, err := os.MkdirTemp(f.base, "bin-") // reachable by the test user
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(bin, 0o755)
	t.Cleanup(func() { os.RemoveAll(bin) })
	for _, tool := range []string{"bash", "setsid", "head", "sha256sum", "cut", "stat", "chmod", "mv", "rm", "cat"} {
		path, err := exec.LookPath(tool)
		if err != nil {
			t.Skipf("%s not installed", tool)
		}
		if err := os.Symlink(path, filepath.Join(bin, tool)); err != nil {
			t.Fatal(err)
		}
	}
	s := startSSHD(t, sshdOptions{extra: "SetEnv PATH=" + bin})
	c := dialT(t, s.config(t))
	if out := runT(t, c, `echo "$PATH"; command -v openssl || echo none`, RunOptions{CaptureStdout: true}).Stdout; out != bin+"\nnone\n" {
		t.Fatalf("session PATH/openssl: %q", out)
	}
	local, data := randomFile(t, 20<<20+7) // more than one hash segment
	remote := filepath.Join(f.userDir(t), "artifact.bin")
	uploadT(t, c, local, remote, 0o644, UploadOptions{})
	if got, _ := os.ReadFile(remote); !bytes.Equal(got, data) {
		t.Fatal("content differs")
	}
}
