//go:build !windows

package cli

import (
	"context"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// watchParent returns a channel that is closed when the process that
// started this one has exited, which the kernel shows by giving this
// process a new parent (init or a subreaper). It checks every interval
// until ctx ends.
//
// This is how a caller that gave up shows itself: the Go SDK runs
// credential_process through `sh -c` and kills the shell when its timeout
// (one minute by default) passes, leaving this process behind with the
// shell's stdout pipe, which the SDK then waits on.
func watchParent(ctx context.Context, interval time.Duration) <-chan struct{} {
	ppid := os.Getppid()
	return watchExit(ctx, interval, func(time.Duration) (bool, error) {
		return os.Getppid() != ppid, nil
	}, func() {})
}

// detachStdio points stdout and stderr at /dev/null, so that the pipes a
// departed caller waits on are closed (their read ends see EOF) while this
// process finishes in the background. Later writes go nowhere and do not
// fail.
func detachStdio() error {
	null, err := unix.Open(os.DevNull, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(null)
	for _, fd := range []int{1, 2} {
		if err := unix.Dup2(null, fd); err != nil {
			return err
		}
	}
	return nil
}
