package marathon

import (
	"context"
	"sort"
)

// AppStatus is what runs of an app: its current definition's image and
// digest, and its active tasks per version and state.
type AppStatus struct {
	ID        string `json:"id"`
	Version   string `json:"version"`
	Instances int    `json:"instances"`
	Image     string `json:"image"`
	// Digest is the manifest digest the image pins, else the one the tool
	// recorded when it deployed a tag (label dcos-vsphere/digest).
	Digest string `json:"digest,omitempty"`
	// Tasks counts the active tasks by state (TASK_RUNNING, TASK_STAGING, ...).
	Tasks   map[string]int `json:"tasks"`
	Running int            `json:"running"`
	// Versions are the definitions the active tasks run, newest first.
	Versions    []VersionTasks `json:"versions"`
	Deployments []string       `json:"deployments,omitempty"`
	LastFailure *TaskFailure   `json:"lastTaskFailure,omitempty"`
}

// VersionTasks are the active tasks of one definition.
type VersionTasks struct {
	Version string         `json:"version"`
	Image   string         `json:"image"`
	Digest  string         `json:"digest,omitempty"`
	Tasks   map[string]int `json:"tasks"`
	Hosts   []string       `json:"hosts"`
}

// Status reads app id and the definitions its tasks run
// (/v2/apps/<id>/versions/<v> for versions older than the current one).
func (c *Client) Status(ctx context.Context, id string) (*AppStatus, error) {
	app, err := c.App(ctx, id)
	if err != nil {
		return nil, err
	}
	st := &AppStatus{ID: app.ID, Version: app.Version, Instances: app.Instances, Image: app.Image(),
		Digest: appDigest(app), Tasks: map[string]int{}, LastFailure: app.LastTaskFailure}
	for _, d := range app.Deployments {
		st.Deployments = append(st.Deployments, d.ID)
	}
	current := app.ConfigVersion()
	byVersion := map[string]*VersionTasks{}
	for _, t := range app.Tasks {
		st.Tasks[t.State]++
		if t.State == "TASK_RUNNING" {
			st.Running++
		}
		v := t.Version
		if v >= current {
			v = current
		}
		vt := byVersion[v]
		if vt == nil {
			vt = &VersionTasks{Version: v, Tasks: map[string]int{}}
			byVersion[v] = vt
			if v == current {
				vt.Image, vt.Digest = st.Image, st.Digest
			} else if old, err := c.AppVersion(ctx, id, v); err == nil {
				vt.Image, vt.Digest = old.Image(), appDigest(old)
			}
		}
		vt.Tasks[t.State]++
		vt.Hosts = append(vt.Hosts, t.Host)
	}
	for _, vt := range byVersion {
		sort.Strings(vt.Hosts)
		st.Versions = append(st.Versions, *vt)
	}
	sort.Slice(st.Versions, func(i, j int) bool { return st.Versions[i].Version > st.Versions[j].Version })
	return st, nil
}

func appDigest(a *AppInfo) string {
	if d := DigestOf(a.Image()); d != "" {
		return d
	}
	return a.Labels[LabelDigest]
}
