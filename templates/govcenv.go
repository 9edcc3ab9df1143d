package templates

import (
	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// ApplyGovcEnv fills empty vCenter fields from the GOVC_* environment that
// vSphere admins already have set for govc. Config values always win.
// Credentials in GOVC_URL move to Username/Password. The rules are
// config.ApplyGovcEnv's (config.Load applies them already, so applying
// them again to a loaded config changes nothing); this is for a
// VCenter built in code (the guided setup's lookups).
func ApplyGovcEnv(vc *config.VCenter, getenv func(string) string) {
	config.ApplyGovcEnv(vc, getenv)
}
