package tokencache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gofrs/flock"

	"github.com/sso-credproc/sso-credproc/profile"
	"github.com/sso-credproc/sso-credproc/sso"
)

// Locker gives cross-process mutual exclusion by name.
type Locker interface {
	// Lock waits until it holds the lock called name or ctx ends.
	Lock(ctx context.Context, name string) (Lease, error)
}

// Lease is a held lock.
type Lease interface {
	// PrevFailure is the failure left by the previous holder; nil when the
	// previous holder succeeded.
	PrevFailure() *Failure
	// Release gives the lock up. A non-nil failure is left for the next
	// holder (see PrevFailure): the step that failed and its first cause
	// (a PeerError passes on its peer's, so waiters never stack up
	// "another sso-credproc failed" prefixes); nil clears it.
	Release(failure error)
}

// Failure is what a lock holder left behind when it failed.
type Failure struct {
	Step string    // e.g. "sign in"; "" when not known
	Msg  string    // one line
	At   time.Time // when it was left
}

// FileLocker locks files in Dir with flock(2) / LockFileEx.
type FileLocker struct {
	Dir  string
	Poll time.Duration // how often a waiter tries again; default 10 ms
}

// Lock implements Locker.
func (l *FileLocker) Lock(ctx context.Context, name string) (Lease, error) {
	if err := os.MkdirAll(l.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("create lock directory: %w", err)
	}
	if err := checkLockDir(l.Dir); err != nil {
		return nil, err
	}
	path := filepath.Join(l.Dir, fileName(name)+".lock")
	// os.OpenFile sets O_CLOEXEC itself; noFollow refuses a link planted at
	// the lock's name instead of creating or locking the file it points to.
	fl := flock.New(path, flock.SetPermissions(0o600), flock.SetFlag(os.O_CREATE|os.O_RDONLY|noFollow))
	ok, err := fl.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if !ok {
		poll := l.Poll
		if poll <= 0 {
			poll = 10 * time.Millisecond
		}
		ok, err = fl.TryLockContext(ctx, poll)
		if !ok || err != nil {
			_ = fl.Close()
			if ctx.Err() != nil {
				return nil, &LockTimeoutError{Name: name, Path: path}
			}
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
	}
	if st, err := fl.Stat(); err != nil || checkOwnFile(st) != nil {
		_ = fl.Close()
		if err == nil {
			err = checkOwnFile(st)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	ls := &fileLease{fl: fl, note: strings.TrimSuffix(path, ".lock") + ".failed"}
	ls.prev = readNote(ls.note)
	return ls, nil
}

// maxNote bounds what is read of a failure note and the message kept from
// it: a note is one line this program wrote, far below this.
const maxNote = 1024

// readNote returns the failure a note file holds, or nil when there is
// none or it is not one this program wrote: a link, not a regular file of
// this user's, longer than maxNote, malformed, or dated in the future. The
// message is data from a file: it comes back as one line of printable text
// of at most maxNoteMsg runes.
func readNote(path string) *Failure {
	f, err := os.OpenFile(path, os.O_RDONLY|noFollow, 0)
	if err != nil {
		return nil
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || checkOwnFile(st) != nil || st.Size() > maxNote {
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(f, maxNote+1))
	if err != nil || len(b) > maxNote {
		return nil
	}
	ts, rest, _ := strings.Cut(strings.TrimSpace(string(b)), " ")
	step, msg, ok := strings.Cut(rest, "\t")
	if !ok {
		step, msg = "", rest
	}
	step, msg = noteText(step, 40), noteText(msg, maxNoteMsg)
	n, err := strconv.ParseInt(ts, 10, 64)
	// A note from the future is not one this program wrote.
	if err != nil || msg == "" || !time.Unix(0, n).Before(time.Now().Add(time.Minute)) {
		return nil
	}
	return &Failure{Step: step, Msg: msg, At: time.Unix(0, n)}
}

// maxNoteMsg is the longest message, in runes, a failure note passes on.
const maxNoteMsg = 300

// noteText makes s one line of printable text of at most max runes: control
// characters (escape sequences included) and invalid UTF-8 are dropped,
// runs of spaces become one, and a cut is marked with "…".
func noteText(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, " "))
	return sso.Clip(oneLine(s), max)
}

// LockTimeoutError says that another process held a lock for too long.
type LockTimeoutError struct{ Name, Path string }

func (e *LockTimeoutError) Error() string {
	return fmt.Sprintf("another sso-credproc held the lock for %s too long (%s)", e.Name, e.Path)
}

// ErrLockTimeout matches *LockTimeoutError with errors.Is.
var ErrLockTimeout = errors.New("lock wait timed out")

func (e *LockTimeoutError) Is(target error) bool { return target == ErrLockTimeout }

type fileLease struct {
	fl   *flock.Flock
	note string
	prev *Failure
}

func (l *fileLease) PrevFailure() *Failure { return l.prev }

func (l *fileLease) Release(failure error) {
	if failure != nil {
		step, msg := failedStep(failure)
		line := strconv.FormatInt(time.Now().UnixNano(), 10) + " " + noteText(step, 40) + "\t" + noteText(msg, maxNoteMsg) + "\n"
		writeNote(l.note, []byte(line))
	} else if l.prev != nil {
		_ = os.Remove(l.note)
	}
	_ = l.fl.Unlock()
	_ = l.fl.Close()
}

// fileName turns a lock name into a short, safe file name.
func fileName(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:12])
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// writeNote replaces the note file by renaming a new file over it, never
// writing through whatever stands at that name (a link included).
func writeNote(path string, b []byte) {
	f, err := os.CreateTemp(filepath.Dir(path), ".note-*")
	if err != nil {
		return
	}
	_, werr := f.Write(b)
	if cerr := f.Close(); werr != nil || cerr != nil || os.Rename(f.Name(), path) != nil {
		_ = os.Remove(f.Name())
	}
}

// lstatDir returns dir's own file info (a link is not followed) and an
// error unless it is a real directory.
func lstatDir(dir string) (os.FileInfo, error) {
	st, err := os.Lstat(dir)
	if err != nil {
		return nil, fmt.Errorf("lock directory: %w", err)
	}
	if !st.IsDir() {
		return nil, &LockDirError{Dir: dir, Problem: "is not a directory (a link?)",
			Fix: "remove it, and sso-credproc makes a directory of its own there: rm " + profile.ShellQuote(dir)}
	}
	return st, nil
}

// LockDirError says why the lock directory cannot be trusted, and Fix the
// command that makes it usable (the cli's hint line).
type LockDirError struct{ Dir, Problem, Fix string }

func (e *LockDirError) Error() string { return "lock directory " + e.Dir + " " + e.Problem }

// Hint is the command that fixes the directory.
func (e *LockDirError) Hint() string { return e.Fix }
