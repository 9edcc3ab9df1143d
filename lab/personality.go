package lab

import (
	"embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// personality holds the CentOS 7 stand-in commands and the host's boot
// and keeper scripts (see lab/README.md).
//
//go:embed personality
var personality embed.FS

// hostPath is PATH on a lab host: only its private /usr/local, where base
// tools and installed packages are linked, so a tool CentOS would get from
// yum is invisible until the yum stand-in installs it.
const hostPath = "/usr/local/sbin:/usr/local/bin"

// standins go to /usr/local/bin as commands of their own name; reboot also
// answers for its siblings.
var standins = []string{"systemctl", "yum", "rpm", "getenforce", "setenforce", "journalctl",
	"hostnamectl", "timedatectl", "modprobe", "lsmod", "sysctl", "reboot"}

var rebootAliases = []string{"shutdown", "poweroff", "halt", "init", "telinit"}

// baseTools are the real Debian commands a CentOS 7 minimal host has from
// the start (missing ones are skipped).
var baseTools = strings.Fields(`
bash sh cat cp mv rm ln ls mkdir rmdir chmod chown chgrp touch stat readlink realpath dirname basename
mktemp echo printf test [ true false sleep env id whoami groups uname date head tail cut sort uniq wc tr
tee seq yes nproc df du install timeout nohup sha256sum sha1sum sha512sum md5sum cksum base64 od split
fold paste join comm expr dd sync mknod mkfifo tac nl truncate printenv pwd tty stty more less
sed grep egrep fgrep awk gawk mawk find xargs diff cmp which file
ip ss hostname ps pgrep pkill kill killall pidof top free uptime w watch
mount umount findmnt lsblk blkid mountpoint flock setsid nsenter unshare runuser chroot logger getopt
sudo su visudo getent groupadd groupdel groupmod useradd userdel usermod passwd chpasswd gpasswd newgrp chage
gzip gunzip zcat cpio openssl ssh ssh-keygen ssh-keyscan scp sftp systemd-notify vi
`)

// catalogEntry is a package the yum stand-in can install: its CentOS 7.3
// version and the tools it brings (name -> real binary), plus "group=NAME"
// for groups its scriptlet creates.
type catalogEntry struct {
	name, version string
	tools         []string
}

var catalog = []catalogEntry{
	{"curl", "7.29.0-35.el7.centos", []string{"curl"}},
	{"tar", "1.26-31.el7", []string{"tar"}},
	{"xz", "5.2.2-1.el7", []string{"xz", "unxz", "xzcat"}},
	{"unzip", "6.0-16.el7", []string{"unzip"}},
	{"ipset", "6.19-6.el7", []string{"ipset"}},
	{"iputils", "20160308-8.el7", []string{"ping", "arping", "tracepath"}},
	{"docker-engine", "1.13.1-1.el7.centos", []string{"docker=standin", "group=docker"}},
	{"docker", "1.13.1-75.git8633870.el7.centos", []string{"docker=standin", "group=docker"}},
	{"docker-engine-selinux", "1.13.1-1.el7.centos", nil},
	{"wget", "1.14-13.el7", []string{"wget"}},
	{"rsync", "3.0.9-17.el7", []string{"rsync"}},
	{"bind-utils", "9.9.4-38.el7", []string{"dig", "nslookup", "host"}},
	{"net-tools", "2.0-0.17.20131004git.el7", []string{"ifconfig", "netstat", "route"}},
	{"perl", "5.16.3-291.el7", []string{"perl"}},
	{"nfs-utils", "1.3.0-0.33.el7", nil},
	{"libtool-ltdl", "2.4.2-22.el7_3", nil},
	{"yum-utils", "1.1.31-40.el7", nil},
	{"ntp", "4.2.6p5-25.el7.centos", nil},
	{"bzip2", "1.0.6-13.el7", []string{"bzip2", "bunzip2"}},
	{"git", "1.8.3.1-6.el7_2.1", []string{"git"}},
	{"epel-release", "7-9", nil},
}

// preinstalled is the rpm database of a fresh CentOS 7.3 minimal host
// (what the installer or DC/OS might ask rpm about).
var preinstalled = [][2]string{
	{"centos-release", "7-3.1611.el7.centos"}, {"bash", "4.2.46-20.el7_2"}, {"coreutils", "8.22-18.el7"},
	{"sed", "4.2.2-5.el7"}, {"grep", "2.20-2.el7"}, {"gawk", "4.0.2-4.el7"}, {"iproute", "3.10.0-74.el7"},
	{"sudo", "1.8.6p7-20.el7"}, {"openssh-server", "6.6.1p1-31.el7"}, {"openssh-clients", "6.6.1p1-31.el7"},
	{"systemd", "219-30.el7"}, {"yum", "3.4.3-150.el7.centos"}, {"rpm", "4.11.3-21.el7"},
	{"kernel", "3.10.0-514.el7"}, {"util-linux", "2.23.2-33.el7"}, {"procps-ng", "3.3.10-10.el7"},
	{"shadow-utils", "4.1.5.1-24.el7"}, {"firewalld", "0.4.3.2-8.el7"}, {"chrony", "2.1.1-3.el7.centos"},
	{"selinux-policy-targeted", "3.13.1-102.el7"}, {"openssl", "1.0.1e-60.el7"}, {"gzip", "1.5-8.el7"},
	{"which", "2.20-7.el7"}, {"findutils", "4.5.11-5.el7"}, {"diffutils", "3.3-4.el7"}, {"less", "458-9.el7"},
}

// realTool finds a real binary on the machine, outside any lab host.
func realTool(name string) (string, bool) {
	for _, d := range []string{"/usr/sbin", "/usr/bin", "/sbin", "/bin"} {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, true
		}
	}
	return "", false
}

// installPersonality fills the host's private /usr/local (usrLocal): base
// tool links, stand-ins, the yum catalog and the boot/keeper scripts.
func installPersonality(usrLocal string) error {
	bin, lib := filepath.Join(usrLocal, "bin"), filepath.Join(usrLocal, "lib", "centos7")
	for _, d := range []string{bin, filepath.Join(usrLocal, "sbin"), lib} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	for _, t := range baseTools {
		if t == "sh" {
			if err := os.Symlink("/bin/bash", filepath.Join(bin, t)); err != nil {
				return err
			}
			continue
		}
		if p, ok := realTool(t); ok {
			if err := os.Symlink(p, filepath.Join(bin, t)); err != nil && !os.IsExist(err) {
				return err
			}
		}
	}
	if _, ok := realTool("systemd-notify"); !ok {
		// DC/OS's preflight wants it in PATH; without systemd it has nobody to notify.
		if err := os.WriteFile(filepath.Join(bin, "systemd-notify"), []byte("#!/bin/bash\n# systemd-notify stand-in: no systemd on a lab host\nexit 0\n"), 0o755); err != nil {
			return err
		}
	}
	copyScript := func(name, dst string) error {
		b, err := personality.ReadFile("personality/" + name)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o755)
	}
	for _, s := range standins {
		if err := copyScript(s, filepath.Join(bin, s)); err != nil {
			return fmt.Errorf("install stand-in %s: %w", s, err)
		}
	}
	for _, a := range rebootAliases {
		if err := os.Symlink("reboot", filepath.Join(bin, a)); err != nil {
			return err
		}
	}
	for _, s := range []string{"docker", "docker-pull", "boot"} {
		if err := copyScript(s, filepath.Join(lib, s)); err != nil {
			return fmt.Errorf("install stand-in %s: %w", s, err)
		}
	}
	var cat strings.Builder
	for _, e := range catalog {
		fmt.Fprintf(&cat, "%s %s", e.name, e.version)
		for _, t := range e.tools {
			name, target, _ := strings.Cut(t, "=")
			switch {
			case name == "group":
				fmt.Fprintf(&cat, " group=%s", target)
			case target == "standin":
				fmt.Fprintf(&cat, " %s=/usr/local/lib/centos7/%s", name, name)
			default:
				if p, ok := realTool(name); ok {
					fmt.Fprintf(&cat, " %s=%s", name, p)
				}
			}
		}
		cat.WriteString("\n")
	}
	return os.WriteFile(filepath.Join(lib, "catalog"), []byte(cat.String()), 0o644)
}

// keeperScript is the body of a host's first process.
func keeperScript() string {
	b, err := personality.ReadFile("personality/keeper")
	if err != nil {
		panic(err) // embedded at build time
	}
	return string(b)
}

// shellSymlinkTarget is what /bin/sh really is on this machine; a host
// binds bash over it, since CentOS's sh is bash.
func shellSymlinkTarget() string {
	p, err := filepath.EvalSymlinks("/bin/sh")
	if err != nil {
		return ""
	}
	if b, err := exec.LookPath("bash"); err == nil {
		if rb, err := filepath.EvalSymlinks(b); err == nil && rb == p {
			return "" // already bash
		}
	}
	return p
}
