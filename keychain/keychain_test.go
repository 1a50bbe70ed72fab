package keychain

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/zalando/go-keyring"
)

const svc = "sso-credproc-test"

func newStore(t testing.TB, limit, maxItem int) (*Memory, Store) {
	t.Helper()
	m := NewMemory(limit)
	return m, New(m, svc, maxItem)
}

// values returns values of size n of several kinds: text, multi-byte UTF-8
// (so splits must respect character boundaries) and binary.
func values(n int, seed uint64) map[string][]byte {
	r := rand.New(rand.NewPCG(seed, uint64(n)))
	text := make([]byte, n)
	for i := range text {
		text[i] = byte('a' + r.IntN(26))
	}
	var utf []byte
	for len(utf) < n {
		utf = append(utf, []string{"é", "€", "𝄞", "x"}[r.IntN(4)]...)
	}
	cut := n
	for cut > 0 && cut < len(utf) && !utf8.RuneStart(utf[cut]) {
		cut--
	}
	utf = append(utf[:cut], strings.Repeat("x", n-cut)...)
	bin := make([]byte, n)
	for i := range bin {
		bin[i] = byte(r.UintN(256))
	}
	return map[string][]byte{"text": text, "utf8": utf, "binary": bin}
}

func TestRoundTripSizes(t *testing.T) {
	ctx := context.Background()
	for _, limit := range []int{0, 300, 2496} {
		sizes := []int{0, 1}
		if limit == 0 {
			sizes = append(sizes, 40<<10) // binary 40 KiB is 54 KiB in base64
		}
		if limit > 0 {
			sizes = append(sizes, limit-1, limit, limit+1, 3*limit+7)
		}
		for _, size := range sizes {
			for kind, v := range values(size, 1) {
				t.Run(fmt.Sprintf("limit=%d/size=%d/%s", limit, size, kind), func(t *testing.T) {
					m, s := newStore(t, limit, limit)
					key := "k/" + kind
					if err := s.Set(ctx, key, v); err != nil {
						t.Fatalf("Set: %v", err)
					}
					before := m.Ops()
					got, err := s.Get(ctx, key)
					if err != nil {
						t.Fatalf("Get: %v", err)
					}
					if !bytes.Equal(got, v) {
						t.Fatalf("Get returned %d bytes that differ from the %d set", len(got), len(v))
					}
					users := m.Users(svc)
					enc := encodeValue(v)
					fits := limit == 0 || len(enc) <= limit
					if fits {
						if len(users) != 1 || users[0] != nameOf(key) {
							t.Errorf("items %q, want only the key", users)
						}
						if n := m.Ops().Gets - before.Gets; n != 1 {
							t.Errorf("Get of a value that fits made %d backend reads, want 1", n)
						}
					} else if len(users) < 3 {
						t.Errorf("items %q, want a head and at least 2 parts", users)
					}
					for _, u := range users {
						if raw, _ := m.Get(svc, u); limit > 0 && len(raw) > limit {
							t.Errorf("item %q holds %d bytes, over the limit", u, len(raw))
						}
					}
					if err := s.Delete(ctx, key); err != nil {
						t.Fatalf("Delete: %v", err)
					}
					if users := m.Users(svc); len(users) != 0 {
						t.Errorf("after Delete items %q remain", users)
					}
					if _, err := s.Get(ctx, key); err != ErrNotFound {
						t.Errorf("Get after Delete: %v, want ErrNotFound", err)
					}
				})
			}
		}
	}
}

func TestEncoding(t *testing.T) {
	marker := marker{gen: "0123abcd", n: 2, sum: sha256.Sum256([]byte("x"))}.String()
	for _, tc := range []struct {
		name  string
		value string
		plain bool // stored as is
	}{
		{"empty", "", true},
		{"json", `{"accessToken":"x"}`, true},
		{"nul", "a\x00b", true},
		{"marker", marker, false},
		{"marker prefix", markerPrefix, false},
		{"b64 lookalike", b64Prefix + "aGk=", false},
		{"reserved prefix", prefix, false},
		{"unknown form", prefix + "v9:x", false},
		{"invalid utf8", "\xff\xfe", false},
		{"almost prefix", "sso-credproc", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			m, s := newStore(t, 0, 0)
			if err := s.Set(ctx, "k", []byte(tc.value)); err != nil {
				t.Fatal(err)
			}
			raw, _ := m.Get(svc, "k")
			if plain := raw == tc.value; plain != tc.plain {
				t.Errorf("stored as %q; want plain=%v", raw, tc.plain)
			}
			if _, isMarker, _ := parseMarker(raw); isMarker {
				t.Errorf("value stored as a marker: %q", raw)
			}
			got, err := s.Get(ctx, "k")
			if err != nil || string(got) != tc.value {
				t.Errorf("Get = %q, %v; want %q", got, err, tc.value)
			}
		})
	}
}

// chunked stores a value of n bytes that needs parts and returns the head.
func chunked(t *testing.T, m *Memory, s Store, key string, n int) ([]byte, marker) {
	t.Helper()
	v := values(n, 7)["text"]
	if err := s.Set(context.Background(), key, v); err != nil {
		t.Fatal(err)
	}
	head, err := m.Get(svc, nameOf(key))
	if err != nil {
		t.Fatal(err)
	}
	mk, ok, err := parseMarker(head)
	if !ok || err != nil {
		t.Fatalf("head %q is not a marker (%v)", head, err)
	}
	return v, mk
}

func TestMissingPart(t *testing.T) {
	m, s := newStore(t, 300, 300)
	_, mk := chunked(t, m, s, "k", 1000)
	if err := m.Delete(svc, partName("k", mk.gen, 1)); err != nil {
		t.Fatal(err)
	}
	before := m.Ops()
	_, err := s.Get(context.Background(), "k")
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Get: %v, want ErrCorrupt", err)
	}
	if !strings.Contains(err.Error(), "part 2 of 4 is missing") {
		t.Errorf("error %q does not say which part", err)
	}
	// head, part 0, part 1 (missing), head again: it did not change.
	if n := m.Ops().Gets - before.Gets; n != 4 {
		t.Errorf("Get made %d reads, want 4", n)
	}
}

func TestCorruptPart(t *testing.T) {
	m, s := newStore(t, 300, 300)
	v, mk := chunked(t, m, s, "k", 1000)
	p := partName("k", mk.gen, 2)
	old, _ := m.Get(svc, p)
	if err := m.Set(svc, p, strings.Repeat("Z", len(old))); err != nil {
		t.Fatal(err)
	}
	_, err := s.Get(context.Background(), "k")
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Get: %v, want ErrCorrupt", err)
	}
	if strings.Contains(err.Error(), string(v[:16])) || strings.Contains(err.Error(), "ZZZZ") {
		t.Errorf("error %q shows the value", err)
	}
}

func TestCorruptHead(t *testing.T) {
	ctx := context.Background()
	for _, head := range []string{
		markerPrefix,
		markerPrefix + "0123abcd:0:" + strings.Repeat("0", 64),
		markerPrefix + "0123abcd:9999:" + strings.Repeat("0", 64),
		markerPrefix + "0123abcd:02:" + strings.Repeat("0", 64),
		markerPrefix + "0123ABCD:2:" + strings.Repeat("0", 64),
		markerPrefix + "0123abcd:2:" + strings.Repeat("0", 63),
		b64Prefix + "!!!",
		prefix + "chunks:v2:whatever",
	} {
		m, s := newStore(t, 0, 0)
		m.Set(svc, "k", head)
		if _, err := s.Get(ctx, "k"); !errors.Is(err, ErrCorrupt) {
			t.Errorf("head %q: Get: %v, want ErrCorrupt", head, err)
		}
		// Writing over it and deleting it still work.
		if err := s.Set(ctx, "k", []byte("v")); err != nil {
			t.Errorf("head %q: Set: %v", head, err)
		}
		m.Set(svc, "k", head)
		if err := s.Delete(ctx, "k"); err != nil {
			t.Errorf("head %q: Delete: %v", head, err)
		}
	}
}

func TestPartsHoldingMarker(t *testing.T) {
	m, s := newStore(t, 0, 0)
	inner := marker{gen: "00000000", n: 1}.String()
	outer := marker{gen: "11111111", n: 1, sum: sha256.Sum256([]byte(inner))}
	m.Set(svc, "k", outer.String())
	m.Set(svc, partName("k", outer.gen, 0), inner)
	if _, err := s.Get(context.Background(), "k"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Get: %v, want ErrCorrupt", err)
	}
}

func TestCrashMidWrite(t *testing.T) {
	ctx := context.Background()
	for _, oldSize := range []int{10, 1000} {
		t.Run(fmt.Sprintf("old=%d", oldSize), func(t *testing.T) {
			m, s := newStore(t, 300, 300)
			old := values(oldSize, 3)["text"]
			if err := s.Set(ctx, "k", old); err != nil {
				t.Fatal(err)
			}
			items := m.Users(svc)

			// A writer that dies after its parts, before the head: all it
			// leaves is a generation nothing names.
			m.Set(svc, partName("k", "deadbeef", 0), "stale")
			m.Set(svc, partName("k", "deadbeef", 1), "stale")
			if got, err := s.Get(ctx, "k"); err != nil || !bytes.Equal(got, old) {
				t.Fatalf("Get after a crashed write = %d bytes, %v; want the old value", len(got), err)
			}

			// A writer whose head write fails reports it, cleans up its
			// parts, and the old value stays.
			crash := errors.New("crash")
			m.BeforeSet(func(user string) error {
				if user == "k" {
					return crash
				}
				return nil
			})
			err := s.Set(ctx, "k", values(5000, 4)["text"])
			if !errors.Is(err, crash) || !errors.Is(err, ErrUnavailable) {
				t.Fatalf("Set with a failing head write: %v", err)
			}
			m.BeforeSet(nil)
			if got, err := s.Get(ctx, "k"); err != nil || !bytes.Equal(got, old) {
				t.Fatalf("Get after a failed write = %d bytes, %v; want the old value", len(got), err)
			}
			want := append(items, partName("k", "deadbeef", 0), partName("k", "deadbeef", 1))
			if got := m.Users(svc); len(got) != len(want) {
				t.Errorf("items %q, want %q", got, want)
			}
		})
	}
}

func TestOverwrite(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ from, to int }{{1000, 10}, {1000, 2000}, {10, 1000}, {10, 20}} {
		t.Run(fmt.Sprintf("%d->%d", tc.from, tc.to), func(t *testing.T) {
			m, s := newStore(t, 300, 300)
			s.Set(ctx, "k", values(tc.from, 1)["text"])
			s.Set(ctx, "other", values(1000, 2)["text"])
			otherItems := len(m.Users(svc)) - len(itemsOf(m, "k"))
			v := values(tc.to, 5)["utf8"]
			if err := s.Set(ctx, "k", v); err != nil {
				t.Fatal(err)
			}
			got, err := s.Get(ctx, "k")
			if err != nil || !bytes.Equal(got, v) {
				t.Fatalf("Get = %d bytes, %v", len(got), err)
			}
			want := 1
			if len(encodeValue(v)) > 300 {
				want += len(split(encodeValue(v), 300))
			}
			if got := itemsOf(m, "k"); len(got) != want {
				t.Errorf("items of k %q, want %d (old parts left behind?)", got, want)
			}
			if n := len(m.Users(svc)) - len(itemsOf(m, "k")); n != otherItems {
				t.Errorf("other key has %d items, want %d", n, otherItems)
			}
		})
	}
}

func itemsOf(m *Memory, key string) []string {
	var r []string
	for _, u := range m.Users(svc) {
		if u == key || strings.HasPrefix(u, key+"#") {
			r = append(r, u)
		}
	}
	return r
}

func TestDelete(t *testing.T) {
	ctx := context.Background()
	m, s := newStore(t, 300, 300)
	if err := s.Delete(ctx, "missing"); err != nil {
		t.Errorf("Delete of a missing key: %v", err)
	}
	chunked(t, m, s, "k", 2000)
	s.Set(ctx, "keep", []byte("v"))
	if err := s.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if got := m.Users(svc); len(got) != 1 || got[0] != "keep" {
		t.Errorf("items after Delete: %q", got)
	}
	// A part already gone (an earlier interrupted Delete) is no error.
	_, mk := chunked(t, m, s, "k", 2000)
	m.Delete(svc, partName("k", mk.gen, 0))
	if err := s.Delete(ctx, "k"); err != nil {
		t.Errorf("Delete with a part missing: %v", err)
	}
}

func TestTooBigHalving(t *testing.T) {
	ctx := context.Background()
	for _, maxItem := range []int{0, 4000} {
		m, s := newStore(t, 700, maxItem)
		v := values(10000, 9)["binary"]
		if err := s.Set(ctx, "k", v); err != nil {
			t.Fatalf("maxItem %d: Set: %v", maxItem, err)
		}
		got, err := s.Get(ctx, "k")
		if err != nil || !bytes.Equal(got, v) {
			t.Fatalf("maxItem %d: Get = %d bytes, %v", maxItem, len(got), err)
		}
		// Parts from the refused tries are gone or overwritten: only the
		// head and one generation remain.
		mk, _, _ := parseMarker(must(m.Get(svc, "k")))
		if n := len(m.Users(svc)); n != 1+mk.n {
			t.Errorf("maxItem %d: %d items, want head + %d parts", maxItem, n, mk.n)
		}
	}
}

// nameOf is the item name of key.
func nameOf(key string) string { return must(ItemName(key)) }

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestTooLarge(t *testing.T) {
	ctx := context.Background()
	m, s := newStore(t, 100, 1000) // the backend takes less than the smallest part
	s.Set(ctx, "k", []byte("old"))
	err := s.Set(ctx, "k", values(3000, 1)["text"])
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Set: %v, want ErrTooLarge", err)
	}
	if got := m.Users(svc); len(got) != 1 {
		t.Errorf("items after a refused Set: %q, want only the old head", got)
	}
	if got, err := s.Get(ctx, "k"); string(got) != "old" || err != nil {
		t.Errorf("Get = %q, %v; want the old value", got, err)
	}
}

func TestTimeout(t *testing.T) {
	m := NewMemory(0)
	m.Set(svc, "k", "v")
	release := m.HoldGets()
	defer release()

	// The store's own timeout: the error names the configured length, not
	// the time it took (which the race detector and load stretch).
	s := &store{b: m, service: svc, timeout: 50 * time.Millisecond}
	start := time.Now()
	_, err := s.Get(context.Background(), "k")
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get: %v, want ErrUnavailable and DeadlineExceeded", err)
	}
	if !strings.Contains(err.Error(), "did not answer within 50ms") {
		t.Errorf("error %q does not name the configured 50ms", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Get returned after %v", d)
	}
	if !IsUnavailable(err) || Hint(err) != osHints.timeout {
		t.Errorf("IsUnavailable = %v, Hint = %q", IsUnavailable(err), Hint(err))
	}

	// A shorter deadline of the caller's wins; it is not the store's.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err = s.Get(ctx, "k")
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "did not answer before the deadline") {
		t.Errorf("Get with the caller's shorter deadline: %v", err)
	}

	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	err = s.Set(ctx, "k", []byte("v2"))
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Set with a cancelled context: %v", err)
	}
	if h := Hint(err); h != "" {
		t.Errorf("Hint for an interrupted call = %q, want none", h)
	}
	release()
	if got, err := s.Get(context.Background(), "k"); string(got) != "v" || err != nil {
		t.Errorf("Get after release = %q, %v", got, err)
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	m, s := newStore(t, 0, 0)
	secret := "s3cr3t-value"
	const key = "token/some-session"
	s.Set(ctx, key, []byte(secret))

	boom := errors.New("org.freedesktop.DBus.Error.Failed: boom")
	m.FailGets(1, boom)
	_, err := s.Get(ctx, key)
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, boom) {
		t.Errorf("Get: %v, want ErrUnavailable wrapping the cause", err)
	}
	if err.Error() != "keychain: not available: "+boom.Error() || Hint(err) != osHints.unavailable {
		t.Errorf("error %q, hint %q", err, Hint(err))
	}

	m.FailGets(1, keyring.ErrNotFound)
	if _, err := s.Get(ctx, key); err != ErrNotFound {
		t.Errorf("Get: %v, want ErrNotFound", err)
	}

	m.FailSets(1, boom)
	err = s.Set(ctx, key, []byte(secret+"2"))
	if !errors.Is(err, ErrUnavailable) || strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), key) {
		t.Errorf("Set: %v", err)
	}

	for _, key := range []string{"", strings.Repeat("k", 200), "tab\there", "é"} {
		if err := s.Set(ctx, key, nil); err == nil || errors.Is(err, ErrUnavailable) {
			t.Errorf("Set(%q): %v, want an invalid key error", key, err)
		}
	}
}

// TestErrorsNameParts checks that errors leave the key to the caller (who
// names it) and name the part of a chunked value instead, on one line.
func TestErrorsNameParts(t *testing.T) {
	ctx := context.Background()
	const key = "creds/acme/111122223333/Admin"
	m, s := newStore(t, 300, 300)
	v, mk := chunked(t, m, s, key, 1000)
	boom := errors.New("line one\nline two")
	check := func(op string, err error, want string) {
		t.Helper()
		if err == nil || !errors.Is(err, ErrUnavailable) || !errors.Is(err, boom) {
			t.Fatalf("%s: %v, want ErrUnavailable wrapping the cause", op, err)
		}
		msg := err.Error()
		if msg != want {
			t.Errorf("%s: error\n%q, want\n%q", op, msg, want)
		}
		if strings.Contains(msg, key) || strings.Contains(msg, mk.gen) || strings.Contains(msg, string(v[:16])) || strings.Contains(msg, "\n") {
			t.Errorf("%s: error %q names the key, a part's name or the value, or has several lines", op, msg)
		}
	}

	// Reading the head fails: nothing to add, the caller names the key.
	m.FailGets(1, boom)
	_, err := s.Get(ctx, key)
	check("Get of the head", err, "keychain: not available: line one line two")

	// Reading part 2 of 4 fails.
	m.BeforeSet(nil)
	m.FailGets(0, nil)
	var gets int
	failPart := &failingGets{Memory: m, fail: func(user string) error {
		if user == partName(nameOf(key), mk.gen, 1) {
			gets++
			return boom
		}
		return nil
	}}
	_, err = New(failPart, svc, 300).Get(ctx, key)
	check("Get of a part", err, "keychain: not available: read part 2 of 4: line one line two")

	// Writing part 3 fails.
	m.BeforeSet(func(user string) error {
		if strings.HasSuffix(user, "/2") {
			return boom
		}
		return nil
	})
	err = s.Set(ctx, key, values(1000, 8)["text"])
	check("Set of a part", err, "keychain: not available: write part 3 of 4: line one line two")
	m.BeforeSet(nil)

	// Corrupt: no key either.
	if err := m.Delete(svc, partName(nameOf(key), mk.gen, 3)); err != nil {
		t.Fatal(err)
	}
	_, err = s.Get(ctx, key)
	if !errors.Is(err, ErrCorrupt) || err.Error() != ErrCorrupt.Error()+": part 4 of 4 is missing" {
		t.Errorf("Get with a part missing: %v", err)
	}
}

// failingGets is a Memory whose Gets of chosen items fail.
type failingGets struct {
	*Memory
	fail func(user string) error
}

func (f *failingGets) Get(service, user string) (string, error) {
	if err := f.fail(user); err != nil {
		return "", err
	}
	return f.Memory.Get(service, user)
}

// hidden is a Backend that cannot be probed: it hides Memory's probe.
type hidden struct{ m *Memory }

func (h hidden) Get(service, user string) (string, error) { return h.m.Get(service, user) }
func (h hidden) Set(service, user, v string) error        { return h.m.Set(service, user, v) }
func (h hidden) Delete(service, user string) error        { return h.m.Delete(service, user) }

func TestProbe(t *testing.T) {
	ctx := context.Background()
	m, s := newStore(t, 0, 0)
	p, ok := s.(Prober)
	if !ok {
		t.Fatal("the Store from New is not a Prober")
	}
	if err := p.Probe(ctx); err != nil {
		t.Fatalf("Probe: %v", err)
	}
	if got := m.Ops(); got != (Ops{Probes: 1}) {
		t.Errorf("Probe made %+v, want one probe and no item calls", got)
	}
	if _, ok := Open().(Prober); !ok {
		t.Error("the Store from Open is not a Prober")
	}

	for _, cause := range []error{ErrLocked, ErrNoCollection, ErrNoSessionBus, ErrNoSecretService, ErrDenied, context.DeadlineExceeded} {
		m.FailProbes(1, fmt.Errorf("%w: detail", cause))
		err := p.Probe(ctx)
		if !errors.Is(err, ErrUnavailable) || !errors.Is(err, cause) {
			t.Errorf("Probe failing with %v: %v, want ErrUnavailable and the cause", cause, err)
			continue
		}
		if want := "keychain: not available: " + cause.Error() + ": detail"; err.Error() != want {
			t.Errorf("Probe error %q, want %q", err, want)
		}
		if Hint(err) == "" || Hint(err) == osHints.unavailable {
			t.Errorf("Probe failing with %v: Hint %q, want the cause's own", cause, Hint(err))
		}
	}
	if err := p.Probe(ctx); err != nil {
		t.Errorf("Probe after the faults: %v", err)
	}

	// Bounded by the store's timeout like any call.
	release := m.HoldGets()
	defer release()
	hb := &holdProbe{Memory: m, hold: make(chan struct{})}
	defer close(hb.hold)
	err := (&store{b: hb, service: svc, timeout: 20 * time.Millisecond}).Probe(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "within 20ms") {
		t.Errorf("Probe of a backend that does not answer: %v", err)
	}
}

type holdProbe struct {
	*Memory
	hold chan struct{}
}

func (h *holdProbe) probe(context.Context) error { <-h.hold; return nil }

// TestProbeByWriting: a backend that cannot be asked is probed by writing,
// reading back and deleting ProbeKey.
func TestProbeByWriting(t *testing.T) {
	ctx := context.Background()
	m := NewMemory(0)
	s := New(hidden{m}, svc, 0).(Prober)
	if err := s.Probe(ctx); err != nil {
		t.Fatalf("Probe: %v", err)
	}
	if got := m.Ops(); got.Sets != 1 || got.Gets != 1 || got.Deletes != 1 || got.Probes != 0 {
		t.Errorf("Probe made %+v, want one Set, Get and Delete", got)
	}
	if users := m.Users(svc); len(users) != 0 {
		t.Errorf("Probe left %q behind", users)
	}
	denied := fmt.Errorf("%w: exit status 128", ErrDenied)
	m.FailSets(1, denied)
	if err := s.Probe(ctx); !errors.Is(err, ErrUnavailable) || !errors.Is(err, ErrDenied) || Hint(err) != osHints.denied {
		t.Errorf("Probe with a refused write: %v (hint %q)", err, Hint(err))
	}
	m2 := NewMemory(2)
	if err := New(hidden{m2}, svc, 0).(Prober).Probe(ctx); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Probe of a backend that refuses 5 bytes: %v", err)
	}
}

// TestHint checks that each cause gets its own hint, from the store's real
// errors, on every platform's set of hints.
func TestHint(t *testing.T) {
	ctx := context.Background()
	causes := map[string]error{
		"noSessionBus":    ErrNoSessionBus,
		"noSecretService": ErrNoSecretService,
		"locked":          ErrLocked,
		"noCollection":    ErrNoCollection,
		"denied":          ErrDenied,
		"unavailable":     errors.New("something else"),
	}
	for platform, h := range map[string]*hints{"linux": &linuxHints, "darwin": &darwinHints, "windows": &windowsHints, "other": &otherHints, "no keychain": &noKeychainHints} {
		want := map[string]string{
			"noSessionBus": h.noSessionBus, "noSecretService": h.noSecretService, "locked": h.locked,
			"noCollection": h.noCollection, "denied": h.denied, "unavailable": h.unavailable, "timeout": h.timeout,
		}
		for name, cause := range causes {
			m, s := newStore(t, 0, 0)
			m.FailGets(1, fmt.Errorf("%w: detail", cause))
			_, err := s.Get(ctx, "k")
			if got := h.hint(err); got != want[name] || got == "" || strings.Contains(got, "\n") {
				t.Errorf("%s: %s: hint %q, want %q", platform, name, got, want[name])
			}
		}
		st := &store{b: NewMemory(0), service: svc, timeout: time.Nanosecond}
		_, err := st.Get(ctx, "k")
		if got := h.hint(err); got != h.timeout || got == "" {
			t.Errorf("%s: timeout: hint %q, want %q (%v)", platform, got, h.timeout, err)
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := New(NewMemory(0), svc, 0).Get(cctx, "k"); h.hint(err) != "" {
			t.Errorf("%s: cancelled: hint %q, want none", platform, h.hint(err))
		}
		if got := h.hint(fmt.Errorf("x: %w", ErrCorrupt)); !strings.Contains(got, "log in again") {
			t.Errorf("%s: corrupt: hint %q", platform, got)
		}
		if got := h.hint(fmt.Errorf("x: %w", ErrTooLarge)); !strings.Contains(got, "report") {
			t.Errorf("%s: too large: hint %q", platform, got)
		}
		if h.hint(errors.New("other")) != "" || h.hint(nil) != "" {
			t.Errorf("%s: a hint for an error that is not the keychain's", platform)
		}
	}
	// On Linux the causes need different remedies: only the bus hint talks
	// about the bus, and none but the timeout's says "waiting".
	for name, got := range map[string]string{"locked": linuxHints.locked, "noCollection": linuxHints.noCollection, "noSecretService": linuxHints.noSecretService, "timeout": linuxHints.timeout} {
		if strings.Contains(got, "DBUS_SESSION_BUS_ADDRESS") {
			t.Errorf("linux %s hint talks about the session bus: %q", name, got)
		}
		if !strings.Contains(got, gnomeKeyringUnlock) {
			t.Errorf("linux %s hint lacks the headless unlock command: %q", name, got)
		}
	}
}

func TestClassifyDarwin(t *testing.T) {
	for code, want := range map[int]error{36: ErrLocked, 51: ErrDenied, 128: ErrDenied, 44: nil} {
		err := exec.Command("sh", "-c", fmt.Sprintf("exit %d", code)).Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("sh exit %d: %v", code, err)
		}
		got := classifyDarwin(err)
		if !errors.Is(got, ee) || want != nil && !errors.Is(got, want) || want == nil && (errors.Is(got, ErrLocked) || errors.Is(got, ErrDenied)) {
			t.Errorf("exit status %d: %v, want %v", code, got, want)
		}
		if darwinHints.hint(&unavailableError{cause: got}) == "" {
			t.Errorf("exit status %d: no hint", code)
		}
	}
}

// TestNoLogonSessionHint checks what a Windows user in an SSH session
// (every Credential Manager call fails with error 1312) is told: not to
// start a service, which cannot help, but what works.
func TestNoLogonSessionHint(t *testing.T) {
	m, s := newStore(t, 0, 0)
	m.FailGets(1, classifyWindows(fmt.Errorf("wincred: %w", syscall.Errno(1312))))
	_, err := s.Get(context.Background(), "k")
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, ErrNoLogonSession) || errors.Is(err, ErrLocked) {
		t.Fatalf("Get: %v, want ErrUnavailable and ErrNoLogonSession", err)
	}
	if strings.Contains(err.Error(), "locked") {
		t.Errorf("error %q calls it locked", err)
	}
	hint := windowsHints.hint(err)
	for _, want := range []string{"SSH", "Remote Desktop", "--store file"} {
		if !strings.Contains(hint, want) {
			t.Errorf("hint %q does not mention %q", hint, want)
		}
	}
	if strings.Contains(hint, "VaultSvc") || strings.Contains(hint, "password") {
		t.Errorf("hint %q suggests what cannot help", hint)
	}
}

func TestClassifyWindows(t *testing.T) {
	for errno, want := range map[syscall.Errno]error{5: ErrDenied, 1223: ErrDenied, 1312: ErrNoLogonSession, 1168: nil} {
		got := classifyWindows(fmt.Errorf("wincred: %w", errno))
		if !errors.Is(got, errno) || want != nil && !errors.Is(got, want) || want == nil && (errors.Is(got, ErrLocked) || errors.Is(got, ErrDenied)) {
			t.Errorf("error %d: %v, want %v", errno, got, want)
		}
	}
}

// TestConcurrent runs writers and readers on one key; every value read must
// be one that a writer wrote whole.
func TestConcurrent(t *testing.T) {
	ctx := context.Background()
	m, s := newStore(t, 300, 300)
	// value i is self-checking: its first line names its length and seed.
	value := func(w, i int) []byte {
		size := []int{50, 299, 900, 3000}[(w+i)%4]
		body := values(size, uint64(w*1000+i))["text"]
		return fmt.Appendf(nil, "%d %d %d\n%s", w, i, size, body)
	}
	check := func(v []byte) error {
		var w, i, size int
		if _, err := fmt.Sscanf(string(v), "%d %d %d\n", &w, &i, &size); err != nil {
			return fmt.Errorf("unparseable value of %d bytes", len(v))
		}
		if !bytes.Equal(v, value(w, i)) {
			return fmt.Errorf("value %d/%d is mixed", w, i)
		}
		return nil
	}
	if err := s.Set(ctx, "k", value(0, 0)); err != nil {
		t.Fatal(err)
	}

	const writers, readers, rounds = 3, 4, 60
	var wg sync.WaitGroup
	var mu sync.Mutex
	reads, corrupt := 0, 0
	stop := make(chan struct{})
	for w := range writers {
		wg.Go(func() {
			for i := range rounds {
				if err := s.Set(ctx, "k", value(w, i)); err != nil {
					t.Errorf("Set: %v", err)
				}
			}
		})
	}
	var rg sync.WaitGroup
	for range readers {
		rg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				v, err := s.Get(ctx, "k")
				mu.Lock()
				switch {
				case errors.Is(err, ErrCorrupt):
					corrupt++ // three heads in a row replaced under the reader
				case err != nil:
					t.Errorf("Get: %v", err)
				default:
					reads++
					if err := check(v); err != nil {
						t.Error(err)
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(stop)
	rg.Wait()
	head, _, _ := parseMarker(must(m.Get(svc, "k")))
	left := 0
	for gen, n := range partsOf(m, "k") {
		if gen != head.gen {
			left += n
		}
	}
	// Parts are left only where a head was written and read back entirely
	// between another writer's last two reads (see New).
	t.Logf("%d good reads, %d ErrCorrupt under contention, %d backend ops, %d parts left that no head names", reads, corrupt, m.Ops(), left)
	if reads == 0 {
		t.Error("no read succeeded")
	}
	if got, err := s.Get(ctx, "k"); err != nil || check(got) != nil {
		t.Errorf("final Get: %v %v", err, check(got))
	}
}

func FuzzFormat(f *testing.F) {
	f.Add([]byte("{}"), 256)
	f.Add([]byte(markerPrefix+"0123abcd:1:"+strings.Repeat("a", 64)), 300)
	f.Add([]byte("\xffé€𝄞"), 260)
	f.Fuzz(func(t *testing.T, v []byte, part int) {
		enc := encodeValue(v)
		if _, isMarker, _ := parseMarker(enc); isMarker {
			t.Fatalf("value encoded as a marker: %q", enc)
		}
		got, err := decodeValue(enc)
		if err != nil || !bytes.Equal(got, v) {
			t.Fatalf("decode(encode(%q)) = %q, %v", v, got, err)
		}
		part = minPart + int(uint(part)%1000)
		if strings.Join(split(enc, part), "") != enc {
			t.Fatal("split loses bytes")
		}
		parseMarker(string(v)) // must not panic
		decodeValue(string(v))
	})
}
