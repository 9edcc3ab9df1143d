package main

import (
	"context"
	"os"
	"sync"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/templates"
)

// liveInventory answers the guided setup's pick-lists from vCenter itself,
// over one session that is opened again only when the vCenter answers
// (URL, user, trust) change between pages.
type liveInventory struct {
	mu      sync.Mutex
	key     config.VCenter
	session *templates.Session
}

func (l *liveInventory) lookup(ctx context.Context, field string, vc config.VCenter) ([]string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	templates.ApplyGovcEnv(&vc, os.Getenv)
	key := config.VCenter{URL: vc.URL, Username: vc.Username, Password: vc.Password, PasswordFile: vc.PasswordFile,
		CAFile: vc.CAFile, Thumbprint: vc.Thumbprint, Insecure: vc.Insecure}
	if l.session == nil || key.URL != l.key.URL || key.Username != l.key.Username || key.Password.Value() != l.key.Password.Value() ||
		key.PasswordFile != l.key.PasswordFile || key.CAFile != l.key.CAFile || key.Thumbprint != l.key.Thumbprint || key.Insecure != l.key.Insecure {
		l.closeLocked()
		s, err := templates.Connect(ctx, templates.Options{VCenter: vc})
		if err != nil {
			return nil, err
		}
		l.session, l.key = s, key
	}
	return l.session.Names(ctx, field, vc)
}

func (l *liveInventory) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closeLocked()
}

func (l *liveInventory) closeLocked() {
	if l.session != nil {
		_ = l.session.Close(context.Background())
		l.session = nil
	}
}
