package lab

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/lab/acr"
)

// The lab registry (package lab/acr) on the gateway: its files in Dir and
// what it is seeded with.
const (
	acrDirName       = "acr"
	acrName          = "labacr"
	acrAdminPwFile   = "acr-admin-password"
	acrAdminPw2File  = "acr-admin-password2"
	acrPullSPFile    = "acr-sp-pull-secret"
	acrExpiredSPFile = "acr-sp-expired-secret"
)

// DefaultACRPort is Options.ACRPort's default: the lab registry's HTTPS
// port on the gateway.
const DefaultACRPort = 5443

// The image every lab registry is seeded with (acr.SeedImage).
const (
	ACRSeededRepository = "samples/hello"
	ACRSeededTag        = "1.0"
)

// acrSecretFiles are removed by Cleanup.
var acrSecretFiles = []string{acrAdminPwFile, acrAdminPw2File, acrPullSPFile, acrExpiredSPFile}

// ACR describes the lab's container registry, an ACR stand-in on the
// gateway that every lab host (and a network routed to the gateway) can
// reach. Secrets are in 0600 files; this value holds none.
type ACR struct {
	// Host is the login server, gateway:port (198.18.0.1:5443): what image
	// references and docker configs name.
	Host string
	// CAFile is the lab CA (PEM) that signed the registry's certificate
	// (SAN = the gateway IP). Lab hosts trust it as docker does, in
	// /etc/docker/certs.d/<Host>/ca.crt.
	CAFile string
	// Admin is the admin user (the registry name); AdminPasswordFiles hold
	// its two passwords (ACR's "password" and "password2").
	Admin              string
	AdminPasswordFiles [2]string
	// PullSP is a service principal with AcrPull, valid for a year;
	// ExpiredSP one whose secret expired yesterday.
	PullSP, ExpiredSP ServicePrincipal
	// Image is the seeded image, repository:tag (samples/hello:1.0), and
	// ImageDigest its manifest digest.
	Image, ImageDigest string
}

// ServicePrincipal is a lab registry service principal: its app id (the
// user name) and the file holding its secret.
type ServicePrincipal struct {
	AppID      string
	SecretFile string
	Expires    time.Time
}

// ACR returns the lab registry's address, CA and credential files.
func (l *Lab) ACR() ACR { return l.acrInfo }

// ACRRegistry is the running lab registry itself, for tests that add
// service principals or renew passwords (acr.Registry methods).
func (l *Lab) ACRRegistry() *acr.Registry { return l.acr }

// startACR starts the lab registry on gateway:o.ACRPort, writes its
// secrets into 0600 files in Dir, seeds samples/hello:1.0 and makes the
// hosts' docker trust its CA.
func (l *Lab) startACR(ctx context.Context) error {
	o := l.opts
	addr := netip.AddrPortFrom(o.gateway(), uint16(o.ACRPort)).String()
	r, err := acr.Start(ctx, acr.Options{Dir: filepath.Join(o.Dir, acrDirName), Addr: addr, Name: acrName, Log: o.Log})
	if err != nil {
		return fmt.Errorf("lab up: registry: %w", err)
	}
	l.acr = r
	info := ACR{Host: r.Host(), CAFile: r.CAFile(), Admin: r.AdminUser(), Image: ACRSeededRepository + ":" + ACRSeededTag}
	for i, name := range []string{acrAdminPwFile, acrAdminPw2File} {
		if info.AdminPasswordFiles[i], err = writeSecretFile(o.Dir, name, r.AdminPassword(i)+"\n"); err != nil {
			return fmt.Errorf("lab up: registry password file: %w", err)
		}
	}
	now := time.Now()
	for _, sp := range []struct {
		dst     *ServicePrincipal
		file    string
		expires time.Time
	}{{&info.PullSP, acrPullSPFile, now.AddDate(1, 0, 0)}, {&info.ExpiredSP, acrExpiredSPFile, now.AddDate(0, 0, -1)}} {
		p, err := r.AddServicePrincipal(acr.RolePull, sp.expires)
		if err != nil {
			return err
		}
		f, err := writeSecretFile(o.Dir, sp.file, p.Secret+"\n")
		if err != nil {
			return fmt.Errorf("lab up: registry secret file: %w", err)
		}
		*sp.dst = ServicePrincipal{AppID: p.AppID, SecretFile: f, Expires: sp.expires}
	}
	if info.ImageDigest, err = r.Seed(ctx, ACRSeededRepository, ACRSeededTag); err != nil {
		return fmt.Errorf("lab up: seed the registry: %w", err)
	}
	// docker trusts a registry's private CA from certs.d: an admin puts it
	// into the template; the lab puts it into every host's /etc.
	if err := trustRegistry(l.base, r.Host(), r.CAPEM()); err != nil {
		return fmt.Errorf("lab up: hosts: %w", err)
	}
	// The machine's docker-registry package config is no part of CentOS.
	_ = os.RemoveAll(l.base.path(filepath.Join("etc", "docker", "registry")))
	l.acrInfo = info
	return nil
}

// cleanupACR removes what a lab registry left in dir: its process (by
// its pid file), its directory and the secret files.
func cleanupACR(dir string) []error {
	var errs []error
	if err := acr.Cleanup(filepath.Join(dir, acrDirName)); err != nil {
		errs = append(errs, err)
	}
	for _, f := range acrSecretFiles {
		if err := os.Remove(filepath.Join(dir, f)); err != nil && !os.IsNotExist(err) {
			errs = append(errs, err)
		}
	}
	return errs
}
