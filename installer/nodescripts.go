package installer

import (
	"fmt"
	"strings"
)

// The shell run on nodes. Each script is idempotent: it probes before it
// changes anything, so a re-run after a crash finishes the job instead of
// doing it twice. Scripts run as root through sudo, under bash -euo pipefail.

// shellQuote quotes s for bash.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// preflightScript prints facts the installer checks: OS, free space,
// whether /opt shares the root mount, clock. One "key=value" per line.
const preflightScript = `
. /etc/os-release
echo "os_id=${ID:-unknown}"
echo "os_version=${VERSION_ID:-unknown}"
echo "opt_free_kb=$(df -Pk /opt | awk 'NR==2 {print $4}')"
echo "var_free_kb=$(df -Pk /var | awk 'NR==2 {print $4}')"
echo "now=$(date +%s)"
if [ -d /opt/mesosphere ] || [ -d /etc/systemd/system/dcos.target.wants ]; then echo "dcos_installed=yes"; else echo "dcos_installed=no"; fi
if [ -s /opt/dcos-bootstrap/genconf/.dcos-vsphere-config.sha256 ]; then echo "bootstrap_generated=yes"; fi
`

// prerequisites are what DC/OS 1.9 needs on CentOS 7 (reference §5).
var prerequisitePackages = []string{"tar", "xz", "unzip", "curl", "ipset"}

// prepareScript installs the CentOS 7 prerequisites of DC/OS 1.9: docker
// with the overlay storage driver, SELinux permissive, firewalld off, the
// nogroup and docker groups, tar xz unzip curl ipset. It skips what is
// there and prints one "changed: ..." line per change.
func prepareScript(dockerRepoURL string) string {
	var b strings.Builder
	b.WriteString("need=()\n")
	for _, p := range prerequisitePackages {
		fmt.Fprintf(&b, "command -v %s >/dev/null 2>&1 || need+=(%s)\n", p, p)
	}
	b.WriteString("command -v ping >/dev/null 2>&1 || need+=(iputils)\n")
	b.WriteString("command -v docker >/dev/null 2>&1 || need+=(docker-engine)\n")
	if dockerRepoURL != "" {
		fmt.Fprintf(&b, `if [ ! -f /etc/yum.repos.d/docker.repo ]; then
  printf '[dockerrepo]\nname=Docker Repository\nbaseurl=%%s\nenabled=1\ngpgcheck=0\n' %s > /etc/yum.repos.d/docker.repo
  echo "changed: docker yum repository"
fi
`, shellQuote(dockerRepoURL))
	}
	b.WriteString(`if [ ${#need[@]} -gt 0 ]; then
  yum install -y "${need[@]}"
  echo "changed: installed ${need[*]}"
fi
if command -v getenforce >/dev/null 2>&1 && [ "$(getenforce)" = Enforcing ]; then
  setenforce 0
  echo "changed: SELinux permissive"
fi
if [ -f /etc/selinux/config ] && grep -q '^SELINUX=enforcing' /etc/selinux/config; then
  sed -i 's/^SELINUX=enforcing/SELINUX=permissive/' /etc/selinux/config
fi
if systemctl is-active firewalld >/dev/null 2>&1; then
  systemctl stop firewalld
  systemctl disable firewalld >/dev/null 2>&1 || true
  echo "changed: firewalld stopped"
fi
for g in nogroup docker; do
  if ! getent group "$g" >/dev/null; then groupadd "$g"; echo "changed: group $g"; fi
done
override=/etc/systemd/system/docker.service.d/override.conf
want='[Service]
Restart=always
StartLimitInterval=0
RestartSec=15
ExecStartPre=-/sbin/ip link del docker0
ExecStart=
ExecStart=/usr/bin/dockerd --storage-driver=overlay'
restart=no
if [ "$(cat "$override" 2>/dev/null)" != "$want" ]; then
  mkdir -p "$(dirname "$override")"
  printf '%s\n' "$want" > "$override"
  systemctl daemon-reload
  restart=yes
  echo "changed: docker uses the overlay storage driver"
fi
systemctl enable docker >/dev/null 2>&1 || true
if [ "$restart" = yes ] || ! systemctl is-active docker >/dev/null 2>&1; then
  systemctl restart docker
fi
docker version --format '{{.Server.Version}}' >/dev/null 2>&1 || docker version >/dev/null
echo "prerequisites ok"
`)
	return b.String()
}

// installScript installs DC/OS with role on a node, from the bootstrap
// node's serve directory. It never runs dcos_install.sh twice: an
// installed node is left alone, and a node whose install was cut short
// (the units are written but /opt/mesosphere is missing or dcos.target
// not enabled) is finished by starting the documented units again.
func installScript(bootstrapURL, role string) string {
	return fmt.Sprintf(`url=%s
role=%s
if [ -d /etc/systemd/system/dcos.target.wants ] && [ -d /opt/mesosphere ]; then
  echo "%s"
  exit 0
fi
if [ -f /etc/systemd/system/dcos-setup.service ]; then
  echo "%s"
  systemctl start dcos-download || true
  systemctl start dcos-setup
  exit 0
fi
mkdir -p /tmp/dcos
cd /tmp/dcos
curl -fsS --max-time 120 --retry 5 -o dcos_install.sh "$url/dcos_install.sh"
bash dcos_install.sh "$role"
`, shellQuote(bootstrapURL), shellQuote(role), markerInstalled, markerResumed)
}

// Lines installScript prints to say what it found.
const (
	markerInstalled = "dcos-vsphere: DC/OS already installed, left alone"
	markerResumed   = "dcos-vsphere: resuming an interrupted install"
)

// bootstrapDir is where the bootstrap node keeps dcos_generate_config.sh,
// genconf/ and the served genconf/serve. It must outlive the install:
// add-agents serves from it again.
const bootstrapDir = "/opt/dcos-bootstrap"

// configMarker records which config.yaml + ip-detect the serve directory
// was generated from.
const configMarker = "genconf/.dcos-vsphere-config.sha256"

// generateScript runs dcos_generate_config.sh once per config. If the serve
// directory was generated from another config and allowRegenerate is
// false (the cluster is already running), it refuses: DC/OS 1.9 cannot
// change a running cluster's config, and a new config id would split the
// cluster.
func generateScript(configSHA string, allowRegenerate bool) string {
	return fmt.Sprintf(`cd %s
want=%s
have=$(cat %s 2>/dev/null || true)
if [ -f genconf/serve/dcos_install.sh ] && [ "$have" = "$want" ]; then
  echo "genconf/serve is up to date (config %%s)" "${want:0:12}"
  exit 0
fi
if [ -f genconf/serve/dcos_install.sh ] && [ -n "$have" ] && [ %t != true ]; then
  echo "genconf/serve was generated from another config (${have:0:12}); the cluster runs it, refusing to regenerate" >&2
  exit 3
fi
bash dcos_generate_config.sh --genconf
test -f genconf/serve/dcos_install.sh
printf '%%s\n' "$want" > %s
`, bootstrapDir, shellQuote(configSHA), configMarker, allowRegenerate, configMarker)
}

// serveScript serves genconf/serve with nginx in docker, as the DC/OS
// advanced install documents, unless something already answers there.
func serveScript(port int) string {
	return fmt.Sprintf(`if curl -fsS --max-time 5 -o /dev/null http://127.0.0.1:%d/dcos_install.sh; then
  echo "genconf/serve already served on port %d"
  exit 0
fi
docker run -d -p %d:80 -v %s/genconf/serve:/usr/share/nginx/html:ro nginx
for i in $(seq 1 50); do
  curl -fsS --max-time 2 -o /dev/null http://127.0.0.1:%d/dcos_install.sh && exit 0
  sleep 0.2
done
echo "nginx did not start serving genconf/serve on port %d" >&2
exit 1
`, port, port, port, bootstrapDir, port, port)
}
