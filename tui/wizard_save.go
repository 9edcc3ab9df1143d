package tui

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/charmbracelet/huh"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// What to do with the reviewed configuration.
const (
	actionSave    = "save"
	actionInstall = "install"
	actionEdit    = "edit"
	actionCancel  = "cancel"
)

// review prints the YAML about to be written and asks what to do. The
// document holds secrets only as references, so nothing needs masking
// beyond saying where each password lives.
func (w *wizard) review(c config.Cluster) (string, error) {
	doc, err := marshalCluster(c)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(w.out, "\n── Review: the configuration to be written ──\n\n%s\n", doc)
	for _, line := range secretNotes(c) {
		fmt.Fprintln(w.out, line)
	}
	action := actionSave
	err = w.page("Review",
		selectOf("What now?", &action,
			huh.NewOption("Save to a file", actionSave),
			huh.NewOption("Save and install now", actionInstall),
			huh.NewOption("Go back and edit the answers", actionEdit),
			huh.NewOption("Cancel without saving", actionCancel)),
	)
	return action, err
}

// secretNotes says where each password will be kept, masked.
func secretNotes(c config.Cluster) []string {
	var out []string
	add := func(what string, s config.Secret, file string) {
		switch {
		case !s.IsSet():
		case file != "":
			out = append(out, fmt.Sprintf("%s password: ******** (saved to %s, mode 0600)", what, file))
		default:
			out = append(out, fmt.Sprintf("%s password: ******** (read from %s at install time)", what, s.Ref))
		}
	}
	add("vCenter", c.VCenter.Password, c.VCenter.PasswordFile)
	add("Registry", c.Registry.Password, c.Registry.PasswordFile)
	return out
}

// save asks where to write the config, refusing to overwrite an existing
// file unless confirmed, then writes any password files (0600) and the
// config. It returns the config's absolute path.
func (w *wizard) save(c config.Cluster) (string, error) {
	path := filepath.Join(w.defaults.OutputDir, "cluster.yaml")
	for {
		if err := w.page("Save",
			w.input("Save the configuration to", "", &path, validSavePath)); err != nil {
			return "", err
		}
		path = strings.TrimSpace(path)
		if _, err := os.Stat(path); err == nil {
			overwrite := false
			if err := w.page("Save", w.confirm(path+" exists. Overwrite it?", &overwrite)); err != nil {
				return "", err
			}
			if !overwrite {
				continue
			}
		}
		break
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("resolve config path %s: %w", path, err)
	}
	if err := writeCluster(abs, c); err != nil {
		return "", err
	}
	fmt.Fprintf(w.out, "\nSaved %s\n", abs)
	for _, env := range envRefs(c) {
		fmt.Fprintf(w.out, "Before later runs: export %s=… (the password is not stored in the file)\n", env)
	}
	return abs, nil
}

func validSavePath(s string) error {
	if s == "" {
		return errors.New("a file path is required")
	}
	if st, err := os.Stat(s); err == nil && st.IsDir() {
		return fmt.Errorf("%s is a directory", s)
	}
	dir := filepath.Dir(s)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("directory %s does not exist", dir)
	}
	return nil
}

// writeCluster writes the password files c names (relative to the config)
// and then the config itself, each through a temp file and a rename.
func writeCluster(path string, c config.Cluster) error {
	dir := filepath.Dir(path)
	for _, s := range []struct {
		secret config.Secret
		file   string
	}{
		{c.VCenter.Password, c.VCenter.PasswordFile},
		{c.Registry.Password, c.Registry.PasswordFile},
	} {
		if s.file == "" {
			continue
		}
		if err := writeFileAtomic(filepath.Join(dir, s.file), []byte(s.secret.Value()), 0o600); err != nil {
			return err
		}
	}
	doc, err := marshalCluster(c)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, doc, 0o644)
}

// writeFileAtomic replaces path with data, created with mode from the
// start so a secret is never readable by others, even briefly.
func writeFileAtomic(path string, data []byte, mode fs.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after the rename
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// resolved is c as config.Load would return it from path: Path set and
// the password files (relative in the YAML) made absolute.
func resolved(c config.Cluster, path string) config.Cluster {
	c.Path = path
	dir := filepath.Dir(path)
	if c.VCenter.PasswordFile != "" {
		c.VCenter.PasswordFile = filepath.Join(dir, c.VCenter.PasswordFile)
	}
	if c.Registry.PasswordFile != "" {
		c.Registry.PasswordFile = filepath.Join(dir, c.Registry.PasswordFile)
	}
	return c
}
