package acr

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// SeedImage is a tiny image (one layer holding /hello.txt, linux/amd64,
// Docker schema 2 media types), the same bytes every time.
func SeedImage() (v1.Image, error) {
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	body := []byte("hello from the dcos-vsphere lab registry\n")
	mtime := time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "hello.txt", Mode: 0o644, Size: int64(len(body)), ModTime: mtime, Format: tar.FormatUSTAR}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(body); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	var gzBuf bytes.Buffer
	gz := gzip.NewWriter(&gzBuf) // no name, zero time: reproducible
	if _, err := gz.Write(tarBuf.Bytes()); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	img, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{
		Architecture: "amd64", OS: "linux",
		Config: v1.Config{Cmd: []string{"/bin/cat", "/hello.txt"}},
	})
	if err != nil {
		return nil, err
	}
	return mutate.AppendLayers(img, static.NewLayer(gzBuf.Bytes(), types.DockerLayer))
}

// Seed pushes SeedImage as repo:tag with the admin user (the token flow
// with push scope, like any client) and returns its digest.
func (r *Registry) Seed(ctx context.Context, repo, tag string) (string, error) {
	ref, err := name.ParseReference(r.host+"/"+repo+":"+tag, name.StrictValidation)
	if err != nil {
		return "", fmt.Errorf("lab registry: seed %s:%s: %w", repo, tag, err)
	}
	img, err := SeedImage()
	if err != nil {
		return "", err
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: r.RootCAs(), MinVersion: tls.VersionTLS12}}
	defer tr.CloseIdleConnections()
	auth := &authn.Basic{Username: r.AdminUser(), Password: r.AdminPassword(0)}
	if err := remote.Write(ref, img, remote.WithAuth(auth), remote.WithTransport(tr), remote.WithContext(ctx)); err != nil {
		return "", fmt.Errorf("lab registry: push %s: %w", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	r.logf("seeded %s (%s)", ref, d)
	return d.String(), nil
}
