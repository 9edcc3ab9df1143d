package ssh

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// ErrKeyPassphraseMissing is returned for an encrypted key without passphrase.
var ErrKeyPassphraseMissing = errors.New("ssh.keyFile: key is passphrase-protected; set ssh.keyPassphrase")

// authMethods builds the auth methods of cfg: one public key method with
// the key file's signer, then the agent's, then the further identity
// files' (x/crypto/ssh tries each method name once, so every key must be
// in that one method), then password. The returned closer releases the
// agent connection; tried says what was offered, for errors.
func authMethods(cfg Config) (methods []gossh.AuthMethod, closer io.Closer, tried []string, err error) {
	closer = nopCloser{}
	var keySigners, idSigners []gossh.Signer
	var agentSigners func() ([]gossh.Signer, error)
	if cfg.KeyFile != "" {
		signer, err := loadKey(cfg.KeyFile, cfg.KeyPassphrase)
		if err != nil {
			return nil, nil, nil, err
		}
		keySigners = append(keySigners, signer)
		tried = append(tried, cfg.KeyFile)
	}
	sock := cfg.AgentSocket
	if sock == "" {
		sock = os.Getenv("SSH_AUTH_SOCK")
	}
	switch {
	case cfg.UseAgent:
		if sock == "" {
			return nil, nil, nil, errors.New("ssh.useAgent: SSH_AUTH_SOCK is not set (is ssh-agent running?)")
		}
		conn, err := net.Dial("unix", sock)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("ssh.useAgent: connect to agent at %s: %w", sock, err)
		}
		closer, agentSigners = conn, agent.NewClient(conn).Signers
		tried = append(tried, "ssh-agent")
	case cfg.TryAgent && sock != "":
		if conn, err := net.Dial("unix", sock); err == nil {
			closer, agentSigners = conn, agent.NewClient(conn).Signers
			tried = append(tried, "ssh-agent")
		} else {
			tried = append(tried, "ssh-agent (not answering at "+sock+")")
		}
	case cfg.TryAgent:
		tried = append(tried, "ssh-agent (SSH_AUTH_SOCK not set)")
	}
	for _, f := range cfg.IdentityFiles {
		signer, err := loadKey(f, "")
		switch {
		case err == nil:
			idSigners = append(idSigners, signer)
			tried = append(tried, f)
		case errors.Is(err, ErrKeyPassphraseMissing):
			tried = append(tried, f+" (skipped: encrypted; give it as ssh.keyFile with ssh.keyPassphrase, or add it to ssh-agent)")
		case errors.Is(err, os.ErrNotExist):
			tried = append(tried, f+" (skipped: does not exist)")
		default:
			tried = append(tried, f+" (skipped: not a usable private key)")
		}
	}
	if len(keySigners)+len(idSigners) > 0 || agentSigners != nil {
		methods = append(methods, gossh.PublicKeysCallback(func() ([]gossh.Signer, error) {
			out := append([]gossh.Signer(nil), keySigners...)
			if agentSigners != nil {
				if s, err := agentSigners(); err == nil {
					out = append(out, s...)
				}
			}
			return append(out, idSigners...), nil
		}))
	}
	if cfg.Password != "" {
		pw := cfg.Password
		methods = append(methods, gossh.Password(pw),
			gossh.KeyboardInteractive(func(_, _ string, questions []string, _ []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for i := range answers {
					answers[i] = pw
				}
				return answers, nil
			}))
		tried = append(tried, "password")
	}
	if len(methods) == 0 {
		closer.Close()
		return nil, nil, tried, fmt.Errorf("no login method: nothing configured (ssh.keyFile, ssh.agent, ssh.password, IdentityFile in ~/.ssh/config) and nothing found: %s",
			strings.Join(orNone(tried), "; "))
	}
	return methods, closer, tried, nil
}

func orNone(s []string) []string {
	if len(s) == 0 {
		return []string{"no ssh-agent, no key in ~/.ssh"}
	}
	return s
}

func loadKey(path, passphrase string) (gossh.Signer, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ssh.keyFile: %w", err)
	}
	signer, err := gossh.ParsePrivateKey(pem)
	var missing *gossh.PassphraseMissingError
	switch {
	case err == nil:
		return signer, nil
	case !errors.As(err, &missing):
		return nil, fmt.Errorf("ssh.keyFile: parse %s: %w", path, err)
	case passphrase == "":
		return nil, ErrKeyPassphraseMissing
	}
	signer, err = gossh.ParsePrivateKeyWithPassphrase(pem, []byte(passphrase))
	if err != nil {
		return nil, fmt.Errorf("ssh.keyFile: decrypt %s with ssh.keyPassphrase: %w", path, err)
	}
	return signer, nil
}

type nopCloser struct{}

func (nopCloser) Close() error { return nil }
