package keychain

// Tests against a real Secret Service on the session bus. With CI set they
// fail when there is none; otherwise they skip. They use the service name
// "sso-credproc-test" and a fresh key per test, and delete what they write.
//
// TestSecretServiceLocked locks the login collection and unlocks it again
// with the password in SSO_CREDPROC_TEST_KEYRING_PASSWORD; it is skipped
// when that is not set, so it never locks a keyring it cannot unlock.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
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
			fast, err := b.Get(svc, key)
			if err != nil {
				t.Fatal(err)
			}
			slow, err := keyring.Get(svc, key)
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
			if _, err := keyring.Get(svc, key); err != keyring.ErrNotFound {
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
	head, err := keyring.Get(svc, key)
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
		if _, err := keyring.Get(svc, partName(key, mk.gen, i)); err != keyring.ErrNotFound {
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
	mk, _, _ = parseMarker(must(keyring.Get(svc, key)))
	if err := s.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	for i := range mk.n {
		if _, err := keyring.Get(svc, partName(key, mk.gen, i)); err != keyring.ErrNotFound {
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
	if err := keyring.Set(svc, key, "v"); err != nil {
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
	if err := keyring.Set(svc, key, "v"); err != nil {
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
	if got, err := b.Get(svc, key); got != "v" || err != nil {
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
	if err := keyring.Set(svc, key, "v"); err != nil {
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
