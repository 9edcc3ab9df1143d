package lab

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"
)

// cmdTimeout bounds every helper command the lab runs (ip, nsenter, cp).
const cmdTimeout = 30 * time.Second

// run executes a helper command and returns its trimmed combined output;
// the error names the command and carries its output.
func run(ctx context.Context, name string, args ...string) (string, error) {
	return runCmd(ctx, nil, name, args...)
}

// runCmd is run with stdin (nil: /dev/null).
func runCmd(ctx context.Context, stdin io.Reader, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, cmdTimeout)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = stdin
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 2 * time.Second
	err := cmd.Run()
	s := strings.TrimSpace(out.String())
	if err != nil {
		return s, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, s)
	}
	return s, nil
}
