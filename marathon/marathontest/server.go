// Package marathontest is an in-memory Marathon 1.4 behind Admin Router
// for tests of code that deploys (the marathon and deploy packages): one
// app, tasks and deployments the test scripts, the answers and error
// bodies Marathon gives.
package marathontest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/dcos-vsphere/dcos-vsphere/marathon"
)

// Server is the fake. Fields may be changed by the test between requests
// and by Step (which runs under the server's lock).
type Server struct {
	mu sync.Mutex
	// Prefix is where Marathon is under Admin Router ("/marathon").
	Prefix string
	// Token, when set, is required ("Authorization: token=<Token>").
	Token string
	// URL is Admin Router's address; Client reaches it.
	URL    string
	Client *http.Client

	AppID       string
	App         map[string]any            // the current definition, nil before the first PUT
	Versions    map[string]map[string]any // every definition by version
	Tasks       []marathon.Task
	Deployments []string
	Failure     *marathon.TaskFailure
	// Locked makes a PUT without force=true answer 409.
	Locked bool
	// Puts are the query strings of the PUTs received.
	Puts []string
	// Step runs on every GET of the app, before the answer.
	Step func(s *Server)
	// AutoRun, on every GET of the app, makes the current definition's
	// tasks run on Hosts (one per instance) and ends its deployments: a
	// cluster where every launch works.
	AutoRun bool
	Hosts   []string
	clock   int
}

// New starts a fake Marathon at prefix, closed with the test.
func New(t testing.TB, prefix string) *Server {
	s := &Server{Prefix: prefix, Versions: map[string]map[string]any{}, Hosts: []string{"10.0.0.21", "10.0.0.22", "10.0.0.23"}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	s.URL, s.Client = srv.URL, srv.Client()
	return s
}

// Marathon is a client of the fake.
func (s *Server) Marathon(cluster string) *marathon.Client {
	return &marathon.Client{Cluster: cluster, AdminRouter: s.URL, BasePath: s.Prefix, HTTP: s.Client}
}

// Do runs f under the server's lock.
func (s *Server) Do(f func(s *Server)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

func (s *Server) now() string {
	s.clock++
	return fmt.Sprintf("2017-07-01T10:%02d:%02d.000Z", s.clock/60, s.clock%60)
}

// Version is the current definition's version.
func (s *Server) Version() string {
	if s.App == nil {
		return ""
	}
	return s.App["version"].(string)
}

func (s *Server) autoRun() {
	v := s.Version()
	n := 1
	if f, ok := s.App["instances"].(float64); ok {
		n = int(f)
	}
	var tasks []marathon.Task
	for i := 0; i < n; i++ {
		tasks = append(tasks, marathon.Task{ID: fmt.Sprintf("%s.%d", strings.Trim(s.AppID, "/"), i), AppID: s.AppID, State: "TASK_RUNNING",
			Version: v, Host: s.Hosts[i%len(s.Hosts)]})
	}
	s.Tasks, s.Deployments = tasks, nil
}

// ServeHTTP answers like Marathon 1.4 behind Admin Router.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	reply := func(code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(v)
	}
	if s.Token != "" && r.Header.Get("Authorization") != "token="+s.Token {
		reply(401, map[string]string{"message": "Unauthorized"})
		return
	}
	path, ok := strings.CutPrefix(r.URL.Path, s.Prefix)
	if !ok {
		reply(404, map[string]string{"message": "not found"})
		return
	}
	id, sub := "", ""
	if rest, ok := strings.CutPrefix(path, "/v2/apps/"); ok {
		id, sub, _ = strings.Cut(rest, "/versions/")
		id = "/" + id
		if sub != "" {
			sub = "/versions/" + sub
		}
	}
	switch {
	case path == "/v2/info":
		reply(200, map[string]string{"name": "marathon", "version": "1.4.12", "leader": "10.0.0.11:8080"})
	case path == "/v2/deployments":
		out := []map[string]any{}
		for _, d := range s.Deployments {
			out = append(out, map[string]any{"id": d, "affectedApps": []string{s.AppID}})
		}
		reply(200, out)
	case id != "" && r.Method == http.MethodPut:
		s.Puts = append(s.Puts, r.URL.RawQuery)
		if s.Locked && r.URL.Query().Get("force") != "true" {
			reply(409, map[string]any{"message": "App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'.",
				"deployments": []map[string]string{{"id": "dep-old"}}})
			return
		}
		body, _ := io.ReadAll(r.Body)
		var def map[string]any
		if err := json.Unmarshal(body, &def); err != nil {
			reply(400, map[string]string{"message": "Invalid JSON"})
			return
		}
		if def["container"] == nil {
			reply(422, map[string]any{"message": "Object is not valid", "details": []map[string]any{{"path": "/container", "errors": []string{"error.path.missing"}}}})
			return
		}
		created := s.App == nil
		v := s.now()
		def["version"] = v
		def["versionInfo"] = map[string]string{"lastConfigChangeAt": v}
		s.AppID, s.App = id, def
		s.Versions[v] = def
		s.Deployments = append(s.Deployments, "dep-"+v)
		code := 200
		if created {
			code = 201
		}
		reply(code, map[string]string{"version": v, "deploymentId": "dep-" + v})
	case id != "" && sub == "":
		if s.App == nil || id != s.AppID {
			reply(404, map[string]string{"message": fmt.Sprintf("App '%s' does not exist", id)})
			return
		}
		if s.Step != nil {
			s.Step(s)
		}
		if s.AutoRun {
			s.autoRun()
		}
		app := map[string]any{}
		for k, v := range s.App {
			app[k] = v
		}
		app["tasks"] = s.Tasks
		deps := []map[string]string{}
		for _, d := range s.Deployments {
			deps = append(deps, map[string]string{"id": d})
		}
		app["deployments"] = deps
		if s.Failure != nil {
			app["lastTaskFailure"] = s.Failure
		}
		reply(200, map[string]any{"app": app})
	case id != "":
		if def, ok := s.Versions[strings.TrimPrefix(sub, "/versions/")]; ok {
			reply(200, def)
			return
		}
		reply(404, map[string]string{"message": "no version"})
	default:
		reply(404, map[string]string{"message": "URI not found: " + path})
	}
}
