package templates_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// govcVersion is built from the module proxy with a wrapper module, since
// govc has been a nested module without tags since v0.47.0.
const govcVersion = "v0.56.0"

var (
	govcOnce sync.Once
	govcPath string
	govcErr  error
)

// govcBinary builds govc once into the user cache (outside the repo) and
// returns its path; later runs reuse it.
func govcBinary() (string, error) {
	govcOnce.Do(func() {
		cache, err := os.UserCacheDir()
		if err != nil {
			govcErr = err
			return
		}
		dir := filepath.Join(cache, "dcos-vsphere-govc", govcVersion)
		govcPath = filepath.Join(dir, "govc")
		if _, err := os.Stat(govcPath); err == nil {
			return
		}
		govcErr = buildGovc(dir)
	})
	return govcPath, govcErr
}

func buildGovc(dir string) error {
	gobin, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("no go tool on PATH: %w", err)
	}
	src, err := os.MkdirTemp("", "govc-wrap-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(src)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	run := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, gobin, args...)
		cmd.Dir = src
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("go %s: %v: %s", strings.Join(args, " "), err, errb.String())
		}
		return out.String(), nil
	}
	mod := "module tools\n\ngo 1.25.0\n\nrequire github.com/vmware/govmomi " + govcVersion + "\n"
	if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte(mod), 0o644); err != nil {
		return err
	}
	if _, err := run("get", "github.com/vmware/govmomi/cli/...@"+govcVersion); err != nil {
		return err
	}
	pkgs, err := run("list", "-f", "{{if ne .Name \"main\"}}{{.ImportPath}}{{end}}", "github.com/vmware/govmomi/cli/...")
	if err != nil {
		return err
	}
	var main strings.Builder
	main.WriteString("package main\n\nimport (\n\t\"os\"\n\n\t\"github.com/vmware/govmomi/cli\"\n")
	for _, p := range strings.Fields(pkgs) {
		if strings.HasSuffix(p, "/cli") || strings.Contains(p, "internal") {
			continue
		}
		fmt.Fprintf(&main, "\t_ %q\n", p)
	}
	main.WriteString(")\n\nfunc main() { os.Exit(cli.Run(os.Args[1:])) }\n")
	if err := os.WriteFile(filepath.Join(src, "main.go"), []byte(main.String()), 0o644); err != nil {
		return err
	}
	if _, err := run("mod", "tidy"); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	_, err = run("build", "-o", filepath.Join(dir, "govc"), ".")
	return err
}

// govcClone does for one VM what the clone phase does, the govc way: one
// process per step (clone, customize, power on, vm.ip).
func govcClone(ctx context.Context, bin string, env []string, folder, name, ip string) error {
	vm := folder + "/" + name
	steps := [][]string{
		{"vm.clone", "-vm", "/DC0/vm/centos7", "-pool", "DC0_C0/Resources", "-ds", "LocalDS_0", "-folder", folder, "-on=false", name},
		{"vm.customize", "-vm", vm, "-name", name, "-domain", testNet.SearchDomain, "-ip", ip, "-netmask", "255.255.0.0",
			"-gateway", testNet.Gateway, "-dns-server", testNet.DNS[0]},
		{"vm.power", "-on", vm},
		{"vm.ip", "-v4", "-wait", "60s", vm},
	}
	for _, args := range steps {
		out, err := runGovcStep(ctx, bin, env, args)
		if err != nil {
			return fmt.Errorf("govc %s %s: %v: %s", args[0], name, err, out)
		}
		if args[0] == "vm.ip" && strings.TrimSpace(string(out)) != ip {
			return fmt.Errorf("govc vm.ip %s = %q; want %s", name, out, ip)
		}
	}
	return nil
}

// runGovcStep runs one govc command, again (at most twice more) when the
// connection dropped (the loaded simulator sometimes closes one early); a
// clone that did go through the first time counts as done.
func runGovcStep(ctx context.Context, bin string, env, args []string) ([]byte, error) {
	var out []byte
	var err error
	for attempt := range 3 {
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = env
		out, err = cmd.CombinedOutput()
		if err == nil || !bytes.Contains(out, []byte("EOF")) {
			if err != nil && attempt > 0 && args[0] == "vm.clone" && bytes.Contains(out, []byte("already exists")) {
				return out, nil
			}
			return out, err
		}
	}
	return out, err
}
