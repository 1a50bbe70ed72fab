//go:build !windows

package cli

import (
	"os"
	"syscall"
)

// handoff replaces this process with sso-credproc-renew: same pid (callers
// that time out kill the right process), same stdin, stdout and stderr.
func handoff(path string, args []string) error {
	return syscall.Exec(path, append([]string{path}, args...), os.Environ())
}
