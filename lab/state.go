package lab

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// state is Dir/lab.json: what a lab made, so that `lab status`, `lab
// down` and the next Up (after a crash) can find it. It holds no secret.
type state struct {
	Pid         int    `json:"pid"`
	PidStart    string `json:"pidStart"` // start time of Pid, see processStart
	Bridge      string `json:"bridge"`
	Subnet      string `json:"subnet"`
	NetnsPrefix string `json:"netnsPrefix"`
	LinkPrefix  string `json:"linkPrefix"`
	VCSimHome   string `json:"vcsimHome,omitempty"`
	VCenterURL  string `json:"vcenterURL,omitempty"`
	Thumbprint  string `json:"thumbprint,omitempty"`
	Username    string `json:"username,omitempty"`
}

func (s state) save(dir string) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, stateFileName+".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("write lab state: %w", err)
	}
	return os.Rename(tmp, filepath.Join(dir, stateFileName))
}

func loadState(dir string) (state, error) {
	var s state
	b, err := os.ReadFile(filepath.Join(dir, stateFileName))
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("read lab state %s: %w", filepath.Join(dir, stateFileName), err)
	}
	return s, nil
}
