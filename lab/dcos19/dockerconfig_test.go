package dcos19

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// With cluster_docker_credentials_enabled and no credentials in the
// config (what dcos-vsphere renders for a registry), the agents' Mesos
// flags point at /etc/mesosphere/docker_credentials, and the Mesos agent
// does not start while that file is missing, as Mesos 1.2 does not. Once
// the file is there, a restart brings it up and it holds that config.
func TestAgentNeedsItsDockerConfig(t *testing.T) {
	lab := newTestLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	boot := lab.addNode("boot", 10, true)
	master := lab.addNode("m1", 11, true)
	agent := lab.addNode("a1", 21, true)

	config := fmt.Sprintf(`bootstrap_url: http://%[1]s10:8080
cluster_name: lab
master_discovery: static
exhibitor_storage_backend: static
master_list:
- %[1]s11
resolvers:
- %[1]s1
cluster_docker_credentials_enabled: true
`, subnet)
	writeGenconf(t, boot, "reg", config, ipDetectEth0)
	boot.writeFile("tmp/nginx.conf", `daemon off; pid /tmp/nginx.pid; error_log /tmp/nginx-error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path /tmp/nginx-body; proxy_temp_path /tmp/nginx-proxy; fastcgi_temp_path /tmp/nginx-fcgi;
  uwsgi_temp_path /tmp/nginx-uwsgi; scgi_temp_path /tmp/nginx-scgi;
  server { listen 8080; root /tmp/reg/genconf/serve; }
}
`, 0o644)
	if out, code := boot.exec(ctx, `(cd /tmp/reg && bash dcos_generate_config.sh) || exit 1
setsid /usr/sbin/nginx -e /tmp/nginx-error.log -p /tmp/ -c /tmp/nginx.conf </dev/null >/dev/null 2>&1 &`); code != 0 {
		t.Fatalf("bootstrap: genconf or nginx failed (exit %d):\n%s", code, out)
	}
	url := "http://" + subnet + "10:8080"
	eventually(t, 15*time.Second, "bootstrap nginx serves dcos_install.sh", func() error {
		_, err := master.curl(ctx, url+"/dcos_install.sh")
		return err
	})
	res := installAll(ctx, map[*testNode][2]string{master: {url, "master"}, agent: {url, "slave"}})
	for _, name := range []string{"m1", "a1"} {
		if r := res[name]; r.err != nil || r.code != 0 {
			t.Fatalf("install on %s: exit %d (%v):\n%s", name, r.code, r.err, r.out)
		}
	}
	common, err := os.ReadFile(filepath.Join(agent.root, "opt", "mesosphere", "etc", "mesos-slave-common"))
	if err != nil || !strings.Contains(string(common), "\nMESOS_DOCKER_CONFIG=file:///etc/mesosphere/docker_credentials\n") {
		t.Fatalf("mesos-slave-common (%v):\n%s", err, common)
	}

	want := "Failed to load flag 'docker_config': Failed to load value 'file:///etc/mesosphere/docker_credentials': " +
		"Error reading file '/etc/mesosphere/docker_credentials': No such file or directory"
	eventually(t, 20*time.Second, "the agent refuses to start without /etc/mesosphere/docker_credentials", func() error {
		if log := agent.unitLog("dcos-mesos-slave.service"); !strings.Contains(log, want) {
			return fmt.Errorf("unit log:\n%s", log)
		}
		if out, code := agent.exec(ctx, "systemctl is-active dcos-mesos-slave"); code == 0 {
			return fmt.Errorf("dcos-mesos-slave is active: %s", out)
		}
		return nil
	})
	if out, _ := agent.exec(ctx, "/opt/mesosphere/bin/3dt -diag"); !strings.Contains(out, "dcos-mesos-slave.service: unhealthy") {
		t.Errorf("3dt -diag does not report the agent:\n%s", out)
	}

	creds := `{"auths":{"` + subnet + `1:5443":{"auth":"bGFiYWNyOnB3"}}}` + "\n"
	agent.writeFile("etc-mesosphere/docker_credentials", creds, 0o600)
	if out, code := agent.exec(ctx, "systemctl restart dcos-mesos-slave"); code != 0 {
		t.Fatalf("restart: %d %s", code, out)
	}
	eventually(t, 45*time.Second, "the agent registers once its docker config is there", func() error {
		body, err := boot.curl(ctx, "http://"+agent.ip+":5051/metrics/snapshot")
		if err != nil {
			return err
		}
		if !strings.Contains(body, `"slave/registered": 1`) {
			return fmt.Errorf("snapshot %s", body)
		}
		return nil
	})
	loaded := filepath.Join(agent.root, "var-lib-dcos", "standin", "agent-docker-config.json")
	st, err := os.Stat(loaded)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("the running agent's docker config: %v %v", st, err)
	}
	if got, _ := os.ReadFile(loaded); string(got) != creds {
		t.Errorf("the agent holds %q, want %q", got, creds)
	}
	if _, err := os.Lstat(filepath.Join(agent.root, "opt", "mesosphere", "bin", "mesos-docker-pull")); err != nil { // a link into the node
		t.Errorf("mesos-docker-pull not installed: %v", err)
	}
}
