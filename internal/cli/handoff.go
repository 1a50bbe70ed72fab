package cli

import (
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
// handoff_windows.go. It returns an exit status only when it cannot.
func Handoff(args []string, stderr io.Writer) int {
	p, err := renewPath()
	if err == nil {
		err = handoff(p, args)
		if err == nil {
			return 0
		}
		if code, ok := err.(exitCode); ok {
			return int(code)
		}
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
