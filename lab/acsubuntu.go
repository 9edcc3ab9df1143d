package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// acsUser is the ACS admin user (linuxAdminUsername's default).
const acsUser = "azureuser"

// ubuntuBoot is the Ubuntu personality's boot script inside a host.
const ubuntuBoot = "/usr/local/lib/ubuntu1604/boot"

// ubuntuTools are the real Debian commands an Ubuntu 16.04 server image
// has beyond the CentOS base set (missing ones are skipped). Unlike the
// CentOS hosts, nothing is held back for a package manager to install.
var ubuntuTools = strings.Fields(`curl wget tar xz unxz xzcat bzip2 unzip ping rsync perl python3 dig host
nano lsb_release ifconfig netstat`)

// ubuntuBaseDisk is the ACS world's base disk in dir, before its uid,
// gid and overlay are known (build returns them; the world's state keeps
// them).
func ubuntuBaseDisk(dir string) baseDisk {
	return baseDisk{dir: dir, user: acsUser, boot: ubuntuBoot, ubuntu: true}
}

// buildUbuntuBase makes the base of the ACS world's hosts in dir: the
// machine's /etc made to look like Ubuntu 16.04 on Azure and a /usr/local
// with the Ubuntu personality.
func buildUbuntuBase(dir string, copyDisks bool) (baseDisk, error) {
	return ubuntuBaseDisk(dir).build(copyDisks, "Ubuntu 16.04", ubuntuEtc, installUbuntuPersonality)
}

const ubuntuOSRelease = `NAME="Ubuntu"
VERSION="16.04.2 LTS (Xenial Xerus)"
ID=ubuntu
ID_LIKE=debian
PRETTY_NAME="Ubuntu 16.04.2 LTS"
VERSION_ID="16.04"
HOME_URL="http://www.ubuntu.com/"
SUPPORT_URL="http://help.ubuntu.com/"
BUG_REPORT_URL="http://bugs.launchpad.net/ubuntu/"
VERSION_CODENAME=xenial
UBUNTU_CODENAME=xenial
`

const ubuntuLSBRelease = `DISTRIB_ID=Ubuntu
DISTRIB_RELEASE=16.04
DISTRIB_CODENAME=xenial
DISTRIB_DESCRIPTION="Ubuntu 16.04.2 LTS"
`

// ubuntuSSHDConfig is Ubuntu's sshd as ACS leaves it: keys only (the
// template's disablePasswordAuthentication), TCP forwarding allowed (the
// way to the agents and to Admin Router).
const ubuntuSSHDConfig = `# sshd of a dcos-vsphere lab host (ACS world, Ubuntu 16.04 on Azure)
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
ChallengeResponseAuthentication no
UsePAM no
UseDNS no
AllowTcpForwarding yes
AllowAgentForwarding yes
X11Forwarding no
PrintMotd no
ClientAliveInterval 120
MaxStartups 200:30:400
MaxSessions 100
AcceptEnv LANG LC_*
SetEnv PATH=` + hostPath + `
Subsystem sftp internal-sftp
`

const ubuntuSudoers = `# sudoers of a dcos-vsphere lab host (Ubuntu 16.04)
Defaults	env_reset
Defaults	mail_badpass
Defaults	!syslog
Defaults	logfile=/var/log/sudo.log
Defaults	secure_path="` + hostPath + `"
root	ALL=(ALL:ALL) ALL
%admin ALL=(ALL) ALL
%sudo	ALL=(ALL:ALL) ALL
#includedir /etc/sudoers.d
`

// ubuntuEtc rewrites a copy of the machine's /etc for the ACS hosts:
// release files, azureuser (in adm and sudo) with the passwordless sudo
// waagent grants a key-only admin (/etc/sudoers.d/waagent), sshd, PATH.
// It returns azureuser's uid and gid.
func ubuntuEtc(etc string) (int, int, error) {
	if err := stripEtc(etc, "os-release", "lsb-release", "debian_version", "issue", "issue.net",
		"redhat-release", "centos-release", "system-release", "sudoers", "sudoers.d", "ssh/sshd_config",
		"ssh/sshd_config.d", "systemd/system", "mesosphere", "docker", "profile", "environment", "machine-id"); err != nil {
		return 0, 0, err
	}
	uid, gid, err := addUbuntuUser(etc, acsUser, []string{"adm", "sudo"})
	if err != nil {
		return 0, 0, err
	}
	files := []struct {
		path, content string
		mode          os.FileMode
	}{
		{"os-release", ubuntuOSRelease, 0o644},
		{"lsb-release", ubuntuLSBRelease, 0o644},
		{"debian_version", "stretch/sid\n", 0o644},
		{"issue", "Ubuntu 16.04.2 LTS \\n \\l\n\n", 0o644},
		{"sudoers", ubuntuSudoers, 0o440},
		{"sudoers.d/waagent", acsUser + " ALL=(ALL) NOPASSWD: ALL\n", 0o440},
		{"ssh/sshd_config", ubuntuSSHDConfig, 0o600},
		{"profile", profile, 0o644},
		{"environment", "PATH=\"" + hostPath + "\"\n", 0o644},
		{"systemd/system/multi-user.target.wants/.keep", "", 0o644},
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
	_ = os.Chmod(filepath.Join(etc, "sudoers.d"), 0o755)
	return uid, gid, nil
}

// addUbuntuUser appends user (uid = gid = first free from 1000, as
// useradd does) to the copied account files, as a member of groups.
func addUbuntuUser(etc, user string, groups []string) (int, int, error) {
	read := func(name string) ([]string, error) {
		b, err := os.ReadFile(filepath.Join(etc, name))
		if err != nil {
			return nil, err
		}
		return strings.Split(strings.TrimRight(string(b), "\n"), "\n"), nil
	}
	write := func(name string, lines []string, mode os.FileMode) error {
		return os.WriteFile(filepath.Join(etc, name), []byte(strings.Join(lines, "\n")+"\n"), mode)
	}
	passwd, err := read("passwd")
	if err != nil {
		return 0, 0, err
	}
	group, err := read("group")
	if err != nil {
		return 0, 0, err
	}
	used := map[int]bool{}
	for _, l := range append(append([]string{}, passwd...), group...) {
		if f := strings.Split(l, ":"); len(f) > 2 {
			n, _ := strconv.Atoi(f[2])
			used[n] = true
		}
	}
	id := 1000
	for used[id] {
		id++
	}
	member := map[string]bool{}
	for _, g := range groups {
		member[g] = true
	}
	addMember(group, member, user)
	passwd = append(passwd, fmt.Sprintf("%s:x:%d:%d:,,,:/home/%s:/bin/bash", user, id, id, user))
	group = append(group, fmt.Sprintf("%s:x:%d:", user, id))
	if err := write("passwd", passwd, 0o644); err != nil {
		return 0, 0, err
	}
	if err := write("group", group, 0o644); err != nil {
		return 0, 0, err
	}
	if shadow, err := read("shadow"); err == nil {
		if err := write("shadow", append(shadow, user+":*:17000:0:99999:7:::"), 0o640); err != nil {
			return 0, 0, err
		}
	}
	if gshadow, err := read("gshadow"); err == nil {
		addMember(gshadow, member, user)
		if err := write("gshadow", append(gshadow, user+":!::"), 0o640); err != nil {
			return 0, 0, err
		}
	}
	return id, id, nil
}

// installUbuntuPersonality fills the ACS hosts' /usr/local: links to the
// real tools, the refusing reboot family, the boot script and the DC/OS
// stand-in's control script.
func installUbuntuPersonality(usrLocal string) error {
	bin, lib := filepath.Join(usrLocal, "bin"), filepath.Join(usrLocal, "lib", "ubuntu1604")
	for _, d := range []string{bin, filepath.Join(usrLocal, "sbin"), lib} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	for _, t := range append(append([]string{}, baseTools...), ubuntuTools...) {
		if p, ok := realTool(t); ok {
			if err := os.Symlink(p, filepath.Join(bin, t)); err != nil && !os.IsExist(err) {
				return err
			}
		}
	}
	copyScript := func(name, dst string) error {
		b, err := personality.ReadFile("personality/ubuntu1604/" + name)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o755)
	}
	if err := copyScript("reboot", filepath.Join(bin, "reboot")); err != nil {
		return err
	}
	for _, a := range rebootAliases {
		if err := os.Symlink("reboot", filepath.Join(bin, a)); err != nil {
			return err
		}
	}
	for _, s := range []string{"boot", "dcos-standin"} {
		if err := copyScript(s, filepath.Join(lib, s)); err != nil {
			return fmt.Errorf("install %s: %w", s, err)
		}
	}
	// docker-engine 1.13.1, as acs-engine installs it (running from boot):
	// the lab's docker stand-in with its real pull.
	for _, s := range []string{"docker", "docker-pull"} {
		b, err := personality.ReadFile("personality/" + s)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(lib, s), b, 0o755); err != nil {
			return fmt.Errorf("install %s: %w", s, err)
		}
	}
	return os.Symlink("../lib/ubuntu1604/docker", filepath.Join(bin, "docker"))
}

// trustRegistry makes the hosts of base trust the lab registry's CA the
// way docker does (/etc/docker/certs.d/<host>/ca.crt).
func trustRegistry(base baseDisk, host string, caPEM []byte) error {
	certs := base.path(filepath.Join("etc", "docker", "certs.d", host))
	if err := os.MkdirAll(certs, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(certs, "ca.crt"), caPEM, 0o644); err != nil {
		return fmt.Errorf("trust the registry CA: %w", err)
	}
	return nil
}

// addMember adds user to the member list (the fourth field) of every
// group or gshadow line whose group is in member.
func addMember(lines []string, member map[string]bool, user string) {
	for i, l := range lines {
		f := strings.Split(l, ":")
		if len(f) == 4 && member[f[0]] {
			if f[3] == "" {
				f[3] = user
			} else {
				f[3] += "," + user
			}
			lines[i] = strings.Join(f, ":")
		}
	}
}
