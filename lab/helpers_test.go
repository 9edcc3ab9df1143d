package lab

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// requireLab skips unless the test can build a lab: root on Linux with the
// tools from scripts/deps.sh.
func requireLab(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("lab tests need root (network namespaces, bridges, mounts); run as root to enable")
	}
	for _, tool := range []string{"ip", "nsenter", "unshare", "sshd", "ssh", "nginx", "curl", "pgrep"} {
		if _, err := exec.LookPath(tool); err != nil {
			if _, err2 := lookTool(tool); err2 != nil {
				t.Skipf("lab tests need %s (install the packages in scripts/deps.sh)", tool)
			}
		}
	}
}

// testOptions are test n's lab names and subnet (testnet.For("lab", n)).
func testOptions(t *testing.T, n int) Options {
	o := testOptionsDir(n, t.TempDir())
	o.Log = testLog{t}
	return o
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// startLab brings a lab up for the test and takes it down at the end.
func startLab(t *testing.T, n int) *Lab {
	t.Helper()
	return startLabWith(t, testOptions(t, n))
}

// startLabWith starts a lab with o and downs it when t ends.
func startLabWith(t *testing.T, o Options) *Lab {
	t.Helper()
	requireLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	l, err := Up(ctx, o)
	if err != nil {
		t.Fatalf("lab up: %v", err)
	}
	t.Cleanup(func() {
		if err := l.Down(); err != nil {
			t.Errorf("lab down: %v", err)
		}
	})
	return l
}

// vcClient logs in to the lab's vCenter the way an installer would: URL,
// user, password file and pinned thumbprint.
func vcClient(t *testing.T, l *Lab) *govmomi.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	raw, thumb, user, pwFile := l.VCenter()
	pw, err := os.ReadFile(pwFile)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	sc := soap.NewClient(u, false)
	sc.SetThumbprint(u.Host, thumb)
	vc, err := vim25.NewClient(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	c := &govmomi.Client{Client: vc, SessionManager: session.NewManager(vc)}
	if err := c.Login(ctx, url.UserPassword(user, strings.TrimSpace(string(pw)))); err != nil {
		t.Fatalf("login to lab vCenter: %v", err)
	}
	t.Cleanup(func() { _ = c.Logout(context.Background()) })
	return c
}

// cloneVM clones the lab template with Linux customization (hostname =
// name, fixed ip) and powers it on.
func cloneVM(t *testing.T, c *govmomi.Client, name string, ip netip.Addr, gw netip.Addr) *object.VirtualMachine {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	f := find.NewFinder(c.Client, true)
	dc, err := f.Datacenter(ctx, vcDatacenter)
	if err != nil {
		t.Fatal(err)
	}
	f.SetDatacenter(dc)
	tmpl, err := f.VirtualMachine(ctx, vcTemplate)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := f.ResourcePool(ctx, vcCluster+"/Resources")
	if err != nil {
		t.Fatal(err)
	}
	folders, err := dc.Folders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	poolRef := pool.Reference()
	spec := cloneSpec(name, ip, gw, &poolRef)
	task, err := tmpl.Clone(ctx, folders.VmFolder, name, spec)
	if err != nil {
		t.Fatal(err)
	}
	info, err := task.WaitForResult(ctx, nil)
	if err != nil {
		t.Fatalf("clone %s: %v", name, err)
	}
	return object.NewVirtualMachine(c.Client, info.Result.(types.ManagedObjectReference))
}

func powerOff(t *testing.T, vm *object.VirtualMachine) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	task, err := vm.PowerOff(ctx)
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil {
		t.Fatalf("power off: %v", err)
	}
}

func powerOn(t *testing.T, vm *object.VirtualMachine) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	task, err := vm.PowerOn(ctx)
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil {
		t.Fatalf("power on: %v", err)
	}
}

// sshRun runs cmd on ip as centos with the real OpenSSH client and the
// lab's key and known_hosts.
func sshRun(l *Lab, ip netip.Addr, cmd string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, "ssh", "-i", l.KeyFile(), "-o", "UserKnownHostsFile="+l.KnownHostsFile(),
		"-o", "StrictHostKeyChecking=accept-new", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10",
		"-o", "LogLevel=ERROR", "centos@"+ip.String(), cmd)
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	err := c.Run()
	return strings.TrimSpace(out.String()), err
}

// mustSSH runs cmd and fails the test on error.
func mustSSH(t *testing.T, l *Lab, ip netip.Addr, cmd string) string {
	t.Helper()
	out, err := sshRun(l, ip, cmd)
	if err != nil {
		t.Fatalf("ssh %s %q: %v\n%s", ip, cmd, err, out)
	}
	return out
}

// waitSSH polls until `ssh centos@ip true` works, bounded by d.
func waitSSH(t *testing.T, l *Lab, ip netip.Addr, d time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		if sshBanner(ip, time.Second) {
			if _, err := sshRun(l, ip, "true"); err == nil {
				return time.Since(start)
			}
		}
		if time.Since(start) > d {
			t.Fatalf("ssh centos@%s did not work within %s", ip, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitGone polls until nothing answers on ip:22 and the host's namespace
// is gone, bounded by d.
func waitGone(t *testing.T, l *Lab, ip netip.Addr, d time.Duration) {
	t.Helper()
	ns := l.opts.netnsName(ip)
	deadline := time.Now().Add(d)
	for {
		_, nsErr := os.Stat(filepath.Join("/run/netns", ns))
		if os.IsNotExist(nsErr) {
			c, err := net.DialTimeout("tcp", netip.AddrPortFrom(ip, 22).String(), time.Second)
			if err != nil {
				return
			}
			c.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("host %s still there after %s (netns %s: %v)", ip, d, ns, nsErr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func addr(l *Lab, off int) netip.Addr {
	a := l.Subnet().Addr()
	for range off {
		a = a.Next()
	}
	return a
}

// cloneAndPowerOn is cloneVM without a *testing.T (for the child lab).
func cloneAndPowerOn(ctx context.Context, c *govmomi.Client, name string, ip, gw netip.Addr) error {
	f := find.NewFinder(c.Client, true)
	dc, err := f.Datacenter(ctx, vcDatacenter)
	if err != nil {
		return err
	}
	f.SetDatacenter(dc)
	tmpl, err := f.VirtualMachine(ctx, vcTemplate)
	if err != nil {
		return err
	}
	pool, err := f.ResourcePool(ctx, vcCluster+"/Resources")
	if err != nil {
		return err
	}
	folders, err := dc.Folders(ctx)
	if err != nil {
		return err
	}
	poolRef := pool.Reference()
	task, err := tmpl.Clone(ctx, folders.VmFolder, name, cloneSpec(name, ip, gw, &poolRef))
	if err != nil {
		return err
	}
	_, err = task.WaitForResult(ctx, nil)
	return err
}

func cloneSpec(name string, ip, gw netip.Addr, pool *types.ManagedObjectReference) types.VirtualMachineCloneSpec {
	return types.VirtualMachineCloneSpec{
		Location: types.VirtualMachineRelocateSpec{Pool: pool},
		PowerOn:  true,
		Customization: &types.CustomizationSpec{
			Identity: &types.CustomizationLinuxPrep{HostName: &types.CustomizationFixedName{Name: name}, Domain: "lab"},
			NicSettingMap: []types.CustomizationAdapterMapping{{Adapter: types.CustomizationIPSettings{
				Ip: &types.CustomizationFixedIp{IpAddress: ip.String()}, SubnetMask: "255.255.255.0",
				Gateway: []string{gw.String()}}}},
		},
	}
}
