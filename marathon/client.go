package marathon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Marathon behind Admin Router on a DC/OS 1.9 master: /marathon/ (and
// /service/marathon/, the same upstream).
var basePaths = []string{"/marathon", "/service/marathon"}

// requestTimeout bounds one request.
const requestTimeout = 30 * time.Second

// Client talks to one Marathon through Admin Router.
type Client struct {
	// Cluster names the cluster in messages ("vsphere", "acs").
	Cluster string
	// AdminRouter is the master's Admin Router, e.g. http://10.0.0.11 (or
	// the local end of a tunnel).
	AdminRouter string
	// BasePath is where Marathon is under Admin Router (Connect finds it).
	BasePath string
	// Token is the DC/OS authentication token ("" when auth is off): sent
	// as "Authorization: token=<Token>", DC/OS 1.9's scheme.
	Token string
	HTTP  *http.Client
}

// Info is Marathon's /v2/info (the fields the tool uses).
type Info struct {
	Name        string `json:"name"`
	Version     string `json:"version"`
	Leader      string `json:"leader"`
	FrameworkID string `json:"frameworkId"`
}

// Connect finds Marathon under Admin Router (/marathon, else
// /service/marathon) and returns its /v2/info.
func (c *Client) Connect(ctx context.Context) (Info, error) {
	var info Info
	var first error
	for _, p := range basePaths {
		c.BasePath = p
		err := c.do(ctx, http.MethodGet, "/v2/info", nil, &info)
		var he *HTTPError
		if errors.As(err, &he) && he.Status == http.StatusNotFound {
			if first == nil {
				first = err
			}
			continue
		}
		if err != nil {
			return info, err
		}
		if info.Name != "marathon" && info.Version == "" {
			return info, fmt.Errorf("%s: %s%s/v2/info is not Marathon's (no name or version)", c.Cluster, c.AdminRouter, p)
		}
		return info, nil
	}
	return info, fmt.Errorf("%s: no Marathon under Admin Router at %s (tried %s): %w", c.Cluster, c.AdminRouter, strings.Join(basePaths, ", "), first)
}

// URL is Marathon's base URL.
func (c *Client) URL() string { return strings.TrimSuffix(c.AdminRouter, "/") + c.BasePath }

// HTTPError is an answer Marathon (or Admin Router) gave with an error
// status.
type HTTPError struct {
	Cluster, Method, URL string
	Status               int
	Message              string
	// Deployments are the deployments an app is locked by (409).
	Deployments []string
	// Details are Marathon's validation problems (422), "path: error".
	Details []string
	// TokenGiven says whether the request carried a DC/OS token.
	TokenGiven bool
}

func (e *HTTPError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s %s: HTTP %d", e.Cluster, e.Method, e.URL, e.Status)
	if e.Message != "" {
		b.WriteString(": " + strings.TrimSuffix(e.Message, "."))
	}
	if len(e.Details) > 0 {
		b.WriteString(" (" + strings.Join(e.Details, "; ") + ")")
	}
	switch {
	case e.Auth() && e.TokenGiven:
		b.WriteString(". Admin Router refused the DC/OS token (tokens expire after 5 days): log in again with `dcos auth login` and pass the new token (DCOS_ACS_TOKEN)")
	case e.Auth():
		b.WriteString(". The cluster has DC/OS authentication on (oauth_enabled): log in with the DC/OS CLI (`dcos auth login`) and give the token to dcos-vsphere as DCOS_ACS_TOKEN=$(dcos config show core.dcos_acs_token), or --token-file")
	case e.Status == http.StatusConflict && len(e.Deployments) > 0:
		fmt.Fprintf(&b, ". The app is being changed by deployment %s: wait for it, or deploy again with --force to replace it (still a rolling update)", strings.Join(e.Deployments, ", "))
	}
	return b.String()
}

// Auth reports whether Admin Router refused the request for want of (a
// valid) DC/OS login.
func (e *HTTPError) Auth() bool {
	return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
}

// ExitCode is 3 for authentication failures, else 1.
func (e *HTTPError) ExitCode() int {
	if e.Auth() {
		return 3
	}
	return 1
}

// do sends one request to Marathon and decodes a JSON answer into out.
func (c *Client) do(ctx context.Context, method, path string, body []byte, out any) error {
	_, err := c.send(ctx, method, path, body, out)
	return err
}

// send is do that also returns the answer (status and headers).
func (c *Client) send(ctx context.Context, method, path string, body []byte, out any) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	u := c.URL() + path
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "token="+c.Token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %s %s: %w", c.Cluster, method, u, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: %s %s: %w", c.Cluster, method, u, err)
	}
	if resp.StatusCode >= 300 {
		he := &HTTPError{Cluster: c.Cluster, Method: method, URL: u, Status: resp.StatusCode, TokenGiven: c.Token != ""}
		var m struct {
			Message     string `json:"message"`
			Deployments []struct {
				ID string `json:"id"`
			} `json:"deployments"`
			Details []struct {
				Path   string   `json:"path"`
				Errors []string `json:"errors"`
			} `json:"details"`
		}
		if json.Unmarshal(data, &m) == nil {
			he.Message = m.Message
			for _, d := range m.Deployments {
				he.Deployments = append(he.Deployments, d.ID)
			}
			for _, d := range m.Details {
				he.Details = append(he.Details, d.Path+": "+strings.Join(d.Errors, ", "))
			}
		} else {
			he.Message = strings.TrimSpace(firstLine(string(data)))
		}
		return resp, he
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return resp, fmt.Errorf("%s: %s %s: not the JSON Marathon answers: %w", c.Cluster, method, u, err)
		}
	}
	return resp, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// appPath is /v2/apps/<id> with each part of the id escaped.
func appPath(id string) string {
	parts := strings.Split(strings.Trim(id, "/"), "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return "/v2/apps/" + strings.Join(parts, "/")
}

// Deployment is Marathon's answer to a change: the app's new version and
// the deployment that rolls it out.
type Deployment struct {
	ID      string `json:"deploymentId"`
	Version string `json:"version"`
	// Created is true when the app did not exist (HTTP 201).
	Created bool `json:"created"`
}

// PutApp is PUT /v2/apps/<id>: Marathon creates the app, or rolls every
// task to the new definition. force replaces a deployment that holds the
// app (Marathon's ?force=true; still a rolling update).
func (c *Client) PutApp(ctx context.Context, a *App, force bool) (Deployment, error) {
	body, err := a.JSON()
	if err != nil {
		return Deployment{}, err
	}
	path := appPath(a.ID())
	if force {
		path += "?force=true"
	}
	var d Deployment
	resp, err := c.send(ctx, http.MethodPut, path, body, &d)
	if err != nil {
		return d, err
	}
	d.Created = resp.StatusCode == http.StatusCreated
	if d.ID == "" {
		d.ID = resp.Header.Get("Marathon-Deployment-Id")
	}
	if d.ID == "" || d.Version == "" {
		return d, fmt.Errorf("%s: PUT %s: Marathon answered without a deployment id or version", c.Cluster, c.URL()+path)
	}
	return d, nil
}

// Task is a task of an app as /v2/apps/<id> lists it (active tasks only).
type Task struct {
	ID        string `json:"id"`
	AppID     string `json:"appId"`
	Host      string `json:"host"`
	SlaveID   string `json:"slaveId"`
	State     string `json:"state"`
	Version   string `json:"version"`
	StagedAt  string `json:"stagedAt,omitempty"`
	StartedAt string `json:"startedAt,omitempty"`
}

// TaskFailure is Marathon's lastTaskFailure.
type TaskFailure struct {
	AppID     string `json:"appId"`
	TaskID    string `json:"taskId"`
	Host      string `json:"host"`
	SlaveID   string `json:"slaveId,omitempty"`
	State     string `json:"state"`
	Message   string `json:"message"`
	Timestamp string `json:"timestamp"`
	Version   string `json:"version"`
}

// AppInfo is /v2/apps/<id>'s "app": the definition with the fields the
// tool reads, and what runs.
type AppInfo struct {
	ID          string `json:"id"`
	Instances   int    `json:"instances"`
	Version     string `json:"version"`
	VersionInfo struct {
		LastConfigChangeAt string `json:"lastConfigChangeAt"`
		LastScalingAt      string `json:"lastScalingAt"`
	} `json:"versionInfo"`
	Container *struct {
		Type   string `json:"type"`
		Docker *struct {
			Image string `json:"image"`
		} `json:"docker"`
	} `json:"container"`
	Labels       map[string]string `json:"labels"`
	TasksStaged  int               `json:"tasksStaged"`
	TasksRunning int               `json:"tasksRunning"`
	Tasks        []Task            `json:"tasks"`
	Deployments  []struct {
		ID string `json:"id"`
	} `json:"deployments"`
	LastTaskFailure *TaskFailure `json:"lastTaskFailure"`
}

// Image is the app's container.docker.image.
func (a *AppInfo) Image() string {
	if a.Container != nil && a.Container.Docker != nil {
		return a.Container.Docker.Image
	}
	return ""
}

// ConfigVersion is the version tasks are launched with: the last change
// of the definition (a scaling alone keeps the tasks' version).
func (a *AppInfo) ConfigVersion() string {
	if a.VersionInfo.LastConfigChangeAt != "" {
		return a.VersionInfo.LastConfigChangeAt
	}
	return a.Version
}

// ErrNoApp is App's error for an app Marathon does not have.
var ErrNoApp = errors.New("no such app")

// App is GET /v2/apps/<id> (ErrNoApp when there is none).
func (c *Client) App(ctx context.Context, id string) (*AppInfo, error) {
	var out struct {
		App AppInfo `json:"app"`
	}
	err := c.do(ctx, http.MethodGet, appPath(id)+"?embed=app.tasks&embed=app.deployments&embed=app.lastTaskFailure", nil, &out)
	var he *HTTPError
	if errors.As(err, &he) && he.Status == http.StatusNotFound {
		return nil, fmt.Errorf("%s: app %s: %w", c.Cluster, id, ErrNoApp)
	}
	if err != nil {
		return nil, err
	}
	return &out.App, nil
}

// AppVersion is the app's definition at version (GET
// /v2/apps/<id>/versions/<version>).
func (c *Client) AppVersion(ctx context.Context, id, version string) (*AppInfo, error) {
	var out AppInfo
	if err := c.do(ctx, http.MethodGet, appPath(id)+"/versions/"+url.PathEscape(version), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
