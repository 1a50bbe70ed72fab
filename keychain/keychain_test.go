package keychain

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
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
		sizes := []int{0, 1, 64 << 10}
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
						if len(users) != 1 || users[0] != key {
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
	head, err := m.Get(svc, key)
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
	m, s := newStore(t, 0, 0)
	s.Set(context.Background(), "k", []byte("v"))
	release := m.HoldGets()
	defer release()

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := s.Get(ctx, "k")
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get: %v, want ErrUnavailable and DeadlineExceeded", err)
	}
	if !strings.Contains(err.Error(), "did not answer within 50ms") {
		t.Errorf("error %q", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Get returned after %v", d)
	}
	if !IsUnavailable(err) || !strings.Contains(Hint(err), "unlock") {
		t.Errorf("IsUnavailable = %v, Hint = %q", IsUnavailable(err), Hint(err))
	}

	// Open's own timeout applies when the caller's context has none.
	st := &store{b: m, service: svc, timeout: 30 * time.Millisecond}
	if _, err := st.Get(context.Background(), "k"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Get with the store's timeout: %v", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if err := s.Set(ctx, "k", []byte("v2")); !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Errorf("Set with a cancelled context: %v", err)
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
	s.Set(ctx, "k", []byte(secret))

	boom := errors.New("org.freedesktop.DBus.Error.ServiceUnknown: no secrets")
	m.FailGets(1, boom)
	_, err := s.Get(ctx, "k")
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, boom) {
		t.Errorf("Get: %v, want ErrUnavailable wrapping the cause", err)
	}
	if !strings.Contains(err.Error(), `read "k"`) || Hint(err) == "" {
		t.Errorf("error %q, hint %q", err, Hint(err))
	}

	m.FailGets(1, keyring.ErrNotFound)
	if _, err := s.Get(ctx, "k"); err != ErrNotFound {
		t.Errorf("Get: %v, want ErrNotFound", err)
	}

	m.FailSets(1, boom)
	err = s.Set(ctx, "k", []byte(secret+"2"))
	if !errors.Is(err, ErrUnavailable) || strings.Contains(err.Error(), secret) {
		t.Errorf("Set: %v", err)
	}

	for _, key := range []string{"", strings.Repeat("k", 200), "tab\there", "é"} {
		if err := s.Set(ctx, key, nil); err == nil || errors.Is(err, ErrUnavailable) {
			t.Errorf("Set(%q): %v, want an invalid key error", key, err)
		}
	}
	if Hint(errors.New("other")) != "" || Hint(fmt.Errorf("x: %w", ErrCorrupt)) == "" {
		t.Error("Hint")
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
	t.Logf("%d good reads, %d ErrCorrupt under contention, %d backend ops", reads, corrupt, m.Ops())
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
