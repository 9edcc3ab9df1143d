package ssh

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// cutProxy forwards loopback TCP connections to an sshd and counts the
// bytes each sends upstream (client to server). With cutAfter > 0 it cuts
// a connection (both ways, like a dropped link) once that many upstream
// bytes went through.
type cutProxy struct {
	ln       net.Listener
	target   string
	cutAfter int64
	up       atomic.Int64 // upstream bytes, all connections
	cut      atomic.Bool
	wg       sync.WaitGroup
}

func startCutProxy(t *testing.T, s *sshd, cutAfter int64) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: net.JoinHostPort(s.addr, strconv.Itoa(s.port)), cutAfter: cutAfter}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() { ln.Close(); p.wg.Wait() })
	return p
}

func (p *cutProxy) port() int { return p.ln.Addr().(*net.TCPAddr).Port }

func (p *cutProxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.DialTimeout("tcp", p.target, 5*time.Second)
		if err != nil {
			client.Close()
			continue
		}
		p.wg.Add(2)
		closeBoth := sync.OnceFunc(func() { client.Close(); server.Close() })
		go func() { // downstream
			defer p.wg.Done()
			defer closeBoth()
			_, _ = io.Copy(client, server)
		}()
		go func() { // upstream, counted and maybe cut
			defer p.wg.Done()
			defer closeBoth()
			buf := make([]byte, 32<<10)
			for {
				n, err := client.Read(buf)
				if n > 0 {
					chunk := buf[:n]
					if p.cutAfter > 0 {
						if left := p.cutAfter - p.up.Load(); int64(n) >= left {
							chunk = buf[:max(left, 0)]
							p.cut.Store(true)
						}
					}
					if _, werr := server.Write(chunk); werr != nil {
						return
					}
					p.up.Add(int64(len(chunk)))
					if p.cut.Load() {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}()
	}
}

// viaProxy is the sshd's client config, dialled through p.
func viaProxy(t *testing.T, s *sshd, p *cutProxy) Config {
	cfg := s.config(t)
	cfg.Port = p.port()
	return cfg
}

// TestUploadCutAtHalfResumes cuts the link under a sudo upload (the
// installer's kind: a root-owned destination, staged in the home
// directory) at about half of the content, removes stale temp files the
// way the installer does on connect, and uploads again: only the rest is
// sent, counted on the wire.
func TestUploadCutAtHalfResumes(t *testing.T) {
	f := needFixture(t)
	f.sudoers(t, true)
	s := startSSHD(t, sshdOptions{})
	rootDir, err := os.MkdirTemp(f.base, "opt-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(rootDir, 0o755)
	t.Cleanup(func() { os.RemoveAll(rootDir) })
	const size = 4*hashSegment + 12345
	local, data := randomFile(t, size)
	remote := filepath.Join(rootDir, "dcos_generate_config.sh")
	partial := filepath.Join(f.home, PartialName(remote))
	t.Cleanup(func() { os.Remove(partial) })

	cutter := startCutProxy(t, s, size/2)
	c1 := dialT(t, viaProxy(t, s, cutter))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, err = c1.Upload(ctx, local, remote, 0o755, UploadOptions{Sudo: true})
	if err == nil || !cutter.cut.Load() {
		t.Fatalf("upload through a link cut at half: err %v, cut %v", err, cutter.cut.Load())
	}
	if _, err := os.Stat(remote); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("destination exists after a cut upload: %v", err)
	}
	kept := settledSize(t, partial)
	if kept < size*2/5 || kept > size/2 {
		t.Fatalf("partial holds %d bytes after a cut at %d upstream bytes of %d", kept, size/2, size)
	}
	if !bytes.Equal(mustRead(t, partial), data[:kept]) {
		t.Fatal("the partial is not a prefix of the content")
	}

	// On connect the installer removes the temp files of interrupted
	// uploads (installer/probe.go tidyScript: "$d"/StagingPrefix*.tmp-*);
	// the resumable partial is not one of them.
	p2 := startCutProxy(t, s, 0)
	c2 := dialT(t, viaProxy(t, s, p2))
	runT(t, c2, `d="$HOME"; rm -f -- "$d"/`+StagingPrefix+`*.tmp-*`, RunOptions{})
	if _, err := os.Stat(partial); err != nil {
		t.Fatalf("the tidy pattern removed the partial: %v", err)
	}

	before := p2.up.Load()
	var first atomic.Int64
	first.Store(-1)
	res := uploadT(t, c2, local, remote, 0o755, UploadOptions{Sudo: true, Progress: func(done, total int64) {
		first.CompareAndSwap(-1, done)
	}})
	wire := p2.up.Load() - before
	t.Logf("cut after %d upstream bytes: %d of %d kept; the resumed upload sent %d content bytes, %d on the wire", size/2, kept, size, res.Bytes, wire)
	if res.Resumed != kept || res.Bytes != size-kept || res.Skipped {
		t.Errorf("resumed upload: %+v, want Resumed %d and Bytes %d", res, kept, size-kept)
	}
	// Everything on the wire: the rest of the content plus SSH/SFTP
	// framing and the few commands of an upload (well under 2%).
	rest := int64(size) - kept
	if wire < rest || wire > rest+rest/50+64<<10 {
		t.Errorf("the resumed upload sent %d bytes upstream, want the rest (%d) plus framing", wire, rest)
	}
	if first.Load() != kept {
		t.Errorf("first progress report %d, want it to start at the kept %d", first.Load(), kept)
	}
	if !bytes.Equal(mustRead(t, remote), data) {
		t.Fatal("resumed content differs")
	}
	if left := append(tempLeftovers(t, rootDir), tempLeftovers(t, f.home)...); len(left) != 0 {
		t.Errorf("staging files left after the resumed upload: %v", left)
	}
}

// TestUploadResumeKeepsOnlyTheVerifiedPrefix plants partials by hand: one
// whose second segment is damaged resumes after the first; one of other
// content starts over; one longer than the content starts over.
func TestUploadResumeKeepsOnlyTheVerifiedPrefix(t *testing.T) {
	f := needFixture(t)
	s := startSSHD(t, sshdOptions{})
	c := dialT(t, s.config(t))
	const size = 2*hashSegment + 777
	local, data := randomFile(t, size)

	other := make([]byte, hashSegment+5)
	rand.Read(other)
	damaged := append([]byte(nil), data[:2*hashSegment+100]...)
	damaged[hashSegment+42] ^= 0x55
	longer := append(append([]byte(nil), data...), 'x')
	whole := append([]byte(nil), data...)

	for _, tc := range []struct {
		name    string
		partial []byte
		resumed int64
	}{
		{"damaged second segment", damaged, hashSegment},
		{"other content", other, 0},
		{"longer than the content", longer, 0},
		{"complete", whole, size},
		{"short last segment", data[:hashSegment+1000], hashSegment + 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := f.userDir(t)
			remote := filepath.Join(dir, "artifact.bin")
			partial := filepath.Join(dir, PartialName(remote))
			if err := os.WriteFile(partial, tc.partial, 0o600); err != nil {
				t.Fatal(err)
			}
			os.Chown(partial, f.uid, f.gid)
			res := uploadT(t, c, local, remote, 0o644, UploadOptions{})
			if res.Resumed != tc.resumed || res.Bytes != size-tc.resumed {
				t.Errorf("%+v, want Resumed %d, Bytes %d", res, tc.resumed, size-tc.resumed)
			}
			if !bytes.Equal(mustRead(t, remote), data) {
				t.Fatal("content differs")
			}
			if left := tempLeftovers(t, dir); len(left) != 0 {
				t.Errorf("staging files left: %v", left)
			}
		})
	}
}

// TestUploadSkippedRemovesPartial: a cut between moving the content into
// place and removing the partial leaves both; the next upload skips the
// unchanged destination and removes the partial.
func TestUploadSkippedRemovesPartial(t *testing.T) {
	f := needFixture(t)
	s := startSSHD(t, sshdOptions{})
	c := dialT(t, s.config(t))
	dir := f.userDir(t)
	local, data := randomFile(t, 1<<20)
	remote := filepath.Join(dir, "artifact.bin")
	uploadT(t, c, local, remote, 0o644, UploadOptions{})
	partial := filepath.Join(dir, PartialName(remote))
	if err := os.WriteFile(partial, data[:1000], 0o600); err != nil {
		t.Fatal(err)
	}
	if res := uploadT(t, c, local, remote, 0o644, UploadOptions{}); !res.Skipped {
		t.Fatalf("unchanged destination not skipped: %+v", res)
	}
	if _, err := os.Stat(partial); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("partial left beside an unchanged destination: %v", err)
	}
}

func TestPartialNameIsNotATempName(t *testing.T) {
	a, b := PartialName("/opt/dcos-bootstrap/dcos_generate_config.sh"), PartialName("/opt/other/dcos_generate_config.sh")
	if a == b || a != PartialName("/opt/dcos-bootstrap/dcos_generate_config.sh") {
		t.Errorf("names %q and %q: want deterministic, one per destination", a, b)
	}
	if ok, _ := filepath.Match(StagingPrefix+"*.tmp-*", a); ok || !strings.HasPrefix(a, StagingPrefix) {
		t.Errorf("partial %q matches the temp-file pattern or lacks the prefix", a)
	}
}

// settledSize waits (bounded) until the server of the cut connection has
// written what it had received: the partial's size holds still.
func settledSize(t *testing.T, p string) int64 {
	t.Helper()
	last := int64(-1)
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatalf("no resumable partial after the cut: %v", err)
		}
		if st.Size() == last {
			return last
		}
		if time.Now().After(deadline) {
			t.Fatalf("the partial still grows 10s after the cut (%d bytes)", st.Size())
		}
		last = st.Size()
		time.Sleep(100 * time.Millisecond)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
