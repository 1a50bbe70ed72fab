//go:build windows

package cli

import (
	"context"
	"errors"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// watchParent returns a channel that is closed when the process that
// started this one has exited. Windows gives an orphan no new parent, so
// the parent is opened at once (SYNCHRONIZE) and its handle waited on, up
// to interval at a time, until ctx ends. A parent that has already exited
// counts as gone at once; one that cannot be opened (access denied) is
// never reported gone, and the channel is nil.
//
// sso-credproc uses it to notice that its caller has gone (the Go SDK
// kills the cmd.exe /C it ran sso-credproc through after one minute), and
// sso-credproc-renew to notice that sso-credproc then exited (see
// supervise and handoff_windows.go).
func watchParent(ctx context.Context, interval time.Duration) <-chan struct{} {
	h, state := openParent()
	switch state {
	case parentExited:
		gone := make(chan struct{})
		close(gone)
		return gone
	case parentUnknown:
		return nil
	}
	return watchExit(ctx, interval, func(wait time.Duration) (bool, error) {
		ev, err := windows.WaitForSingleObject(h, uint32(wait.Milliseconds()))
		switch ev {
		case windows.WAIT_OBJECT_0:
			return true, nil
		case uint32(windows.WAIT_TIMEOUT):
			return false, nil
		}
		if err == nil {
			err = errors.New("WaitForSingleObject failed")
		}
		return false, err
	}, func() { windows.CloseHandle(h) })
}

// openParent opens the process that created this one, for waiting on it,
// and says what it found (classifyParent). The handle is valid only with
// parentRunning.
func openParent() (windows.Handle, parentState) {
	var pbi windows.PROCESS_BASIC_INFORMATION
	if err := windows.NtQueryInformationProcess(windows.CurrentProcess(), windows.ProcessBasicInformation,
		unsafe.Pointer(&pbi), uint32(unsafe.Sizeof(pbi)), nil); err != nil {
		return 0, parentUnknown
	}
	h, err := windows.OpenProcess(windows.SYNCHRONIZE|windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pbi.InheritedFromUniqueProcessId))
	if err != nil {
		return 0, classifyParent(false, errors.Is(err, windows.ERROR_INVALID_PARAMETER), time.Time{}, time.Time{})
	}
	parent, err1 := processCreated(h)
	self, err2 := processCreated(windows.CurrentProcess())
	state := parentUnknown
	if err1 == nil && err2 == nil {
		state = classifyParent(true, false, parent, self)
	}
	if state != parentRunning {
		windows.CloseHandle(h)
		return 0, state
	}
	return h, state
}

// processCreated is when the process h was created.
func processCreated(h windows.Handle) (time.Time, error) {
	var created, exited, kernel, user windows.Filetime
	if err := windows.GetProcessTimes(h, &created, &exited, &kernel, &user); err != nil {
		return time.Time{}, err
	}
	return time.Unix(0, created.Nanoseconds()), nil
}

// detachStdio closes this process's stdout and stderr, so that the pipes a
// departed caller waits on are closed (their read ends see EOF) while this
// process finishes in the background, and makes NUL the standard output
// and error for what asks the system for them (the Go runtime's own
// messages). Windows has no dup2 onto a handle's number: later writes
// through os.Stdout and os.Stderr fail with os.ErrClosed instead, and
// nobody reads them.
//
// When stdout and stderr are one handle (a caller may pass one pipe for
// both; sso-credproc never does, as Go duplicates each of a child's
// standard handles), it is closed once, through os.Stdout, and os.Stderr
// is replaced by NUL.
func detachStdio() error {
	name, err := windows.UTF16PtrFromString("NUL")
	if err != nil {
		return err
	}
	null, err := windows.CreateFile(name, windows.GENERIC_READ|windows.GENERIC_WRITE,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE, nil, windows.OPEN_EXISTING, 0, 0)
	if err != nil {
		return err
	}
	errs := []error{
		windows.SetStdHandle(windows.STD_OUTPUT_HANDLE, null),
		windows.SetStdHandle(windows.STD_ERROR_HANDLE, null),
	}
	shared := os.Stdout.Fd() == os.Stderr.Fd()
	errs = append(errs, os.Stdout.Close())
	if shared {
		os.Stderr = os.NewFile(uintptr(null), os.DevNull)
	} else {
		errs = append(errs, os.Stderr.Close())
	}
	return errors.Join(errs...)
}
