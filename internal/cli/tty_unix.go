//go:build !windows

package cli

import (
	"io"
	"os"

	"golang.org/x/term"
)

// OpenTTY returns the controlling terminal for messages the user must see
// when stderr is not a terminal (botocore captures stderr), or nil.
func OpenTTY(stderr *os.File) io.Writer {
	if term.IsTerminal(int(stderr.Fd())) {
		return nil
	}
	f, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0)
	if err != nil {
		return nil
	}
	return f
}
