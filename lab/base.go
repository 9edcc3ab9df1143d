package lab

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// baseDisk is what every host's disk starts from, built once per lab: the
// machine's /etc made to look like CentOS 7.3, and /usr/local with the
// CentOS personality. With overlayfs each host mounts these as the lower
// layer of its /etc and /usr/local and keeps only its own changes, so
// booting a host creates a handful of files instead of ~1,300 (creating
// inodes right after a lab removed thousands is slow on ext4). Without
// overlayfs each host gets a copy.
type baseDisk struct {
	dir      string
	uid, gid int // the login user's, as written into the base's /etc/passwd
	overlay  bool
	// user is the login user (centos); boot is the personality's boot
	// script inside the host (the keeper runs it); ubuntu marks the Ubuntu
	// 16.04 personality of the ACS world (no rpm database, /bin/sh left as
	// the machine's dash). PATH on every host is hostPath.
	user, boot string
	ubuntu     bool
}

func (b baseDisk) path(p string) string { return filepath.Join(b.dir, p) }

// buildBase makes the base in dir (replacing an old one); copyDisks forbids
// overlayfs.
func buildBase(dir string, copyDisks bool) (baseDisk, error) {
	b := baseDisk{dir: dir, user: sshUser, boot: "/usr/local/lib/centos7/boot"}
	return b.build(copyDisks, "CentOS 7.3", centosEtc, installPersonality)
}

// build makes the base disk in b.dir: a copy of the machine's /etc that
// makeEtc turns into the personality's (returning its user's uid and
// gid), and the personality's tools installed under usrlocal.
func (b baseDisk) build(copyDisks bool, osName string, makeEtc func(etc string) (int, int, error), install func(dir string) error) (baseDisk, error) {
	if err := os.RemoveAll(b.dir); err != nil {
		return b, err
	}
	if err := os.MkdirAll(b.dir, 0o755); err != nil {
		return b, err
	}
	if err := copyTree("/etc", b.path("etc")); err != nil {
		return b, fmt.Errorf("copy /etc: %w", err)
	}
	var err error
	if b.uid, b.gid, err = makeEtc(b.path("etc")); err != nil {
		return b, fmt.Errorf("make /etc look like %s: %w", osName, err)
	}
	if err := install(b.path("usrlocal")); err != nil {
		return b, fmt.Errorf("install the %s personality: %w", osName, err)
	}
	b.overlay = !copyDisks && overlayWorks(b.dir)
	return b, nil
}

// overlayWorks tries an overlayfs mount with its layers in dir, in a
// throw-away mount namespace. overlayfs options cannot hold ',' or ':'
// (nor can lab paths that use it), and some filesystems cannot be an
// upper layer (overlayfs itself, in a container).
func overlayWorks(dir string) bool {
	if strings.ContainsAny(dir, ",:") {
		return false
	}
	probe := filepath.Join(dir, "overlay-probe")
	defer os.RemoveAll(probe)
	for _, d := range []string{"lower", "upper", "work", "merged"} {
		if err := os.MkdirAll(filepath.Join(probe, d), 0o700); err != nil {
			return false
		}
	}
	opts := fmt.Sprintf("lowerdir=%s/lower,upperdir=%s/upper,workdir=%s/work", probe, probe, probe)
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "--",
		"mount", "-t", "overlay", "overlay", "-o", opts, filepath.Join(probe, "merged"))
	return cmd.Run() == nil
}
