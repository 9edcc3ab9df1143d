// Package ssh is the installer's SSH client: one connection per host reused
// for every step, authentication by key file (optionally passphrase-protected),
// ssh-agent or password, an optional jump host, keepalives, connect retries
// with capped exponential backoff while a VM boots, a known_hosts file with
// trust on first use, commands run under `bash -euo pipefail` with optional
// sudo and streamed output, and SFTP uploads that are checksummed on the
// remote side and renamed into place atomically.
//
// Secrets (passwords, passphrases) never leave this package except towards
// their consumer: the SSH handshake, or the stdin of `sudo -S`. They are never
// put on a remote command line or in the remote environment, and every output
// line passes through a Redactor before it reaches a callback or an error.
package ssh
