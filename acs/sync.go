package acs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/installer/ssh"
	"github.com/dcos-vsphere/dcos-vsphere/registry"
)

// ArchivePath is where the archive goes on every agent: the path
// acs-engine's registry option writes, so app definitions that use
// "uris": ["file:///etc/docker.tar.gz"] keep working.
const ArchivePath = registry.ArchivePath

// ExitPartial is the CLI's exit code when some ACS agents failed and the
// others were done.
const ExitPartial = 5

// Defaults of SyncOptions.
const (
	DefaultConcurrency   = 10
	DefaultAgentAttempts = 2
	// agentTimeout bounds all the work on one agent.
	agentTimeout = 5 * time.Minute
)

// Agent states after a sync.
const (
	StateCurrent     = "current"     // already had this archive, root:root 0600
	StateUpdated     = "updated"     // uploaded (it was missing or stale)
	StateFixed       = "fixed"       // had the content; owner or mode corrected
	StateUnreachable = "unreachable" // no SSH session through the master
	StateFailed      = "failed"      // reached, but a step failed
	// A survey (SyncOptions.ReadOnly) changes nothing and reports these
	// for agents a sync would change.
	StateStale   = "stale"   // another archive, or not root:root 0600
	StateMissing = "missing" // no archive
)

// Remote runs commands on one agent (for an AgentCheck).
type Remote interface {
	Run(ctx context.Context, cmd string, sudo bool) (stdout string, err error)
}

// AgentCheck runs on an agent after its archive is in place, e.g. an
// image pull the way the Mesos fetcher and Docker would make it; its
// error fails that agent.
type AgentCheck struct {
	Name string
	Run  func(ctx context.Context, a Agent, r Remote) error
}

// SyncOptions tune Sync.
type SyncOptions struct {
	// Archive is the docker.tar.gz (registry.Archive); required.
	Archive []byte
	// Concurrency bounds agents worked on at once (default 10).
	Concurrency int
	// AgentAttempts bounds connects to one agent (default 2).
	AgentAttempts int
	// Checks run on every agent after the archive is in place.
	Checks []AgentCheck
	// OnAgent is called once per agent when it is done (may be nil;
	// calls are serialised).
	OnAgent func(AgentResult)
	// ReadOnly surveys instead: each agent's archive is compared and
	// reported (current, stale, missing, unreachable), nothing is
	// written and no check runs (status and plan).
	ReadOnly bool
}

// AgentResult is what Sync did on one agent.
type AgentResult struct {
	Agent
	// Name is the agent's hostname, or, when it could not be reached, its
	// Mesos id or address.
	Name     string `json:"name"`
	State    string `json:"state"`
	Uploaded bool   `json:"uploaded"`
	// Before and After are the sha256 of the agent's archive before and
	// after the run ("" = missing; After "" when unknown).
	Before   string `json:"before"`
	After    string `json:"after"`
	HostKey  string `json:"hostKey,omitempty"`
	Error    string `json:"error,omitempty"`
	Duration string `json:"duration"`
}

// Failed reports whether the agent did not end with the archive (in a
// survey: does not have it).
func (r AgentResult) Failed() bool {
	switch r.State {
	case StateUnreachable, StateFailed, StateStale, StateMissing:
		return true
	}
	return false
}

// SyncResult is the outcome of Sync.
type SyncResult struct {
	Master        MasterInfo    `json:"master"`
	ArchivePath   string        `json:"archivePath"`
	ArchiveSHA256 string        `json:"archiveSha256"`
	Agents        []AgentResult `json:"agents"`
	Uploaded      int           `json:"uploaded"`
	Failed        int           `json:"failed"`
	Warnings      []string      `json:"warnings,omitempty"`
}

// Err is nil when every agent has the archive, else a *PartialError.
func (r SyncResult) Err() error {
	var failed []AgentResult
	for _, a := range r.Agents {
		if a.Failed() {
			failed = append(failed, a)
		}
	}
	if len(failed) == 0 {
		return nil
	}
	return &PartialError{Failed: failed, Total: len(r.Agents)}
}

// PartialError says some agents did not get the archive; the others did.
type PartialError struct {
	Failed []AgentResult
	Total  int
}

func (e *PartialError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s not on %d of %d ACS agents (the others have it):", ArchivePath, len(e.Failed), e.Total)
	for _, a := range e.Failed {
		fmt.Fprintf(&b, "\n  %s (%s, %s): %s: %s", a.Name, a.IP, a.Role, a.State, a.Error)
	}
	return b.String()
}

// ExitCode is ExitPartial.
func (e *PartialError) ExitCode() int { return ExitPartial }

// Sync lists the agents and puts the archive on each of them (see the
// package comment). The error is for what stops the whole run (no agent
// list); per-agent failures are in the result (SyncResult.Err).
func Sync(ctx context.Context, m *Master, o SyncOptions) (SyncResult, error) {
	res := SyncResult{Master: m.Info, ArchivePath: ArchivePath, Warnings: append([]string(nil), m.Warnings...)}
	if len(o.Archive) == 0 {
		return res, errors.New("acs sync: no archive")
	}
	res.ArchiveSHA256 = registry.SHA256(o.Archive)
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.AgentAttempts <= 0 {
		o.AgentAttempts = DefaultAgentAttempts
	}
	agents, warns, err := m.Agents(ctx)
	res.Warnings = append(res.Warnings, warns...)
	if err != nil {
		return res, err
	}
	res.Agents = make([]AgentResult, len(agents))
	uploads := ssh.NewUploadLimiter(o.Concurrency)
	sem := make(chan struct{}, o.Concurrency)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i, a := range agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				res.Agents[i] = AgentResult{Agent: a, Name: a.fallbackName(), State: StateFailed, Error: ctx.Err().Error()}
				return
			}
			defer func() { <-sem }()
			r := syncAgent(ctx, m, a, o, res.ArchiveSHA256, uploads)
			res.Agents[i] = r
			if o.OnAgent != nil {
				mu.Lock()
				o.OnAgent(r)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, r := range res.Agents {
		if r.Uploaded {
			res.Uploaded++
		}
		if r.Failed() {
			res.Failed++
		}
	}
	return res, nil
}

func (a Agent) fallbackName() string {
	if a.MesosID != "" {
		return "agent " + a.MesosID
	}
	return "agent " + a.IP
}

// stateScript prints the agent's hostname and, when the archive exists,
// its sha256 and uid:gid:mode (run as root: the archive is 0600).
const stateScript = `hostname; f=` + ArchivePath + `; if [ -f "$f" ]; then sha256sum -- "$f" | cut -c1-64; stat -c '%u:%g:%a' -- "$f"; else echo missing; fi`

// archiveState is the archive as an agent has it.
type archiveState struct {
	hostname, sum, owner string // sum "" = missing
}

func readArchiveState(ctx context.Context, c *ssh.Client) (archiveState, error) {
	res, err := c.Run(ctx, stateScript, ssh.RunOptions{Sudo: true, CaptureStdout: true})
	if err != nil {
		return archiveState{}, err
	}
	lines := strings.Split(strings.TrimSpace(res.Stdout), "\n")
	st := archiveState{hostname: strings.TrimSpace(lines[0])}
	if len(lines) == 3 {
		st.sum, st.owner = strings.TrimSpace(lines[1]), strings.TrimSpace(lines[2])
	}
	return st, nil
}

func syncAgent(ctx context.Context, m *Master, a Agent, o SyncOptions, want string, uploads *ssh.UploadLimiter) (r AgentResult) {
	start := time.Now()
	r = AgentResult{Agent: a, Name: a.fallbackName()}
	defer func() { r.Duration = time.Since(start).Round(time.Millisecond).String() }()
	ctx, cancel := context.WithTimeout(ctx, agentTimeout)
	defer cancel()
	fail := func(state string, err error) AgentResult {
		r.State, r.Error = state, m.cfg.Redactor.Redact(err.Error())
		return r
	}
	cfg := m.agentConfig(a.IP, o.AgentAttempts)
	cfg.Uploads = uploads
	c, err := ssh.Dial(ctx, cfg)
	if err != nil {
		return fail(StateUnreachable, err)
	}
	defer c.Close()
	r.HostKey = c.HostKeyFingerprint()
	before, err := readArchiveState(ctx, c)
	if err != nil {
		return fail(StateFailed, fmt.Errorf("read %s: %w", ArchivePath, err))
	}
	if before.hostname != "" {
		r.Name = before.hostname
	}
	r.Before = before.sum
	if o.ReadOnly {
		r.After = before.sum
		switch {
		case before.sum == want && before.owner == "0:0:600":
			r.State = StateCurrent
		case before.sum == "":
			r.State, r.Error = StateMissing, ArchivePath+" is missing"
		case before.sum == want:
			r.State, r.Error = StateStale, fmt.Sprintf("%s has the current content but owner:group:mode %s, want 0:0:600", ArchivePath, before.owner)
		default:
			r.State, r.Error = StateStale, fmt.Sprintf("%s has sha256 %s, not the current %s (other credentials)", ArchivePath, short(before.sum), short(want))
		}
		return r
	}
	switch {
	case before.sum == want && before.owner == "0:0:600":
		r.State = StateCurrent
	case before.sum == want:
		if _, err := c.Run(ctx, "chown root:root -- "+ArchivePath+" && chmod 0600 -- "+ArchivePath, ssh.RunOptions{Sudo: true}); err != nil {
			return fail(StateFailed, fmt.Errorf("set root:root 0600 on %s: %w", ArchivePath, err))
		}
		r.State = StateFixed
	default:
		// Staged in the user's home (0600), checksummed while it is
		// written, installed next to the destination as root, checked
		// again, renamed into place.
		if _, err := c.UploadReader(ctx, bytes.NewReader(o.Archive), int64(len(o.Archive)), ArchivePath, 0o600, ssh.UploadOptions{Sudo: true}); err != nil {
			return fail(StateFailed, err)
		}
		r.Uploaded, r.State = true, StateUpdated
	}
	after, err := readArchiveState(ctx, c)
	if err != nil {
		return fail(StateFailed, fmt.Errorf("verify %s: %w", ArchivePath, err))
	}
	r.After = after.sum
	if after.sum != want || after.owner != "0:0:600" {
		return fail(StateFailed, fmt.Errorf("verify %s: sha256 %s, owner:group:mode %s; want %s, 0:0:600", ArchivePath, orMissing(after.sum), after.owner, want))
	}
	for _, chk := range o.Checks {
		if err := chk.Run(ctx, a, remote{c}); err != nil {
			return fail(StateFailed, fmt.Errorf("check %s: %w", chk.Name, err))
		}
	}
	return r
}

func short(sum string) string {
	if len(sum) > 12 {
		return sum[:12]
	}
	return sum
}

func orMissing(s string) string {
	if s == "" {
		return "missing"
	}
	return s
}

// remote is the Remote of an agent connection.
type remote struct{ c *ssh.Client }

func (r remote) Run(ctx context.Context, cmd string, sudo bool) (string, error) {
	res, err := r.c.Run(ctx, cmd, ssh.RunOptions{Sudo: sudo, CaptureStdout: true})
	return res.Stdout, err
}
