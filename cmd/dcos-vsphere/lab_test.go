package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/internal/testnet"
	"github.com/dcos-vsphere/dcos-vsphere/lab"
)

// The lab commands end to end with the built binary: up --detach, a VM
// cloned with the settings of the generated cluster.yaml, status, a host
// fault, down. Lab names: testnet.For("cmd", 8).
func TestLabCommands(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the lab needs root (network namespaces, bridges, mounts)")
	}
	for _, tool := range []string{"go", "ip", "nsenter", "unshare", "ssh"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the lab command test needs %s", tool)
		}
	}
	bin := filepath.Join(t.TempDir(), "dcos-vsphere")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir := t.TempDir()
	tn := testnet.For("cmd", 8)
	cli := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, bin, append(args, "--dir", dir)...).CombinedOutput()
		return string(out), err
	}
	t.Cleanup(func() {
		_, _ = cli("lab", "down")
		_ = lab.Cleanup(lab.Options{Dir: dir, Bridge: tn.Bridge, Subnet: tn.Subnet, NetnsPrefix: tn.NetnsPrefix})
	})
	out, err := cli("lab", "up", "--detach", "--bridge", tn.Bridge, "--subnet", tn.Subnet.String(), "--prefix", tn.NetnsPrefix,
		"--masters", "1", "--agents", "1", "--public-agents", "0", "--datastore-capacity", "8TiB")
	if err != nil {
		t.Fatalf("lab up --detach: %v\n%s", err, out)
	}
	cfgPath := filepath.Join(dir, "cluster.yaml")
	if !strings.Contains(out, "dcos-vsphere install --config "+cfgPath) {
		t.Errorf("lab up does not say how to install:\n%s", out)
	}
	pid := lab.RunningPID(dir)
	if pid == 0 {
		t.Fatal("no running lab process after lab up --detach")
	}
	if out, err := cli("lab", "up", "--detach", "--bridge", tn.Bridge, "--subnet", tn.Subnet.String(), "--prefix", tn.NetnsPrefix); err == nil {
		t.Errorf("a second lab up in the same dir succeeded:\n%s", out)
	}
	// Another directory with the running lab's bridge and prefix: refused
	// with that lab's directory and pid, and the running lab keeps its hosts.
	other := t.TempDir()
	out2, err := exec.Command(bin, "lab", "up", "--detach", "--dir", other, "--bridge", tn.Bridge, "--subnet", tn.Subnet.String(),
		"--prefix", tn.NetnsPrefix, "--masters", "1", "--agents", "0", "--public-agents", "0").CombinedOutput()
	if err == nil || !strings.Contains(string(out2), "belongs to the lab running in "+dir) || !strings.Contains(string(out2), fmt.Sprintf("(pid %d)", pid)) {
		t.Errorf("a lab up over a running lab's bridge in another dir: %v\n%s", err, out2)
	}
	if lab.RunningPID(dir) != pid {
		t.Error("the running lab was disturbed")
	}

	c, _, err := config.Load(cfgPath)
	if err != nil {
		t.Fatalf("load the lab's cluster.yaml: %v", err)
	}
	if got := datastoreCapacity(t, c); got != 8<<40 {
		t.Errorf("--datastore-capacity 8TiB: the lab datastore has %d bytes", got)
	}
	master := c.Nodes.Masters.IPRange
	cloneFromConfig(t, c, "master-1", master)

	deadline := time.Now().Add(15 * time.Second)
	for {
		out, err = cli("lab", "status")
		if err == nil && strings.Contains(out, "master-1") && strings.Contains(out, "alive") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("lab status never showed master-1 alive: %v\n%s", err, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !strings.Contains(out, "centos7-template (template)") || !strings.Contains(out, master) {
		t.Errorf("lab status:\n%s", out)
	}
	if out, err := cli("lab", "host", "master-1", "kill-sshd"); err != nil {
		t.Fatalf("lab host kill-sshd: %v\n%s", err, out)
	}
	if out, _ := cli("lab", "status"); !strings.Contains(out, "not answering") {
		t.Errorf("status after kill-sshd:\n%s", out)
	}
	if out, err := cli("lab", "host", "master-1", "start-sshd"); err != nil {
		t.Fatalf("lab host start-sshd: %v\n%s", err, out)
	}
	if out, err := cli("lab", "host", "master-1", "explode"); err == nil || exitCodeOfCmd(err) != exitUsage {
		t.Errorf("unknown host action: err=%v\n%s", err, out)
	}

	out, err = cli("lab", "down")
	if err != nil {
		t.Fatalf("lab down: %v\n%s", err, out)
	}
	// The lab process stops by itself on lab down's SIGTERM (the CLI's
	// graceful first signal is only for runs that can finish steps).
	if strings.Contains(out, "did not stop") {
		t.Errorf("lab down had to kill the lab process:\n%s", out)
	}
	if lab.ProcessAlive(pid) {
		t.Errorf("lab process %d still running after lab down", pid)
	}
	if _, err := os.Stat("/sys/class/net/" + tn.Bridge); err == nil {
		t.Error("bridge " + tn.Bridge + " left after lab down")
	}
	if entries, _ := filepath.Glob("/run/netns/" + tn.NetnsPrefix + "*"); len(entries) > 0 {
		t.Errorf("namespaces left after lab down: %v", entries)
	}
	for _, f := range []string{"lab.pid", "lab.json", "hosts", "vcenter-password"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("%s left after lab down", f)
		}
	}
}

func exitCodeOfCmd(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}

// cloneFromConfig logs in with the vcenter section of cluster.yaml (URL,
// username, passwordFile, pinned thumbprint) and clones+customizes+powers
// on one VM from its template, as the installer will.
func cloneFromConfig(t *testing.T, c *config.Cluster, name, ip string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cloneWith(ctx, t, find.NewFinder(loginFromConfig(ctx, t, c), true), c, name, ip)
}

// loginFromConfig logs in as cluster.yaml says; the session ends with t.
func loginFromConfig(ctx context.Context, t *testing.T, c *config.Cluster) *vim25.Client {
	t.Helper()
	pw, err := os.ReadFile(c.VCenter.PasswordFile)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(c.VCenter.URL)
	if err != nil {
		t.Fatal(err)
	}
	sc := soap.NewClient(u, false)
	sc.SetThumbprint(u.Host, c.VCenter.Thumbprint)
	vc, err := vim25.NewClient(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	gc := &govmomi.Client{Client: vc, SessionManager: session.NewManager(vc)}
	if err := gc.Login(ctx, url.UserPassword(c.VCenter.Username, strings.TrimSpace(string(pw)))); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gc.Logout(context.Background()) })
	return vc
}

// datastoreCapacity is the capacity of the config's datastore.
func datastoreCapacity(t *testing.T, c *config.Cluster) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ds, err := find.NewFinder(loginFromConfig(ctx, t, c), true).Datastore(ctx, "/"+c.VCenter.Datacenter+"/datastore/"+c.VCenter.Datastore)
	if err != nil {
		t.Fatal(err)
	}
	var m mo.Datastore
	if err := ds.Properties(ctx, ds.Reference(), []string{"summary.capacity"}, &m); err != nil {
		t.Fatal(err)
	}
	return m.Summary.Capacity
}

// cloneWith finds the config's template and clones and powers on one VM.
func cloneWith(ctx context.Context, t *testing.T, f *find.Finder, c *config.Cluster, name, ip string) {
	t.Helper()
	dc, err := f.Datacenter(ctx, c.VCenter.Datacenter)
	if err != nil {
		t.Fatal(err)
	}
	f.SetDatacenter(dc)
	tmpl, err := f.VirtualMachine(ctx, c.Template.Name)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := f.ResourcePool(ctx, c.VCenter.Cluster+"/Resources")
	if err != nil {
		t.Fatal(err)
	}
	folders, err := dc.Folders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	poolRef := pool.Reference()
	task, err := tmpl.Clone(ctx, folders.VmFolder, name, types.VirtualMachineCloneSpec{
		Location: types.VirtualMachineRelocateSpec{Pool: &poolRef},
		PowerOn:  true,
		Customization: &types.CustomizationSpec{
			Identity: &types.CustomizationLinuxPrep{HostName: &types.CustomizationFixedName{Name: name}, Domain: "lab"},
			NicSettingMap: []types.CustomizationAdapterMapping{{Adapter: types.CustomizationIPSettings{
				Ip: &types.CustomizationFixedIp{IpAddress: ip}, SubnetMask: "255.255.255.0", Gateway: []string{c.Network.Gateway}}}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := task.WaitForResult(ctx, nil); err != nil {
		t.Fatalf("clone %s: %v", name, err)
	}
}
