//go:build !windows

package cli

import (
	"os"
	"syscall"
)

// takeSignals calls stop: from here on SIGINT and SIGTERM take their
// default action and end this process, which is about to become the renew
// program (the exec resets handled signals anyway). It returns nil.
func takeSignals(stop func()) <-chan os.Signal {
	stop()
	return nil
}

// handoff replaces this process with sso-credproc-renew: same pid (callers
// that time out kill the right process), same stdin, stdout and stderr.
func handoff(path string, args []string, _ <-chan os.Signal) error {
	return syscall.Exec(path, append([]string{path}, args...), os.Environ())
}
