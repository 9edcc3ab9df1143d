package registry

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// PromoteOptions says what Promote puts where.
type PromoteOptions struct {
	// CAFile and RootCAs are as in CheckOptions (TLS is always verified).
	CAFile  string
	RootCAs *x509.CertPool
	// Source is the image to promote: "repo:tag" or "repo@sha256:...",
	// optionally starting with the registry's host.
	Source string
	// Tags are the tags the source's manifest is put under (at least one).
	Tags []string
	// DestRepo is the repository of Tags ("" = the source's): another
	// repository gets a copy whose blobs are mounted from the source.
	DestRepo string
	// Force allows moving a version tag (1.4.2, v2) that already names
	// another digest. Moving tags (production-ready) move without it.
	Force bool
	// Timeout bounds the whole promotion (default 2 minutes).
	Timeout time.Duration
}

// DefaultPromoteTimeout bounds a promotion when PromoteOptions.Timeout is 0.
const DefaultPromoteTimeout = 2 * time.Minute

// Promotion actions of one tag.
const (
	ActionTagged    = "tagged"    // the tag did not exist
	ActionMoved     = "moved"     // the tag named another digest
	ActionUnchanged = "unchanged" // the tag already named this digest
)

// PromoteResult is what Promote did.
type PromoteResult struct {
	Server   string `json:"server"`
	Username string `json:"username"`
	// Source is the promoted image as given, with its manifest digest and
	// media type.
	Source    string `json:"source"`
	Digest    string `json:"digest"`
	MediaType string `json:"mediaType"`
	// CrossRepository is true when Tags live in another repository than
	// the source (a copy with blob mounts).
	CrossRepository bool          `json:"crossRepository"`
	Tags            []PromotedTag `json:"tags"`
}

// PromotedTag is one destination tag.
type PromotedTag struct {
	Reference string `json:"reference"` // host/repo:tag
	// Previous is the digest the tag named before ("" when it was new): a
	// moved tag is rolled back by promoting Previous to it.
	Previous string `json:"previous,omitempty"`
	Action   string `json:"action"`
}

// versionTag looks like a release version (1.4.2, v2, 2.0.0-rc1): such a
// tag names one build forever, so Promote refuses to move it.
var versionTag = regexp.MustCompile(`^v?[0-9]+(\.[0-9]+){0,3}([-+][0-9A-Za-z.-]+)?$`)

// IsVersionTag reports whether tag looks like a release version, which
// Promote does not move without PromoteOptions.Force.
func IsVersionTag(tag string) bool { return versionTag.MatchString(tag) }

// Promote puts the manifest of o.Source, byte for byte (so the digest
// stays the same), under each of o.Tags: within the source's repository
// one manifest PUT per tag (ggcr's remote.Tag); into o.DestRepo a copy
// whose layers are mounted from the source repository. Everything that
// can refuse is checked before anything changes: the login, the source
// tag or digest (KindNotFound, exit 1), the right to push (KindDenied,
// exit 3), version tags that would move (KindConflict, exit 2). The
// result is verified by reading every tag back.
func Promote(ctx context.Context, c Credentials, o PromoteOptions) (*PromoteResult, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	res := &PromoteResult{Server: c.Host(), Username: c.Username, Source: o.Source}
	if len(o.Tags) == 0 {
		return res, errors.New("promote: no tag to promote to")
	}
	reg, err := name.NewRegistry(c.Host(), name.StrictValidation)
	if err != nil {
		return res, fmt.Errorf("registry %s: not a registry host[:port]: %w", c.Host(), err)
	}
	src, srcRepo, err := ParseImage(c.Host(), o.Source)
	if err != nil {
		return res, err
	}
	if src == nil {
		return res, fmt.Errorf("promote %s: give the tag or digest to promote (repository:tag or repository@sha256:...)", o.Source)
	}
	dstRepo := srcRepo
	if o.DestRepo != "" {
		ref, repo, err := ParseImage(c.Host(), o.DestRepo)
		if err != nil {
			return res, err
		}
		if ref != nil {
			return res, fmt.Errorf("promote: the destination repository %q must not carry a tag or digest", o.DestRepo)
		}
		dstRepo = repo
	}
	res.CrossRepository = dstRepo.RepositoryStr() != srcRepo.RepositoryStr()
	tags := make([]name.Tag, 0, len(o.Tags))
	for _, t := range o.Tags {
		tag, err := name.NewTag(dstRepo.Name()+":"+t, name.StrictValidation)
		if err != nil {
			return res, fmt.Errorf("promote: %q is not a valid tag: %w", t, err)
		}
		tags = append(tags, tag)
	}

	tr, err := newTransport(CheckOptions{CAFile: o.CAFile, RootCAs: o.RootCAs})
	if err != nil {
		return res, fmt.Errorf("registry %s: %w", c.Host(), err)
	}
	defer tr.CloseIdleConnections()
	rt := httpsOnly{tr}
	if o.Timeout <= 0 {
		o.Timeout = DefaultPromoteTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	ck := &checker{c: c, res: &Result{Server: c.Host(), Username: c.Username}, timeout: o.Timeout}
	auth := &authn.Basic{Username: c.Username, Password: c.Password}

	// 1. Log in (a wrong password is told apart from a missing image).
	if _, err := transport.Ping(ctx, reg, rt); err != nil {
		return res, ck.connectError(err)
	}
	authed, err := transport.NewWithContext(ctx, reg, auth, rt, []string{srcRepo.Scope(transport.PullScope)})
	if err != nil {
		return res, ck.loginError(err)
	}
	ops := []remote.Option{remote.WithAuth(auth), remote.WithTransport(rt), remote.WithContext(ctx)}

	// 2. The source manifest.
	what := "promote " + strings.TrimPrefix(src.Name(), c.Host()+"/")
	desc, err := remote.Get(src, remote.WithTransport(authed), remote.WithContext(ctx))
	if err != nil {
		return res, ck.missingImage(ctx, what, src, authed, err)
	}
	res.Digest, res.MediaType = desc.Digest.String(), string(desc.MediaType)

	// 3. The right to push, before anything is written.
	if _, err := ck.push(ctx, reg, dstRepo, auth, rt); err != nil {
		return res, err
	}

	// 4. What each tag names now; a version tag is never moved silently.
	for _, tag := range tags {
		pt := PromotedTag{Reference: tag.Name(), Action: ActionTagged}
		cur, err := remote.Head(tag, ops...)
		var terr *transport.Error
		switch {
		case err == nil:
			pt.Previous = cur.Digest.String()
			pt.Action = ActionMoved
			if pt.Previous == res.Digest {
				pt.Action = ActionUnchanged
			} else if IsVersionTag(tag.TagStr()) && !o.Force {
				return res, ck.newError(KindConflict, what, fmt.Sprintf("tag %s already names %s: a version tag names one build for good", tag.Name(), pt.Previous),
					"promote to a new version tag, or give --force to move it anyway", errors.New("version tag exists"))
			}
		case errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound:
		default:
			return res, ck.registryError("read "+tag.Name(), dstRepo.RepositoryStr(), tag.TagStr(), err)
		}
		res.Tags = append(res.Tags, pt)
	}

	// 5. Write: the same manifest bytes under every tag. Into another
	// repository the first write copies (blobs mounted), the others retag.
	inDest := !res.CrossRepository
	for _, t := range res.Tags {
		inDest = inDest || t.Action == ActionUnchanged
	}
	for i, tag := range tags {
		if res.Tags[i].Action == ActionUnchanged {
			continue
		}
		var err error
		switch {
		case inDest:
			err = remote.Tag(tag, desc, ops...)
		case desc.MediaType.IsIndex():
			idx, ierr := desc.ImageIndex()
			if ierr != nil {
				return res, ck.registryError(what, srcRepo.RepositoryStr(), src.Identifier(), ierr)
			}
			err = remote.WriteIndex(tag, idx, ops...)
		default:
			img, ierr := desc.Image()
			if ierr != nil {
				return res, ck.registryError(what, srcRepo.RepositoryStr(), src.Identifier(), ierr)
			}
			err = remote.Write(tag, img, ops...)
		}
		if err != nil {
			return res, ck.registryError("push "+tag.Name(), dstRepo.RepositoryStr(), tag.TagStr(), err)
		}
		inDest = true
	}

	// 6. Read every tag back.
	for _, tag := range tags {
		got, err := remote.Head(tag, ops...)
		if err != nil {
			return res, ck.registryError("verify "+tag.Name(), dstRepo.RepositoryStr(), tag.TagStr(), err)
		}
		if got.Digest.String() != res.Digest {
			return res, ck.newError(KindOther, "verify "+tag.Name(), fmt.Sprintf("the registry says %s, not the promoted %s", got.Digest, res.Digest), "", errors.New("digest mismatch"))
		}
	}
	return res, nil
}
