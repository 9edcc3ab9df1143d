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

// prerequisitePackages are the tools DC/OS 1.9 needs on CentOS 7
// (reference §5), checked by command name.
var prerequisitePackages = []string{"tar", "xz", "unzip", "curl", "ipset"}

// prepareScript installs the CentOS 7 prerequisites of DC/OS 1.9: docker
// with the overlay storage driver, SELinux permissive, firewalld off, the
// nogroup and docker groups, tar xz unzip curl ipset. It skips what is
// there (docker by its package, not its binary: a yum cut short leaves the
// binary without the unit) and prints one "changed: ..." line per change.
func prepareScript(dockerRepoURL string) Script {
	var b strings.Builder
	b.WriteString("need=()\n")
	for _, p := range prerequisitePackages {
		fmt.Fprintf(&b, "command -v %s >/dev/null 2>&1 || need+=(%s)\n", p, p)
	}
	b.WriteString("command -v ping >/dev/null 2>&1 || need+=(iputils)\n")
	b.WriteString("rpm -q docker-engine >/dev/null 2>&1 || rpm -q docker >/dev/null 2>&1 || rpm -q docker-ce >/dev/null 2>&1 || need+=(docker-engine)\n")
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
  printf '%s\n' "$want" > "$override.tmp" && mv -f "$override.tmp" "$override"
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
	return Script{Name: "prepare", Body: b.String()}
}

// installScript runs dcos_install.sh with role from the bootstrap node's
// serve directory, on a node where DC/OS was never started (the caller
// decides that from the probe: a node part-way is resumed, not installed).
func installScript(bootstrapURL, role string) Script {
	return Script{Name: "install", Body: fmt.Sprintf(`url=%s
role=%s
mkdir -p /tmp/dcos
cd /tmp/dcos
curl -fsS --max-time 120 --retry 5 -o dcos_install.sh.part "$url/dcos_install.sh"
mv -f dcos_install.sh.part dcos_install.sh
bash dcos_install.sh "$role"
`, shellQuote(bootstrapURL), shellQuote(role))}
}

// resumeScript finishes an install that was cut short after dcos_install.sh
// wrote DC/OS's units, by starting DC/OS's own setup again (what a reboot
// of the node would do: dcos-setup is enabled). A download cut short left
// /opt/mesosphere without the bootstrap tarball's content, which
// dcos-download (ConditionPathExists=!/opt/mesosphere/) would never redo:
// that directory holds nothing of setup yet and is removed first.
func resumeScript() Script {
	return Script{Name: "resume", Body: `if [ ! -e /etc/systemd/system/dcos-setup.service ]; then
  echo "dcos_install.sh never wrote dcos-setup.service; cannot resume" >&2
  exit 3
fi
if [ -d /opt/mesosphere ] && [ ! -x /opt/mesosphere/bin/pkgpanda ]; then
  echo "removing the half-unpacked /opt/mesosphere of an interrupted download"
  rm -rf /opt/mesosphere
fi
systemctl daemon-reload >/dev/null 2>&1 || true
systemctl start dcos-setup
if [ -e /opt/mesosphere/bootstrap ]; then
  echo "dcos-setup ended but DC/OS setup is not complete (/opt/mesosphere/bootstrap is still there)" >&2
  exit 1
fi
echo "resumed: DC/OS setup complete"
`}
}

// The bootstrap node's candidate directory: a new genconf/serve is
// generated there and moved into place only once it is known to be right.
const candidateDir = bootstrapDir + "/.candidate"

// generateScript runs dcos_generate_config.sh in the candidate directory
// (the installer and genconf inputs are already there) and prints the
// dcos-config package it generated as "package=<id>".
func generateScript() Script {
	return Script{Name: "generate", Body: fmt.Sprintf(`cd %s
rm -rf genconf/serve genconf/state genconf/cluster_packages.json
bash dcos_generate_config.sh --genconf
test -f genconf/serve/dcos_install.sh
for f in genconf/serve/packages/dcos-config/*.tar.xz; do [ -f "$f" ] && { f=${f##*/}; echo "package=${f%%.tar.xz}"; }; done
`, candidateDir)}
}

// promoteScript moves the candidate genconf/ (with its config marker,
// written before) into place; discardScript removes a candidate.
func promoteScript() Script {
	return Script{Name: "promote", Body: fmt.Sprintf(`cd %s
test -f %s/%s
rm -rf genconf.old
if [ -d genconf ]; then mv genconf genconf.old; fi
mv %s/genconf genconf
rm -rf genconf.old %s
`, bootstrapDir, candidateDir, configMarker, candidateDir, candidateDir)}
}

func discardScript() Script {
	return Script{Name: "discard", Body: "rm -rf " + candidateDir + "\n"}
}

// serveContainer names the nginx container serving genconf/serve.
const serveContainer = "dcos-vsphere-serve"

// serveScript serves genconf/serve with nginx in docker, as the DC/OS
// advanced install documents. What answers on the port must serve this
// very genconf/serve (its dcos_install.sh names the config's packages): a
// container of ours serving an older generation (docker binds the old
// directory) is replaced; anything else on the port is an error.
func serveScript(port int) Script {
	return Script{Name: "serve", Body: fmt.Sprintf(`port=%d
dir=%s/genconf/serve
want=$(sha256sum < "$dir/dcos_install.sh")
served() { [ "$(curl -fsS --max-time 5 "http://127.0.0.1:$port/dcos_install.sh" 2>/dev/null | sha256sum)" = "$want" ]; }
if served; then
  echo "genconf/serve already served on port $port"
  exit 0
fi
docker rm -f %s >/dev/null 2>&1 || true
if curl -sS --max-time 3 -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null; then
  echo "port $port on the bootstrap node answers with something other than this cluster's genconf/serve; free it or set dcos.bootstrapPort" >&2
  exit 1
fi
docker run -d --name %s --restart=always -p "$port:80" -v "$dir:/usr/share/nginx/html:ro" nginx
for i in $(seq 1 50); do
  served && exit 0
  sleep 0.2
done
echo "nginx did not start serving genconf/serve on port $port" >&2
exit 1
`, port, bootstrapDir, serveContainer, serveContainer)}
}

// curlScript fetches url on the node (health checks read DC/OS's
// endpoints on 127.0.0.1 through the node's own SSH connection).
func curlScript(url string) Script {
	return Script{Name: "health", Body: "curl -fsS --max-time 5 " + shellQuote(url)}
}

// diagnosticsScript prints the end of the journal of DC/OS's setup units.
func diagnosticsScript() Script {
	return Script{Name: "diagnostics", Body: `for u in dcos-download dcos-setup; do journalctl -u $u --no-pager -n 12 2>/dev/null | sed "s|^|$u: |" || true; done`}
}

// clusterIDPath is where a DC/OS 1.9 master keeps the id the masters
// agreed on through ZooKeeper (the DC/OS CLI's CLUSTER_ID).
const clusterIDPath = "/var/lib/dcos/cluster-id"

// clusterIDScript prints the cluster id on a master.
func clusterIDScript() Script {
	return Script{Name: "cluster-id", Body: "cat " + clusterIDPath}
}
