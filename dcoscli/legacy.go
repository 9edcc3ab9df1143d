package dcoscli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/internal/fsutil"
)

// metadataTimeout bounds the read of a legacy cluster's /metadata. CLI 0.5
// uses 1 s; a little more is kinder to a tunnel or a slow VPN.
const metadataTimeout = 5 * time.Second

// LegacyError says a legacy dcos.toml exists that cannot be migrated;
// nothing was changed. ExitCode 2: the user must decide (give the id, or
// set the cluster up with the CLI first).
type LegacyError struct {
	Path, URL string
	Err       error
}

func (e *LegacyError) Error() string {
	return fmt.Sprintf("the DC/OS CLI configuration %s (dcos_url %s) must be moved into the per-cluster layout first, "+
		"because DC/OS CLI 0.5+ migrates it only while %s does not exist, and registering now would hide it from the CLI; "+
		"its CLUSTER_ID could not be read from %s/metadata: %v. Nothing was changed. "+
		"Pass its cluster id (cat /var/lib/dcos/cluster-id on one of its masters) as --legacy-cluster-id, "+
		"or run any `dcos` 0.5+ command once while the cluster is reachable so the CLI migrates it itself",
		e.Path, e.URL, ClustersDir+"/", strings.TrimRight(e.URL, "/"), e.Err)
}

func (e *LegacyError) Unwrap() error { return e.Err }

// ExitCode is 2: a decision for the user, nothing was done.
func (e *LegacyError) ExitCode() int { return 2 }

// migrateLegacy moves a legacy dcos.toml into clusters/<id>/ the way CLI
// 0.5 does (copy, then attach) when clusters/ does not exist yet. It
// returns nil when there is nothing to migrate: no legacy file, clusters/
// already there, or no dcos_url in it (the CLI does not migrate that
// either).
func migrateLegacy(ctx context.Context, dir string, o Options) (*Migration, error) {
	legacy := filepath.Join(dir, ConfigFile)
	data, err := os.ReadFile(legacy)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the DC/OS CLI configuration %s: %w", legacy, err)
	}
	if _, err := os.Stat(filepath.Join(dir, ClustersDir)); err == nil {
		return nil, nil // already in the per-cluster layout; the CLI ignores the global file
	}
	doc, err := decode(data)
	if err != nil {
		return nil, fmt.Errorf("read the DC/OS CLI configuration %s: not valid TOML (%v); fix it first, nothing was changed", legacy, err)
	}
	dcosURL, ok := coreString(doc, "dcos_url")
	if !ok || dcosURL == "" {
		return nil, nil
	}
	id := o.LegacyClusterID
	if id == "" {
		id, err = readClusterID(ctx, o.HTTPClient, doc, dcosURL)
		if err != nil {
			return nil, &LegacyError{Path: legacy, URL: dcosURL, Err: err}
		}
	}
	if !ValidClusterID(id) {
		return nil, &LegacyError{Path: legacy, URL: dcosURL, Err: fmt.Errorf("cluster id %q is not a uuid4", id)}
	}
	dst := filepath.Join(dir, ClustersDir, id, ConfigFile)
	// A copy, as CLI 0.5 makes it: the global file stays for 0.4.x.
	if err := fsutil.WriteAtomic(dst, data, 0o600); err != nil {
		return nil, fmt.Errorf("migrate %s: %w", legacy, err)
	}
	if err := fsutil.WriteAtomic(filepath.Join(filepath.Dir(dst), AttachedFile), nil, 0o600); err != nil {
		return nil, fmt.Errorf("migrate %s: attach it: %w", legacy, err)
	}
	return &Migration{From: legacy, ClusterID: id, URL: dcosURL, Path: dst}, nil
}

// readClusterID asks <dcos_url>/metadata for CLUSTER_ID, with the
// configuration's token and TLS setting, as the CLI would.
func readClusterID(ctx context.Context, client *http.Client, doc map[string]any, dcosURL string) (string, error) {
	if client == nil {
		tr := &http.Transport{Proxy: http.ProxyFromEnvironment}
		verify, _ := coreString(doc, "ssl_verify")
		switch strings.ToLower(verify) {
		case "", "true":
		case "false":
			// The user's own CLI configuration asks for this.
			tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
		default:
			pem, err := os.ReadFile(verify)
			if err != nil {
				return "", fmt.Errorf("ssl_verify CA bundle: %w", err)
			}
			pool := x509.NewCertPool()
			pool.AppendCertsFromPEM(pem)
			tr.TLSClientConfig = &tls.Config{RootCAs: pool}
		}
		client = &http.Client{Transport: tr, Timeout: metadataTimeout}
	}
	ctx, cancel := context.WithTimeout(ctx, metadataTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(dcosURL, "/")+"/metadata", nil)
	if err != nil {
		return "", err
	}
	if tok, ok := coreString(doc, "dcos_acs_token"); ok && tok != "" {
		req.Header.Set("Authorization", "token="+tok)
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	var meta struct {
		ClusterID string `json:"CLUSTER_ID"`
	}
	if err := json.Unmarshal(body, &meta); err != nil {
		return "", fmt.Errorf("not the DC/OS /metadata JSON: %w", err)
	}
	if meta.ClusterID == "" {
		return "", errors.New("no CLUSTER_ID in the answer")
	}
	return meta.ClusterID, nil
}
