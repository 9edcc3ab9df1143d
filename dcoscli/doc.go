// Package dcoscli registers DC/OS clusters for the DC/OS CLI, side by side,
// without losing anything the user already has.
//
// It writes the per-cluster layout that the CLI uses from 0.5 on (and the
// Go CLI keeps): $DCOS_DIR (or ~/.dcos) /clusters/<CLUSTER_ID>/dcos.toml,
// mode 0600, with [core] dcos_url and ssl_verify and [cluster] name, and
// an empty "attached" marker in one cluster directory, only when no
// cluster is attached yet. An existing entry is never rewritten: only its
// dcos_url changes, by editing that one line, and the result is checked
// by decoding it again (its token and every other key stay).
//
// A legacy single dcos.toml (CLI 0.4.x) is migrated first, the way CLI 0.5
// does it: the CLI migrates only while clusters/ does not exist, so
// creating clusters/ without migrating would hide the user's configuration
// from it. Migration copies the file into clusters/<its CLUSTER_ID>/ (read
// from <dcos_url>/metadata, or given) and attaches it; the legacy file
// stays for 0.4.x. When the id cannot be found, Register stops before
// creating anything and says why.
//
// For the 1.9-era CLI 0.4.x, which knows one file per configuration, it
// also writes cli-0.4/<name>.toml per cluster, to be used with
// DCOS_CONFIG=<that file>.
package dcoscli
