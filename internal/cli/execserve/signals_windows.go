//go:build windows

package execserve

import "os"

// forwarded: Windows delivers Ctrl+C and Ctrl+Break to every process of
// the console, COMMAND included, and cannot send them to one process; exec
// only catches them so that it outlives COMMAND and reports its status.
var forwarded = []os.Signal{os.Interrupt}

func forward(*os.Process, os.Signal) {}

// exitStatus is COMMAND's exit code.
func exitStatus(ps *os.ProcessState) int { return ps.ExitCode() }
