package lab

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// bridgeAliasPrefix starts the ifalias of a lab bridge; the rest is the
// lab's directory.
const bridgeAliasPrefix = "dcos-vsphere-lab:"

// ownedByRunningLab names the lab (directory and pid) other than o's own
// that runs with o's bridge or namespace prefix: Up must not clean up what
// a running lab uses. The bridge says its lab in its alias; a namespace's
// keeper process runs <dir>/hosts/<vm>/keeper.
func ownedByRunningLab(o Options) (string, int) {
	if b, err := os.ReadFile(filepath.Join("/sys/class/net", o.Bridge, "ifalias")); err == nil {
		if dir, ok := strings.CutPrefix(strings.TrimSpace(string(b)), bridgeAliasPrefix); ok && dir != o.Dir {
			if pid := RunningPID(dir); pid > 0 {
				return dir, pid
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, ns := range listNetns(o.NetnsPrefix) {
		for _, pid := range netnsPids(ctx, ns) {
			cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
			if err != nil {
				continue
			}
			for _, arg := range strings.Split(string(cmdline), "\x00") {
				hosts, _, ok := strings.Cut(arg, "/hosts/")
				if !ok || !strings.HasSuffix(arg, "/keeper") || hosts == o.Dir {
					continue
				}
				if running := RunningPID(hosts); running > 0 {
					return hosts, running
				}
			}
		}
	}
	return "", 0
}
