package tokencache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/adrg/xdg"
	"github.com/gofrs/flock"
)

// Locker gives cross-process mutual exclusion by name.
type Locker interface {
	// Lock waits until it holds the lock called name or ctx ends.
	Lock(ctx context.Context, name string) (Lease, error)
}

// Lease is a held lock.
type Lease interface {
	// Waited reports whether another holder had the lock when Lock was called.
	Waited() bool
	// PrevFailure is the one-line failure left by the previous holder, or "".
	PrevFailure() string
	// Release gives the lock up. A non-nil failure is left for the next
	// holder (see PrevFailure); nil clears it.
	Release(failure error)
}

// LockDir is where lock files go: $XDG_RUNTIME_DIR/sso-credproc when the
// runtime directory exists, else the XDG cache directory. Lock files hold no
// secrets; a lock is released by the OS when its holder dies.
func LockDir() string {
	if fi, err := os.Stat(xdg.RuntimeDir); err == nil && fi.IsDir() {
		return filepath.Join(xdg.RuntimeDir, "sso-credproc")
	}
	return filepath.Join(xdg.CacheHome, "sso-credproc", "locks")
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
	path := filepath.Join(l.Dir, fileName(name)+".lock")
	fl := flock.New(path, flock.SetPermissions(0o600))
	ok, err := fl.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	waited := !ok
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
	ls := &fileLease{fl: fl, note: strings.TrimSuffix(path, ".lock") + ".failed", waited: waited}
	if b, err := os.ReadFile(ls.note); err == nil {
		ls.prev = strings.TrimSpace(string(b))
	}
	return ls, nil
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
	fl     *flock.Flock
	note   string
	prev   string
	waited bool
}

func (l *fileLease) Waited() bool        { return l.waited }
func (l *fileLease) PrevFailure() string { return l.prev }

func (l *fileLease) Release(failure error) {
	if failure != nil {
		msg := strings.ReplaceAll(failure.Error(), "\n", " ")
		_ = os.WriteFile(l.note, []byte(msg+"\n"), 0o600)
	} else if l.prev != "" {
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
