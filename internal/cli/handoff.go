package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
)

// RenewName is the program that does what needs the network: role calls,
// token refresh and sign-in. It is installed next to sso-credproc, which
// handles only the warm path itself.
const RenewName = "sso-credproc-renew"

// renewPath returns the sso-credproc-renew beside the running executable.
func renewPath() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	if real, err := filepath.EvalSymlinks(exe); err == nil {
		exe = real
	}
	return renewBeside(exe)
}

// renewBeside returns the sso-credproc-renew in the directory of the
// sso-credproc at exe, or an error saying it is missing there.
func renewBeside(exe string) (string, error) {
	name := RenewName
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	p := filepath.Join(filepath.Dir(exe), name)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s is missing next to %s", name, exe)
	}
	return p, nil
}

// Handoff runs sso-credproc-renew with args; see handoff_unix.go and
// handoff_windows.go. stopSignals ends Main's own handling of SIGINT and
// SIGTERM, which Handoff first hands to takeSignals. It returns the renew
// program's exit status, or 1 after saying on stderr why it could not run
// it, or 1 when the caller has gone (see supervise). It is the end of the
// process: what it changes (signal handling) is not undone.
func Handoff(args []string, stderr io.Writer, stopSignals func()) int {
	signals := takeSignals(stopSignals)
	p, err := renewPath()
	if err == nil {
		err = handoff(p, args, signals)
	}
	return handoffStatus(err, stderr)
}

// handoffStatus is Handoff's exit status for what handoff returned.
func handoffStatus(err error, stderr io.Writer) int {
	var code exitCode
	switch {
	case err == nil:
		return 0
	case errors.As(err, &code):
		return int(code)
	case errors.Is(err, errCallerGone):
		return 1 // nobody reads it
	}
	u := &ui{err: stderr}
	u.fail(fmt.Errorf("cannot renew credentials: %w", err), installHint)
	return 1
}

// installHint names every way to install both programs side by side.
const installHint = "install both programs side by side: ./install.sh from a checkout, or go install github.com/sso-credproc/sso-credproc/cmd/...@latest (it installs exactly sso-credproc and sso-credproc-renew), or copy both from the same release into one directory"

// exitCode is the status of a child that ran.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// renewChild is the sso-credproc-renew that handoff started as a child
// (Windows), which by default dies with this process.
type renewChild interface {
	// Wait waits until the child has exited and returns its exit status.
	Wait() (int, error)
	// Outlive lets the child go on after this process exits.
	Outlive() error
}

// errCallerGone is supervise's answer when the caller has gone: the child
// goes on without this process.
var errCallerGone = errors.New("the caller has gone")

// supervise waits for the child c and returns its exit status (nil for 0,
// else an exitCode), or an error when it cannot wait. It is the Windows
// form of the Unix exec, where the renew program is the process the caller
// started:
//
//   - signals (Ctrl+C, Ctrl+Break, the console closing) are received and
//     dropped: the console delivers them to the child as well, which ends
//     its call in its own way (the keychain writes first, exit status 130),
//     and this process passes that status on instead of dying at once with
//     STATUS_CONTROL_C_EXIT.
//   - when parentGone is closed (the caller, or the cmd.exe /C it ran this
//     process through, has exited), supervise calls c.Outlive and returns
//     errCallerGone, so that this process exits and releases its copy of
//     the caller's pipes; the child, which watches this process (see
//     watchParent), then detaches its own and finishes a sign-in under way
//     in the background. If Outlive fails, exiting would kill the child, so
//     supervise keeps waiting for it (the caller then waits too).
//
// Each of parentGone and signals may be nil.
func supervise(c renewChild, parentGone <-chan struct{}, signals <-chan os.Signal) error {
	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		code, err := c.Wait()
		done <- result{code, err}
	}()
	for {
		select {
		case r := <-done:
			if r.err != nil {
				return r.err
			}
			if r.code != 0 {
				return exitCode(r.code)
			}
			return nil
		case <-parentGone:
			if c.Outlive() == nil {
				return errCallerGone
			}
			parentGone = nil
		case <-signals:
		}
	}
}
