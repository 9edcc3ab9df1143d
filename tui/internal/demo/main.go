// Command demo shows the tui package with fake data: the progress view
// fed by a scripted install (default), or the wizard (-wizard). It talks
// to nothing; it exists to look at the screens in a real terminal.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/installer"
	"github.com/dcos-vsphere/dcos-vsphere/tui"
)

func main() {
	wizard := flag.Bool("wizard", false, "run the wizard instead of the progress view")
	fail := flag.Bool("fail", false, "make master-2 fail during the install")
	speed := flag.Duration("tick", 150*time.Millisecond, "delay between fake events")
	flag.Parse()

	ctx := context.Background()
	if *wizard {
		res, err := tui.RunWizard(ctx, nil, nil, tui.WizardDefaults{VCenter: demoVCenter{}, OutputDir: os.TempDir()})
		if err != nil {
			fmt.Fprintln(os.Stderr, "wizard:", err)
			os.Exit(1)
		}
		fmt.Printf("config %s, install now: %v\n", res.ConfigPath, res.InstallNow)
		return
	}

	p := tui.NewProgress("dcos-vsphere install · lab")
	p.LogFile = "/tmp/dcos-vsphere-demo.log"
	phases := []string{"validate config", "connect vCenter", "ensure template", "clone VMs", "wait for SSH", "prepare nodes", "bootstrap", "install masters", "install agents", "postflight"}
	for _, ph := range phases {
		p.Expect(installer.PhaseInfo{ID: installer.PhaseID(ph), Title: ph}) // events without ids are keyed on the title
	}
	err := p.Run(ctx, func(ctx context.Context, sink installer.Sink) error {
		err := script(ctx, sink, phases, *fail, *speed)
		res := &installer.Result{Command: "install", Status: "ok", Cluster: "lab", Changed: 7, LogPath: p.LogFile,
			DCOSURL: "http://198.18.0.11/", BootstrapURL: "http://198.18.0.10:8080/"}
		if err != nil {
			res.Status, res.Error = "failed", err.Error()
		}
		sink.Emit(installer.Event{Time: time.Now(), Kind: installer.RunResult, Result: res})
		return err
	})
	if err != nil {
		if !p.Shown() { // else the view showed it
			fmt.Fprintln(os.Stderr, "install:", err)
		}
		os.Exit(1)
	}
}

// script emits a plausible install: nodes moving through steps, an
// upload with byte progress, warnings, remote output and optionally a
// failure.
func script(ctx context.Context, sink installer.Sink, phases []string, fail bool, tick time.Duration) error {
	emit := func(e installer.Event) error {
		e.Time = time.Now()
		sink.Emit(e)
		select {
		case <-ctx.Done():
			// A real run lets in-flight steps finish; pretend to.
			sink.Emit(installer.Event{Time: time.Now(), Kind: installer.Info, Message: "stopping: letting running steps finish"})
			time.Sleep(2 * time.Second)
			return ctx.Err()
		case <-time.After(tick):
			return nil
		}
	}
	nodes := []string{"bootstrap", "master-1", "master-2", "master-3", "agent-1", "agent-2", "public-agent-1"}
	for _, ph := range phases {
		start := time.Now()
		if ph == "ensure template" {
			if err := emit(installer.Event{Kind: installer.PhaseSkipped, Phase: ph, Message: "template centos7 exists"}); err != nil {
				return err
			}
			continue
		}
		if err := emit(installer.Event{Kind: installer.PhaseStarted, Phase: ph}); err != nil {
			return err
		}
		if ph == "connect vCenter" {
			if err := emit(installer.Event{Kind: installer.Warning, Phase: ph, Message: "vCenter certificate not verified (insecure: true)"}); err != nil {
				return err
			}
		}
		var targets []string
		switch ph {
		case "clone VMs", "wait for SSH", "prepare nodes":
			targets = nodes
		case "bootstrap":
			targets = nodes[:1]
		case "install masters":
			targets = nodes[1:4]
		case "install agents":
			targets = nodes[4:]
		}
		for _, step := range stepsOf(ph) {
			for _, n := range targets {
				if err := emit(installer.Event{Kind: installer.NodeStep, Phase: ph, Node: n, Step: step}); err != nil {
					return err
				}
				if err := emit(installer.Event{Kind: installer.LogLine, Phase: ph, Node: n, Message: step + ": ok"}); err != nil {
					return err
				}
			}
			if step == "upload installer" {
				const total = 800 << 20
				for done := int64(0); done <= total; done += total / 20 {
					if err := emit(installer.Event{Kind: installer.Progress, Phase: ph, Node: "bootstrap", Step: step, Done: done, Total: total}); err != nil {
						return err
					}
				}
			}
		}
		if fail && ph == "install masters" {
			for i := range 25 {
				if err := emit(installer.Event{Kind: installer.LogLine, Phase: ph, Node: "master-2", Message: fmt.Sprintf("dcos_install.sh: check %02d", i)}); err != nil {
					return err
				}
			}
			_ = emit(installer.Event{Kind: installer.NodeFailed, Phase: ph, Node: "master-2", Message: "dcos_install.sh exited 1: preflight: port 53 in use"})
			_ = emit(installer.Event{Kind: installer.PhaseFailed, Phase: ph, Message: "1 of 3 masters failed", Elapsed: time.Since(start)})
			return errors.New("install masters: master-2 failed")
		}
		for _, n := range targets {
			if err := emit(installer.Event{Kind: installer.NodeDone, Phase: ph, Node: n}); err != nil {
				return err
			}
		}
		if err := emit(installer.Event{Kind: installer.PhaseFinished, Phase: ph, Elapsed: time.Since(start)}); err != nil {
			return err
		}
	}
	return nil
}

func stepsOf(phase string) []string {
	switch phase {
	case "clone VMs":
		return []string{"cloning", "customizing", "powering on", "waiting for IP"}
	case "wait for SSH":
		return []string{"dialing :22"}
	case "prepare nodes":
		return []string{"yum install", "docker", "selinux"}
	case "bootstrap":
		return []string{"upload installer", "--genconf", "serve genconf/serve"}
	case "install masters", "install agents":
		return []string{"fetch dcos_install.sh", "preflight", "install"}
	}
	return nil
}

// demoVCenter answers the wizard with a fixed inventory, slowly enough to
// see the spinner; the password is "demo".
type demoVCenter struct{}

func (demoVCenter) Certificate(ctx context.Context, vc config.VCenter) (tui.ServerCert, error) {
	if err := pause(ctx, 800*time.Millisecond); err != nil {
		return tui.ServerCert{}, err
	}
	const tp = "4C:3D:58:AA:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:14:15:16:17:18:19:1A:D4:D8"
	return tui.ServerCert{SHA256: tp, Subject: "CN=vcenter.demo", Issuer: "CN=vcenter.demo", NotAfter: time.Now().AddDate(2, 0, 0),
		Trusted: vc.Insecure || vc.Thumbprint == tp, Problem: "it is not signed by a trusted CA"}, nil
}

func (demoVCenter) Login(ctx context.Context, vc config.VCenter) error {
	if err := pause(ctx, time.Second); err != nil {
		return err
	}
	if vc.Password.Value() != "demo" {
		return fmt.Errorf("log in: %w", tui.ErrLoginRefused)
	}
	return nil
}

func (demoVCenter) Names(ctx context.Context, field string, _ config.VCenter) ([]string, error) {
	if err := pause(ctx, 300*time.Millisecond); err != nil {
		return nil, err
	}
	return map[string][]string{
		tui.FieldDatacenter: {"DC0"},
		tui.FieldCluster:    {"DC0_C0", "DC0_C1"},
		tui.FieldDatastore:  {"LocalDS_0"},
		tui.FieldNetwork:    {"VM Network", "DC0_DVPG0"},
		tui.FieldFolder:     {"dcos"},
		tui.FieldTemplate:   {"centos7", "centos7-old"},
	}[field], nil
}

func pause(ctx context.Context, d time.Duration) error {
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
