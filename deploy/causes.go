package deploy

import (
	"fmt"
	"strings"
	"time"

	"github.com/dcos-vsphere/dcos-vsphere/marathon"
	"github.com/dcos-vsphere/dcos-vsphere/registry"
)

// Failure is one task failure of a deploy, with what it most likely means
// and what fixes it.
type Failure struct {
	Task      string `json:"task"`
	Agent     string `json:"agent"`               // the agent's address (Marathon's host)
	AgentName string `json:"agentName,omitempty"` // its name, when the survey reached it
	State     string `json:"state"`
	Message   string `json:"message"`
	Cause     string `json:"cause"`
	Fix       string `json:"fix,omitempty"`
}

// explain names the cause of each failure from Mesos' message and the
// agent's archive as the survey saw it.
func explain(fs []marathon.TaskFailure, agents []AgentArchive, fix string, app *marathon.App) []Failure {
	byIP := map[string]AgentArchive{}
	for _, a := range agents {
		byIP[a.IP] = a
	}
	var out []Failure
	for _, f := range fs {
		ag, surveyed := byIP[f.Host]
		x := Failure{Task: f.TaskID, Agent: f.Host, AgentName: ag.Name, State: f.State, Message: f.Message}
		archive := ""
		if surveyed && !ag.OK() {
			archive = fmt.Sprintf(" (the survey found its %s %s: %s)", registry.ArchivePath, ag.State, ag.Detail)
		}
		m := f.Message
		switch {
		case strings.Contains(m, "Failed to fetch all URIs for container") || strings.Contains(m, "Could not fetch"):
			x.Cause = fmt.Sprintf("the Mesos fetcher on agent %s could not fetch the app's uris (%s)%s", agentLabel(x), strings.Join(app.URIs(), ", "), archive)
			if u := app.User(); u != "" && u != "root" && archive == "" {
				x.Cause += fmt.Sprintf("; the task runs as %q, who cannot read the root 0600 archive", u)
			}
			x.Fix = fix
		case strings.Contains(m, "AADSTS7000222") || strings.Contains(strings.ToLower(m), "expired"):
			x.Cause = fmt.Sprintf("the service principal secret agent %s pulls with has expired%s", agentLabel(x), archive)
			x.Fix = "create a new secret (az ad sp credential reset --id <app id>), put it into registry.passwordFile, then " + fix
		case strings.Contains(m, "unauthorized: authentication required") || strings.Contains(m, "Invalid clientid or client secret"):
			x.Cause = fmt.Sprintf("the registry refused the credentials agent %s pulls with (an archive from before a password rotation?)%s", agentLabel(x), archive)
			x.Fix = fix
		case strings.Contains(m, "Failed to find token in JSON object"):
			x.Cause = `the Mesos containerizer (container.type MESOS) cannot pull from ACR on DC/OS 1.9: ACR's token answer has no "token" field`
			x.Fix = `set "container": {"type": "DOCKER", ...} in the app definition`
		case strings.Contains(m, "x509: certificate signed by unknown authority"):
			x.Cause = fmt.Sprintf("docker on agent %s does not trust the registry's certificate", agentLabel(x))
			x.Fix = "put the registry's CA into /etc/docker/certs.d/<registry host>/ca.crt on every agent"
		case strings.Contains(m, "not found") || strings.Contains(m, "does not exist or no pull access"):
			x.Cause = "the registry has no such image"
		default:
			x.Cause = "see the task's stderr in its sandbox on agent " + agentLabel(x)
		}
		out = append(out, x)
	}
	return out
}

func agentLabel(f Failure) string {
	if f.AgentName != "" && f.AgentName != f.Agent {
		return f.AgentName + " (" + f.Agent + ")"
	}
	return f.Agent
}

// FailedError says the new tasks of a deploy keep failing. The deployment
// goes on in Marathon (the old tasks keep running). Exit code 1.
type FailedError struct {
	Cluster, App, DeploymentID string
	Failures                   []Failure
}

func (e *FailedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: app %s: %d tasks of the new version failed; deployment %s goes on retrying in Marathon and the old tasks keep running:", e.Cluster, e.App, len(e.Failures), e.DeploymentID)
	writeFailures(&b, e.Failures)
	b.WriteString("\n  once fixed, deploy again with --force (it replaces the deployment, still a rolling update)")
	return b.String()
}

func writeFailures(b *strings.Builder, fs []Failure) {
	seen := map[string]bool{}
	for _, f := range fs {
		fmt.Fprintf(b, "\n  task %s on agent %s: %s: %s", f.Task, agentLabel(f), f.State, f.Message)
		key := f.Cause + "|" + f.Fix
		if seen[key] {
			continue
		}
		seen[key] = true
		fmt.Fprintf(b, "\n    cause: %s", f.Cause)
		if f.Fix != "" {
			fmt.Fprintf(b, "\n    fix: %s", f.Fix)
		}
	}
}

// ExitCode is 1.
func (e *FailedError) ExitCode() int { return 1 }

// TimeoutError says a deployment did not finish within --wait.
type TimeoutError struct {
	Cluster, App, DeploymentID string
	Wait                       time.Duration
	Progress                   marathon.Progress
	Failures                   []Failure
}

func (e *TimeoutError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: app %s: deployment %s did not finish within %s (%s); it goes on in Marathon (`dcos-vsphere deploy status %s`)", e.Cluster, e.App, e.DeploymentID, e.Wait, e.Progress, e.App)
	if e.Progress.NewRunning+e.Progress.NewStaging == 0 && len(e.Failures) == 0 {
		b.WriteString(": no task of the new version started: Marathon found no agent for it (constraints, acceptedResourceRoles, resources), or no agent asks for tasks")
	}
	writeFailures(&b, e.Failures)
	return b.String()
}

// ExitCode is 1.
func (e *TimeoutError) ExitCode() int { return 1 }

// NotReadyError is --strict's refusal: agents lack the current archive.
// Nothing was deployed on that cluster. Exit code 1.
type NotReadyError struct {
	Cluster string
	Agents  []string
	Fix     string
}

func (e *NotReadyError) Error() string {
	return fmt.Sprintf("%s: not deployed (--strict): %d agent(s) lack the current %s:\n  %s\n  fix: %s", e.Cluster, len(e.Agents), registry.ArchivePath, strings.Join(e.Agents, "\n  "), e.Fix)
}

// ExitCode is 1.
func (e *NotReadyError) ExitCode() int { return 1 }
