package main

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/dcos-vsphere/dcos-vsphere/config"
	"github.com/dcos-vsphere/dcos-vsphere/templates"
	"github.com/dcos-vsphere/dcos-vsphere/tui"
)

// liveVCenter is the guided setup's vCenter (tui.VCenter), through
// package templates: one session, opened by Login and used by every
// lookup after it. Lookups never log in, so a wrong password costs one
// failed login, not one per pick-list.
type liveVCenter struct {
	mu      sync.Mutex
	key     config.VCenter // the answers the session was opened with
	session *templates.Session
}

// Certificate checks vCenter's certificate without logging in.
func (l *liveVCenter) Certificate(ctx context.Context, vc config.VCenter) (tui.ServerCert, error) {
	c, err := templates.ProbeCertificate(ctx, vc)
	if err != nil {
		return tui.ServerCert{}, err
	}
	return tui.ServerCert{SHA256: c.SHA256, Subject: c.Subject, Issuer: c.Issuer, NotAfter: c.NotAfter, Trusted: c.Trusted, Problem: c.Problem}, nil
}

// Login opens the session, unless one with the same answers stands.
func (l *liveVCenter) Login(ctx context.Context, vc config.VCenter) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := loginAnswers(vc)
	if l.session != nil && key == l.key {
		return nil
	}
	l.closeLocked()
	s, err := templates.Connect(ctx, templates.Options{VCenter: vc})
	if err != nil {
		if fault.Is(err, &types.InvalidLogin{}) {
			return fmt.Errorf("%w: %v", tui.ErrLoginRefused, err)
		}
		return err
	}
	l.session, l.key = s, key
	return nil
}

// Names lists inventory over the session Login opened.
func (l *liveVCenter) Names(ctx context.Context, field string, vc config.VCenter) ([]string, error) {
	l.mu.Lock()
	s := l.session
	l.mu.Unlock()
	if s == nil {
		return nil, errors.New("not logged in to vCenter")
	}
	return s.Names(ctx, field, vc)
}

func (l *liveVCenter) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closeLocked()
}

func (l *liveVCenter) closeLocked() {
	if l.session != nil {
		_ = l.session.Close(context.Background())
		l.session = nil
	}
}

// loginAnswers is what identifies a session: the connection fields only.
func loginAnswers(vc config.VCenter) config.VCenter {
	return config.VCenter{URL: vc.URL, Username: vc.Username, Password: vc.Password, PasswordFile: vc.PasswordFile,
		CAFile: vc.CAFile, Thumbprint: vc.Thumbprint, Insecure: vc.Insecure}
}
