package kernelkeyring

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// These tests use the real kernel keyring of the user running them, with a
// description prefix of their own, and remove their keys when done.

// childEnv selects what a re-executed test binary does (see TestMain).
const childEnv = "KERNELKEYRING_TEST_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(child(mode))
	}
	os.Exit(m.Run())
}

// payload is the size of a credential set as sso-credproc stores it.
var payload = bytes.Repeat([]byte("x"), 1200)

// testKeyring returns a Keyring with a prefix unique to this test; it
// skips when keyctl is refused here (a seccomp filter).
func testKeyring(t testing.TB) *Keyring {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	r := &Keyring{prefix: fmt.Sprintf("sso-credproc-test-%d-%s:", os.Getpid(), hex.EncodeToString(b)), k: sys{}}
	if _, err := r.Get("probe"); errors.Is(err, errors.ErrUnsupported) {
		if os.Getenv("CI") != "" {
			t.Fatalf("the kernel keyring is needed under CI: %v", err)
		}
		t.Skipf("the kernel keyring cannot be used here: %v", err)
	} else if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		keys, err := r.Keys("")
		if err != nil {
			t.Errorf("clean-up: %v", err)
		}
		for _, k := range keys {
			if err := r.Delete(k); err != nil {
				t.Errorf("clean-up: %v", err)
			}
		}
	})
	return r
}

// procKey is a key's line in /proc/keys.
type procKey struct {
	usage   int
	timeout string // "perm", "59m", "3s", "expd"
}

// procKeys finds the key with this description in /proc/keys.
func procKeys(t *testing.T, desc string) (procKey, bool) {
	t.Helper()
	f, err := os.Open("/proc/keys")
	if err != nil {
		t.Skipf("no /proc/keys: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// ID FLAGS USAGE TIMEOUT PERM UID GID TYPE DESCRIPTION: SUMMARY
		fields := strings.Fields(sc.Text())
		if len(fields) < 9 || fields[7] != "user" || !strings.HasPrefix(strings.Join(fields[8:], " "), desc+": ") {
			continue
		}
		usage, _ := strconv.Atoi(fields[2])
		return procKey{usage: usage, timeout: fields[3]}, true
	}
	return procKey{}, false
}

func TestSetGetReplace(t *testing.T) {
	r := testKeyring(t)
	const key = "sso-session:corp|eu-west-1|111122223333|Dev|credentials"
	// A key linked only into the user keyring, for comparison (reading
	// /proc/keys holds a reference of its own).
	if _, err := unix.AddKey("user", r.prefix+"baseline", payload, unix.KEY_SPEC_USER_KEYRING); err != nil {
		t.Fatal(err)
	}
	base, _ := procKeys(t, r.prefix+"baseline")
	if v, err := r.Get(key); v != nil || err != nil {
		t.Fatalf("before Set: %q, %v", v, err)
	}
	for i, v := range [][]byte{payload, []byte(`{"version":1,"second":true}`), bytes.Repeat([]byte("y"), 5000)} {
		if err := r.Set(key, v, time.Hour); err != nil {
			t.Fatalf("Set %d: %v", i, err)
		}
		got, err := r.Get(key)
		if err != nil || !bytes.Equal(got, v) {
			t.Fatalf("Get after Set %d: %d bytes, %v", i, len(got), err)
		}
		// One key of that description, linked once: the staging link in
		// the process keyring is gone and the replaced key is not kept.
		if keys, err := r.Keys(key); err != nil || !slices.Equal(keys, []string{key}) {
			t.Fatalf("Keys: %q, %v", keys, err)
		}
		// (The kernel drops the reference of an unlinked link after an
		// RCU grace period.)
		for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			pk, ok := procKeys(t, r.prefix+key)
			if ok && pk.usage == base.usage {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("/proc/keys: %+v %t, want usage %d as a key linked once", pk, ok, base.usage)
			}
		}
	}
}

func TestPermissionsAndTimeout(t *testing.T) {
	r := testKeyring(t)
	const key = "k"
	if err := r.Set(key, payload, time.Hour); err != nil {
		t.Fatal(err)
	}
	d, err := r.Describe(key)
	if err != nil || d == nil {
		t.Fatalf("Describe: %+v, %v", d, err)
	}
	if d.Type != "user" || d.UID != os.Getuid() || d.Description != r.prefix+key {
		t.Errorf("describe: %+v", d)
	}
	// possessor and user: view read write search setattr; group, other: none
	if d.Perm != 0x2f2f0000 {
		t.Errorf("perm %08x, want 2f2f0000", d.Perm)
	}
	pk, ok := procKeys(t, r.prefix+key)
	if !ok || (pk.timeout != "59m" && pk.timeout != "60m" && pk.timeout != "1h") {
		t.Errorf("/proc/keys timeout %+v %t, want about 1h", pk, ok)
	}
	if err := r.Set(key, payload, 999*time.Millisecond); err == nil {
		t.Error("Set with a timeout below one second succeeded (0 would mean none)")
	}
}

func TestExpiresByTimeout(t *testing.T) {
	r := testKeyring(t)
	if err := r.Set("short", payload, time.Second); err != nil {
		t.Fatal(err)
	}
	if v, err := r.Get("short"); v == nil || err != nil {
		t.Fatalf("just after Set: %d bytes, %v", len(v), err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		v, err := r.Get("short")
		if err != nil {
			t.Fatal(err)
		}
		if v == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the key is still there 5 s after its 1 s timeout")
		}
		time.Sleep(100 * time.Millisecond)
	}
	// An expired key is replaced like any other.
	if err := r.Set("short", payload, time.Hour); err != nil {
		t.Fatal(err)
	}
	if v, err := r.Get("short"); v == nil || err != nil {
		t.Fatalf("after replacing the expired key: %d bytes, %v", len(v), err)
	}
}

func TestDeleteAndKeys(t *testing.T) {
	r := testKeyring(t)
	for _, k := range []string{"a|1|credentials", "a|2|credentials", "ab|3|credentials", "b|4|credentials"} {
		if err := r.Set(k, payload, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	keys, err := r.Keys("a|")
	slices.Sort(keys)
	if err != nil || !slices.Equal(keys, []string{"a|1|credentials", "a|2|credentials"}) {
		t.Fatalf("Keys(a|) = %q, %v", keys, err)
	}
	for range 2 { // a second Delete finds nothing, which is no error
		if err := r.Delete("a|1|credentials"); err != nil {
			t.Fatal(err)
		}
	}
	if v, err := r.Get("a|1|credentials"); v != nil || err != nil {
		t.Fatalf("after Delete: %q, %v", v, err)
	}
	if d, err := r.Describe("a|1|credentials"); d != nil || err != nil {
		t.Fatalf("after Delete: %+v, %v", d, err)
	}
	// Invalidated keys are collected by the kernel shortly after.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, ok := procKeys(t, r.prefix+"a|1|credentials"); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the deleted key is still in /proc/keys after 5 s")
		}
	}
	if v, _ := r.Get("a|2|credentials"); v == nil {
		t.Error("Delete removed another key")
	}
}

// runChild runs this test binary in mode, with env, as uid (-1: this
// user), in a new session (setsid) and returns its stdout.
func runChild(t *testing.T, mode string, uid int, env ...string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	attr := &syscall.SysProcAttr{Setsid: true}
	if uid >= 0 {
		// Another user must be able to run the binary.
		dir, err := os.MkdirTemp("", "kernelkeyring-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		copyExe := filepath.Join(dir, "child")
		if err := copyFile(exe, copyExe); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		exe = copyExe
		attr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}
	}
	cmd := exec.Command(exe)
	cmd.Env = append([]string{childEnv + "=" + mode, "PATH=" + os.Getenv("PATH")}, env...)
	cmd.SysProcAttr = attr
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("child %s: %v\nstderr: %s", mode, err, errb.String())
	}
	return out.String()
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// A later process of the same user, in another login session with a
// session keyring of its own that does not link the user keyring (as
// under `keyctl session`, or a login without pam_keyinit), reads the key.
func TestAnotherSessionReads(t *testing.T) {
	r := testKeyring(t)
	if err := r.Set("shared", payload, time.Hour); err != nil {
		t.Fatal(err)
	}
	ses, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_SESSION_KEYRING, false)
	if err != nil {
		t.Fatalf("session keyring: %v", err)
	}
	out := runChild(t, "read", -1, "PREFIX="+r.prefix, "KEY=shared", "PARENT_SESSION="+strconv.Itoa(ses))
	if out != string(payload) {
		t.Fatalf("the child read %q", out)
	}
}

// Another user can neither read nor describe the key, even knowing its ID.
func TestOtherUserCannotRead(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root, to run a child as another user")
	}
	r := testKeyring(t)
	if err := r.Set("mine", payload, time.Hour); err != nil {
		t.Fatal(err)
	}
	id, err := unix.KeyctlSearch(unix.KEY_SPEC_USER_KEYRING, "user", r.prefix+"mine", 0)
	if err != nil {
		t.Fatal(err)
	}
	out := runChild(t, "foreign", 65534, "ID="+strconv.Itoa(id))
	if out != "read: permission denied\ndescribe: permission denied\n" {
		t.Fatalf("as uid 65534: %q", out)
	}
}

// A user other than root has a quota (20,000 bytes by default): Set
// reports ErrQuota when it is full.
func TestQuotaFull(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root, to run a child as a user with a small quota")
	}
	testKeyring(t) // skips where keyctl is refused
	out := runChild(t, "quota", 65534)
	n, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("child: %q", out)
	}
	// 20,000 bytes hold about 15 sets; a higher maxbytes would hold more.
	if max, _ := os.ReadFile("/proc/sys/kernel/keys/maxbytes"); strings.TrimSpace(string(max)) == "20000" && (n < 5 || n > 16) {
		t.Errorf("the quota was full after %d keys", n)
	}
}

// child runs in a re-executed test binary; it returns the exit status.
func child(mode string) int {
	// Joining a session keyring changes this thread's credentials only.
	runtime.LockOSThread()
	fail := func(format string, args ...any) int {
		fmt.Fprintf(os.Stderr, format+"\n", args...)
		return 1
	}
	switch mode {
	case "read":
		// A new, empty, anonymous session keyring.
		if _, err := unix.KeyctlInt(unix.KEYCTL_JOIN_SESSION_KEYRING, 0, 0, 0, 0); err != nil {
			return fail("join session keyring: %v", err)
		}
		ses, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_SESSION_KEYRING, false)
		if err != nil || strconv.Itoa(ses) == os.Getenv("PARENT_SESSION") {
			return fail("session keyring %d (parent's %s): %v", ses, os.Getenv("PARENT_SESSION"), err)
		}
		if n, err := unix.KeyctlBuffer(unix.KEYCTL_READ, ses, nil, 0); n != 0 || err != nil {
			return fail("the new session keyring is not empty: %d bytes, %v", n, err)
		}
		r := &Keyring{prefix: os.Getenv("PREFIX"), k: sys{}}
		v, err := r.Get(os.Getenv("KEY"))
		if err != nil || v == nil {
			return fail("Get: %q, %v", v, err)
		}
		os.Stdout.Write(v)
	case "foreign":
		// A session of this user's own: the inherited one links the
		// parent's user keyring and would make this process possess its
		// keys.
		if _, err := unix.KeyctlInt(unix.KEYCTL_JOIN_SESSION_KEYRING, 0, 0, 0, 0); err != nil {
			return fail("join session keyring: %v", err)
		}
		id, _ := strconv.Atoi(os.Getenv("ID"))
		_, err := unix.KeyctlBuffer(unix.KEYCTL_READ, id, make([]byte, 4096), 0)
		fmt.Printf("read: %v\n", err)
		_, err = unix.KeyctlString(unix.KEYCTL_DESCRIBE, id)
		fmt.Printf("describe: %v\n", err)
	case "quota":
		r := &Keyring{prefix: fmt.Sprintf("sso-credproc-test-quota-%d:", os.Getpid()), k: sys{}}
		defer func() {
			keys, _ := r.Keys("")
			for _, k := range keys {
				r.Delete(k)
			}
		}()
		for i := range 1000 {
			err := r.Set(strconv.Itoa(i), payload, time.Minute)
			if errors.Is(err, ErrQuota) {
				fmt.Println(i)
				return 0
			}
			if err != nil {
				return fail("Set %d: %v", i, err)
			}
		}
		return fail("no quota after 1000 keys")
	default:
		return fail("unknown mode %q", mode)
	}
	return 0
}

// fakeKeyctl answers every call with err, or ok where err is nil.
type fakeKeyctl struct {
	err      map[string]error // by call name; "" for all
	calls    []string
	unlinked []int
}

func (f *fakeKeyctl) fail(call string) error {
	f.calls = append(f.calls, call)
	if err, ok := f.err[call]; ok {
		return err
	}
	return f.err[""]
}
func (f *fakeKeyctl) addKey(string, []byte, int) (int, error) { return 7, f.fail("add_key") }
func (f *fakeKeyctl) search(int, string) (int, error)         { return 7, f.fail("search") }
func (f *fakeKeyctl) read(int, []byte) (int, error)           { return 0, f.fail("read") }
func (f *fakeKeyctl) describe(int) (string, error)            { return "", f.fail("describe") }
func (f *fakeKeyctl) setperm(int, uint32) error               { return f.fail("setperm") }
func (f *fakeKeyctl) setTimeout(int, int) error               { return f.fail("set_timeout") }
func (f *fakeKeyctl) link(int, int) error                     { return f.fail("link") }
func (f *fakeKeyctl) unlink(id, ring int) error {
	f.unlinked = append(f.unlinked, ring)
	return f.fail("unlink")
}
func (f *fakeKeyctl) invalidate(int) error { return f.fail("invalidate") }

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  map[string]error
		want error // nil: a miss
	}{
		{"seccomp (EPERM)", map[string]error{"": unix.EPERM}, errors.ErrUnsupported},
		{"no keys in the kernel (ENOSYS)", map[string]error{"": unix.ENOSYS}, errors.ErrUnsupported},
		{"quota", map[string]error{"add_key": unix.EDQUOT, "search": unix.ENOKEY}, ErrQuota}, // Get: a miss
		{"expired between search and read", map[string]error{"read": unix.EKEYEXPIRED, "": unix.ENOKEY}, nil},
		{"revoked", map[string]error{"search": unix.EKEYREVOKED, "": unix.ENOKEY}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Keyring{prefix: "p:", k: &fakeKeyctl{err: tc.err}}
			v, err := r.Get("k")
			wantGet := tc.want
			if wantGet == ErrQuota {
				wantGet = nil
			}
			if v != nil || !errors.Is(err, wantGet) || (wantGet == nil) != (err == nil) {
				t.Errorf("Get: %q, %v; want %v", v, err, tc.want)
			}
			if err := r.Set("k", payload, time.Hour); tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("Set: %v; want %v", err, tc.want)
			}
			if tc.want == errors.ErrUnsupported {
				if err := r.Delete("k"); !errors.Is(err, tc.want) {
					t.Errorf("Delete: %v", err)
				}
				if _, err := r.Keys(""); !errors.Is(err, tc.want) {
					t.Errorf("Keys: %v", err)
				}
			}
		})
	}
}

// A Set that fails half way drops its staging link, and never links a key
// without its timeout into the user keyring.
func TestSetFailingHalfWay(t *testing.T) {
	f := &fakeKeyctl{err: map[string]error{"set_timeout": unix.EACCES}}
	r := &Keyring{prefix: "p:", k: f}
	if err := r.Set("k", payload, time.Hour); err == nil {
		t.Fatal("Set succeeded")
	}
	if slices.Contains(f.calls, "link") {
		t.Errorf("calls %q: linked into the user keyring without a timeout", f.calls)
	}
	if !slices.Equal(f.unlinked, []int{unix.KEY_SPEC_PROCESS_KEYRING}) {
		t.Errorf("unlinked from %v, want the process keyring", f.unlinked)
	}
}

// What the warm path pays: a hit, and filling the tier after a miss.
func BenchmarkGet(b *testing.B) {
	r := testKeyring(b)
	if err := r.Set("bench", payload, time.Hour); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if v, err := r.Get("bench"); v == nil || err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSet(b *testing.B) {
	r := testKeyring(b)
	for b.Loop() {
		if err := r.Set("bench", payload, time.Hour); err != nil {
			b.Fatal(err)
		}
	}
}
