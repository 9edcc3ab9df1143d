package installer

import (
	"encoding/json"
	"fmt"
)

// Health endpoints of DC/OS 1.9 (reference §7). The installer reads them
// on each node through its SSH connection (curl to 127.0.0.1), so the
// check works wherever SSH works, whatever the firewall between the
// installer and the cluster allows.
const (
	exhibitorStatusURL = "http://127.0.0.1:8181/exhibitor/v1/cluster/status"
	masterMetricsURL   = "http://127.0.0.1:5050/metrics/snapshot"
	agentMetricsURL    = "http://127.0.0.1:5051/metrics/snapshot"
	dcosVersionURL     = "http://127.0.0.1/dcos-metadata/dcos-version.json"
)

// exhibitorMember is one entry of Exhibitor's cluster status.
type exhibitorMember struct {
	Code        int    `json:"code"`
	Description string `json:"description"`
	Hostname    string `json:"hostname"`
	IsLeader    bool   `json:"isLeader"`
}

// checkExhibitor accepts the status when every master serves and exactly
// one leads.
func checkExhibitor(body []byte, masters int) error {
	var members []exhibitorMember
	if err := json.Unmarshal(body, &members); err != nil {
		return fmt.Errorf("exhibitor status is not JSON: %w", err)
	}
	serving, leaders := 0, 0
	for _, m := range members {
		if m.Description == "serving" {
			serving++
		}
		if m.IsLeader {
			leaders++
		}
	}
	if serving != masters || leaders != 1 {
		return fmt.Errorf("exhibitor: %d of %d masters serving, %d leaders (want %d serving, 1 leader)", serving, len(members), leaders, masters)
	}
	return nil
}

// checkMetric accepts a Mesos metrics snapshot whose key equals 1.
func checkMetric(body []byte, key string) error {
	var m map[string]float64
	if err := json.Unmarshal(body, &m); err != nil {
		return fmt.Errorf("metrics snapshot is not JSON: %w", err)
	}
	v, ok := m[key]
	if !ok {
		return fmt.Errorf("metrics snapshot has no %s", key)
	}
	if v != 1 {
		return fmt.Errorf("%s = %v, want 1", key, v)
	}
	return nil
}

// dcosVersion reads dcos-version.json.
func dcosVersion(body []byte) (string, error) {
	var v struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return "", fmt.Errorf("dcos-version.json is not JSON: %w", err)
	}
	if v.Version == "" {
		return "", fmt.Errorf("dcos-version.json has no version")
	}
	return v.Version, nil
}
