package registry

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Credentials log in to one registry. Server is the registry's login
// server as image references name it: host, or host:port when the
// registry has a port (myreg.azurecr.io, 198.18.0.1:5443).
type Credentials struct {
	Server   string
	Username string
	Password string
}

// Host is Server as the key of a Docker config's auths: lowercase, with
// the port, without scheme or path. Mesos 1.2 matches the image's host[:port]
// against that key exactly; the Docker CLI tries the exact key first.
func (c Credentials) Host() string {
	s := strings.ToLower(strings.TrimSpace(c.Server))
	s = strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "http://")
	s, _, _ = strings.Cut(s, "/")
	return s
}

func (c Credentials) check() error {
	switch {
	case c.Host() == "":
		return errors.New("registry: no server")
	case c.Username == "":
		return errors.New("registry: no username")
	case c.Password == "":
		return errors.New("registry: no password")
	case strings.ContainsAny(c.Username, ":\n"):
		return errors.New("registry: the username contains ':' or a newline")
	}
	return nil
}

// DockerConfigJSON is the Docker config.json that logs in to c's registry:
// {"auths":{"<host>":{"auth":"<base64 user:password>"}}}. It is the body
// of /etc/mesosphere/docker_credentials (the Mesos agent's --docker_config)
// and of .docker/config.json inside the archive.
func DockerConfigJSON(c Credentials) ([]byte, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	type entry struct {
		Auth string `json:"auth"`
	}
	doc := struct {
		Auths map[string]entry `json:"auths"`
	}{Auths: map[string]entry{c.Host(): {Auth: base64.StdEncoding.EncodeToString([]byte(c.Username + ":" + c.Password))}}}
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// archiveTime is the fixed modification time of every archive entry, so
// the same credentials always give the same bytes (and sha256).
var archiveTime = time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)

// Archive is the docker.tar.gz a Marathon app fetches with
// "uris": ["file:///etc/docker.tar.gz"]: the entries .docker/ (0700) and
// .docker/config.json (0600), owned by uid/gid 0, with a fixed mtime and
// a gzip header without name or time, so that it is byte-for-byte the
// same for the same credentials.
func Archive(c Credentials) ([]byte, error) {
	cfg, err := DockerConfigJSON(c)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	gz, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(gz)
	hdrs := []*tar.Header{
		{Typeflag: tar.TypeDir, Name: ".docker/", Mode: 0o700, ModTime: archiveTime, Format: tar.FormatUSTAR},
		{Typeflag: tar.TypeReg, Name: ".docker/config.json", Mode: 0o600, Size: int64(len(cfg)), ModTime: archiveTime, Format: tar.FormatUSTAR},
	}
	for _, h := range hdrs {
		h.Uname, h.Gname = "root", "root"
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("docker.tar.gz: %w", err)
		}
	}
	if _, err := tw.Write(cfg); err != nil {
		return nil, fmt.Errorf("docker.tar.gz: %w", err)
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("docker.tar.gz: %w", err)
	}
	if err := gz.Close(); err != nil {
		return nil, fmt.Errorf("docker.tar.gz: %w", err)
	}
	return buf.Bytes(), nil
}

// SHA256 is the hex sha256 of data, as sha256sum prints it; the tool
// compares a node's files by it before rewriting them.
func SHA256(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
