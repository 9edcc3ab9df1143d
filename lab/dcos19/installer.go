// Package dcos19 is the lab's stand-in for DC/OS 1.9.10: a
// dcos_generate_config.sh with the real one's interface, the dcos_install.sh
// it generates, and the stand-in services that install starts on the nodes.
//
// It is written independently of the project's genconf and config packages so
// that the lab checks the installer instead of the installer checking itself.
// See README.md for every stand-in piece and what it does not do.
package dcos19

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Version is the DC/OS release the stand-in imitates.
const Version = "1.9.10"

// BootstrapID is the fixed bootstrap id of the stand-in (bootstrap.latest).
const BootstrapID = "4b9d5c3e1f0a8e7d6c5b4a39281706f5e4d3c2b1"

// payloadFS holds the wrapper, the python generator, the dcos_install.sh
// template and the files of the stand-in packages.
//
//go:embed payload
var payloadFS embed.FS

const (
	payloadRoot = "payload"
	wrapperName = "wrapper.sh"
	eofMarker   = "#EOF#\n"
)

// InstallerBytes returns the contents of the dcos_generate_config.sh
// stand-in: the bash wrapper, a line "#EOF#", then a gzipped tar payload.
func InstallerBytes() ([]byte, error) {
	wrapper, err := payloadFS.ReadFile(path.Join(payloadRoot, wrapperName))
	if err != nil {
		return nil, fmt.Errorf("read embedded installer wrapper: %w", err)
	}
	payload, err := buildPayload()
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.Write(wrapper)
	out.WriteString(eofMarker)
	out.Write(payload)
	return out.Bytes(), nil
}

// WriteInstaller writes an executable dcos_generate_config.sh stand-in to
// path (atomically: a temporary file in the same directory, then rename).
func WriteInstaller(path string) error {
	data, err := InstallerBytes()
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".dcos_generate_config-*.sh")
	if err != nil {
		return fmt.Errorf("write DC/OS installer stand-in %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write DC/OS installer stand-in %s: %w", path, err)
	}
	if err := tmp.Chmod(0o755); err != nil {
		tmp.Close()
		return fmt.Errorf("chmod DC/OS installer stand-in %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write DC/OS installer stand-in %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("install DC/OS installer stand-in at %s: %w", path, err)
	}
	return nil
}

// buildPayload packs every embedded file except the wrapper into a
// deterministic tar.gz (sorted names, zero mtimes).
func buildPayload() ([]byte, error) {
	var names []string
	err := fs.WalkDir(payloadFS, payloadRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && p != path.Join(payloadRoot, wrapperName) {
			names = append(names, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list embedded installer payload: %w", err)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, name := range names {
		data, err := payloadFS.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("read embedded %s: %w", name, err)
		}
		rel := strings.TrimPrefix(name, payloadRoot+"/")
		hdr := &tar.Header{Name: rel, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if strings.Contains(rel, "/bin/") || strings.HasSuffix(rel, ".sh") {
			hdr.Mode = 0o755
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("pack %s into installer payload: %w", rel, err)
		}
		if _, err := tw.Write(data); err != nil {
			return nil, fmt.Errorf("pack %s into installer payload: %w", rel, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("close installer payload tar: %w", err)
	}
	if err := gz.Close(); err != nil {
		return nil, fmt.Errorf("close installer payload gzip: %w", err)
	}
	return buf.Bytes(), nil
}

// ServiceFiles are the stand-in services' Python modules other lab worlds
// run too (the ACS world's masters and agents, which are "already
// installed" without dcos_install.sh): package-relative paths such as
// "mesos/lib/dcos_standin.py" to their contents.
func ServiceFiles() (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, p := range []string{"mesos/lib/dcos_standin.py", "mesos/lib/mesos_tasks.py", "marathon/lib/dcos_marathon.py"} {
		b, err := payloadFS.ReadFile(path.Join(payloadRoot, "packages", p))
		if err != nil {
			return nil, fmt.Errorf("read embedded stand-in %s: %w", p, err)
		}
		out[p] = b
	}
	return out, nil
}

// MarathonEvents is the Marathon stand-in's task log on a master (one
// JSON object per task state change, with the app's running count).
const MarathonEvents = "/var/lib/dcos/standin/marathon/task-events.log"
