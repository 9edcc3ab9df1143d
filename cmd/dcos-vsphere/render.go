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
		problems := make([]config.FieldError, len(gerrs))
		for i, e := range gerrs {
			problems[i] = config.FieldError{Path: e.Field, Message: e.Msg}
		}
		return nil, c.Locate(problems)
	}
	return files, err
}

// renderGenconf renders the genconf inputs the bootstrap node gets.
func renderGenconf(c *config.Cluster) (installer.GenconfFiles, error) {
	files, err := renderLocated(c)
	if err != nil {
		return installer.GenconfFiles{}, err
	}
	return installer.GenconfFiles{ConfigYAML: files.ConfigYAML, IPDetect: files.IPDetect, IPDetectPublic: files.IPDetectPublic}, nil
}
