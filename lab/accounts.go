package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// filesOnlyNSS makes accounts come from the host's files only, as on
// CentOS 7: Debian's nss-systemd would otherwise invent "nogroup".
func filesOnlyNSS(etc string) error {
	p := filepath.Join(etc, "nsswitch.conf")
	b, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		for _, db := range []string{"passwd:", "group:", "shadow:", "gshadow:"} {
			if strings.HasPrefix(l, db) {
				lines[i] = db + " files"
			}
		}
	}
	return os.WriteFile(p, []byte(strings.Join(lines, "\n")), 0o644)
}

// editAccounts adds centos (uid/gid = first free from 1000) and wheel to
// the copied account files, gives CentOS's "nobody" group its name and
// removes Debian's nogroup (DC/OS's preflight checks it was created).
func editAccounts(etc string) (uid, gid int, err error) {
	read := func(name string) ([]string, error) {
		b, err := os.ReadFile(filepath.Join(etc, name))
		if err != nil {
			return nil, err
		}
		return strings.Split(strings.TrimRight(string(b), "\n"), "\n"), nil
	}
	passwd, err := read("passwd")
	if err != nil {
		return 0, 0, err
	}
	group, err := read("group")
	if err != nil {
		return 0, 0, err
	}
	usedU, usedG := map[int]bool{}, map[int]bool{}
	for _, l := range passwd {
		if f := strings.Split(l, ":"); len(f) > 3 {
			n, _ := strconv.Atoi(f[2])
			usedU[n] = true
		}
	}
	var keptGroups []string
	for _, l := range group {
		f := strings.Split(l, ":")
		if len(f) < 3 || f[0] == "nogroup" || f[0] == sshUser || f[0] == "wheel" {
			continue
		}
		n, _ := strconv.Atoi(f[2])
		usedG[n] = true
		keptGroups = append(keptGroups, l)
	}
	free := func(used map[int]bool, from int) int {
		for used[from] {
			from++
		}
		used[from] = true
		return from
	}
	uid = free(usedU, 1000)
	gid = uid
	if usedG[gid] {
		gid = free(usedG, 1000)
	}
	usedG[gid] = true
	wheel := free(usedG, 10)
	nobody := 65534
	if !usedG[nobody] {
		keptGroups = append(keptGroups, fmt.Sprintf("nobody:x:%d:", nobody))
	}
	keptGroups = append(keptGroups, fmt.Sprintf("wheel:x:%d:%s", wheel, sshUser), fmt.Sprintf("%s:x:%d:", sshUser, gid))
	passwd = append(passwd, fmt.Sprintf("%s:x:%d:%d:Cloud User:/home/%s:/bin/bash", sshUser, uid, gid, sshUser))
	write := func(name string, lines []string, mode os.FileMode) error {
		return os.WriteFile(filepath.Join(etc, name), []byte(strings.Join(lines, "\n")+"\n"), mode)
	}
	if err := write("passwd", passwd, 0o644); err != nil {
		return 0, 0, err
	}
	if err := write("group", keptGroups, 0o644); err != nil {
		return 0, 0, err
	}
	shadow, err := read("shadow")
	if err == nil {
		shadow = append(shadow, sshUser+":*:17000:0:99999:7:::")
		if err := write("shadow", shadow, 0o640); err != nil {
			return 0, 0, err
		}
	}
	if gshadow, err := read("gshadow"); err == nil {
		var kept []string
		for _, l := range gshadow {
			if n, _, _ := strings.Cut(l, ":"); n != "nogroup" && n != sshUser && n != "wheel" {
				kept = append(kept, l)
			}
		}
		kept = append(kept, "wheel:::"+sshUser, sshUser+":!::")
		if !usedG[nobody] {
			kept = append(kept, "nobody:!::")
		}
		if err := write("gshadow", kept, 0o640); err != nil {
			return 0, 0, err
		}
	}
	return uid, gid, nil
}
