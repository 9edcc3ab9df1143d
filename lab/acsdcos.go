package lab

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dcos-vsphere/dcos-vsphere/internal/fsutil"
	"github.com/dcos-vsphere/dcos-vsphere/lab/dcos19"
)

// The DC/OS 1.9 that the ACS world runs "already installed" (stand-in
// values; see lab/README.md).
const (
	acsDCOSVersion  = "1.9.0"
	acsImageCommit  = "0ce03387884523f02624d3fb56c7fbe2e06e181b"
	acsBootstrapID  = "5df43052907c021eeb5de145419a3da1898c58a5"
	standinConfDir  = "opt/mesosphere/etc/dcos-standin"
	standinWWW      = "var/lib/dcos-standin/www"
	dcosVersionFile = "opt/mesosphere/active/dcos-metadata/etc/dcos-version.json"
	clusterIDFile   = "var/lib/dcos/cluster-id"
	standinControl  = "/usr/local/lib/ubuntu1604/dcos-standin"
	masterListFile  = "opt/mesosphere/etc/master_list"
	detectIPFile    = "opt/mesosphere/bin/detect_ip"
	// MarathonEventsACS is the Marathon stand-in's task log on an ACS
	// master (one JSON object per task state change).
	MarathonEventsACS = "/var/lib/dcos-standin/marathon/task-events.log"
	mesosAgentPrefixN = "S"
)

// newUUID4 returns a random RFC 4122 version 4 uuid, lowercase, as DC/OS's
// bootstrap makes the cluster id (Python's uuid.uuid4()).
func newUUID4() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// writeDiskFile writes a file of a host's disk atomically, creating its
// directories 0755 as a package would.
func writeDiskFile(disk hostDisk, rel string, data []byte, mode os.FileMode) error {
	p := disk.root(rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return fsutil.WriteAtomic(p, data, mode)
}

// standinNginx is the config of the master's one nginx: Admin Router on
// :80 (what the SSH tunnel reaches), the Mesos master on :5050 and 3DT on
// :1050, all serving files the lab rewrites when agents change.
const standinNginx = `# DC/OS 1.9 stand-in of an ACS lab master (written by the lab)
user root;
worker_processes 1;
pid /run/dcos-standin/nginx.pid;
error_log /var/log/dcos-standin/error.log;
events { worker_connections 256; }
http {
  access_log /var/log/dcos-standin/access.log;
  default_type application/json;
  client_body_temp_path /var/lib/dcos-standin/tmp/body;
  proxy_temp_path /var/lib/dcos-standin/tmp/proxy;
  fastcgi_temp_path /var/lib/dcos-standin/tmp/fastcgi;
  uwsgi_temp_path /var/lib/dcos-standin/tmp/uwsgi;
  scgi_temp_path /var/lib/dcos-standin/tmp/scgi;
  # Admin Router (auth off, as ACS deploys it: oauthEnabled false)
  server {
    listen 0.0.0.0:80;
    location = / { default_type text/html; return 200 "<html><head><title>DC/OS</title></head><body>DC/OS 1.9 Admin Router (dcos-vsphere lab stand-in)</body></html>\n"; }
    location = /metadata { alias /WWW/metadata.json; }
    location = /dcos-metadata/dcos-version.json { alias /VERSIONFILE; }
    location = /pkgpanda/active.buildinfo.full.json { alias /WWW/buildinfo.json; }
    location = /mesos { return 301 /mesos/; }
    location /mesos/ { proxy_pass http://127.0.0.1:5050/; }
    location /marathon/ { proxy_pass http://127.0.0.1:8080/; }
    location /service/marathon/ { proxy_pass http://127.0.0.1:8080/; }
    location /system/health/v1 { proxy_pass http://127.0.0.1:1050; }
    location / { return 404; }
  }
  # Mesos master
  server {
    listen 0.0.0.0:5050;
    location = /master/slaves { alias /WWW/slaves.json; }
    location = /slaves { alias /WWW/slaves.json; }
    location = /master/state-summary { alias /WWW/state-summary.json; }
    location = /state-summary { alias /WWW/state-summary.json; }
    location / { return 404; }
  }
  # 3DT (diagnostics)
  server {
    listen 0.0.0.0:1050;
    location = /system/health/v1/nodes { alias /WWW/nodes.json; }
    location / { return 404; }
  }
}
`

// installDCOS makes a started ACS host look like a node of an installed
// DC/OS 1.9 cluster: /opt/mesosphere with dcos-version.json, master_list,
// an ip-detect and the stand-in services' modules, and
// /etc/mesosphere/roles on every node; on masters also the cluster id,
// the stand-in's config and its data. Then the node's stand-in starts
// (masters: nginx and Marathon; agents: the Mesos agent's task side).
func (w *acsWorld) installDCOS(ctx context.Context, h *Host, n acsNode) error {
	disk := hostDisk{dir: h.Dir}
	version, _ := json.Marshal(map[string]string{"version": acsDCOSVersion, "dcos-image-commit": acsImageCommit, "bootstrap-id": acsBootstrapID})
	if err := writeDiskFile(disk, dcosVersionFile, append(version, '\n'), 0o644); err != nil {
		return err
	}
	var masters []string
	for _, m := range w.st.Nodes {
		if m.Role == roleMaster {
			masters = append(masters, m.IP)
		}
	}
	list, _ := json.Marshal(masters)
	if err := writeDiskFile(disk, masterListFile, append(list, '\n'), 0o644); err != nil {
		return err
	}
	if err := writeDiskFile(disk, detectIPFile, []byte("#!/bin/sh\n# ip-detect of an ACS lab node: its address on the VNet\necho "+n.IP+"\n"), 0o755); err != nil {
		return err
	}
	mods, err := dcos19.ServiceFiles()
	if err != nil {
		return err
	}
	for rel, b := range mods {
		if err := writeDiskFile(disk, filepath.Join("opt/mesosphere/active", rel), b, 0o644); err != nil {
			return err
		}
	}
	role := map[string]string{roleMaster: "master", roleAgent: "slave", rolePublic: "slave_public"}[n.Role]
	// /etc is an overlay: write it from inside the host.
	if _, err := h.Exec(ctx, "mkdir -p /etc/mesosphere/roles /etc/mesosphere/setup-flags && : > /etc/mesosphere/roles/"+role); err != nil {
		return err
	}
	if n.Role == roleMaster {
		if err := writeDiskFile(disk, clusterIDFile, []byte(w.st.ClusterID+"\n"), 0o644); err != nil {
			return err
		}
		conf := strings.NewReplacer("/WWW", "/"+standinWWW, "/VERSIONFILE", "/"+dcosVersionFile).Replace(standinNginx)
		if err := writeDiskFile(disk, filepath.Join(standinConfDir, "nginx.conf"), []byte(conf), 0o644); err != nil {
			return err
		}
		docs, err := w.standinDocs()
		if err != nil {
			return err
		}
		if err := docs.write(h, n); err != nil {
			return err
		}
	}
	if out, err := h.Exec(ctx, standinControl+" start"); err != nil {
		return fmt.Errorf("start the DC/OS stand-in on %s: %w: %s", h.Hostname, err, out)
	}
	return nil
}

// standinDocs are the JSON documents a master's stand-in serves, built
// from the node list: all but state-summary.json (whose hostname is the
// master's) are the same on every master, so they are marshalled once.
type standinDocs struct {
	shared  map[string][]byte // file name -> its content
	agents  []standinAgent    // state-summary.json's slaves
	cluster string            // and its cluster
}

type standinNode struct {
	HostIP string `json:"host_ip"`
	Health int    `json:"health"`
	Role   string `json:"role"`
}

type standinAgent struct {
	ID         string            `json:"id"`
	Hostname   string            `json:"hostname"`
	PID        string            `json:"pid"`
	Active     bool              `json:"active"`
	Attributes map[string]string `json:"attributes"`
	Resources  map[string]any    `json:"resources"`
}

// standinDocs builds the documents of the current node list.
func (w *acsWorld) standinDocs() (standinDocs, error) {
	var nodes []standinNode
	agents := []standinAgent{}
	for _, n := range w.st.Nodes {
		nodes = append(nodes, standinNode{HostIP: n.IP, Health: n.Health, Role: n.Role}) // the role constants are 3DT's names
		if n.Role == roleMaster {
			continue
		}
		a := standinAgent{ID: fmt.Sprintf("%s-%s%d", w.st.MesosMasterID, mesosAgentPrefixN, n.Seq), Hostname: n.IP,
			PID: "slave(1)@" + n.IP + ":5051", Active: true, Attributes: map[string]string{},
			Resources: map[string]any{"cpus": 4, "mem": 14019, "disk": 35572, "ports": "[1025-2180, 2182-3887, 3889-5049, 5052-8079, 8082-8180, 8182-32000]"}}
		if n.Role == rolePublic {
			a.Attributes["public_ip"] = "true"
		}
		agents = append(agents, a)
	}
	d := standinDocs{shared: map[string][]byte{}, agents: agents, cluster: w.st.ClusterName}
	for name, doc := range map[string]any{
		"nodes.json":     map[string]any{"nodes": nodes},
		"slaves.json":    map[string]any{"slaves": agents},
		"metadata.json":  map[string]string{"PUBLIC_IPV4": w.st.PublicAddr, "CLUSTER_ID": w.st.ClusterID},
		"buildinfo.json": map[string]any{},
	} {
		b, err := marshalStandinDoc(doc)
		if err != nil {
			return d, err
		}
		d.shared[name] = b
	}
	return d, nil
}

func marshalStandinDoc(doc any) ([]byte, error) {
	b, err := json.MarshalIndent(doc, "", "  ")
	return append(b, '\n'), err
}

// write rewrites the documents on master self, whose host is h.
func (d standinDocs) write(h *Host, self acsNode) error {
	summary, err := marshalStandinDoc(map[string]any{"hostname": self.IP, "cluster": d.cluster, "slaves": d.agents, "frameworks": []any{}})
	if err != nil {
		return err
	}
	for name, b := range d.shared {
		if err := writeStandinDoc(h, name, b); err != nil {
			return err
		}
	}
	return writeStandinDoc(h, "state-summary.json", summary)
}

func writeStandinDoc(h *Host, name string, b []byte) error {
	if err := writeDiskFile(hostDisk{dir: h.Dir}, filepath.Join(standinWWW, name), b, 0o644); err != nil {
		return fmt.Errorf("write the DC/OS stand-in's %s on %s: %w", name, h.Hostname, err)
	}
	return nil
}
