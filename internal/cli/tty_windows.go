//go:build windows

package cli

import (
	"io"
	"os"

	"golang.org/x/term"
)

// OpenTTY returns the console for messages the user must see when stderr is
// not the console, or nil.
func OpenTTY(stderr *os.File) io.Writer {
	if term.IsTerminal(int(stderr.Fd())) {
		return nil
	}
	f, err := os.OpenFile("CONOUT$", os.O_WRONLY, 0)
	if err != nil {
		return nil
	}
	return f
}
