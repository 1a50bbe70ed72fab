package keychain

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

// fakeSecurity writes a shell script standing in for /usr/bin/security: it
// records its arguments (one a line) and its process id in dir, then runs
// body.
func fakeSecurity(t *testing.T, body string) (path, dir string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("needs a POSIX shell")
	}
	dir = t.TempDir()
	path = filepath.Join(dir, "security")
	script := "#!/bin/sh\necho $$ > '" + dir + "/pid'\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > '" + dir + "/args'\n" + body + "\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path, dir
}

// TestSecurityGet runs securityGet against a stand-in for the security
// command: the arguments go-keyring's Get uses, its decoding of the
// output, a missing item, a failure, an output over the bound.
func TestSecurityGet(t *testing.T) {
	ctx := context.Background()
	const account = "sso-session%3Acorp|eu-west-1|token"
	b64 := base64.StdEncoding.EncodeToString([]byte("line one\nline two"))
	for _, tc := range []struct {
		name, body string
		want       string
		wantErr    func(error) bool
	}{
		{"base64 (go-keyring's Set)", "echo go-keyring-base64:" + b64, "line one\nline two", nil},
		{"hex (older go-keyring)", "echo go-keyring-encoded:" + hex.EncodeToString([]byte("héllo")), "héllo", nil},
		{"plain, trimmed", "printf '  plain value \\n'", "plain value", nil},
		{"a warning on stderr is not the value", "echo warning >&2; echo go-keyring-base64:" + b64, "line one\nline two", nil},
		{"missing", "echo 'security: SecKeychainSearchCopyNext: The specified item could not be found in the keychain.' >&2; exit 44", "",
			func(err error) bool { return err == keyring.ErrNotFound }},
		{"locked", "echo 'security: SecKeychainItemCopyContent: User interaction is not allowed.' >&2; exit 36", "",
			func(err error) bool { return errors.Is(classifyDarwin(err), ErrLocked) }},
		{"bad base64", "echo go-keyring-base64:!!!", "", func(err error) bool { return err != nil }},
		{"output over the bound", "head -c 30000000 /dev/zero | tr '\\0' a", "",
			func(err error) bool { return errors.As(err, new(*itemTooLarge)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path, dir := fakeSecurity(t, tc.body)
			got, err := securityGet(ctx, path, Service, account)
			if tc.wantErr != nil {
				if !tc.wantErr(err) {
					t.Errorf("securityGet = %q, %v; not the error wanted", got, err)
				}
			} else if got != tc.want || err != nil {
				t.Errorf("securityGet = %q, %v; want %q", got, err, tc.want)
			}
			args, _ := os.ReadFile(filepath.Join(dir, "args"))
			if want := strings.Join(securityFindArgs(Service, account), "\n") + "\n"; string(args) != want {
				t.Errorf("arguments %q, want %q", args, want)
			}
		})
	}
	if got := securityFindArgs("s", "a"); strings.Join(got, " ") != "find-generic-password -s s -wa a" {
		t.Errorf("arguments %q are not go-keyring's", got)
	}
}

// TestSecurityGetDeadline checks that a read that outlives its context
// ends the command (go-keyring's leaves it running, and its dialog on
// screen), through the Store as the warm path calls it.
func TestSecurityGetDeadline(t *testing.T) {
	path, dir := fakeSecurity(t, "exec sleep 60")
	s := &store{b: securityBackend{path}, service: Service, timeout: 300 * time.Millisecond}
	start := time.Now()
	_, err := s.Get(context.Background(), "k")
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Get: %v, want the deadline", err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	proc, err := os.FindProcess(pid)
	if err != nil {
		t.Fatal(err)
	}
	for proc.Signal(syscall.Signal(0)) == nil {
		if time.Since(start) > 10*time.Second {
			proc.Kill()
			t.Fatalf("the command (pid %d) still runs after the deadline", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// securityBackend is the macOS backend's read with another command.
type securityBackend struct{ path string }

func (b securityBackend) Get(service, user string) (string, error) {
	return b.getContext(context.Background(), service, user)
}
func (b securityBackend) getContext(ctx context.Context, service, user string) (string, error) {
	return securityGet(ctx, b.path, service, user)
}
func (securityBackend) Set(service, user, v string) error { return errors.New("read only") }
func (securityBackend) Delete(service, user string) error { return errors.New("read only") }
