package installer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// LockedError says another run holds the cluster's lock.
type LockedError struct {
	Cluster string
	Holder  string // "pid 4242, install, since 2026-12-01T20:00:00Z"
	File    string
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("another dcos-vsphere run is working on cluster %s (%s; lock %s): wait for it to finish, or stop it, then run again",
		e.Cluster, e.Holder, e.File)
}

// Lock takes the cluster's run lock (an flock on <stateDir>/lock, so a
// killed holder releases it by dying): one run that changes a cluster at a
// time. The lock file names the holder (pid, command, start) for the
// message a second run gives. unlock releases it.
func Lock(stateDir, cluster, command string) (unlock func(), err error) {
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, fmt.Errorf("create state directory %s: %w", stateDir, err)
	}
	path := filepath.Join(stateDir, "lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			h := strings.TrimSpace(string(holder))
			if h == "" {
				h = "holder unknown"
			}
			return nil, &LockedError{Cluster: cluster, Holder: h, File: path}
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	holder := fmt.Sprintf("pid %d, %s, since %s\n", os.Getpid(), command, time.Now().UTC().Format(time.RFC3339))
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(holder), 0)
	}
	return func() {
		_ = f.Truncate(0)
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
