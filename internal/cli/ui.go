package cli

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// ui writes everything that is not the credential JSON. It is safe for
// concurrent use: a watcher may detach it while the command runs.
type ui struct {
	err   io.Writer
	tty   func() io.Writer // opens the terminal on first use; may be nil
	debug bool

	mu        sync.Mutex
	ttyOpened bool
	ttyW      io.Writer
	signIn    time.Time // deadline of the sign-in under way; zero if none
	detached  bool
}

// oneLine makes s one line that is safe on a terminal: runs of white space
// become one space, and control, bidi and invalid bytes are escaped
// (terminalSafe), so that text from a server or a config file cannot move
// the cursor, retitle the window or forge a line of its own.
func oneLine(s string) string {
	return terminalSafe(strings.Join(strings.Fields(s), " "))
}

// notify shows a line the user must see, even while stderr is captured.
func (u *ui) notify(msg string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.notifyLocked(msg)
}

func (u *ui) notifyLocked(msg string) {
	line := "sso-credproc: " + oneLine(msg) + "\n"
	io.WriteString(u.err, line)
	if !u.ttyOpened && u.tty != nil {
		u.ttyOpened, u.ttyW = true, u.tty()
	}
	if u.ttyW != nil {
		io.WriteString(u.ttyW, line)
	}
}

// say writes a line for the user on stderr (not copied to the terminal:
// for commands run by people, not for the credential call).
func (u *ui) say(msg string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	io.WriteString(u.err, "sso-credproc: "+oneLine(msg)+"\n")
}

func (u *ui) debugf(format string, args ...any) {
	if u.debug {
		u.mu.Lock()
		defer u.mu.Unlock()
		fmt.Fprintf(u.err, "sso-credproc: debug: %s\n", oneLine(fmt.Sprintf(format, args...)))
	}
}

// fail prints the error line and, when there is one, the hint line.
func (u *ui) fail(err error, hint string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	fmt.Fprintf(u.err, "sso-credproc: error: %s\n", oneLine(err.Error()))
	if hint != "" {
		fmt.Fprintf(u.err, "sso-credproc: hint: %s\n", oneLine(hint))
	}
}

// signingIn records that a sign-in is under way until deadline.
func (u *ui) signingIn(deadline time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.signIn = deadline
}

// detach closes stdout and stderr with closeStdio (the caller is gone and
// waits on them) and from then on writes only to the terminal. When a
// sign-in is under way it tells the user there that it goes on.
func (u *ui) detach(closeStdio func() error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.detached {
		return
	}
	u.detached = true
	if closeStdio != nil {
		_ = closeStdio()
	}
	u.err = io.Discard
	// stderr no longer reaches the user: the terminal must, even if it
	// was not needed so far because stderr was that terminal.
	if u.ttyOpened && u.ttyW == nil {
		u.ttyOpened = false
	}
	if !u.signIn.IsZero() {
		u.notifyLocked(fmt.Sprintf("the program that asked for credentials stopped waiting; finish signing in in the browser until %s and the next call will use it", u.signIn.Local().Format("15:04:05")))
	}
}

// Reporter prints the error and hint lines of commands that live outside
// this package (configure), as every sso-credproc command does.
type Reporter struct{ u *ui }

// NewReporter returns a Reporter writing to stderr.
func NewReporter(stderr io.Writer) *Reporter { return &Reporter{&ui{err: stderr}} }

// Fail prints "sso-credproc: error: ERR" and, when hint is not empty,
// "sso-credproc: hint: HINT", each on one line.
func (r *Reporter) Fail(err error, hint string) { r.u.fail(err, hint) }
