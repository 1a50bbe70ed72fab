package cli

import (
	"fmt"
	"io"
	"strings"
)

// ui writes everything that is not the credential JSON.
type ui struct {
	err   io.Writer
	tty   func() io.Writer // opens the terminal on first use; may be nil
	debug bool

	ttyOpened bool
	ttyW      io.Writer
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// notify shows a line the user must see, even while stderr is captured.
func (u *ui) notify(msg string) {
	line := "sso-credproc: " + oneLine(msg) + "\n"
	io.WriteString(u.err, line)
	if !u.ttyOpened && u.tty != nil {
		u.ttyOpened, u.ttyW = true, u.tty()
	}
	if u.ttyW != nil {
		io.WriteString(u.ttyW, line)
	}
}

func (u *ui) debugf(format string, args ...any) {
	if u.debug {
		fmt.Fprintf(u.err, "sso-credproc: debug: %s\n", oneLine(fmt.Sprintf(format, args...)))
	}
}

// fail prints the error line and, when there is one, the hint line.
func (u *ui) fail(err error, hint string) {
	fmt.Fprintf(u.err, "sso-credproc: error: %s\n", oneLine(err.Error()))
	if hint != "" {
		fmt.Fprintf(u.err, "sso-credproc: hint: %s\n", oneLine(hint))
	}
}
