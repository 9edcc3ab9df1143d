package templates

import (
	"net/url"
	"strings"

	"github.com/dcos-vsphere/dcos-vsphere/config"
)

// ApplyGovcEnv fills empty vCenter fields from the GOVC_* environment that
// vSphere admins already have set for govc. Config values always win.
// Credentials in GOVC_URL move to Username/Password.
func ApplyGovcEnv(vc *config.VCenter, getenv func(string) string) {
	if vc.URL == "" {
		if raw := getenv("GOVC_URL"); raw != "" {
			vc.URL = raw
			if !strings.Contains(raw, "://") {
				raw = "https://" + raw
			}
			if u, err := url.Parse(raw); err == nil && u.User != nil {
				if vc.Username == "" {
					vc.Username = u.User.Username()
				}
				if p, ok := u.User.Password(); ok && !vc.Password.IsSet() && vc.PasswordFile == "" {
					vc.Password = config.NewSecret(p)
				}
				u.User = nil
				vc.URL = u.String()
			}
		}
	}
	fill := func(dst *string, key string) {
		if *dst == "" {
			*dst = getenv(key)
		}
	}
	fill(&vc.Username, "GOVC_USERNAME")
	if !vc.Password.IsSet() && vc.PasswordFile == "" {
		if p := getenv("GOVC_PASSWORD"); p != "" {
			vc.Password = config.NewSecret(p)
		}
	}
	fill(&vc.CAFile, "GOVC_TLS_CA_CERTS")
	fill(&vc.Datacenter, "GOVC_DATACENTER")
	fill(&vc.Datastore, "GOVC_DATASTORE")
	fill(&vc.Network, "GOVC_NETWORK")
	fill(&vc.ResourcePool, "GOVC_RESOURCE_POOL")
	fill(&vc.Folder, "GOVC_FOLDER")
	if !vc.Insecure && vc.Thumbprint == "" && vc.CAFile == "" {
		switch strings.ToLower(getenv("GOVC_INSECURE")) {
		case "1", "true", "yes":
			vc.Insecure = true
		}
	}
}
