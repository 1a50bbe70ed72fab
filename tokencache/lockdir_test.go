//go:build !windows

package tokencache

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The lock directory is this user's alone: opened-up permissions are
// closed, a link or another user's directory is refused.
func TestLockDirIsChecked(t *testing.T) {
	base := t.TempDir()
	open := filepath.Join(base, "open")
	if err := os.Mkdir(open, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(open, 0o777)
	l := &FileLocker{Dir: open}
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
