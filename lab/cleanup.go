package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// Cleanup removes what a lab with these options left behind: host
// processes (killed by network namespace), namespaces, veths, the bridge,
// host disks, the simulator's temp directory and the state and password
// files. It is what Up runs first and Down runs last; `lab down` runs it
// after the lab process ended. Leftovers are found by prefix, bridge name
// and Dir/lab.json, never by process name.
func Cleanup(o Options) error {
	o, err := o.withDefaults()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var errs []error
	if err := cleanupACS(ctx, o); err != nil {
		errs = append(errs, err)
	}
	prefixes := []struct{ netns, link string }{{o.NetnsPrefix, o.linkPrefix()}}
	st, stErr := loadState(o.Dir)
	if stErr == nil && (st.NetnsPrefix != o.NetnsPrefix || st.LinkPrefix != o.linkPrefix()) && st.NetnsPrefix != "" {
		prefixes = append(prefixes, struct{ netns, link string }{st.NetnsPrefix, st.LinkPrefix})
	}
	for _, h := range loadHosts(o.Dir) {
		if h.alive() {
			_ = syscall.Kill(h.PID, syscall.SIGKILL)
		}
	}
	for _, p := range prefixes {
		nsPat := regexp.MustCompile("^" + regexp.QuoteMeta(p.netns) + `h\d+$`)
		for _, ns := range listNetns(p.netns) {
			if !nsPat.MatchString(ns) {
				continue
			}
			killNetnsProcesses(ctx, ns)
			if _, err := run(ctx, "ip", "netns", "del", ns); err != nil {
				errs = append(errs, err)
			}
		}
		// Host veths (<prefix><offset>) and the pair that keeps the bridge up.
		linkPat := regexp.MustCompile("^" + regexp.QuoteMeta(p.link) + `(\d+|up|upp)$`)
		for _, l := range listLinks(p.link) {
			if linkPat.MatchString(l) {
				if _, err := run(ctx, "ip", "link", "del", l); err != nil && linkExists(l) {
					errs = append(errs, err)
				}
			}
		}
	}
	bridges := []string{o.Bridge}
	if stErr == nil && st.Bridge != "" && st.Bridge != o.Bridge {
		bridges = append(bridges, st.Bridge)
	}
	for _, b := range bridges {
		removeBridgeForwarding(ctx, b)
		if linkExists(b) {
			if _, err := run(ctx, "ip", "link", "del", b); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if stErr == nil && st.VCSimHome != "" && strings.Contains(filepath.Base(st.VCSimHome), "govcsim-") {
		if err := os.RemoveAll(st.VCSimHome); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, cleanupACR(o.Dir)...)
	for _, p := range []string{o.hostsDir(), o.baseDir(), filepath.Join(o.Dir, passwordFileName), filepath.Join(o.Dir, stateFileName)} {
		if err := os.RemoveAll(p); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("clean lab %s: %w", o.Dir, err)
	}
	return nil
}
