package ssh

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/dcos-vsphere/dcos-vsphere/internal/fsutil"
)

// fileLocks serialises access to each known_hosts file within the process;
// an flock on "<file>.lock" does the same across processes.
var fileLocks sync.Map // absolute path -> *sync.Mutex

// hostKeys checks and records the key of one host in a known_hosts file.
type hostKeys struct {
	file        string
	fresh       bool
	log         func(string)
	fingerprint string // of the accepted key, set by check
}

func lockKnownHosts(file string) (unlock func(), err error) {
	mu, _ := fileLocks.LoadOrStore(file, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		mu.(*sync.Mutex).Unlock()
		return nil, fmt.Errorf("known_hosts: create directory of %s: %w", file, err)
	}
	lf, err := os.OpenFile(file+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		mu.(*sync.Mutex).Unlock()
		return nil, fmt.Errorf("known_hosts: lock %s: %w", file, err)
	}
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX); err != nil {
		lf.Close()
		mu.(*sync.Mutex).Unlock()
		return nil, fmt.Errorf("known_hosts: lock %s: %w", file, err)
	}
	// Create the file itself so knownhosts.New can read it.
	f, err := os.OpenFile(file, os.O_CREATE|os.O_RDONLY, 0o600)
	if err == nil {
		f.Close()
	}
	return func() {
		_ = syscall.Flock(int(lf.Fd()), syscall.LOCK_UN)
		lf.Close()
		mu.(*sync.Mutex).Unlock()
	}, err
}

// knownAlgorithms returns the host key algorithms to offer for addr: those
// of the keys already recorded, so that a host known by its RSA key is not
// reported as changed because it also has an ed25519 key. Nil means any.
func (h *hostKeys) knownAlgorithms(addr string) ([]string, error) {
	if h.fresh {
		return nil, nil // whatever the host has now will be accepted
	}
	unlock, err := lockKnownHosts(h.file)
	if err != nil {
		return nil, err
	}
	defer unlock()
	cb, err := knownhosts.New(h.file)
	if err != nil {
		return nil, fmt.Errorf("known_hosts: read %s: %w", h.file, err)
	}
	pub, _, _ := ed25519.GenerateKey(nil)
	probe, err := gossh.NewPublicKey(pub)
	if err != nil {
		return nil, err
	}
	var keyErr *knownhosts.KeyError
	if err := cb(addr, fakeAddr(addr), probe); !errors.As(err, &keyErr) {
		return nil, nil
	}
	var algos []string
	for _, k := range keyErr.Want {
		for _, a := range algorithmsForKeyType(k.Key.Type()) {
			if !containsString(algos, a) {
				algos = append(algos, a)
			}
		}
	}
	return algos, nil
}

func algorithmsForKeyType(t string) []string {
	if t == gossh.KeyAlgoRSA {
		return []string{gossh.KeyAlgoRSASHA512, gossh.KeyAlgoRSASHA256, gossh.KeyAlgoRSA}
	}
	return []string{t}
}

// check is the ssh.HostKeyCallback: it re-reads the file under the lock,
// accepts a recorded key, appends an unknown host, replaces the entry of a
// fresh host, and refuses any other mismatch.
func (h *hostKeys) check(addr string, remote net.Addr, key gossh.PublicKey) error {
	unlock, err := lockKnownHosts(h.file)
	if err != nil {
		return err
	}
	defer unlock()
	cb, err := knownhosts.New(h.file)
	if err != nil {
		return fmt.Errorf("known_hosts: read %s: %w", h.file, err)
	}
	err = cb(addr, remote, key)
	var keyErr *knownhosts.KeyError
	switch {
	case err == nil:
	case !errors.As(err, &keyErr):
		return fmt.Errorf("known_hosts: check %s in %s: %w", knownhosts.Normalize(addr), h.file, err)
	case len(keyErr.Want) == 0:
		if err := appendLine(h.file, knownhosts.Line([]string{addr}, key)); err != nil {
			return err
		}
	case h.fresh:
		if err := h.replace(addr, key, keyErr.Want); err != nil {
			return err
		}
	default:
		mismatch := &HostKeyMismatchError{Host: knownhosts.Normalize(addr), File: h.file, Presented: describeKey(key)}
		for _, k := range keyErr.Want {
			mismatch.Known = append(mismatch.Known, KnownHostKey{Line: k.Line, Fingerprint: describeKey(k.Key)})
		}
		return mismatch
	}
	h.fingerprint = gossh.FingerprintSHA256(key)
	return nil
}

func (h *hostKeys) replace(addr string, key gossh.PublicKey, old []knownhosts.KnownKey) error {
	data, err := os.ReadFile(h.file)
	if err != nil {
		return fmt.Errorf("known_hosts: read %s: %w", h.file, err)
	}
	drop := map[int]bool{}
	for _, k := range old {
		drop[k.Line] = true
	}
	var out []string
	for i, line := range strings.SplitAfter(string(data), "\n") {
		if line != "" && !drop[i+1] {
			out = append(out, line)
		}
	}
	if n := len(out); n > 0 && !strings.HasSuffix(out[n-1], "\n") {
		out[n-1] += "\n"
	}
	out = append(out, knownhosts.Line([]string{addr}, key)+"\n")
	if err := fsutil.WriteAtomic(h.file, []byte(strings.Join(out, "")), 0o600); err != nil {
		return fmt.Errorf("known_hosts: replace entry for %s in %s: %w", knownhosts.Normalize(addr), h.file, err)
	}
	if h.log != nil {
		h.log(fmt.Sprintf("known_hosts: replaced host key for %s (VM re-created by this run)", knownhosts.Normalize(addr)))
	}
	return nil
}

func appendLine(file, line string) error {
	f, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("known_hosts: open %s: %w", file, err)
	}
	// A file edited by hand may lack its final newline.
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		last := make([]byte, 1)
		if r, err := os.Open(file); err == nil {
			if _, err := r.ReadAt(last, st.Size()-1); err == nil && last[0] != '\n' {
				line = "\n" + line
			}
			r.Close()
		}
	}
	if _, err := f.WriteString(line + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("known_hosts: append to %s: %w", file, err)
	}
	return f.Close()
}

func describeKey(k gossh.PublicKey) string {
	return k.Type() + " " + gossh.FingerprintSHA256(k)
}

// fakeAddr gives knownhosts a remote address for a lookup by name.
func fakeAddr(addr string) net.Addr {
	host, port, _ := net.SplitHostPort(addr)
	var p int
	fmt.Sscan(port, &p)
	return &net.TCPAddr{IP: net.ParseIP(host), Port: p}
}

// ForgetHost removes every entry for addr (host or host:port) from the
// known_hosts file: the machine that had the key is gone (its VM was
// destroyed), so a new machine at that address is not a key mismatch.
// Hashed entries cannot be matched and are left alone.
func ForgetHost(file, addr string) error {
	if _, err := os.Stat(file); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	unlock, err := lockKnownHosts(file)
	if err != nil {
		return err
	}
	defer unlock()
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("known_hosts: read %s: %w", file, err)
	}
	want := knownhosts.Normalize(addr)
	var out []string
	dropped := false
	for _, line := range strings.SplitAfter(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) >= 2 && !strings.HasPrefix(fields[0], "#") && !strings.HasPrefix(fields[0], "|") {
			hostsField := fields[0]
			if strings.HasPrefix(hostsField, "@") && len(fields) >= 3 {
				hostsField = fields[1]
			}
			match := false
			for _, h := range strings.Split(hostsField, ",") {
				if h == want {
					match = true
				}
			}
			if match {
				dropped = true
				continue
			}
		}
		if line != "" {
			out = append(out, line)
		}
	}
	if !dropped {
		return nil
	}
	if err := fsutil.WriteAtomic(file, []byte(strings.Join(out, "")), 0o600); err != nil {
		return fmt.Errorf("known_hosts: remove %s from %s: %w", want, file, err)
	}
	return nil
}
