//go:build unix

package execserve

import (
	"os"
	"syscall"
)

// forwarded are the signals exec passes on to COMMAND. Signals the
// terminal sends to its foreground group (^C, ^\, a resize) reach COMMAND
// directly too, so COMMAND may see them twice.
var forwarded = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH}

func forward(p *os.Process, s os.Signal) { _ = p.Signal(s) }

// exitStatus is COMMAND's exit status, 128+N when signal N ended it, as
// shells report it.
func exitStatus(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}
