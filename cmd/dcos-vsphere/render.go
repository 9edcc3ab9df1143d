package main

import (
	"errors"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/genconf"
	"github.com/dcos-vsphere/dcos-vsphere/installer"
)

// renderLocated renders the DC/OS genconf files; violations of the DC/OS
// 1.9 rules come back as config errors pointing at cluster.yaml lines.
func renderLocated(c *config.Cluster) (*genconf.Files, error) {
	files, err := genconf.Render(c)
	var gerrs genconf.Errors
	if errors.As(err, &gerrs) {
		return nil, locateGenconf(c, gerrs)
	}
	return files, err
}

// locateGenconf maps DC/OS rule violations to cluster.yaml lines (nil
// when there are none).
func locateGenconf(c *config.Cluster, gerrs genconf.Errors) error {
	if len(gerrs) == 0 {
		return nil
	}
	problems := make([]config.FieldError, len(gerrs))
	for i, e := range gerrs {
		problems[i] = config.FieldError{Path: e.Field, Message: e.Msg}
	}
	return c.Locate(problems)
}

// joinConfigErrors merges config problems into one *config.Errors sorted
// by line (every problem at once); another kind of error wins as it is.
func joinConfigErrors(errs ...error) error {
	var all *config.Errors
	for _, err := range errs {
		if err == nil {
			continue
		}
		var ce *config.Errors
		if !errors.As(err, &ce) {
			return err
		}
		if all == nil {
			all = &config.Errors{File: ce.File}
		}
		all.List = append(all.List, ce.List...)
	}
	if all == nil {
		return nil
	}
	all.Sort()
	return all
}

// renderGenconf renders the genconf inputs the bootstrap node gets.
func renderGenconf(c *config.Cluster) (installer.GenconfFiles, error) {
	files, err := renderLocated(c)
	if err != nil {
		return installer.GenconfFiles{}, err
	}
	return installer.GenconfFiles{ConfigYAML: files.ConfigYAML, IPDetect: files.IPDetect, IPDetectPublic: files.IPDetectPublic}, nil
}
