package marathon_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/marathon"
	"github.com/dcos-vsphere/dcos-vsphere/marathon/marathontest"
)

func newFake(t *testing.T, prefix string) (*marathontest.Server, *marathon.Client) {
	f := marathontest.New(t, prefix)
	return f, &marathon.Client{Cluster: "vsphere", AdminRouter: f.URL, HTTP: f.Client}
}

func front(t *testing.T, image string, instances int) *marathon.App {
	a, err := marathon.ParseApp([]byte(fmt.Sprintf(`{"id": "/shop/front", "instances": %d, "container": {"type": "DOCKER", "docker": {"image": %q}}}`, instances, image)), "front.json")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestConnectFindsMarathonAndExplainsAuth(t *testing.T) {
	_, c := newFake(t, "/service/marathon")
	info, err := c.Connect(context.Background())
	if err != nil || c.BasePath != "/service/marathon" || info.Version != "1.4.12" {
		t.Fatalf("connect: %v, base %s, info %+v", err, c.BasePath, info)
	}
	f, c := newFake(t, "/marathon")
	f.Token = "tok-123"
	_, err = c.Connect(context.Background())
	var he *marathon.HTTPError
	if !errors.As(err, &he) || he.ExitCode() != 3 || !strings.Contains(err.Error(), "DC/OS authentication on (oauth_enabled)") || !strings.Contains(err.Error(), "dcos auth login") {
		t.Fatalf("OAuth on, no token: %v", err)
	}
	c.Token = "expired"
	if _, err = c.Connect(context.Background()); err == nil || !strings.Contains(err.Error(), "refused the DC/OS token") {
		t.Fatalf("wrong token: %v", err)
	}
	c.Token = "tok-123"
	if _, err = c.Connect(context.Background()); err != nil || c.BasePath != "/marathon" {
		t.Fatalf("with the token: %v", err)
	}
	_, c = newFake(t, "/elsewhere")
	if _, err := c.Connect(context.Background()); err == nil || !strings.Contains(err.Error(), "no Marathon under Admin Router") {
		t.Fatalf("no Marathon: %v", err)
	}
}

func TestPutAppCreatesUpdatesAndExplainsRefusals(t *testing.T) {
	f, c := newFake(t, "/marathon")
	c.BasePath = "/marathon"
	ctx := context.Background()
	d, err := c.PutApp(ctx, front(t, "r/a:1", 1), false)
	if err != nil || !d.Created || d.ID == "" || d.Version == "" {
		t.Fatalf("create: %+v %v", d, err)
	}
	d2, err := c.PutApp(ctx, front(t, "r/a:2", 1), false)
	if err != nil || d2.Created || d2.Version <= d.Version {
		t.Fatalf("update: %+v %v", d2, err)
	}
	f.Locked = true
	_, err = c.PutApp(ctx, front(t, "r/a:3", 1), false)
	var he *marathon.HTTPError
	if !errors.As(err, &he) || he.Status != 409 || he.ExitCode() != 1 || !strings.Contains(err.Error(), "deployment dep-old") || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("locked: %v", err)
	}
	if _, err := c.PutApp(ctx, front(t, "r/a:3", 1), true); err != nil {
		t.Fatalf("forced: %v", err)
	}
	if got := strings.Join(f.Puts, ","); got != ",,,force=true" {
		t.Errorf("PUT queries %q: never anything but PUT (and force only when asked)", got)
	}
	bare, _ := marathon.ParseApp([]byte(`{"id": "/shop/front", "cmd": "x"}`), "b.json")
	_, err = c.PutApp(ctx, bare, true)
	if !errors.As(err, &he) || he.Status != 422 || !strings.Contains(err.Error(), "/container: error.path.missing") {
		t.Fatalf("invalid: %v", err)
	}
}

func TestWaitDeployedFollowsARollingUpdate(t *testing.T) {
	f, c := newFake(t, "/marathon")
	c.BasePath = "/marathon"
	ctx := context.Background()
	d1, _ := c.PutApp(ctx, front(t, "r/a@sha256:1", 2), false)
	f.Tasks = []marathon.Task{{ID: "a.1", State: "TASK_RUNNING", Version: d1.Version, Host: "10.0.0.21"}, {ID: "a.2", State: "TASK_RUNNING", Version: d1.Version, Host: "10.0.0.22"}}
	f.Deployments = nil
	before, err := c.App(ctx, "/shop/front")
	if err != nil {
		t.Fatal(err)
	}
	d2, _ := c.PutApp(ctx, front(t, "r/a@sha256:2", 2), false)
	// Marathon's rolling update: both new tasks start, then the old ones go.
	round := 0
	f.Step = func(f *marathontest.Server) {
		round++
		switch round {
		case 2:
			f.Tasks = append(f.Tasks, marathon.Task{ID: "a.3", State: "TASK_STAGING", Version: d2.Version, Host: "10.0.0.21"},
				marathon.Task{ID: "a.4", State: "TASK_STAGING", Version: d2.Version, Host: "10.0.0.22"})
		case 3:
			f.Tasks[2].State, f.Tasks[3].State = "TASK_RUNNING", "TASK_RUNNING"
		case 4:
			f.Tasks = f.Tasks[2:]
			f.Deployments = nil
		}
	}
	var seen []string
	p, err := c.WaitDeployed(ctx, "/shop/front", d2, marathon.WaitOptions{Interval: time.Millisecond, Before: before,
		OnProgress: func(p marathon.Progress) { seen = append(seen, p.String()) }})
	if err != nil || !p.Done() || p.NewRunning != 2 {
		t.Fatalf("wait: %+v %v", p, err)
	}
	want := []string{"0 of 2 tasks of the new version running, 2 old task(s) still running",
		"0 of 2 tasks of the new version running, 2 starting, 2 old task(s) still running",
		"2 of 2 tasks of the new version running, 2 old task(s) still running",
		"2 of 2 tasks of the new version running"}
	if strings.Join(seen, "|") != strings.Join(want, "|") {
		t.Errorf("progress:\n%s\nwant\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	}

	st, err := c.Status(ctx, "/shop/front")
	if err != nil || st.Digest != "sha256:2" || st.Running != 2 || len(st.Versions) != 1 || st.Versions[0].Digest != "sha256:2" {
		t.Fatalf("status after: %+v %v", st, err)
	}
	// Mid-update the status names both versions, each with its digest.
	f.Tasks = append(f.Tasks, marathon.Task{ID: "a.1", State: "TASK_RUNNING", Version: d1.Version, Host: "10.0.0.23"})
	st, _ = c.Status(ctx, "/shop/front")
	if len(st.Versions) != 2 || st.Versions[1].Digest != "sha256:1" || st.Versions[1].Hosts[0] != "10.0.0.23" || st.Tasks["TASK_RUNNING"] != 3 {
		t.Errorf("status mid-update: %+v", st)
	}
}

func TestWaitDeployedStopsOnRepeatedFailures(t *testing.T) {
	f, c := newFake(t, "/marathon")
	c.BasePath = "/marathon"
	ctx := context.Background()
	d1, _ := c.PutApp(ctx, front(t, "r/a:1", 1), false)
	f.Failure = &marathon.TaskFailure{TaskID: "old.0", Host: "10.0.0.9", Message: "from before", Version: d1.Version, State: "TASK_FAILED"}
	before, _ := c.App(ctx, "/shop/front")
	d2, _ := c.PutApp(ctx, front(t, "r/a:2", 1), false)
	n := 0
	f.Step = func(f *marathontest.Server) {
		n++
		if n%2 == 0 {
			f.Failure = &marathon.TaskFailure{TaskID: fmt.Sprintf("new.%d", n), Host: "10.0.0.31", State: "TASK_FAILED", Version: d2.Version,
				Message: "Failed to launch container: Failed to fetch all URIs for container 'c' with exit status: 256"}
		}
	}
	_, err := c.WaitDeployed(ctx, "/shop/front", d2, marathon.WaitOptions{Interval: time.Millisecond, Before: before})
	var fe *marathon.FailedError
	if !errors.As(err, &fe) || len(fe.Failures) != 3 || fe.ExitCode() != 1 {
		t.Fatalf("want 3 failures: %v", err)
	}
	for _, x := range fe.Failures {
		if x.TaskID == "old.0" {
			t.Errorf("a failure from before the deploy was counted")
		}
	}
	if !strings.Contains(err.Error(), "on agent 10.0.0.31: TASK_FAILED: Failed to launch container: Failed to fetch all URIs") || !strings.Contains(err.Error(), "old tasks keep running") {
		t.Errorf("message: %v", err)
	}

	// A bounded wait ends with the context.
	f.Step = nil
	ctx2, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	d3, _ := c.PutApp(ctx, front(t, "r/a:3", 1), false)
	if _, err := c.WaitDeployed(ctx2, "/shop/front", d3, marathon.WaitOptions{Interval: 5 * time.Millisecond}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("bounded wait: %v", err)
	}
	// Someone else's change replaces the deployment.
	f.Deployments = nil
	d4 := d3
	_, _ = c.PutApp(ctx, front(t, "r/a:4", 1), false)
	f.Deployments = nil
	if _, err := c.WaitDeployed(ctx, "/shop/front", d4, marathon.WaitOptions{Interval: time.Millisecond}); !errors.Is(err, marathon.ErrReplaced) {
		t.Errorf("replaced: %v", err)
	}
}
