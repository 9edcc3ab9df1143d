package ssh

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"

	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// ErrKeyPassphraseMissing is returned for an encrypted key without passphrase.
var ErrKeyPassphraseMissing = errors.New("ssh.keyFile: key is passphrase-protected; set ssh.keyPassphrase")

// authMethods builds the auth methods of cfg, in the order key file, agent,
// password. The returned closer releases the agent connection.
func authMethods(cfg Config) ([]gossh.AuthMethod, io.Closer, error) {
	var methods []gossh.AuthMethod
	var closer io.Closer = nopCloser{}
	if cfg.KeyFile != "" {
		signer, err := loadKey(cfg.KeyFile, cfg.KeyPassphrase)
		if err != nil {
			return nil, nil, err
		}
		methods = append(methods, gossh.PublicKeys(signer))
	}
	if cfg.UseAgent {
		sock := cfg.AgentSocket
		if sock == "" {
			sock = os.Getenv("SSH_AUTH_SOCK")
		}
		if sock == "" {
			return nil, nil, errors.New("ssh.useAgent: SSH_AUTH_SOCK is not set (is ssh-agent running?)")
		}
		conn, err := net.Dial("unix", sock)
		if err != nil {
			return nil, nil, fmt.Errorf("ssh.useAgent: connect to agent at %s: %w", sock, err)
		}
		closer = conn
		methods = append(methods, gossh.PublicKeysCallback(agent.NewClient(conn).Signers))
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
	}
	return methods, closer, nil
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
