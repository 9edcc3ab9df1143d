package installer

import (
	"bufio"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/installer/ssh"
	"github.com/dcos-vsphere/dcos-vsphere/registry"
)

// DCOSState is how far DC/OS's own setup got on a node.
type DCOSState string

// DC/OS states of a node, from what DC/OS's install leaves on disk
// (dcos_install.sh writes the dcos-download/dcos-setup units, dcos-download
// unpacks the bootstrap tarball, which carries /opt/mesosphere/bootstrap;
// pkgpanda setup removes that marker only after dcos.target started).
const (
	DCOSNotInstalled DCOSState = "not installed"
	// DCOSPartial: dcos_install.sh ran, but download or setup did not finish.
	DCOSPartial   DCOSState = "partly installed"
	DCOSInstalled DCOSState = "installed"
	DCOSUnknown   DCOSState = "unknown" // not probed
)

// NodeFacts is what one probe of a node learns; every flow (install,
// add-agents, plan, status) reads it the same way.
type NodeFacts struct {
	OSID, OSVersion      string
	OptFreeKB, VarFreeKB int64
	Clock                time.Time
	// ProductUUID is /sys/class/dmi/id/product_uuid: the VM's BIOS UUID.
	ProductUUID string

	DCOS DCOSState
	// DCOSRole is the role dcos_install.sh recorded (master, slave,
	// slave_public), "" when none.
	DCOSRole string
	// MasterList is the installed node's /opt/mesosphere/etc/master_list.
	MasterList []string
	// ConfigPackage is the dcos-config package the node runs
	// (dcos-config--setup_<config id>), "" when none is active.
	ConfigPackage string

	// Mark is this tool's mark on the node (/etc/dcos-vsphere/node.json),
	// nil when the node has none.
	Mark *NodeMark

	// Bootstrap node only: the genconf/serve there.
	ServeGenerated bool
	// ServedConfigSHA256 is the config (GenconfFiles.SHA256) genconf/serve
	// was generated from.
	ServedConfigSHA256 string
	// Serving: nginx answers for genconf/serve on the bootstrap port.
	Serving bool

	// StaleUploads are temp files of interrupted uploads (removed by tidy).
	StaleUploads int

	// Registry is what the node has of the shared registry's files
	// (registry.NodeCheckScript); nil when the probe could not read them.
	Registry *registry.NodeState
	// RestartPending: registry rotate rewrote the files but the agent was
	// not restarted yet (a run cut short); the next rotate restarts it.
	RestartPending bool
}

// NodeMark is written by the tool on every node it sets up: which cluster
// (name and id) and config the node belongs to. It holds no secret.
type NodeMark struct {
	Cluster      string `json:"cluster"`
	ClusterID    string `json:"clusterId"`
	Role         string `json:"role"`
	ConfigSHA256 string `json:"configSHA256,omitempty"`
}

// Paths on nodes.
const (
	markPath = "/etc/dcos-vsphere/node.json"
	// bootstrapDir is where the bootstrap node keeps dcos_generate_config.sh,
	// genconf/ and the served genconf/serve. It must outlive the install:
	// add-agents serves from it again.
	bootstrapDir = "/opt/dcos-bootstrap"
	// configMarker records which config.yaml + ip-detect the serve
	// directory was generated from (relative to bootstrapDir).
	configMarker = "genconf/.dcos-vsphere-config.sha256"
	// stagingPrefix starts the names of upload temp files this tool
	// leaves, so that stale ones can be found and removed safely.
	stagingPrefix = ssh.StagingPrefix
)

// probeScript prints one key=value line per fact. It changes nothing.
func probeScript(port int) Script {
	return Script{Name: "probe", Body: fmt.Sprintf(`. /etc/os-release 2>/dev/null || true
echo "os_id=${ID:-unknown}"
echo "os_version=${VERSION_ID:-unknown}"
echo "opt_free_kb=$(df -Pk /opt | awk 'NR==2 {print $4}')"
echo "var_free_kb=$(df -Pk /var | awk 'NR==2 {print $4}')"
echo "now=$(date +%%s)"
echo "product_uuid=$(cat /sys/class/dmi/id/product_uuid 2>/dev/null || true)"
[ -e /etc/systemd/system/dcos-setup.service ] && echo "setup_unit=yes"
[ -d /opt/mesosphere ] && echo "opt_mesosphere=yes"
[ -x /opt/mesosphere/bin/pkgpanda ] && echo "pkgpanda=yes"
[ -e /opt/mesosphere/bootstrap ] && echo "bootstrap_marker=yes"
[ -e /etc/systemd/system/dcos.target ] && echo "dcos_target=yes"
[ -d /etc/systemd/system/dcos.target.wants ] && echo "wants_dir=yes"
for r in master slave slave_public; do [ -e /etc/mesosphere/roles/$r ] && echo "role=$r"; done
[ -f /opt/mesosphere/etc/master_list ] && echo "master_list=$(tr -d '\n' < /opt/mesosphere/etc/master_list)"
cp=$(readlink /opt/mesosphere/active/dcos-config 2>/dev/null || true)
[ -n "$cp" ] && echo "config_package=${cp##*/}"
[ -f %[1]s ] && echo "mark=$(tr -d '\n' < %[1]s)"
if [ -f %[2]s/genconf/serve/dcos_install.sh ]; then
  echo "serve_generated=yes"
  echo "served_sha=$(cat %[2]s/%[3]s 2>/dev/null || true)"
  curl -fsS --max-time 3 -o /dev/null http://127.0.0.1:%[4]d/dcos_install.sh 2>/dev/null && echo "serving=yes"
fi
n=0
for d in %[8]s; do
  [ -n "$d" ] && [ -d "$d" ] || continue
  for f in "$d"/%[5]s*.tmp-*; do [ -e "$f" ] && n=$((n+1)); done
done
echo "stale_uploads=$n"
[ -e %[7]s ] && echo "registry_pending=yes"
( %[6]s) 2>/dev/null | sed 's/^/registry=/'
`, markPath, bootstrapDir, configMarker, port, stagingPrefix, registry.NodeCheckScript(), restartPendingPath, uploadDirs)}
}

// tidyScript removes the temp files of interrupted uploads (only ours:
// they carry stagingPrefix).
func tidyScript() Script {
	return Script{Name: "tidy", Body: fmt.Sprintf(`for d in %[1]s; do
  [ -n "$d" ] && [ -d "$d" ] || continue
  rm -f -- "$d"/%[2]s*.tmp-*
done
`, uploadDirs, stagingPrefix)}
}

// uploadDirs are the directories (a shell word list) where interrupted
// uploads leave temp files: the probe counts them there and tidy removes
// them there. The login user's home is where sudo uploads stage.
const uploadDirs = `"$HOME" "${SUDO_USER:+$(getent passwd "$SUDO_USER" | cut -d: -f6)}" ` +
	bootstrapDir + " " + bootstrapDir + "/.candidate/genconf " + bootstrapDir + "/genconf /etc /etc/dcos-vsphere /etc/mesosphere"

// parseFacts reads the probe's output into NodeFacts.
func parseFacts(out string) (*NodeFacts, error) {
	kv := map[string]string{}
	var reg strings.Builder
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		switch {
		case ok && k == "registry":
			reg.WriteString(v + "\n")
		case ok:
			kv[k] = v
		}
	}
	f := &NodeFacts{OSID: kv["os_id"], OSVersion: kv["os_version"], ProductUUID: strings.TrimSpace(kv["product_uuid"]),
		DCOSRole: kv["role"], ConfigPackage: kv["config_package"],
		ServeGenerated: kv["serve_generated"] == "yes", ServedConfigSHA256: strings.TrimSpace(kv["served_sha"]),
		Serving: kv["serving"] == "yes", RestartPending: kv["registry_pending"] == "yes"}
	var err error
	if f.OptFreeKB, err = strconv.ParseInt(kv["opt_free_kb"], 10, 64); err != nil {
		f.OptFreeKB = -1
	}
	if f.VarFreeKB, err = strconv.ParseInt(kv["var_free_kb"], 10, 64); err != nil {
		f.VarFreeKB = -1
	}
	if ts, err := strconv.ParseInt(kv["now"], 10, 64); err == nil {
		f.Clock = time.Unix(ts, 0)
	}
	f.StaleUploads, _ = strconv.Atoi(kv["stale_uploads"])
	if ml := kv["master_list"]; ml != "" {
		if err := json.Unmarshal([]byte(ml), &f.MasterList); err != nil {
			return nil, fmt.Errorf("probe: /opt/mesosphere/etc/master_list is not a JSON list: %q", ml)
		}
	}
	if m := kv["mark"]; m != "" {
		f.Mark = &NodeMark{}
		if err := json.Unmarshal([]byte(m), f.Mark); err != nil {
			return nil, fmt.Errorf("probe: %s is not this tool's mark: %q", markPath, m)
		}
	}
	if reg.Len() > 0 {
		if st, err := registry.ParseNodeState(reg.String()); err == nil {
			f.Registry = &st
		}
	}
	yes := func(k string) bool { return kv[k] == "yes" }
	switch {
	case yes("opt_mesosphere") && yes("pkgpanda") && !yes("bootstrap_marker") && yes("dcos_target"):
		f.DCOS = DCOSInstalled
	case yes("setup_unit") || yes("opt_mesosphere") || yes("wants_dir") || yes("dcos_target"):
		f.DCOS = DCOSPartial
	default:
		f.DCOS = DCOSNotInstalled
	}
	if f.OSID == "" {
		return nil, fmt.Errorf("probe printed no facts")
	}
	return f, nil
}

// maxClockSkew is how far a node's clock may be from the installer's
// before preflight fails (DC/OS's check-time wants NTP anyway).
const maxClockSkew = 5 * time.Minute

// minFreeKB is the free space DC/OS needs under /opt and /var (10 GB,
// the documented minimum for /var on agents).
const minFreeKB = 10 * 1024 * 1024

// checkRequirements applies the documented DC/OS 1.9 system requirements
// that can be checked cheaply (reference §5).
func (f *NodeFacts) checkRequirements(role string, now time.Time) error {
	var problems []string
	if f.OSID != "centos" && f.OSID != "rhel" {
		problems = append(problems, fmt.Sprintf("OS is %q, DC/OS 1.9 needs CentOS/RHEL 7", f.OSID))
	} else if !strings.HasPrefix(f.OSVersion, "7") {
		problems = append(problems, fmt.Sprintf("OS version %q, DC/OS 1.9 needs 7.2 or 7.3", f.OSVersion))
	}
	for _, d := range []struct {
		dir string
		kb  int64
	}{{"opt", f.OptFreeKB}, {"var", f.VarFreeKB}} {
		switch {
		case d.kb < 0:
			problems = append(problems, "cannot read the free space under /"+d.dir)
		case d.kb < minFreeKB && role != RoleBootstrap:
			problems = append(problems, fmt.Sprintf("only %d MB free under /%s, DC/OS needs 10 GB", d.kb/1024, d.dir))
		}
	}
	if !f.Clock.IsZero() {
		skew := now.Sub(f.Clock)
		if skew < 0 {
			skew = -skew
		}
		if skew > maxClockSkew {
			problems = append(problems, fmt.Sprintf("clock is %s off the installer's; set up NTP", skew.Round(time.Second)))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// installed reports whether the node needs no (more) DC/OS install: DC/OS
// set up on cluster nodes, genconf/serve generated on the bootstrap node.
func (f *NodeFacts) installed(role string) bool {
	if f == nil {
		return false
	}
	if role == RoleBootstrap {
		return f.ServeGenerated
	}
	return f.DCOS == DCOSInstalled
}

// sameSet reports whether a and b hold the same strings.
func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := append([]string(nil), a...), append([]string(nil), b...)
	sort.Strings(x)
	sort.Strings(y)
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}
