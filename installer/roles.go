package installer

import "github.com/dcos-vsphere/dcos-vsphere/config"

// Roles as the installer names them: the config's role names.
const (
	RoleBootstrap   = string(config.RoleBootstrap)
	RoleMaster      = string(config.RoleMaster)
	RoleAgent       = string(config.RoleAgent)
	RolePublicAgent = string(config.RolePublicAgent)
)
