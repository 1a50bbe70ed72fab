//go:build !windows

package cli

import (
	"os"
	"syscall"
)

// handoff replaces this process with sso-credproc-renew: same pid (callers
// that time out kill the right process), same stdin, stdout and stderr.
// SIGINT and SIGTERM take their default action from here on (the exec
// resets handled signals anyway), as they do in the renew program until it
// installs its own handling.
func handoff(path string, args []string, stopSignals func()) error {
	stopSignals()
	return syscall.Exec(path, append([]string{path}, args...), os.Environ())
}
