package lab

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"
)

// sshUser is the lab hosts' login user, as on CentOS cloud images.
const sshUser = "centos"

// hostDisk is a host's private filesystem on the machine: one directory
// per private mount point, under Dir/hosts/<vm>/root. It outlives a power
// cycle (like a VM disk) and goes with the VM.
type hostDisk struct{ dir string }

func (d hostDisk) root(p string) string { return filepath.Join(d.dir, "root", p) }

// work is overlayfs's work directory for one layer of the disk.
func (d hostDisk) work(layer string) string { return filepath.Join(d.dir, "overlay-work", layer) }

// mounts returns what the keeper mounts, in order, flattened into keeper
// arguments: "bind SRC DST", "file SRC DST", "tmpfs DST" or "overlay LOWER
// UPPER WORK DST". /etc and /usr/local are the base's layers under the
// host's own when the base uses overlayfs. The mount that hides Dir itself
// (e.g. /tmp for a lab in /tmp) goes last so every source is still
// reachable when it is mounted.
func (d hostDisk) mounts(labDir string, base baseDisk) []string {
	type m struct{ kind, src, dst string }
	layer := func(name, dst string) m {
		if base.overlay {
			return m{"overlay", name, dst}
		}
		return m{"bind", d.root(name), dst}
	}
	list := []m{
		layer("etc", "/etc"),
		{"bind", d.root("opt"), "/opt"},
		{"bind", d.root("var"), "/var"},
		{"bind", d.root("home"), "/home"},
		{"bind", d.root("roothome"), "/root"},
		layer("usrlocal", "/usr/local"),
		{"bind", d.root("tmp"), "/tmp"},
		{"tmpfs", "", "/run"},
	}
	if sh := shellSymlinkTarget(); sh != "" && !base.ubuntu {
		if bash, ok := realTool("bash"); ok {
			list = append([]m{{"file", bash, sh}}, list...)
		}
	}
	var first, last []m
	for _, x := range list {
		if x.kind != "file" && (labDir == x.dst || strings.HasPrefix(labDir, x.dst+"/")) {
			last = append(last, x)
		} else {
			first = append(first, x)
		}
	}
	var args []string
	for _, x := range append(first, last...) {
		switch x.kind {
		case "tmpfs":
			args = append(args, x.kind, x.dst)
		case "overlay":
			args = append(args, x.kind, base.path(x.src), d.root(x.src), d.work(x.src), x.dst)
		default:
			args = append(args, x.kind, x.src, x.dst)
		}
	}
	return args
}

// build creates a fresh CentOS 7.3 disk for a host from the lab's base:
// /etc and /usr/local as the base's (an empty overlayfs upper layer, or a
// copy), empty /opt, /var, /tmp, a home for centos with the lab key, and
// the host's own machine-id, SSH host key, name and address.
func (d hostDisk) build(base baseDisk, hostname string, ip, gw netip.Addr, pubKey []byte) error {
	if err := os.MkdirAll(d.root(""), 0o755); err != nil {
		return err
	}
	for _, layer := range []string{"etc", "usrlocal"} {
		if base.overlay {
			if err := os.MkdirAll(d.work(layer), 0o700); err != nil {
				return err
			}
			if err := os.MkdirAll(d.root(layer), 0o755); err != nil {
				return err
			}
		} else if err := copyTree(base.path(layer), d.root(layer)); err != nil {
			return fmt.Errorf("copy the lab's base %s for host %s: %w", layer, hostname, err)
		}
	}
	for _, p := range []string{"opt", "var/log/units", "var/lib/rpm", "var/spool", "var/cache", "var/empty",
		"var/mail", "roothome", "usrlocal", "home"} {
		if err := os.MkdirAll(d.root(p), 0o755); err != nil {
			return err
		}
	}
	for _, p := range []string{"tmp", "var/tmp"} {
		if err := os.MkdirAll(d.root(p), 0o755); err != nil {
			return err
		}
		if err := os.Chmod(d.root(p), 0o1777); err != nil {
			return err
		}
	}
	_ = os.Chmod(d.root("roothome"), 0o700)
	for name, target := range map[string]string{"var/run": "/run", "var/lock": "/run/lock"} {
		if err := os.Symlink(target, d.root(name)); err != nil {
			return err
		}
	}
	if !base.ubuntu {
		var db strings.Builder
		for _, p := range preinstalled {
			fmt.Fprintf(&db, "%s %s\n", p[0], p[1])
		}
		if err := os.WriteFile(d.root("var/lib/rpm/standin-installed"), []byte(db.String()), 0o644); err != nil {
			return err
		}
	}
	if err := d.hostEtc(hostname); err != nil {
		return fmt.Errorf("give host %s its machine-id and SSH host key: %w", hostname, err)
	}
	if err := d.setIdentity(hostname, ip, gw); err != nil {
		return err
	}
	if err := d.makeHome(base.user, base.uid, base.gid, pubKey); err != nil {
		return err
	}
	return os.WriteFile(d.readyMarker(), nil, 0o600)
}

// readyMarker exists once build finished: a half-built disk is rebuilt.
func (d hostDisk) readyMarker() string { return filepath.Join(d.dir, "disk.ready") }

// setIdentity writes the files that depend on the customized name and
// address (also on every power-on: customization may have changed them).
func (d hostDisk) setIdentity(hostname string, ip, gw netip.Addr) error {
	files := map[string]string{
		"etc/hostname":    hostname + "\n",
		"etc/hosts":       fmt.Sprintf("127.0.0.1   localhost localhost.localdomain\n%s %s\n", ip, hostname),
		"etc/resolv.conf": fmt.Sprintf("# Generated by the dcos-vsphere lab (nothing answers DNS in the lab)\nnameserver %s\noptions timeout:1 attempts:1\n", gw),
	}
	for p, content := range files {
		_ = os.Remove(d.root(p))
		if err := os.WriteFile(d.root(p), []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

const osRelease = `NAME="CentOS Linux"
VERSION="7 (Core)"
ID="centos"
ID_LIKE="rhel fedora"
VERSION_ID="7"
PRETTY_NAME="CentOS Linux 7 (Core)"
ANSI_COLOR="0;31"
CPE_NAME="cpe:/o:centos:centos:7"
HOME_URL="https://www.centos.org/"
BUG_REPORT_URL="https://bugs.centos.org/"

CENTOS_MANTISBT_PROJECT="CentOS-7"
CENTOS_MANTISBT_PROJECT_VERSION="7"
REDHAT_SUPPORT_PRODUCT="centos"
REDHAT_SUPPORT_PRODUCT_VERSION="7"

`

const sshdConfig = `# sshd of a dcos-vsphere lab host
Port 22
AddressFamily inet
ListenAddress 0.0.0.0
HostKey /etc/ssh/ssh_host_ed25519_key
PidFile /run/sshd.pid
PermitRootLogin no
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
X11Forwarding no
PrintMotd no
MaxStartups 200:30:400
MaxSessions 100
AcceptEnv LANG LC_*
SetEnv PATH=` + hostPath + `
Subsystem sftp internal-sftp
`

const sudoers = `# sudoers of a dcos-vsphere lab host (CentOS 7 cloud image style)
Defaults   !visiblepw
Defaults   always_set_home
Defaults   env_reset
Defaults   !syslog
Defaults   logfile=/var/log/sudo.log
Defaults   secure_path = ` + hostPath + `
root    ALL=(ALL)       ALL
%wheel  ALL=(ALL)       ALL
#includedir /etc/sudoers.d
`

const profile = `# /etc/profile of a dcos-vsphere lab host
PATH=` + hostPath + `
export PATH
umask 022
for i in /etc/profile.d/*.sh; do [ -r "$i" ] && . "$i"; done
unset i
`

// centosEtc rewrites a copy of the machine's /etc for every host: release
// files, accounts (centos with passwordless sudo, wheel, no nogroup),
// sudoers, sshd (no host key: each host gets its own), PATH, SELinux
// config and an empty /etc/systemd/system with CentOS's enabled services.
// It returns centos's uid and gid.
func centosEtc(etc string) (int, int, error) {
	// Files the lab replaces or that a fresh CentOS host does not have.
	if err := stripEtc(etc, "os-release", "redhat-release", "centos-release", "system-release",
		"sudoers", "sudoers.d", "ssh/sshd_config", "ssh/sshd_config.d", "systemd/system", "mesosphere",
		"docker", "modules-load.d", "profile", "environment", "machine-id", "selinux", "yum.repos.d"); err != nil {
		return 0, 0, err
	}
	uid, gid, err := editAccounts(etc)
	if err != nil {
		return 0, 0, err
	}
	files := []struct {
		path, content string
		mode          os.FileMode
	}{
		{"os-release", osRelease, 0o644},
		{"centos-release", "CentOS Linux release 7.3.1611 (Core) \n", 0o644},
		{"sudoers", sudoers, 0o440},
		{"sudoers.d/90-cloud-init-users", "# Created by cloud-init\ncentos ALL=(ALL) NOPASSWD:ALL\n", 0o440},
		{"ssh/sshd_config", sshdConfig, 0o600},
		{"profile", profile, 0o644},
		{"environment", "PATH=" + hostPath + "\n", 0o644},
		{"selinux/config", "SELINUX=enforcing\nSELINUXTYPE=targeted\n", 0o644},
		{"yum.repos.d/CentOS-Base.repo", "[base]\nname=CentOS-7 - Base\nmirrorlist=http://mirrorlist.centos.org/?release=7&arch=x86_64&repo=os\ngpgcheck=1\n", 0o644},
		{"modules-load.d/.keep", "", 0o644},
	}
	for _, f := range files {
		p := filepath.Join(etc, f.path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return 0, 0, err
		}
		if err := os.WriteFile(p, []byte(f.content), f.mode); err != nil {
			return 0, 0, err
		}
	}
	for name, target := range map[string]string{"redhat-release": "centos-release", "system-release": "centos-release"} {
		if err := os.Symlink(target, filepath.Join(etc, name)); err != nil {
			return 0, 0, err
		}
	}
	_ = os.Chmod(filepath.Join(etc, "sudoers.d"), 0o750)
	wants := filepath.Join(etc, "systemd", "system", "multi-user.target.wants")
	if err := os.MkdirAll(wants, 0o755); err != nil {
		return 0, 0, err
	}
	for _, u := range []string{"firewalld.service", "chronyd.service"} {
		if err := os.Symlink("/usr/lib/systemd/system/"+u, filepath.Join(wants, u)); err != nil {
			return 0, 0, err
		}
	}
	return uid, gid, nil
}

// hostEtc writes the /etc files only this host has: machine-id and the
// SSH host key.
func (d hostDisk) hostEtc(hostname string) error {
	etc := d.root("etc")
	if err := os.MkdirAll(filepath.Join(etc, "ssh"), 0o755); err != nil {
		return err
	}
	machineID := make([]byte, 16)
	_, _ = rand.Read(machineID)
	if err := os.WriteFile(filepath.Join(etc, "machine-id"), []byte(hex.EncodeToString(machineID)+"\n"), 0o444); err != nil {
		return err
	}
	return writeHostKey(filepath.Join(etc, "ssh"), hostname)
}

// writeHostKey gives the host its own ed25519 SSH host key.
func writeHostKey(dir, hostname string) error {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	block, err := ssh.MarshalPrivateKey(priv, "root@"+hostname)
	if err != nil {
		return err
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "ssh_host_ed25519_key"), pem.EncodeToMemory(block), 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "ssh_host_ed25519_key.pub"), ssh.MarshalAuthorizedKey(sp), 0o644)
}

// makeHome creates /home/<user> with the lab's public key, owned by user.
func (d hostDisk) makeHome(user string, uid, gid int, pubKey []byte) error {
	home := d.root("home/" + user)
	sshDir := filepath.Join(home, ".ssh")
	if err := os.MkdirAll(sshDir, 0o700); err != nil {
		return err
	}
	files := map[string]string{
		".ssh/authorized_keys": string(pubKey),
		".bash_profile":        "# .bash_profile\n[ -f ~/.bashrc ] && . ~/.bashrc\nPATH=" + hostPath + "\nexport PATH\n",
		".bashrc":              "# .bashrc\n",
	}
	for p, c := range files {
		if err := os.WriteFile(filepath.Join(home, p), []byte(c), 0o600); err != nil {
			return err
		}
	}
	for _, p := range []string{home, sshDir, filepath.Join(sshDir, "authorized_keys"), filepath.Join(home, ".bash_profile"), filepath.Join(home, ".bashrc")} {
		if err := os.Lchown(p, uid, gid); err != nil {
			return err
		}
	}
	return os.Chmod(home, 0o700)
}

// stripEtc removes from a copied /etc what a personality replaces or a
// fresh host does not have (paths relative to etc), the machine's own
// SSH host keys (each host makes its own), and makes name lookups use the
// files only.
func stripEtc(etc string, remove ...string) error {
	for _, p := range remove {
		if err := os.RemoveAll(filepath.Join(etc, p)); err != nil {
			return err
		}
	}
	keys, _ := filepath.Glob(filepath.Join(etc, "ssh", "ssh_host_*"))
	for _, k := range keys {
		if err := os.Remove(k); err != nil {
			return err
		}
	}
	return filesOnlyNSS(etc)
}
