package registry_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/dcos-vsphere/dcos-vsphere/lab/acr"
	"github.com/dcos-vsphere/dcos-vsphere/registry"
)

// push puts a new random image (two layers) as repo:tag with the admin
// user and returns its digest.
func push(t *testing.T, r *acr.Registry, repoTag string) string {
	t.Helper()
	img, err := random.Image(512, 2)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(r.Host()+"/"+repoTag, name.StrictValidation)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, labRemote(r)...); err != nil {
		t.Fatalf("push %s: %v", repoTag, err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

func labRemote(r *acr.Registry) []remote.Option {
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: r.RootCAs(), MinVersion: tls.VersionTLS12}}
	return []remote.Option{remote.WithAuth(&authn.Basic{Username: r.AdminUser(), Password: r.AdminPassword(0)}), remote.WithTransport(tr)}
}

// digestOf is what repo:tag names in the registry ("" when it does not exist).
func digestOf(t *testing.T, r *acr.Registry, repoTag string) string {
	t.Helper()
	ref, err := name.ParseReference(r.Host()+"/"+repoTag, name.StrictValidation)
	if err != nil {
		t.Fatal(err)
	}
	d, err := remote.Head(ref, labRemote(r)...)
	var terr *transport.Error
	if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
		return ""
	}
	if err != nil {
		t.Fatalf("head %s: %v", repoTag, err)
	}
	return d.Digest.String()
}

func promote(t *testing.T, c registry.Credentials, r *acr.Registry, o registry.PromoteOptions) (*registry.PromoteResult, error) {
	t.Helper()
	o.RootCAs, o.Timeout = r.RootCAs(), 30*time.Second
	res, err := registry.Promote(context.Background(), c, o)
	if err != nil && c.Password != "" && strings.Contains(err.Error(), c.Password) {
		t.Errorf("the error holds the password: %v", err)
	}
	return res, err
}

func actions(res *registry.PromoteResult) string {
	var out []string
	for _, tg := range res.Tags {
		out = append(out, tg.Reference[strings.LastIndexByte(tg.Reference, ':')+1:]+"="+tg.Action)
	}
	return strings.Join(out, ",")
}

func TestPromoteRetagsTheSameManifest(t *testing.T) {
	r := labRegistry(t)
	first := push(t, r, "promo/app:integration-ready")
	res, err := promote(t, admin(r, 0), r, registry.PromoteOptions{Source: "promo/app:integration-ready", Tags: []string{"production-ready", "1.0.0"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Digest != first || actions(res) != "production-ready=tagged,1.0.0=tagged" || res.CrossRepository {
		t.Errorf("promote: digest %s (want %s), %s, cross %v", res.Digest, first, actions(res), res.CrossRepository)
	}
	for _, tag := range []string{"integration-ready", "production-ready", "1.0.0"} {
		if got := digestOf(t, r, "promo/app:"+tag); got != first {
			t.Errorf("promo/app:%s names %s, want %s", tag, got, first)
		}
	}
	// Again: nothing to do. By digest (with the registry host) as well.
	res, err = promote(t, admin(r, 1), r, registry.PromoteOptions{Source: r.Host() + "/promo/app@" + first, Tags: []string{"production-ready"}})
	if err != nil || actions(res) != "production-ready=unchanged" {
		t.Fatalf("second promotion: %v %v", err, res)
	}

	// A new build moves the moving tag (the previous digest is reported for
	// a rollback) but not the version tag, unless forced.
	next := push(t, r, "promo/app:next")
	res, err = promote(t, admin(r, 0), r, registry.PromoteOptions{Source: "promo/app:next", Tags: []string{"production-ready"}})
	if err != nil || actions(res) != "production-ready=moved" || res.Tags[0].Previous != first {
		t.Fatalf("move production-ready: %v %+v", err, res)
	}
	_, err = promote(t, admin(r, 0), r, registry.PromoteOptions{Source: "promo/app:next", Tags: []string{"2.0.0", "1.0.0"}})
	wantErr(t, err, registry.KindConflict, 2, "tag "+r.Host()+"/promo/app:1.0.0 already names "+first, "--force")
	if got := digestOf(t, r, "promo/app:1.0.0"); got != first {
		t.Errorf("1.0.0 moved although refused: %s", got)
	}
	if got := digestOf(t, r, "promo/app:2.0.0"); got != "" {
		t.Errorf("2.0.0 was written although the promotion was refused: %s", got)
	}
	if _, err := promote(t, admin(r, 0), r, registry.PromoteOptions{Source: "promo/app:next", Tags: []string{"1.0.0"}, Force: true}); err != nil || digestOf(t, r, "promo/app:1.0.0") != next {
		t.Errorf("forced move of 1.0.0: %v", err)
	}
}

func TestPromoteIntoAnotherRepository(t *testing.T) {
	r := labRegistry(t)
	d := push(t, r, "team/app:integration-ready")
	res, err := promote(t, admin(r, 0), r, registry.PromoteOptions{Source: "team/app:integration-ready", DestRepo: "prod/app", Tags: []string{"production-ready", "3.1"}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.CrossRepository || res.Digest != d || actions(res) != "production-ready=tagged,3.1=tagged" {
		t.Errorf("cross-repository promotion: %+v", res)
	}
	for _, tag := range []string{"production-ready", "3.1"} {
		if got := digestOf(t, r, "prod/app:"+tag); got != d {
			t.Errorf("prod/app:%s names %s, want %s", tag, got, d)
		}
	}
	// The copy is a whole image: pullable from the new repository alone.
	o := trusting(r)
	o.Image = "prod/app:3.1"
	if res, err := check(t, admin(r, 0), o); err != nil || res.Image.Digest != d {
		t.Errorf("pull the copy: %v", err)
	}
}

func TestPromoteRefusesBeforeAnythingChanges(t *testing.T) {
	r := labRegistry(t)
	d := push(t, r, "guard/app:integration-ready")

	_, err := promote(t, admin(r, 0), r, registry.PromoteOptions{Source: "guard/app:no-such-tag", Tags: []string{"production-ready"}})
	wantErr(t, err, registry.KindNotFound, 1, `repository guard/app has no image "no-such-tag"`, "integration-ready")

	pull, err := r.AddServicePrincipal(acr.RolePull, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	sp := registry.Credentials{Server: r.Host(), Username: pull.AppID, Password: pull.Secret}
	_, err = promote(t, sp, r, registry.PromoteOptions{Source: "guard/app:integration-ready", Tags: []string{"production-ready"}})
	wantErr(t, err, registry.KindDenied, 3, "user "+pull.AppID+" may not push to guard/app", "AcrPush")

	bad := admin(r, 0)
	bad.Password = "Wrong-Pw-0817"
	_, err = promote(t, bad, r, registry.PromoteOptions{Source: "guard/app:integration-ready", Tags: []string{"production-ready"}})
	wantErr(t, err, registry.KindUnauthorized, 3, "refused user labacr")

	if got := digestOf(t, r, "guard/app:production-ready"); got != "" {
		t.Errorf("a refused promotion wrote production-ready (%s)", got)
	}
	if got := digestOf(t, r, "guard/app:integration-ready"); got != d {
		t.Errorf("the source changed: %s", got)
	}
	if _, err := promote(t, admin(r, 0), r, registry.PromoteOptions{Source: "guard/app", Tags: []string{"x"}}); err == nil || !strings.Contains(err.Error(), "give the tag or digest") {
		t.Errorf("a source without tag: %v", err)
	}
	if _, err := promote(t, admin(r, 0), r, registry.PromoteOptions{Source: "guard/app:integration-ready", Tags: []string{"bad tag"}}); err == nil || !strings.Contains(err.Error(), "not a valid tag") {
		t.Errorf("an invalid tag: %v", err)
	}
	for _, tag := range []string{"1", "1.4.2", "v2", "2.0.0-rc1", "1.2.3+build.7"} {
		if !registry.IsVersionTag(tag) {
			t.Errorf("%s is a version tag", tag)
		}
	}
	for _, tag := range []string{"production-ready", "latest", "integration-ready", "stable"} {
		if registry.IsVersionTag(tag) {
			t.Errorf("%s is not a version tag", tag)
		}
	}
}
