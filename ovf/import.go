// Package ovf imports an OVA or OVF (the CentOS 7 base image) into vCenter
// as a template, reporting upload progress in bytes.
package ovf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/ovf/importer"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/types"
)

// Progress is one upload progress report for a file of the package.
type Progress struct {
	File  string // file inside the OVA/OVF package, e.g. centos7-disk1.vmdk
	Sent  int64  // bytes sent so far for File
	Total int64  // size of File
}

// Target is where the imported VM goes. All fields are required; the
// templates package resolves them during its inventory preflight.
type Target struct {
	Datacenter   *object.Datacenter
	Datastore    *object.Datastore
	ResourcePool *object.ResourcePool
	Folder       *object.Folder
	// Network is the inventory name of the network every OVF network is
	// mapped to ("" keeps the OVF's own names).
	Network string
}

// Options says what to import and how.
type Options struct {
	Path string // .ova (tar) or .ovf file
	Name string // VM/template name; default: the OVF's VirtualSystem name
	// DiskProvisioning is thin (default), thick or eagerZeroedThick.
	DiskProvisioning string
	// MarkAsTemplate turns the imported VM into a template (the installer
	// always does; tests may not).
	MarkAsTemplate bool
	// Progress, if set, is called as bytes are uploaded. It must not block.
	Progress func(Progress)
}

// Import uploads the package at opts.Path into target and returns the new
// VM's reference. On failure nothing is left behind: the lease is aborted
// by the importer and a VM that got registered is destroyed.
func Import(ctx context.Context, c *vim25.Client, target Target, opts Options) (types.ManagedObjectReference, error) {
	var none types.ManagedObjectReference
	if target.Datacenter == nil || target.Datastore == nil || target.ResourcePool == nil || target.Folder == nil {
		return none, errors.New("import OVF: datacenter, datastore, resource pool and folder are required")
	}
	archive, ovfName, err := openArchive(c, opts.Path)
	if err != nil {
		return none, err
	}
	archive = &countingArchive{Archive: archive, report: opts.Progress}

	finder := find.NewFinder(c, false)
	finder.SetDatacenter(target.Datacenter)
	imp := importer.Importer{
		Client:       c,
		Finder:       finder,
		Datacenter:   target.Datacenter,
		Datastore:    target.Datastore,
		ResourcePool: target.ResourcePool,
		Folder:       target.Folder,
		Archive:      archive,
		Log:          func(string) (int, error) { return 0, nil },
	}

	desc, err := importer.ReadOvf(ovfName, archive)
	if err != nil {
		return none, fmt.Errorf("read OVF descriptor from %s: %w", opts.Path, err)
	}
	env, err := importer.ReadEnvelope(desc)
	if err != nil {
		return none, fmt.Errorf("parse OVF descriptor of %s: %w", opts.Path, err)
	}

	iopts := importer.Options{DiskProvisioning: opts.DiskProvisioning}
	if iopts.DiskProvisioning == "" {
		iopts.DiskProvisioning = "thin"
	}
	if opts.Name != "" {
		name := opts.Name
		iopts.Name = &name
	}
	if target.Network != "" && env.Network != nil {
		for _, n := range env.Network.Networks {
			iopts.NetworkMapping = append(iopts.NetworkMapping, importer.Network{Name: n.Name, Network: target.Network})
		}
	}

	ref, err := imp.Import(ctx, ovfName, iopts)
	if err != nil {
		if ref != nil {
			destroyQuietly(c, *ref)
		}
		return none, fmt.Errorf("import %s into %s: %w", opts.Path, target.Datastore.Name(), err)
	}
	if opts.MarkAsTemplate {
		vm := object.NewVirtualMachine(c, *ref)
		if err := vm.MarkAsTemplate(ctx); err != nil {
			destroyQuietly(c, *ref)
			return none, fmt.Errorf("mark imported %s as template: %w", opts.Path, err)
		}
	}
	return *ref, nil
}

// openArchive picks TapeArchive for an .ova and FileArchive for an .ovf and
// returns the name the descriptor is read by.
func openArchive(c *vim25.Client, path string) (importer.Archive, string, error) {
	opener := importer.Opener{Client: c}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".ova":
		return &importer.TapeArchive{Path: path, Opener: opener}, "*.ovf", nil
	case ".ovf":
		return &importer.FileArchive{Path: path, Opener: opener}, path, nil
	default:
		return nil, "", fmt.Errorf("import %s: want a .ova or .ovf file", path)
	}
}

// destroyQuietly removes a half-imported VM; the import error is what the
// caller reports.
func destroyQuietly(c *vim25.Client, ref types.ManagedObjectReference) {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	vm := object.NewVirtualMachine(c, ref)
	if t, err := vm.Destroy(ctx); err == nil {
		_ = t.Wait(ctx)
	}
}

// countingArchive reports bytes as the importer reads each file to upload.
type countingArchive struct {
	importer.Archive
	report func(Progress)
}

func (a *countingArchive) Open(name string) (io.ReadCloser, int64, error) {
	rc, size, err := a.Archive.Open(name)
	if err != nil || a.report == nil || strings.HasSuffix(strings.ToLower(name), ".ovf") {
		return rc, size, err
	}
	return &countingReader{ReadCloser: rc, file: filepath.Base(name), total: size, report: a.report}, size, nil
}

type countingReader struct {
	io.ReadCloser
	file   string
	sent   int64
	total  int64
	report func(Progress)
}

func (r *countingReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	if n > 0 {
		r.sent += int64(n)
		r.report(Progress{File: r.file, Sent: r.sent, Total: r.total})
	}
	return n, err
}
