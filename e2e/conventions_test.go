package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/installer"
)

// runEnv is run with env added to (and overriding) the environment.
func runEnv(t testing.TB, timeout time.Duration, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, cliPath, args...)
	cmd.Env = append(append(os.Environ(), "CI=true"), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{Stdout: out.String(), Stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.Exit = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	r.Events = parseEvents(r.Stdout)
	return r
}

// statusEnv is status -o json under env, by node name.
func (c *cluster) statusEnv(t *testing.T, env []string) (map[string]installer.NodeResult, result) {
	t.Helper()
	r := runEnv(t, 3*time.Minute, env, "status", "--config", c.Path, "-o", "json")
	if r.Exit != 0 && r.Exit != 4 {
		t.Fatalf("status exit %d\n%s\n%s", r.Exit, r.Stdout, r.Stderr)
	}
	var res installer.Result
	if err := json.Unmarshal([]byte(strings.TrimSpace(r.Stdout)), &res); err != nil {
		t.Fatalf("status JSON: %v\n%s", err, r.Stdout)
	}
	out := map[string]installer.NodeResult{}
	for _, s := range res.Nodes {
		out[s.Name] = s
	}
	return out, r
}

// replaceSection swaps the top-level section key: (up to the next
// top-level key) of the cluster file for text.
func (c *cluster) replaceSection(t *testing.T, key, text string) {
	t.Helper()
	data, err := os.ReadFile(c.Path)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?ms)^` + key + `:\n(?:[ #].*?\n|\n)*`)
	if !re.Match(data) {
		t.Fatalf("no %s section in %s", key, c.Path)
	}
	if err := os.WriteFile(c.Path, re.ReplaceAll(data, []byte(text)), 0o600); err != nil {
		t.Fatal(err)
	}
}

// The file is the truth, and the tool fits an admin's environment:
//   - an empty vcenter section plus govc's GOVC_* environment validates,
//     plans (saying where each value came from) and installs;
//   - nodes.agents.count 2 -> 4 in the file, then install, adds exactly
//     two agents and changes neither the served config nor the nodes;
//   - add-agents 1 writes the count back (one line of the file changes),
//     and status lists every agent as in the config;
//   - ~/.ssh/config (Host alias, User, Port, IdentityFile, ProxyJump) is
//     used for a node that only its jump host can reach, and with no SSH
//     settings at all a key in ~/.ssh, or one in ssh-agent, logs in.
func TestConventions(t *testing.T) {
	l := needLab(t)
	c := newCluster(t, l, "conv", 26, 1, 2, 0)
	defer c.destroy(t)

	// 1. GOVC_* instead of a vcenter section.
	vcURL, thumb, user, pwFile := l.VCenter()
	pw, err := os.ReadFile(pwFile)
	if err != nil {
		t.Fatal(err)
	}
	password := strings.TrimSpace(string(pw))
	u, err := url.Parse(vcURL)
	if err != nil {
		t.Fatal(err)
	}
	knownHosts := filepath.Join(c.Dir, "govc_known_hosts")
	if err := os.WriteFile(knownHosts, []byte(u.Host+" "+thumb+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A bare host:port with the credentials in it, as govc users write it.
	govcURL := (&url.URL{User: url.UserPassword(user, password), Host: u.Host}).String()
	govcURL = strings.TrimPrefix(govcURL, "//")
	env := []string{"GOVC_URL=" + govcURL, "GOVC_TLS_KNOWN_HOSTS=" + knownHosts, "GOVC_DATACENTER=DC0", "GOVC_CLUSTER=DC0_C0",
		"GOVC_DATASTORE=LocalDS_0", "GOVC_FOLDER=" + c.folder(), "GOVC_NETWORK=VM Network", "GOVC_INSECURE=", "GOVC_USERNAME=", "GOVC_PASSWORD="}
	c.replaceSection(t, "vcenter", "vcenter: {}   # everything from GOVC_*\n")
	// The deferred destroy (run) needs the environment too.
	for _, e := range env {
		k, v, _ := strings.Cut(e, "=")
		t.Setenv(k, v)
	}

	r := runEnv(t, time.Minute, env, "validate", "--config", c.Path)
	ok(t, r, "validate with GOVC_*")
	wantURL := "vcenter.url = https://" + u.Host + "/sdk (from GOVC_URL)"
	if !strings.Contains(r.Stderr, wantURL) || !strings.Contains(r.Stderr, "vcenter.thumbprint = "+thumb+" (from GOVC_TLS_KNOWN_HOSTS)") {
		t.Errorf("validate does not say where the vCenter values came from:\n%s", r.Stderr)
	}
	r = runEnv(t, 3*time.Minute, env, "plan", "--config", c.Path)
	ok(t, r, "plan with GOVC_*")
	if !strings.Contains(r.Stdout, "From the environment") || !strings.Contains(r.Stdout, wantURL) || !strings.Contains(r.Stdout, "vcenter.password = (set) (from GOVC_URL)") {
		t.Errorf("plan does not list the environment's values:\n%s", tail(r.Stdout, 40))
	}
	r = runEnv(t, 10*time.Minute, env, "install", "--config", c.Path)
	ok(t, r, "install with GOVC_*")
	for _, out := range []string{r.Stdout, r.Stderr} {
		if strings.Contains(out, password) {
			t.Fatal("the vCenter password from GOVC_URL was shown")
		}
	}
	logs, _ := filepath.Glob(filepath.Join(c.Dir, ".dcos-vsphere", c.Name, "logs", "*.log"))
	for _, lf := range logs {
		if b, _ := os.ReadFile(lf); bytes.Contains(b, []byte(password)) {
			t.Fatalf("the vCenter password is in the debug log %s", lf)
		}
	}
	status := func() map[string]installer.NodeResult { st, _ := c.statusEnv(t, env); return st }
	for _, n := range append(c.masters(), c.agents()...) {
		if s := status()[n]; s.DCOS != "installed" || s.Health != "healthy" {
			t.Fatalf("%s after the GOVC install: %+v", n, s)
		}
	}

	// 2. The file is the truth: count 2 -> 4, then install.
	all := append(append([]string{c.Name + "-bootstrap"}, c.masters()...), c.agents()...)
	before := map[string]string{}
	for _, n := range all {
		before[n] = c.hostSh(t, n, dcosFilesSum)
	}
	serveSum := "cd /opt/dcos-bootstrap/genconf/serve && find . -type f -printf '%p %s %T@\\n' | sort | sha256sum"
	served := c.hostSh(t, c.Name+"-bootstrap", serveSum)
	data, _ := os.ReadFile(c.Path)
	raised := strings.Replace(string(data), "    count: 2\n", "    count: 4\n", 1)
	if raised == string(data) {
		t.Fatalf("no agents count in:\n%s", data)
	}
	if err := os.WriteFile(c.Path, []byte(raised), 0o600); err != nil {
		t.Fatal(err)
	}
	r = runEnv(t, 10*time.Minute, env, "install", "--config", c.Path, "-o", "json")
	ok(t, r, "install after raising the count")
	res := resultOf(t, r)
	newAgents := []string{c.Name + "-agent-3", c.Name + "-agent-4"}
	isNew := map[string]bool{newAgents[0]: true, newAgents[1]: true}
	var created []string
	for _, a := range res.Actions {
		switch {
		case a.What == "clone":
			created = append(created, a.Node)
		case a.Node != "" && a.What != "connect" && !isNew[a.Node]:
			t.Errorf("install after count 2 -> 4 did %q on %s", a.What, a.Node)
		}
	}
	slices.Sort(created)
	if strings.Join(created, " ") != strings.Join(newAgents, " ") {
		t.Errorf("install after count 2 -> 4 created %v, want %v (actions %+v)", created, newAgents, res.Actions)
	}
	st := status()
	for _, n := range newAgents {
		if s := st[n]; s.DCOS != "installed" || s.Health != "healthy" || !s.InConfig {
			t.Errorf("%s: %+v", n, s)
		}
	}
	for _, n := range all {
		if got := c.hostSh(t, n, dcosFilesSum); got != before[n] {
			t.Errorf("%s: DC/OS files changed by the install that added agents", n)
		}
	}
	if got := c.hostSh(t, c.Name+"-bootstrap", serveSum); got != served {
		t.Error("genconf/serve changed by the install that added agents")
	}

	// 3. add-agents 1 writes the file: one line changes, comments stay.
	before4, _ := os.ReadFile(c.Path)
	r = runEnv(t, 10*time.Minute, env, "add-agents", "1", "--config", c.Path)
	ok(t, r, "add-agents 1")
	if !strings.Contains(r.Stdout, "updated "+c.Path+" (nodes.agents.count: 4 -> 5)") {
		t.Errorf("add-agents does not say it updated the file:\n%s", tail(r.Stdout, 10))
	}
	after, _ := os.ReadFile(c.Path)
	if want := strings.Replace(string(before4), "    count: 4\n", "    count: 5\n", 1); string(after) != want {
		t.Errorf("add-agents rewrote more than the count:\n%s", after)
	}
	if !strings.Contains(string(after), "vcenter: {}   # everything from GOVC_*") {
		t.Error("a comment of the file was lost")
	}
	baks, _ := filepath.Glob(c.Path + ".bak-*")
	if len(baks) != 1 {
		t.Fatalf("backups %v", baks)
	}
	if b, _ := os.ReadFile(baks[0]); string(b) != string(before4) {
		t.Error("the backup is not the file as it was")
	}
	st, sr := c.statusEnv(t, env)
	if s := st[c.Name+"-agent-5"]; s.DCOS != "installed" || s.Health != "healthy" || !s.InConfig {
		t.Errorf("agent-5: %+v", s)
	}
	text := runEnv(t, 3*time.Minute, env, "status", "--config", c.Path)
	if strings.Contains(text.Stdout, "*") {
		t.Errorf("status marks agents beyond the config although the file has them:\n%s\n%s", text.Stdout, sr.Stderr)
	}

	// 4. SSH the OpenSSH way. agent-1 is reachable only through the
	// bootstrap node (the machine's own address is dropped there); the
	// config names no SSH settings at all.
	home := filepath.Join(c.Dir, "home")
	keyDir := filepath.Join(home, ".ssh", "keys")
	if err := os.MkdirAll(keyDir, 0o700); err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(l.KeyFile())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(keyDir, "lab"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	bootstrapIP, agentIP := addr(l.Subnet(), c.Base, 0), c.agentIPs[0]
	sshConfig := fmt.Sprintf(`Host lab-bastion
  HostName %s
  User centos
  IdentityFile keys/lab

Host %s
  User centos
  Port 22
  IdentityFile ~/.ssh/keys/lab
  ProxyJump lab-bastion

Host *
  IdentityFile ~/.ssh/keys/lab
`, bootstrapIP, agentIP)
	if err := os.WriteFile(filepath.Join(home, ".ssh", "config"), []byte(sshConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	c.replaceSection(t, "ssh", "# ssh: nothing here; ~/.ssh/config, ssh-agent and ~/.ssh/id_* decide\n")
	c.hostSh(t, c.Name+"-agent-1", fmt.Sprintf("/usr/sbin/nft add table inet conv && /usr/sbin/nft 'add chain inet conv in { type filter hook input priority 0 ; }' && "+
		"/usr/sbin/nft add rule inet conv in ip saddr %s tcp dport 22 drop", l.Gateway()))
	defer c.hostSh(t, c.Name+"-agent-1", "/usr/sbin/nft delete table inet conv")
	// The machine itself can no longer reach agent-1's sshd.
	if out, err := exec.Command("timeout", "3", "bash", "-c", "exec 3<>/dev/tcp/"+agentIP+"/22").CombinedOutput(); err == nil {
		t.Fatalf("agent-1's sshd still answers the machine directly: %s", out)
	}
	homeEnv := append(append([]string{}, env...), "HOME="+home, "SSH_AUTH_SOCK=")
	st, sr = c.statusEnv(t, homeEnv)
	if len(st) != 7 {
		t.Errorf("status lists %d nodes, want 7", len(st))
	}
	for name, s := range st {
		if s.SSH != "ok" || (s.Role != installer.RoleBootstrap && s.Health != "healthy") {
			t.Errorf("with ~/.ssh/config: %s ssh %q health %q\n%s", name, s.SSH, s.Health, tail(sr.Stderr, 10))
		}
	}

	// No ~/.ssh/config: a default key in ~/.ssh logs in (agent-1 is not
	// reachable without its jump host now: let it be reached again).
	c.hostSh(t, c.Name+"-agent-1", "/usr/sbin/nft delete table inet conv && /usr/sbin/nft add table inet conv")
	os.Remove(filepath.Join(home, ".ssh", "config"))
	if err := os.WriteFile(filepath.Join(home, ".ssh", "id_ed25519"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	if st, sr := c.statusEnv(t, homeEnv); !allSSHOK(st) {
		t.Errorf("with only ~/.ssh/id_ed25519: %+v\n%s", st, tail(sr.Stderr, 10))
	}
	// No key in ~/.ssh: the one in ssh-agent logs in.
	os.Remove(filepath.Join(home, ".ssh", "id_ed25519"))
	sock := filepath.Join(c.Dir, "agent.sock")
	agent := exec.Command("ssh-agent", "-D", "-a", sock)
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { agent.Process.Kill(); agent.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("ssh-agent socket did not appear within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	add := exec.Command("ssh-add", filepath.Join(keyDir, "lab"))
	add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("ssh-add: %v: %s", err, out)
	}
	agentEnv := append(append([]string{}, env...), "HOME="+home, "SSH_AUTH_SOCK="+sock)
	if st, sr := c.statusEnv(t, agentEnv); !allSSHOK(st) {
		t.Errorf("with only ssh-agent: %+v\n%s", st, tail(sr.Stderr, 10))
	}
	// Nothing at all: validate says so, naming what it looked for.
	noneEnv := append(append([]string{}, env...), "HOME="+home, "SSH_AUTH_SOCK=")
	if r := runEnv(t, time.Minute, noneEnv, "validate", "--config", c.Path); r.Exit != 2 || !strings.Contains(r.Stderr, "ssh: no login method") {
		t.Errorf("validate with no way to log in: exit %d\n%s", r.Exit, r.Stderr)
	}
	// destroy (deferred) logs in nowhere, but validates the file: put
	// its ssh section back.
	if err := os.WriteFile(c.Path, after, 0o600); err != nil {
		t.Fatal(err)
	}
}

func allSSHOK(st map[string]installer.NodeResult) bool {
	if len(st) == 0 {
		return false
	}
	for _, s := range st {
		if s.SSH != "ok" {
			return false
		}
	}
	return true
}
