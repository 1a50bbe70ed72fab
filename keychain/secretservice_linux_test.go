package keychain

// Tests against a real Secret Service on the session bus. With CI set they
// fail when there is none; otherwise they skip. They use the service name
// "sso-credproc-test" and a fresh key per test, and delete what they write.
//
// TestSecretServiceLocked locks the login collection and unlocks it again
// with the password in SSO_CREDPROC_TEST_KEYRING_PASSWORD; it is skipped
// when that is not set, so it never locks a keyring it cannot unlock.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/zalando/go-keyring"
)

// needSecretService returns a D-Bus connection for the test's own calls, or
// skips (fails under CI) if no unlocked Secret Service answers.
func needSecretService(t testing.TB) *dbus.Conn {
	t.Helper()
	conn, err := secretServiceConn()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but the Secret Service is not usable: %v", err)
		}
		t.Skipf("no usable Secret Service: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func secretServiceConn() (*dbus.Conn, error) {
	addr, err := sessionBus()
	if err != nil {
		return nil, err
	}
	conn, err := dbus.Dial(addr)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if err := conn.Auth(nil); err != nil {
		conn.Close()
		return nil, err
	}
	if err := conn.Hello(); err != nil {
		conn.Close()
		return nil, err
	}
	var locked bool
	err = conn.Object(ssName, loginColl).CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0,
		"org.freedesktop.Secret.Collection", "Locked").Store(&locked)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("the login collection: %w", err)
	}
	if locked {
		conn.Close()
		return nil, errors.New("the login collection is locked")
	}
	return conn, nil
}

func newSecretService() *secretService {
	return &secretService{fallback: keyring.Get, set: keyring.Set, del: keyring.Delete}
}

// testKey returns a key unique to this run of the test and deletes it, and
// its parts, at the end.
func testKey(t testing.TB, s Store) string {
	t.Helper()
	key := fmt.Sprintf("%s/%08x", t.Name(), rand.Uint32())
	t.Cleanup(func() {
		if err := s.Delete(context.Background(), key); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	return key
}

func TestSecretServiceRoundTrip(t *testing.T) {
	needSecretService(t)
	ctx := context.Background()
	b := newSecretService()
	defer b.close()
	s := New(b, svc, 0)
	for name, v := range map[string][]byte{
		"json":   []byte(`{"accessKeyId":"AKIA","secretAccessKey":"` + strings.Repeat("s", 1200) + `"}`),
		"empty":  {},
		"binary": values(300, 1)["binary"],
		"utf8":   values(500, 2)["utf8"],
		"64KiB":  values(64<<10, 3)["text"],
		"marker": []byte(marker{gen: "0123abcd", n: 1}.String()),
	} {
		t.Run(name, func(t *testing.T) {
			key := testKey(t, s)
			if err := s.Set(ctx, key, v); err != nil {
				t.Fatal(err)
			}
			got, err := s.Get(ctx, key)
			if err != nil || !bytes.Equal(got, v) {
				t.Fatalf("Get = %d bytes, %v; want the %d set", len(got), err, len(v))
			}
			// The fast path reads what go-keyring reads.
			fast, err := b.Get(svc, nameOf(key))
			if err != nil {
				t.Fatal(err)
			}
			slow, err := keyring.Get(svc, nameOf(key))
			if err != nil {
				t.Fatal(err)
			}
			if fast != slow || fast != encodeValue(v) {
				t.Errorf("fast path read %d bytes, go-keyring %d, want %d", len(fast), len(slow), len(encodeValue(v)))
			}
			if err := s.Delete(ctx, key); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Get(ctx, key); err != ErrNotFound {
				t.Errorf("Get after Delete: %v, want ErrNotFound", err)
			}
			if _, err := keyring.Get(svc, nameOf(key)); err != keyring.ErrNotFound {
				t.Errorf("go-keyring Get after Delete: %v", err)
			}
		})
	}
}

func TestSecretServiceChunked(t *testing.T) {
	needSecretService(t)
	ctx := context.Background()
	b := newSecretService()
	defer b.close()
	s := New(b, svc, 300)
	key := testKey(t, s)

	v := values(2000, 4)["utf8"]
	if err := s.Set(ctx, key, v); err != nil {
		t.Fatal(err)
	}
	head, err := keyring.Get(svc, nameOf(key))
	if err != nil {
		t.Fatal(err)
	}
	mk, ok, err := parseMarker(head)
	if !ok || err != nil || mk.n < 7 {
		t.Fatalf("head %q: want a marker of 7 or more parts (%v)", head, err)
	}
	if got, err := s.Get(ctx, key); err != nil || !bytes.Equal(got, v) {
		t.Fatalf("Get = %d bytes, %v", len(got), err)
	}
	// Replaced by a small value, the parts go.
	if err := s.Set(ctx, key, []byte("small")); err != nil {
		t.Fatal(err)
	}
	for i := range mk.n {
		if _, err := keyring.Get(svc, partName(nameOf(key), mk.gen, i)); err != keyring.ErrNotFound {
			t.Errorf("part %d after overwrite: %v", i, err)
		}
	}
	if got, err := s.Get(ctx, key); string(got) != "small" || err != nil {
		t.Errorf("Get = %q, %v", got, err)
	}
	// Delete removes head and parts.
	if err := s.Set(ctx, key, v); err != nil {
		t.Fatal(err)
	}
	mk, _, _ = parseMarker(must(keyring.Get(svc, nameOf(key))))
	if err := s.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	for i := range mk.n {
		if _, err := keyring.Get(svc, partName(nameOf(key), mk.gen, i)); err != keyring.ErrNotFound {
			t.Errorf("part %d after Delete: %v", i, err)
		}
	}
}

func TestSecretServiceNotFound(t *testing.T) {
	needSecretService(t)
	b := newSecretService()
	defer b.close()
	if _, err := b.Get(svc, "missing/"+t.Name()); err != keyring.ErrNotFound {
		t.Errorf("fast path: %v, want keyring.ErrNotFound", err)
	}
	if _, err := Open().Get(context.Background(), "missing/"+t.Name()); err != ErrNotFound {
		t.Errorf("Open().Get: %v, want ErrNotFound", err)
	}
}

// countCalls makes b count the method calls it sends, by member name.
func countCalls(b *secretService) func() map[string]int {
	var mu sync.Mutex
	n := map[string]int{}
	b.opts = append(b.opts, dbus.WithOutgoingInterceptor(func(msg *dbus.Message) {
		if msg.Type == dbus.TypeMethodCall {
			member, _ := msg.Headers[dbus.FieldMember].Value().(string)
			mu.Lock()
			n[member]++
			mu.Unlock()
		}
	}))
	return func() map[string]int {
		mu.Lock()
		defer mu.Unlock()
		r := n
		n = map[string]int{}
		return r
	}
}

func TestSecretServiceCalls(t *testing.T) {
	needSecretService(t)
	ctx := context.Background()
	b := newSecretService()
	defer b.close()
	calls := countCalls(b)
	s := New(b, svc, 0)
	key := testKey(t, s)
	if err := keyring.Set(svc, nameOf(key), "v"); err != nil {
		t.Fatal(err)
	}

	for i, want := range []map[string]int{
		{"Hello": 1, "SearchItems": 1, "OpenSession": 1, "GetSecrets": 1},
		{"SearchItems": 1, "GetSecrets": 1}, // connection and session kept
	} {
		if got, err := s.Get(ctx, key); string(got) != "v" || err != nil {
			t.Fatalf("Get = %q, %v", got, err)
		}
		if got := calls(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("Get %d sent %v, want %v", i+1, got, want)
		}
	}
	if _, err := s.Get(ctx, key+"-missing"); err != ErrNotFound {
		t.Errorf("Get of a missing key: %v", err)
	}
	if got, want := calls(), map[string]int{"SearchItems": 1}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Get of a missing key sent %v, want %v", got, want)
	}
	// Over a new connection too: no session for nothing to read.
	b2 := newSecretService()
	defer b2.close()
	calls2 := countCalls(b2)
	if _, err := New(b2, svc, 0).Get(ctx, key+"-missing"); err != ErrNotFound {
		t.Errorf("Get of a missing key: %v", err)
	}
	if got, want := calls2(), map[string]int{"Hello": 1, "SearchItems": 1}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Get of a missing key over a new connection sent %v, want %v", got, want)
	}
}

// TestSecretServiceOpenSessionAfterSearch checks that a new connection sends
// OpenSession only after SearchItems has answered: gnome-keyring aborts on
// an OpenSession from a client it has not registered yet (see
// secretService).
func TestSecretServiceOpenSessionAfterSearch(t *testing.T) {
	needSecretService(t)
	key := testKey(t, New(newSecretService(), svc, 0))
	if err := keyring.Set(svc, nameOf(key), "v"); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var events []string
	searches := map[uint32]bool{}
	b := newSecretService()
	defer b.close()
	b.opts = append(b.opts,
		dbus.WithOutgoingInterceptor(func(msg *dbus.Message) {
			member, _ := msg.Headers[dbus.FieldMember].Value().(string)
			mu.Lock()
			defer mu.Unlock()
			if member == "SearchItems" {
				searches[msg.Serial()] = true
			}
			events = append(events, "send "+member)
		}),
		dbus.WithIncomingInterceptor(func(msg *dbus.Message) {
			serial, _ := msg.Headers[dbus.FieldReplySerial].Value().(uint32)
			mu.Lock()
			defer mu.Unlock()
			if searches[serial] {
				events = append(events, "reply SearchItems")
			}
		}))
	if got, err := b.Get(svc, nameOf(key)); got != "v" || err != nil {
		t.Fatalf("Get = %q, %v", got, err)
	}
	mu.Lock()
	defer mu.Unlock()
	got := strings.Join(events, ", ")
	if want := "send Hello, send SearchItems, reply SearchItems, send OpenSession, send GetSecrets"; got != want {
		t.Errorf("calls: %s\nwant:  %s", got, want)
	}
}

func TestSecretServiceStale(t *testing.T) {
	needSecretService(t)
	ctx := context.Background()
	b := newSecretService()
	defer b.close()
	calls := countCalls(b)
	s := New(b, svc, 0)
	key := testKey(t, s)
	if err := s.Set(ctx, key, []byte("v")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, key); err != nil {
		t.Fatal(err)
	}
	calls()

	// The connection went away (the bus restarted).
	b.mu.Lock()
	b.conn.Close()
	b.mu.Unlock()
	if got, err := s.Get(ctx, key); string(got) != "v" || err != nil {
		t.Errorf("Get after the connection closed = %q, %v", got, err)
	}
	calls()
	// The session went away (the Secret Service restarted).
	b.mu.Lock()
	b.session = "/org/freedesktop/secrets/session/gone"
	b.mu.Unlock()
	if got, err := s.Get(ctx, key); string(got) != "v" || err != nil {
		t.Errorf("Get after the session went away = %q, %v", got, err)
	}
	// It failed with the old session and retried once with a new one.
	want := map[string]int{"SearchItems": 2, "GetSecrets": 2, "OpenSession": 1}
	if got := calls(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("calls %v, want %v", got, want)
	}
}

func TestSecretServiceConcurrent(t *testing.T) {
	needSecretService(t)
	ctx := context.Background()
	b := newSecretService()
	defer b.close()
	s := New(b, svc, 0)
	key := testKey(t, s)
	v := values(1200, 5)["text"]
	if err := s.Set(ctx, key, v); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if got, err := s.Get(ctx, key); err != nil || !bytes.Equal(got, v) {
				t.Errorf("Get = %d bytes, %v", len(got), err)
			}
		})
	}
	wg.Wait()
}

func TestSecretServiceLocked(t *testing.T) {
	conn := needSecretService(t)
	password := os.Getenv("SSO_CREDPROC_TEST_KEYRING_PASSWORD")
	if password == "" {
		t.Skip("set SSO_CREDPROC_TEST_KEYRING_PASSWORD to the login keyring's password to test a locked keyring")
	}
	ctx := context.Background()
	key := testKey(t, New(newSecretService(), svc, 0))
	if err := keyring.Set(svc, nameOf(key), "v"); err != nil {
		t.Fatal(err)
	}

	lock(t, conn)
	t.Cleanup(func() { unlock(t, conn, password) })

	// Only in a locked collection: the fast path hands over to go-keyring.
	var fellBack bool
	b := &secretService{fallback: func(service, user string) (string, error) {
		fellBack = true
		return "from go-keyring", nil
	}}
	defer b.close()
	if got, err := New(b, svc, 0).Get(ctx, key); string(got) != "from go-keyring" || err != nil || !fellBack {
		t.Errorf("Get = %q, %v (fell back: %v), want go-keyring's answer", got, err, fellBack)
	}

	// go-keyring then asks to unlock; with no one to answer the prompt
	// that fails or hangs, and the Store reports the keychain unavailable.
	real := newSecretService()
	defer real.close()
	tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := New(real, svc, 0).Get(tctx, key)
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("Get from a locked keyring with no prompter: %v, want ErrUnavailable", err)
	}
	t.Logf("locked, no prompter: %v", err)

	unlock(t, conn, password)
	if got, err := New(b, svc, 0).Get(ctx, key); string(got) != "v" || err != nil {
		t.Errorf("Get after unlocking = %q, %v", got, err)
	}
}

func lock(t *testing.T, conn *dbus.Conn) {
	t.Helper()
	var locked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	err := conn.Object(ssName, ssPath).Call(ssService+".Lock", 0, []dbus.ObjectPath{loginColl}).Store(&locked, &prompt)
	if err != nil || len(locked) != 1 {
		t.Fatalf("lock the login collection: %v (locked %v, prompt %v)", err, locked, prompt)
	}
}

// unlock uses gnome-keyring's own interface for unlocking without a prompt.
func unlock(t *testing.T, conn *dbus.Conn, password string) {
	t.Helper()
	svc := conn.Object(ssName, ssPath)
	var out dbus.Variant
	var session dbus.ObjectPath
	if err := svc.Call(ssService+".OpenSession", 0, "plain", dbus.MakeVariant("")).Store(&out, &session); err != nil {
		t.Fatalf("open a session: %v", err)
	}
	master := secret{Session: session, Parameters: []byte{}, Value: []byte(password), ContentType: "text/plain"}
	err := svc.Call("org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface.UnlockWithMasterPassword", 0, loginColl, master).Err
	var locked bool
	if err == nil {
		err = conn.Object(ssName, loginColl).Call("org.freedesktop.DBus.Properties.Get", 0,
			"org.freedesktop.Secret.Collection", "Locked").Store(&locked)
	}
	if err != nil || locked {
		t.Fatalf("could not unlock the login collection again (%v): unlock it yourself", err)
	}
}

func TestSecretServiceNoBus(t *testing.T) {
	for _, addr := range []string{"unix:path=/nonexistent/sso-credproc-test-bus", ""} {
		t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
		if _, err := sessionBus(); addr == "" && err == nil {
			continue // /run/user/<uid>/bus exists: there is a bus
		}
		b := newSecretService()
		s := New(b, svc, 0)
		for op, err := range map[string]error{
			"Get":    second(s.Get(context.Background(), "k")),
			"Set":    s.Set(context.Background(), "k", []byte("v")),
			"Delete": s.Delete(context.Background(), "k"),
		} {
			if !errors.Is(err, ErrUnavailable) || !strings.Contains(Hint(err), "DBUS_SESSION_BUS_ADDRESS") {
				t.Errorf("address %q: %s: %v (hint %q), want ErrUnavailable", addr, op, err, Hint(err))
			}
		}
	}
}

func second[T any](_ T, err error) error { return err }

// BenchmarkGetOS reads a 1.2 KB item with the fast path: over a kept
// connection (later reads in a process), and over a new one each time (the
// first read of a process, as in a credential_process call).
func BenchmarkGetOS(b *testing.B) {
	needSecretService(b)
	key := benchKey(b)
	b.Run("kept-conn", func(b *testing.B) {
		ss := newSecretService()
		defer ss.close()
		for b.Loop() {
			benchGet(b, ss.Get, key)
		}
	})
	b.Run("new-conn", func(b *testing.B) {
		for b.Loop() {
			ss := newSecretService()
			benchGet(b, ss.Get, key)
			ss.close()
		}
	})
}

// BenchmarkGetGoKeyring reads the same item with go-keyring's Get, over its
// shared connection, and over a new one each time.
func BenchmarkGetGoKeyring(b *testing.B) {
	needSecretService(b)
	key := benchKey(b)
	b.Run("kept-conn", func(b *testing.B) {
		for b.Loop() {
			benchGet(b, keyring.Get, key)
		}
	})
	b.Run("new-conn", func(b *testing.B) {
		for b.Loop() {
			benchGet(b, keyring.Get, key)
			if conn, err := dbus.SessionBus(); err == nil {
				conn.Close() // go-keyring's shared connection: the next Get makes a new one
			}
		}
	})
}

func benchKey(b *testing.B) string {
	key := fmt.Sprintf("bench/%08x", rand.Uint32())
	if err := keyring.Set(svc, key, string(values(1200, 1)["text"])); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { keyring.Delete(svc, key) })
	return key
}

func benchGet(b *testing.B, get func(service, user string) (string, error), key string) {
	if v, err := get(svc, key); err != nil || len(v) != 1200 {
		b.Fatalf("Get = %d bytes, %v", len(v), err)
	}
}

func TestSecretServiceProbe(t *testing.T) {
	needSecretService(t)
	b := newSecretService()
	defer b.close()
	calls := countCalls(b)
	s := New(b, svc, 0).(Prober)
	if err := s.Probe(context.Background()); err != nil {
		t.Fatalf("Probe of an unlocked keyring: %v", err)
	}
	// Collections, the "default" alias and the "login" collection's Locked,
	// sent together; nothing written, nothing unlocked.
	if got, want := calls(), map[string]int{"Hello": 1, "Get": 2, "ReadAlias": 1}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Probe sent %v, want %v", got, want)
	}
	if err := s.Probe(context.Background()); err != nil {
		t.Fatalf("second Probe: %v", err)
	}
	if got, want := calls(), map[string]int{"Get": 2, "ReadAlias": 1}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("second Probe sent %v, want %v", got, want)
	}
}

// privateBus is a dbus-daemon of the test's own, with its own
// XDG_RUNTIME_DIR (holding the socket "bus") and XDG_DATA_HOME, so that
// what the test does to its Secret Service touches no one else's.
type privateBus struct {
	addr string   // the address dbus-daemon printed, with its guid
	run  string   // its XDG_RUNTIME_DIR; the socket is run/bus
	env  []string // environment for programs on this bus
}

// startPrivateBus starts the bus; with activation, D-Bus starts
// gnome-keyring on the first call to org.freedesktop.secrets, as on a
// machine without a desktop. It skips (fails under CI) without dbus-daemon
// and gnome-keyring-daemon.
func startPrivateBus(t *testing.T, activation bool) *privateBus {
	t.Helper()
	for _, prog := range []string{"dbus-daemon", "gnome-keyring-daemon", "bash"} {
		if _, err := exec.LookPath(prog); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("CI is set but %s is missing", prog)
			}
			t.Skipf("no %s", prog)
		}
	}
	dir, err := os.MkdirTemp("", "kc") // short: a socket path has at most 107 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	p := &privateBus{run: filepath.Join(dir, "run")}
	data := filepath.Join(dir, "data")
	for _, d := range []string{p.run, data} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	services := ""
	if activation {
		services = "<standard_session_servicedirs/>"
	}
	conf := filepath.Join(dir, "bus.conf")
	err = os.WriteFile(conf, []byte(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=`+filepath.Join(p.run, "bus")+`</listen>
  <auth>EXTERNAL</auth>
  `+services+`
  <policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy>
</busconfig>
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range os.Environ() {
		switch name, _, _ := strings.Cut(kv, "="); name {
		case "DBUS_SESSION_BUS_ADDRESS", "DBUS_SESSION_BUS_PID", "GNOME_KEYRING_CONTROL", "SSH_AUTH_SOCK",
			"XDG_RUNTIME_DIR", "XDG_DATA_HOME", "DISPLAY", "WAYLAND_DISPLAY", "SSO_CREDPROC_TEST_KEYRING_PASSWORD":
		default:
			p.env = append(p.env, kv)
		}
	}
	p.env = append(p.env, "XDG_RUNTIME_DIR="+p.run, "XDG_DATA_HOME="+data)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.Command("dbus-daemon", "--config-file="+conf, "--nofork", "--nopidfile", "--print-address=1")
	cmd.Env = p.env
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The bus goes last. gnome-keyring-daemon usually leaves with its bus,
	// but one replaced by --replace after D-Bus started it can stay: so
	// the daemons started for this bus, known by its XDG_RUNTIME_DIR in
	// their environment, are ended too.
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		killStartedFor(t, p.run)
	})
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(out).ReadString('\n')
		line <- strings.TrimSpace(l)
	}()
	select {
	case p.addr = <-line:
	case <-ctx.Done():
		t.Fatal("dbus-daemon printed no address")
	}
	if p.addr == "" {
		t.Fatal("dbus-daemon printed no address")
	}
	p.env = append(p.env, "DBUS_SESSION_BUS_ADDRESS="+p.addr)
	return p
}

// killStartedFor ends the processes of this user whose environment has
// XDG_RUNTIME_DIR=run: only programs started for one private bus have it.
func killStartedFor(t *testing.T, run string) {
	procs, _ := filepath.Glob("/proc/[0-9]*/environ")
	mark := []byte("\x00XDG_RUNTIME_DIR=" + run + "\x00")
	for _, f := range procs {
		env, err := os.ReadFile(f)
		if err != nil || !bytes.Contains(append([]byte{0}, env...), mark) {
			continue
		}
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(f)))
		if err != nil || pid == os.Getpid() {
			continue
		}
		if proc, err := os.FindProcess(pid); err == nil && proc.Signal(syscall.SIGTERM) == nil {
			t.Logf("ended %s's process %d, left behind by its bus", filepath.Base(filepath.Dir(run)), pid)
		}
	}
}

// use makes this process's D-Bus connections, go-keyring's shared one
// included, go to the private bus: through DBUS_SESSION_BUS_ADDRESS, or,
// with viaRuntimeDir, only through $XDG_RUNTIME_DIR/bus.
func (p *privateBus) use(t *testing.T, viaRuntimeDir bool) {
	closeSharedBus() // still on the bus of the environment
	if viaRuntimeDir {
		t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
		os.Unsetenv("DBUS_SESSION_BUS_ADDRESS")
	} else {
		t.Setenv("DBUS_SESSION_BUS_ADDRESS", p.addr)
	}
	t.Setenv("XDG_RUNTIME_DIR", p.run)
	t.Cleanup(closeSharedBus) // before the environment is restored
}

// closeSharedBus closes godbus's shared connection, which go-keyring uses,
// so that the next go-keyring call connects to the bus the environment
// names now. It does nothing without DBUS_SESSION_BUS_ADDRESS, lest
// godbus run dbus-launch.
func closeSharedBus() {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		return
	}
	if conn, err := dbus.SessionBus(); err == nil {
		conn.Close()
	}
}

// sh runs a shell command line on the bus with stdin, and fails the test
// if it fails. gnome-keyring-daemon forks a daemon that keeps its standard
// streams: they go to a file, so that waiting ends with the command.
func (p *privateBus) sh(t *testing.T, line, stdin string) {
	t.Helper()
	log, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", line)
	cmd.Env, cmd.Stdin, cmd.Stdout, cmd.Stderr = p.env, strings.NewReader(stdin), log, log
	if err := cmd.Run(); err != nil {
		out, _ := os.ReadFile(log.Name())
		t.Fatalf("%s: %v\n%s", line, err, out)
	}
}

// waitProbe probes until Probe returns nil, for at most 10 s: a daemon
// just started or replaced takes a moment to own its bus name.
func waitProbe(t *testing.T, s Prober) error {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := s.Probe(ctx)
		cancel()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSecretServiceRuntimeDirBus: without DBUS_SESSION_BUS_ADDRESS the bus
// is found at $XDG_RUNTIME_DIR/bus and the connection is made to that bus.
// It has no Secret Service (and none to activate): Probe and Set say so,
// and the hint's command starts one that works.
func TestSecretServiceRuntimeDirBus(t *testing.T) {
	p := startPrivateBus(t, false)
	// t.Setenv first: it restores the value it finds.
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
	if got, err := sessionBus(); got != "unix:path=/nonexistent/bus" || err != nil {
		t.Errorf("sessionBus with DBUS_SESSION_BUS_ADDRESS set = %q, %v; want the variable's", got, err)
	}
	p.use(t, true)
	want := "unix:path=" + filepath.Join(p.run, "bus")
	if got, err := sessionBus(); got != want || err != nil {
		t.Fatalf("sessionBus = %q, %v; want %q", got, err, want)
	}

	b := newSecretService()
	defer b.close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, hello, err := b.connect(ctx)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	if err := (<-hello.Done).Err; err != nil {
		t.Fatal(err)
	}
	direct, err := dbus.Dial(p.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	if err := direct.Auth(nil); err != nil {
		t.Fatal(err)
	}
	if err := direct.Hello(); err != nil {
		t.Fatal(err)
	}
	var id, directID string
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.GetId", 0).Store(&id); err != nil {
		t.Fatal(err)
	}
	if err := direct.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.GetId", 0).Store(&directID); err != nil {
		t.Fatal(err)
	}
	if id != directID {
		t.Errorf("connected to the bus with id %s, want %s (the one at %s)", id, directID, p.addr)
	}

	s := New(b, svc, 0)
	err = s.(Prober).Probe(ctx)
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, ErrNoSecretService) || Hint(err) != linuxHints.noSecretService {
		t.Errorf("Probe of a bus without a Secret Service: %v (hint %q)", err, Hint(err))
	}
	err = s.Set(ctx, "k", []byte("v"))
	if !errors.Is(err, ErrNoSecretService) {
		t.Errorf("Set on a bus without a Secret Service: %v", err)
	}

	p.sh(t, gnomeKeyringUnlock, "new-password\n")
	if err := waitProbe(t, s.(Prober)); err != nil {
		t.Fatalf("Probe after running the hint's command: %v", err)
	}
	if err := s.Set(ctx, "k", []byte("v")); err != nil {
		t.Fatalf("Set after running the hint's command: %v", err)
	}
	if got, err := s.Get(ctx, "k"); string(got) != "v" || err != nil {
		t.Errorf("Get = %q, %v", got, err)
	}
}

// TestSecretServiceNoCollection: gnome-keyring started by D-Bus activation
// on a machine without a desktop has no login collection and the
// "default" alias names none. Probe says so before anything is written;
// the hint's command creates the login keyring.
func TestSecretServiceNoCollection(t *testing.T) {
	p := startPrivateBus(t, true)
	p.use(t, false)
	b := newSecretService()
	defer b.close()
	s := New(b, svc, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	err := s.(Prober).Probe(ctx)
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, ErrNoCollection) || Hint(err) != linuxHints.noCollection {
		t.Fatalf("Probe of an activated gnome-keyring: %v (hint %q)", err, Hint(err))
	}
	t.Logf("Probe: %v", err)
	err = s.Set(ctx, "k", []byte("v"))
	if !errors.Is(err, ErrNoCollection) {
		t.Errorf("Set: %v, want ErrNoCollection", err)
	}
	t.Logf("Set: %v", err)

	p.sh(t, gnomeKeyringUnlock, "new-password\n")
	if err := waitProbe(t, s.(Prober)); err != nil {
		t.Fatalf("Probe after running the hint's command: %v", err)
	}
	if err := s.Set(ctx, "k", []byte("v")); err != nil {
		t.Fatalf("Set after running the hint's command: %v", err)
	}
	if got, err := s.Get(ctx, "k"); string(got) != "v" || err != nil {
		t.Errorf("Get = %q, %v", got, err)
	}
}

// TestSecretServiceUnlockHint: a locked login collection is reported as
// locked (not as a missing Secret Service), and the hint's headless
// command unlocks it, on a running gnome-keyring of the test's own.
func TestSecretServiceUnlockHint(t *testing.T) {
	p := startPrivateBus(t, false)
	p.use(t, false)
	const password = "private-test-password"
	p.sh(t, "gnome-keyring-daemon --unlock --components=secrets", password)
	b := newSecretService()
	defer b.close()
	s := New(b, svc, 0)
	if err := waitProbe(t, s.(Prober)); err != nil {
		t.Fatalf("Probe of the new keyring: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.Set(ctx, "before", []byte("v")); err != nil {
		t.Fatal(err)
	}

	conn, _, _, err := b.connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lock(t, conn)
	err = s.(Prober).Probe(ctx)
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, ErrLocked) || Hint(err) != linuxHints.locked {
		t.Fatalf("Probe of a locked keyring: %v (hint %q)", err, Hint(err))
	}
	err = s.Set(ctx, "k", []byte("v"))
	if !errors.Is(err, ErrLocked) || Hint(err) != linuxHints.locked {
		t.Errorf("Set into a locked keyring: %v (hint %q)", err, Hint(err))
	}
	_, err = s.Get(ctx, "before")
	if !errors.Is(err, ErrLocked) {
		t.Errorf("Get from a locked keyring: %v", err)
	}

	p.sh(t, gnomeKeyringUnlock, password+"\n")
	if err := waitProbe(t, s.(Prober)); err != nil {
		t.Fatalf("Probe after running the hint's command: %v", err)
	}
	if got, err := s.Get(ctx, "before"); string(got) != "v" || err != nil {
		t.Errorf("Get after unlocking = %q, %v", got, err)
	}
	if err := s.Set(ctx, "k", []byte("v")); err != nil {
		t.Errorf("Set after unlocking: %v", err)
	}
}

// TestSecretServiceBounds checks the read bounds against the real Secret
// Service: an item over maxMessage is refused from the reply's first bytes,
// without godbus reading it (which took 20 s and 750 MB for 20 MB); one
// over maxValue is refused once read; a head naming too many parts costs
// two reads; each is then overwritten, and the next read connects again.
func TestSecretServiceBounds(t *testing.T) {
	needSecretService(t)
	ctx := context.Background()
	b := newSecretService()
	defer b.close()
	calls := countCalls(b)
	s := New(b, svc, 0)
	key := testKey(t, s)
	for _, tc := range []struct {
		name, item string
		refused    bool // before godbus reads it
	}{
		{"maxValue", strings.Repeat("x", maxValue), false},
		{"just over maxValue", strings.Repeat("x", maxValue+100), false},
		{"2 MiB", strings.Repeat("x", 2<<20), true},
		{"head naming 4096 parts", marker{gen: "0123abcd", n: 4096}.String(), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := keyring.Set(svc, nameOf(key), tc.item); err != nil {
				t.Fatal(err)
			}
			calls()
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			got, err := s.Get(ctx, key)
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("Get: %v, %d bytes allocated, calls %v", took, alloc, calls())
			if len(tc.item) == maxValue {
				if err != nil || string(got) != tc.item {
					t.Fatalf("Get = %d bytes, %v; want the item", len(got), err)
				}
				return
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Get: %v, want ErrCorrupt", err)
			}
			if tc.refused {
				if alloc > uint64(len(tc.item)/2) {
					t.Errorf("Get allocated %d bytes for an item of %d", alloc, len(tc.item))
				}
				if _, err := b.getContext(ctx, svc, nameOf(key)); !errors.As(err, new(*itemTooLarge)) {
					t.Errorf("backend read: %v, want an *itemTooLarge", err)
				}
			}
			if err := s.Set(ctx, key, []byte("small")); err != nil {
				t.Fatal(err)
			}
			if got, err := s.Get(ctx, key); string(got) != "small" || err != nil {
				t.Errorf("Get after Set = %q, %v", got, err)
			}
		})
	}
}

// TestSecretServiceRacingWriters runs the races of TestRacingWriters
// against the real Secret Service.
func TestSecretServiceRacingWriters(t *testing.T) {
	needSecretService(t)
	b := newSecretService()
	defer b.close()
	t.Run("their Set while we write parts", func(t *testing.T) {
		checkRace(t, b, testKey(t, New(b, svc, 300)), raceTheirSetWhileWeWriteParts, true)
	})
	t.Run("their head lands after ours", func(t *testing.T) {
		checkRace(t, b, testKey(t, New(b, svc, 300)), raceTheirHeadAfterOurs, false)
	})
}
