package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/dcos-vsphere/dcos-vsphere/lab"
)

// labFlags are the options of `lab up`.
type labFlags struct {
	dir, bridge, subnet, prefix, vcenterAddr string
	datastoreCapacity                        string
	detach, child                            bool
	topo                                     lab.Topology
	acs                                      bool
	acsOpts                                  lab.ACSOptions
}

func newLabCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "Run a whole vSphere + CentOS 7 + DC/OS 1.9 sandbox on this Linux machine",
		Long: "lab starts a simulated vCenter (HTTPS on 127.0.0.1) whose powered-on VMs become real hosts:\n" +
			"network namespaces on a private bridge (198.18.0.0/15, no route out) with private mounts,\n" +
			"OpenSSH and CentOS 7 stand-in commands, plus a DC/OS 1.9 stand-in installer. It writes a\n" +
			"ready cluster.yaml, so `dcos-vsphere install` can be rehearsed end to end. Needs root on Linux.\n" +
			"Every stand-in and its limits: lab/README.md.",
	}
	cmd.AddCommand(newLabUpCmd(g), newLabDownCmd(g), newLabStatusCmd(g), newLabHostCmd(g), newLabACSCmd())
	return cmd
}

func defaultLabDir() string { return "dcos-lab" }

func requireLabHost() error {
	if runtime.GOOS != "linux" {
		return fmt.Errorf("the lab needs Linux (network namespaces, bridges); this is %s", runtime.GOOS)
	}
	if os.Geteuid() != 0 {
		return errors.New("the lab needs root (network namespaces, bridge, mounts): run it with sudo")
	}
	return nil
}

func newLabUpCmd(g *globalOptions) *cobra.Command {
	f := &labFlags{topo: lab.DefaultTopology}
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Start the lab and print how to install into it",
		Long: "up removes what an earlier lab in --dir left behind, starts the lab, writes DIR/cluster.yaml\n" +
			"for the given topology and prints the install and ssh commands. It stays in the foreground\n" +
			"until interrupted (then removes everything), or with --detach runs in the background\n" +
			"(pid in DIR/lab.pid, log in DIR/lab.log) and returns once the lab is ready.",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireLabHost(); err != nil {
				return err
			}
			if f.detach {
				return detachLab(cmd, f, g.json())
			}
			return runLab(cmd.Context(), cmd.OutOrStdout(), f, g.json())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.dir, "dir", defaultLabDir(), "lab directory: state, cluster.yaml, SSH key, vCenter password file, logs")
	fl.BoolVar(&f.detach, "detach", false, "run in the background and return once the lab is ready")
	fl.IntVar(&f.topo.Masters, "masters", f.topo.Masters, "masters in the generated cluster.yaml (1, 3, 5, 7 or 9)")
	fl.IntVar(&f.topo.Agents, "agents", f.topo.Agents, "private agents in the generated cluster.yaml")
	fl.IntVar(&f.topo.PublicAgents, "public-agents", f.topo.PublicAgents, "public agents in the generated cluster.yaml")
	fl.StringVar(&f.bridge, "bridge", "dvlab0", "name of the lab bridge")
	fl.StringVar(&f.subnet, "subnet", "198.18.0.0/24", "lab subnet, inside 198.18.0.0/15; its first address is the gateway")
	fl.StringVar(&f.prefix, "prefix", "dvlab-", "name prefix of the lab's namespaces and veths")
	fl.StringVar(&f.vcenterAddr, "vcenter-addr", "127.0.0.1:0", "listen address of the simulated vCenter")
	fl.StringVar(&f.datastoreCapacity, "datastore-capacity", "4TiB", "size of the lab datastore LocalDS_0, in GiB or TiB (e.g. 500GiB, 16TiB); three quarters start free")
	fl.BoolVar(&f.acs, "acs", false, "also start the ACS world: an Azure-shaped DC/OS 1.9 cluster behind a load balancer (lab/README.md)")
	fl.IntVar(&f.acsOpts.Masters, "acs-masters", 1, "ACS masters (1-5; ports 2200-2204)")
	fl.IntVar(&f.acsOpts.Agents, "acs-agents", 2, "ACS private agents")
	fl.IntVar(&f.acsOpts.PublicAgents, "acs-public-agents", 1, "ACS public agents")
	fl.BoolVar(&f.child, "detached-child", false, "internal: the background process of --detach")
	_ = fl.MarkHidden("detached-child")
	return cmd
}

func (f *labFlags) options(log io.Writer) (lab.Options, error) {
	subnet, err := netip.ParsePrefix(f.subnet)
	if err != nil {
		return lab.Options{}, usageError{fmt.Errorf("--subnet %q: %w", f.subnet, err)}
	}
	capacity, err := parseBinarySize(f.datastoreCapacity)
	if err != nil {
		return lab.Options{}, usageError{fmt.Errorf("--datastore-capacity: %w", err)}
	}
	o := lab.Options{Dir: f.dir, Bridge: f.bridge, Subnet: subnet, NetnsPrefix: f.prefix, VCenterAddr: f.vcenterAddr,
		DatastoreCapacity: capacity, Log: log}
	if f.acs {
		a := f.acsOpts
		o.ACS = &a
	}
	return o, nil
}

// parseBinarySize reads a whole number of GiB or TiB ("500GiB", "16TiB").
func parseBinarySize(s string) (int64, error) {
	units := []struct {
		suffix string
		shift  uint
	}{{"TiB", 40}, {"GiB", 30}}
	for _, u := range units {
		num, ok := strings.CutSuffix(s, u.suffix)
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil || n <= 0 || n > 1<<(62-u.shift) {
			return 0, fmt.Errorf("%q is not a positive whole number of %s", s, u.suffix)
		}
		return n << u.shift, nil
	}
	return 0, fmt.Errorf("%q: give a size in GiB or TiB, e.g. 500GiB or 16TiB", s)
}

const (
	labPidFile   = "lab.pid"
	labReadyFile = "lab.ready"
	labLogFile   = "lab.log"
)

// runLab runs the lab in this process until ctx ends (SIGINT/SIGTERM);
// jsonOut is -o json.
func runLab(ctx context.Context, out io.Writer, f *labFlags, jsonOut bool) error {
	o, err := f.options(out)
	if err != nil {
		return err
	}
	upCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	l, err := lab.Up(upCtx, o)
	cancel()
	if err != nil {
		return err
	}
	defer func() {
		fmt.Fprintln(out, "lab: stopping, removing hosts, bridge and vCenter ...")
		if err := l.Down(); err != nil {
			fmt.Fprintln(out, "lab: down:", err)
		}
		if f.child {
			_ = os.Remove(filepath.Join(l.Dir(), labPidFile))
			_ = os.Remove(filepath.Join(l.Dir(), labReadyFile))
		}
	}()
	cfg := filepath.Join(l.Dir(), "cluster.yaml")
	if err := l.WriteClusterConfig(cfg, f.topo); err != nil {
		return err
	}
	if jsonOut {
		url, thumb, user, pw := l.VCenter()
		_ = json.NewEncoder(out).Encode(map[string]any{"dir": l.Dir(), "config": cfg, "vcenter": url, "thumbprint": thumb, "user": user,
			"passwordFile": pw, "subnet": l.Subnet().String(), "gateway": l.Gateway().String(), "detached": f.child})
	} else {
		printLabUsage(out, l, cfg, f.topo, f.child)
	}
	if f.child {
		if err := os.WriteFile(filepath.Join(l.Dir(), labReadyFile), []byte(cfg+"\n"), 0o600); err != nil {
			return err
		}
	}
	<-ctx.Done()
	return nil
}

func printLabUsage(w io.Writer, l *lab.Lab, cfg string, t lab.Topology, detached bool) {
	url, thumb, user, pw := l.VCenter()
	first := l.Subnet().Addr().Next()
	for range 10 { // the first master: .11
		first = first.Next()
	}
	fmt.Fprintf(w, `Lab is up in %s
  vCenter     %s (user %s, password in %s)
  thumbprint  %s
  network     %s on bridge, gateway %s (no route out)
  installer   %s
  config      %s (%d masters, %d agents, %d public agents)

Install DC/OS:   dcos-vsphere install --config %s
SSH to a node:   ssh -i %s -o UserKnownHostsFile=%s centos@%s
Lab status:      dcos-vsphere lab status --dir %s
`, l.Dir(), url, user, pw, thumb, l.Subnet(), l.Gateway(), l.InstallerURL(), cfg, t.Masters, t.Agents, t.PublicAgents,
		cfg, l.KeyFile(), l.KnownHostsFile(), first, l.Dir())
	if a := l.ACS(); a != nil {
		fmt.Fprintf(w, `ACS world       %d masters behind %s:2200 (inner network %s, reachable only through a master)
  cluster       %s (%s), DC/OS %s
SSH to the ACS master:  ssh -i %s -o UserKnownHostsFile=%s -p 2200 azureuser@%s
Sync the ACS agents:    dcos-vsphere acs sync --config %s
ACS scale-out:          dcos-vsphere lab acs scale-out 2 --dir %s
`, len(a.Masters()), a.MasterFQDN(), a.Subnet(), a.ClusterName(), a.ClusterID(), a.Version(),
			a.KeyFile(), a.KnownHostsFile(), a.MasterFQDN(), cfg, l.Dir())
	}
	if detached {
		fmt.Fprintf(w, "Stop:            dcos-vsphere lab down --dir %s\n", l.Dir())
	} else {
		fmt.Fprintf(w, "Stop:            Ctrl-C (or dcos-vsphere lab down --dir %s)\n", l.Dir())
	}
}

// detachLab re-executes `lab up` in the background and waits until it is
// ready (DIR/lab.ready) or has failed; jsonOut is -o json.
func detachLab(cmd *cobra.Command, f *labFlags, jsonOut bool) error {
	if _, err := f.options(io.Discard); err != nil { // a usage error now, not from the child
		return err
	}
	dir, err := filepath.Abs(f.dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if pid := lab.RunningPID(dir); pid > 0 {
		return fmt.Errorf("a lab is already running in %s (pid %d); run `dcos-vsphere lab down --dir %s` first", dir, pid, dir)
	}
	_ = os.Remove(filepath.Join(dir, labReadyFile))
	self, err := os.Executable()
	if err != nil {
		return err
	}
	logPath := filepath.Join(dir, labLogFile)
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	output := outputText
	if jsonOut {
		output = outputJSON
	}
	child := exec.Command(self, "lab", "up", "--detached-child", "--dir", dir, "-o", output,
		"--masters", fmt.Sprint(f.topo.Masters), "--agents", fmt.Sprint(f.topo.Agents), "--public-agents", fmt.Sprint(f.topo.PublicAgents),
		"--bridge", f.bridge, "--subnet", f.subnet, "--prefix", f.prefix, "--vcenter-addr", f.vcenterAddr,
		"--datastore-capacity", f.datastoreCapacity,
		"--acs="+fmt.Sprint(f.acs), "--acs-masters", fmt.Sprint(f.acsOpts.Masters), "--acs-agents", fmt.Sprint(f.acsOpts.Agents),
		"--acs-public-agents", fmt.Sprint(f.acsOpts.PublicAgents))
	child.Stdout, child.Stderr = logf, logf
	child.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := child.Start(); err != nil {
		return fmt.Errorf("start background lab: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, labPidFile), []byte(fmt.Sprintln(child.Process.Pid)), 0o644); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- child.Wait() }()
	deadline := time.After(3 * time.Minute)
	for {
		if _, err := os.Stat(filepath.Join(dir, labReadyFile)); err == nil {
			b, _ := os.ReadFile(logPath)
			_, _ = cmd.OutOrStdout().Write(b)
			if !jsonOut {
				fmt.Fprintf(cmd.OutOrStdout(), "(running in the background as pid %d; log %s)\n", child.Process.Pid, logPath)
			}
			return nil
		}
		select {
		case err := <-exited:
			b, _ := os.ReadFile(logPath)
			_ = os.Remove(filepath.Join(dir, labPidFile))
			return fmt.Errorf("background lab exited before it was ready (%v):\n%s", err, b)
		case <-deadline:
			_ = child.Process.Signal(syscall.SIGTERM)
			return fmt.Errorf("background lab not ready after 3 minutes; see %s", logPath)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func newLabDownCmd(g *globalOptions) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "down",
		Short: "Stop the lab in --dir and remove every trace of it",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireLabHost(); err != nil {
				return err
			}
			if err := lab.Stop(dir, 30*time.Second); err != nil {
				switch {
				case errors.Is(err, lab.ErrNoLab):
					return writeResult(cmd, g, map[string]any{"dir": dir, "down": true, "wasRunning": false}, func(w io.Writer) error {
						_, err := fmt.Fprintf(w, "no lab in %s\n", dir)
						return err
					})
				case errors.Is(err, lab.ErrKilled):
					fmt.Fprintf(cmd.ErrOrStderr(), "warning: %v; cleaned up after it\n", err)
				default:
					return err
				}
			}
			_ = os.Remove(filepath.Join(dir, labPidFile))
			_ = os.Remove(filepath.Join(dir, labReadyFile))
			return writeResult(cmd, g, map[string]any{"dir": dir, "down": true, "wasRunning": true}, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "lab in %s is down\n", dir)
				return err
			})
		},
	}
	cmd.Flags().StringVar(&dir, "dir", defaultLabDir(), "lab directory")
	return cmd
}

func newLabStatusCmd(g *globalOptions) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "List the lab's VMs and hosts (IP, hostname, sshd alive)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireLabHost(); err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			s, err := lab.ReadStatus(ctx, dir)
			if errors.Is(err, lab.ErrNoLab) {
				return writeResult(cmd, g, map[string]any{"dir": dir, "running": false}, func(w io.Writer) error {
					_, err := fmt.Fprintf(w, "no lab in %s\n", dir)
					return err
				})
			}
			if g.json() {
				if werr := writeResult(cmd, g, s, nil); werr != nil {
					return werr
				}
				return err
			}
			out := cmd.OutOrStdout()
			if s.PID > 0 {
				fmt.Fprintf(out, "lab in %s: running (pid %d), vCenter %s, subnet %s on %s\n", s.Dir, s.PID, s.VCenterURL, s.Subnet, s.Bridge)
			} else {
				fmt.Fprintf(out, "lab in %s: NOT running (leftovers can be removed with lab down)\n", s.Dir)
			}
			tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "\nVM\tPOWER\tIP\tHOSTNAME")
			for _, v := range s.VMs {
				name := v.Name
				if v.Template {
					name += " (template)"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", name, v.PowerState, v.IP, v.Hostname)
			}
			fmt.Fprintln(tw, "\nHOST\tIP\tVM\tSSHD")
			for _, h := range s.Hosts {
				st := "down"
				switch {
				case h.SSHD:
					st = "alive"
				case h.Running:
					st = "not answering"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", h.Name, h.IP, h.VM, st)
			}
			_ = tw.Flush()
			return err
		},
	}
	cmd.Flags().StringVar(&dir, "dir", defaultLabDir(), "lab directory")
	return cmd
}

func newLabHostCmd(g *globalOptions) *cobra.Command {
	var dir string
	actions := map[string]func(*lab.Host) error{
		"kill-sshd":  (*lab.Host).KillSSHD,
		"start-sshd": (*lab.Host).StartSSHD,
		"link-down":  (*lab.Host).LinkDown,
		"link-up":    (*lab.Host).LinkUp,
		// another machine at the VM's address: its product_uuid lies
		"lie-uuid": func(h *lab.Host) error { return h.SetProductUUID("00000000-0000-4000-8000-00000000dead") },
	}
	cmd := &cobra.Command{
		Use:   "host NAME kill-sshd|start-sshd|link-down|link-up|lie-uuid",
		Short: "Inject a fault into a lab host: kill or restart its sshd, cut or restore its link, make its product_uuid lie",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usageError{errors.New("want a host name and an action: kill-sshd, start-sshd, link-down, link-up or lie-uuid")}
			}
			if _, ok := actions[args[1]]; !ok {
				return usageError{fmt.Errorf("unknown action %q: want kill-sshd, start-sshd, link-down, link-up or lie-uuid", args[1])}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := requireLabHost(); err != nil {
				return err
			}
			h, err := lab.LoadHost(dir, args[0])
			if err != nil {
				return err
			}
			if err := actions[args[1]](h); err != nil {
				return err
			}
			return writeResult(cmd, g, map[string]string{"host": h.Name(), "action": args[1], "result": "done"}, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "%s %s: done\n", h.Name(), args[1])
				return err
			})
		},
	}
	faults := slices.Sorted(maps.Keys(actions))
	cmd.ValidArgsFunction = completeLabHost(&dir, faults)
	cmd.Flags().StringVar(&dir, "dir", defaultLabDir(), "lab directory")
	return cmd
}
