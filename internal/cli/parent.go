package cli

import (
	"context"
	"time"
)

// watchExit returns a channel that is closed once exited reports that the
// watched process has gone. exited may block for up to the duration it is
// given (Windows waits on the process handle) or return at once; watchExit
// calls it, at least interval apart when it returns at once, until it
// reports the exit, fails (the channel is then never closed) or ctx ends,
// and then calls release.
func watchExit(ctx context.Context, interval time.Duration, exited func(wait time.Duration) (bool, error), release func()) <-chan struct{} {
	gone := make(chan struct{})
	go func() {
		defer release()
		for ctx.Err() == nil {
			start := time.Now()
			ok, err := exited(interval)
			if err != nil {
				return
			}
			if ok {
				close(gone)
				return
			}
			if rest := interval - time.Since(start); rest > 0 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(rest):
				}
			}
		}
	}()
	return gone
}

// parentState is what watchParent found at start.
type parentState int

const (
	// parentRunning: the parent runs; watch it.
	parentRunning parentState = iota
	// parentExited: the parent exited before it could be opened: its pid
	// names no process, or a process created after this one (the pid was
	// reused).
	parentExited
	// parentUnknown: the parent cannot be looked at (access denied); it is
	// never reported gone.
	parentUnknown
)

// classifyParent decides parentState from the attempt to open the process
// with the parent's pid: opened, or else whether the error said there is no
// such process; and, when opened, the creation times of that process and
// of this one. A pid is unique only among running processes, and a parent
// is always created before its child.
func classifyParent(opened, noSuchProcess bool, parentCreated, selfCreated time.Time) parentState {
	switch {
	case !opened && noSuchProcess:
		return parentExited
	case !opened:
		return parentUnknown
	case parentCreated.After(selfCreated):
		return parentExited
	}
	return parentRunning
}
