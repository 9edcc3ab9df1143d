package templates

import (
	"context"
	"reflect"
	"sync"
	"sync/atomic"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// reloginRoundTripper logs in again when a call fails with
// NotAuthenticated and retries that call once. Concurrent failures share
// one login (the generation counter tells who came late).
type reloginRoundTripper struct {
	inner    soap.RoundTripper
	sm       types.ManagedObjectReference
	user     string
	password string
	// active reports whether the session still exists (a NotAuthenticated
	// can be spurious or already healed; logging in again would then fail).
	active func(context.Context) bool

	mu    sync.Mutex
	gen   atomic.Uint64
	count atomic.Int64
}

func newReloginRoundTripper(inner soap.RoundTripper, sm types.ManagedObjectReference, user, password string, active func(context.Context) bool) *reloginRoundTripper {
	return &reloginRoundTripper{inner: inner, sm: sm, user: user, password: password, active: active}
}

func (r *reloginRoundTripper) RoundTrip(ctx context.Context, req, res soap.HasFault) error {
	gen := r.gen.Load()
	err := r.inner.RoundTrip(ctx, req, res)
	if err == nil && !propertiesUnauthenticated(res) || err != nil && !fault.Is(err, &types.NotAuthenticated{}) {
		return err
	}
	switch req.(type) {
	case *methods.LoginBody, *methods.LogoutBody:
		return err
	}
	if lerr := r.login(ctx, gen); lerr != nil {
		if err == nil {
			return lerr
		}
		return err
	}
	resetBody(res)
	return r.inner.RoundTrip(ctx, req, res)
}

// login logs in unless another goroutine already did since gen.
func (r *reloginRoundTripper) login(ctx context.Context, gen uint64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gen.Load() != gen || r.active(ctx) {
		return nil
	}
	req := types.Login{This: r.sm, UserName: r.user, Password: r.password}
	if _, err := methods.Login(ctx, r.inner, &req); err != nil {
		return err
	}
	r.gen.Add(1)
	r.count.Add(1)
	return nil
}

// resetBody clears a response body (including its decoded fault) before
// it is decoded into again.
func resetBody(res soap.HasFault) {
	v := reflect.ValueOf(res)
	if v.Kind() == reflect.Pointer && !v.IsNil() {
		v.Elem().Set(reflect.Zero(v.Elem().Type()))
	}
}

// propertiesUnauthenticated spots property reads answered without a
// session: the server may return every property as missing with
// NotAuthenticated instead of failing the call (vcsim does).
func propertiesUnauthenticated(res soap.HasFault) bool {
	var content []types.ObjectContent
	switch b := res.(type) {
	case *methods.RetrievePropertiesBody:
		if b.Res != nil {
			content = b.Res.Returnval
		}
	case *methods.RetrievePropertiesExBody:
		if b.Res != nil && b.Res.Returnval != nil {
			content = b.Res.Returnval.Objects
		}
	}
	for _, oc := range content {
		for _, m := range oc.MissingSet {
			if _, ok := m.Fault.Fault.(*types.NotAuthenticated); ok {
				return true
			}
		}
	}
	return false
}
