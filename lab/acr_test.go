package lab

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/registry"
)

func readSecret(t *testing.T, path string) string {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("%s: mode %04o, want 0600", path, st.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(string(b), "\n")
}

// The lab registry on the gateway: its cluster.yaml section works with
// the installer's own check, and a lab host's docker pulls from it the
// way docker does, failing as docker fails without the right credentials.
func TestLabRegistry(t *testing.T) {
	t.Parallel()
	l := startLab(t, 17)
	a := l.ACR()
	if a.Host != l.Gateway().String()+":5443" || a.Admin != "labacr" || a.Image != "samples/hello:1.0" || !strings.HasPrefix(a.ImageDigest, "sha256:") {
		t.Fatalf("ACR() = %+v", a)
	}
	reg := l.ACRRegistry()
	for i, f := range a.AdminPasswordFiles {
		if got := readSecret(t, f); got != reg.AdminPassword(i) {
			t.Errorf("admin password file %d does not hold password %d", i+1, i+1)
		}
	}
	pullSecret, expiredSecret := readSecret(t, a.PullSP.SecretFile), readSecret(t, a.ExpiredSP.SecretFile)

	// cluster.yaml names the registry; registry check passes with it, from
	// the machine, against the gateway address.
	path := filepath.Join(l.Dir(), "cluster.yaml")
	if err := l.WriteClusterConfig(path, Topology{Masters: 1, Registry: true}); err != nil {
		t.Fatal(err)
	}
	c, _, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	r := c.Registry
	if r.Server != a.Host || r.Username != "labacr" || r.PasswordFile != a.AdminPasswordFiles[0] || r.CAFile != a.CAFile || r.CheckImage != a.Image {
		t.Fatalf("registry section = %+v", r)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := registry.Check(ctx, registry.Credentials{Server: r.Server, Username: r.Username, Password: r.Password.Value()},
		registry.CheckOptions{CAFile: r.CAFile, Image: r.CheckImage, Push: true})
	if err != nil {
		t.Fatalf("registry check with the lab's cluster.yaml: %v", err)
	}
	if res.Image == nil || res.Image.Digest != a.ImageDigest {
		t.Errorf("checked image %+v, want digest %s", res.Image, a.ImageDigest)
	}

	vc := vcClient(t, l)
	ip := addr(l, 21)
	cloneVM(t, vc, "puller", ip, l.Gateway())
	waitSSH(t, l, ip, 10*time.Second)
	mustSSH(t, l, ip, "sudo yum install -y docker-engine >/dev/null && sudo systemctl start docker")
	h, ok := l.Host("puller")
	if !ok {
		t.Fatal("no host puller")
	}
	image := a.Host + "/" + a.Image
	pull := func(env, want string) string {
		t.Helper()
		out, err := h.Exec(ctx, env+" docker pull "+image+" 2>&1; echo rc=$?")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(out), want) {
			t.Errorf("%s docker pull:\n%s\nwant it to contain %q", env, out, want)
		}
		return string(out)
	}
	writeConfig := func(dir, key, user, pw string) {
		t.Helper()
		auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + pw))
		body := fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, key, auth)
		if _, err := h.Exec(ctx, fmt.Sprintf("mkdir -p %s && umask 077 && printf '%%s\\n' '%s' > %s/config.json", dir, body, dir)); err != nil {
			t.Fatal(err)
		}
	}
	denied := "Error response from daemon: Get https://" + a.Host + "/v2/samples/hello/manifests/1.0: unauthorized: authentication required\nrc=1"

	// No credentials at all, then a wrong password: refused as on a real agent.
	pull("", denied)
	writeConfig("/root/.docker", a.Host, "labacr", "Wrong-Pw-7781")
	pull("", denied)

	// Right password (either one): a real manifest + blob fetch, digests checked.
	writeConfig("/root/.docker", a.Host, "labacr", reg.AdminPassword(1))
	out := pull("", "Status: Downloaded newer image for "+image+"\nrc=0")
	if !strings.Contains(out, "Digest: "+a.ImageDigest) || !strings.Contains(out, ": Pull complete") {
		t.Errorf("pull output lacks the digest or the layer:\n%s", out)
	}
	pull("", "Status: Image is up to date for "+image)
	if got, _ := h.Exec(ctx, "ls /var/lib/docker/standin/blobs/sha256 | wc -l"); strings.TrimSpace(string(got)) != "2" {
		t.Errorf("blobs stored: %s, want config + one layer", got)
	}

	// The Docker CLI's lookup: the exact key first, else a key whose host
	// part is the registry (a URL key works); HOME and --config choose the
	// file, as Mesos does with HOME=<sandbox>; .dockercfg is the old form.
	writeConfig("/root/.docker", "https://"+a.Host+"/v1/", "labacr", reg.AdminPassword(0))
	pull("", "rc=0")
	writeConfig("/tmp/sandbox/.docker", a.Host, "labacr", reg.AdminPassword(0))
	writeConfig("/root/.docker", a.Host, "labacr", "Wrong-Pw-7781")
	pull("HOME=/tmp/sandbox", "rc=0")
	pull("", denied)
	if out, _ := h.Exec(ctx, "docker --config /tmp/sandbox/.docker pull "+image+" 2>&1; echo rc=$?"); !strings.Contains(string(out), "rc=0") {
		t.Errorf("docker --config DIR pull:\n%s", out)
	}
	auth := base64.StdEncoding.EncodeToString([]byte("labacr:" + reg.AdminPassword(0)))
	if _, err := h.Exec(ctx, fmt.Sprintf(`mkdir -p /tmp/old && printf '{"%s":{"auth":"%s"}}' > /tmp/old/.dockercfg`, a.Host, auth)); err != nil {
		t.Fatal(err)
	}
	pull("HOME=/tmp/old", "rc=0")

	// Service principals: AcrPull pulls; an expired secret fails with AAD's reason.
	writeConfig("/root/.docker", a.Host, a.PullSP.AppID, pullSecret)
	pull("", "rc=0")
	writeConfig("/root/.docker", a.Host, a.ExpiredSP.AppID, expiredSecret)
	pull("", "unauthorized: aad access token with sp failed: AADSTS7000222: The provided client secret keys for app '"+a.ExpiredSP.AppID+"' are expired.")

	// A repository that does not exist, and a registry whose CA the host
	// does not trust (the admin forgot /etc/docker/certs.d).
	writeConfig("/root/.docker", a.Host, "labacr", reg.AdminPassword(0))
	if out, _ := h.Exec(ctx, "docker pull "+a.Host+"/samples/nope:1.0 2>&1; echo rc=$?"); !strings.Contains(string(out), "Error response from daemon: repository "+a.Host+"/samples/nope not found: does not exist or no pull access\nrc=1") {
		t.Errorf("unknown repository:\n%s", out)
	}
	if _, err := h.Exec(ctx, "mv /etc/docker/certs.d /etc/docker/certs.d.off"); err != nil {
		t.Fatal(err)
	}
	pull("", "Error response from daemon: Get https://"+a.Host+"/v2/: x509: certificate signed by unknown authority\nrc=1")
	if _, err := h.Exec(ctx, "mv /etc/docker/certs.d.off /etc/docker/certs.d"); err != nil {
		t.Fatal(err)
	}

	// docker login checks the credentials against the registry first.
	if out, _ := h.Exec(ctx, "echo Wrong-Pw-7781 | docker login -u labacr "+a.Host+" 2>&1; echo rc=$?"); !strings.Contains(string(out), "unauthorized: authentication required") || !strings.Contains(string(out), "rc=1") {
		t.Errorf("docker login with a wrong password:\n%s", out)
	}

	// Down removes the registry: its process, directory and secret files.
	if err := l.Down(); err != nil {
		t.Fatal(err)
	}
	for _, p := range append([]string{filepath.Join(l.Dir(), "acr")}, a.AdminPasswordFiles[0], a.AdminPasswordFiles[1], a.PullSP.SecretFile, a.ExpiredSP.SecretFile) {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s left after Down: %v", p, err)
		}
	}
	if _, err := registry.Check(context.Background(), registry.Credentials{Server: a.Host, Username: "labacr", Password: "x"}, registry.CheckOptions{Timeout: 5 * time.Second}); err == nil {
		t.Error("the registry still answers after Down")
	}
}
