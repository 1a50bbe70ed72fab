//go:build unix

package awscli_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sso-credproc/sso-credproc/tokencache/awscli"
)

// A FIFO where the file belongs is refused at once, not waited on.
func TestReadRefusesFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fifo.json")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := awscli.Read(p); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, awscli.ErrMalformed) || !strings.Contains(err.Error(), "regular file") {
			t.Errorf("Read(fifo) = %v, want ErrMalformed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Read(fifo) blocks")
	}
	if ok, err := awscli.Remove(p, "x"); ok || err != nil {
		t.Errorf("Remove(fifo) = %v, %v; want false, nil", ok, err)
	}
	if err := awscli.Write(p, adminToken()); !errors.Is(err, awscli.ErrRefused) {
		t.Errorf("Write over a fifo: %v, want ErrRefused", err)
	}
}

// A file of another user is neither replaced nor removed. Changing a file's
// owner needs root; elsewhere the test is skipped.
func TestForeignOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("chown needs root")
	}
	p := awscli.Path(t.TempDir(), "admin", "")
	tok := adminToken()
	if err := awscli.Write(p, tok); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(p, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	err := awscli.Write(p, legacyToken())
	if !errors.Is(err, awscli.ErrRefused) || !strings.Contains(err.Error(), "another user (uid 4242)") || !strings.Contains(err.Error(), p) {
		t.Errorf("Write over another user's file: %v, want ErrRefused", err)
	}
	if ok, err := awscli.Remove(p, tok.AccessToken); ok || err != nil {
		t.Errorf("Remove of another user's file = %v, %v; want false, nil", ok, err)
	}
	got, err := awscli.Read(p)
	if err != nil || *got != *tok {
		t.Errorf("the file changed: %v, %v", got, err)
	}
	assertOnly(t, filepath.Dir(p), filepath.Base(p))
}

// What the umask removes never includes the owner's bits: a process umask
// of 0o077 or 0 gives the same modes.
func TestWriteModesUnderUmask(t *testing.T) {
	for _, mask := range []int{0, 0o077, 0o022} {
		old := syscall.Umask(mask)
		home := t.TempDir()
		p := awscli.Path(home, "admin", "")
		err := awscli.Write(p, adminToken())
		syscall.Umask(old)
		if err != nil {
			t.Fatal(err)
		}
		for path, want := range map[string]os.FileMode{p: 0o600, awscli.Dir(home): os.ModeDir | 0o700} {
			if fi, err := os.Stat(path); err != nil || fi.Mode() != want {
				t.Errorf("umask %04o: %s: %v, %v; want %v", mask, path, fi.Mode(), err, want)
			}
		}
	}
}
