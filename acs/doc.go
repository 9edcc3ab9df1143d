// Package acs works on the existing DC/OS cluster on Azure Container
// Service, whose configuration cannot be regenerated and whose agents
// are reachable only through a master.
//
// Connect logs in to a master through the Azure load balancer
// (MasterFQDN:2200, or 2200+i for master i) with the host key trusted on
// first use ([fqdn]:2200 in the known_hosts file; a changed key is refused
// with both fingerprints), checks passwordless sudo and reads the
// cluster's id, DC/OS version and OS. Agents lists the agents from 3DT on
// the master (127.0.0.1:1050/system/health/v1/nodes) cross-checked with
// the Mesos master's list (through Admin Router). Every HTTP request and
// every agent connection is a direct-tcpip channel over the master's one
// SSH connection: no agent forwarding, no key ever copied to the master.
//
// Sync puts /etc/docker.tar.gz (the path acs-engine uses) on every agent:
// it compares sha256, uploads to a temporary name, verifies, and installs
// root:root 0600; agents that already have the file are left alone, so a
// re-run after a scale-out updates only the new or stale agents. An agent
// that cannot be reached or fails is reported by name and address while
// the others finish; the result's Err is then a *PartialError (exit code
// ExitPartial).
//
// Tunnel forwards a local port through the master to Admin Router
// (127.0.0.1:80 on the master), the way ACS is meant to be used by the
// DC/OS CLI and the UI.
package acs
