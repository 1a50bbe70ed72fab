//go:build windows

package cli

import (
	"errors"
	"os"
	"os/exec"
)

// handoff runs sso-credproc-renew as a child with this process's stdin,
// stdout and stderr, and passes its exit status on.
func handoff(path string, args []string) error {
	cmd := exec.Command(path, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return exitCode(ee.ExitCode())
	}
	return err
}
