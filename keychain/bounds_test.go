package keychain

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/zalando/go-keyring"
)

// plantChunked writes, bypassing the Store, a head under key naming n parts
// of generation gen, each holding part(i), with the right checksum: a value
// as a hostile or older writer may have left it.
func plantChunked(m *Memory, key, gen string, n int, part func(i int) string) {
	var whole strings.Builder
	name := nameOf(key)
	for i := range n {
		whole.WriteString(part(i))
		m.Set(svc, partName(name, gen, i), part(i))
	}
	m.Set(svc, name, marker{gen: gen, n: n, sum: sha256.Sum256([]byte(whole.String()))}.String())
}

// TestReadBounds checks that Get reads no more than the bounds allow of an
// item or of the parts a head names, calls what is over them corrupt, and
// that Set and Delete then replace or remove it.
func TestReadBounds(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		plant     func(m *Memory)
		wantReads int // backend reads of one Get: the head twice (the retry sees it unchanged) and the parts in between
	}{
		{"20 MB item", func(m *Memory) { m.Set(svc, "k", strings.Repeat("x", 20<<20)) }, 2},
		{"item one byte over", func(m *Memory) { m.Set(svc, "k", strings.Repeat("x", maxValue+1)) }, 2},
		{"head naming 4096 parts", func(m *Memory) {
			plantChunked(m, "k", "0123abcd", 4096, func(i int) string { return fmt.Sprintf("%05d", i) })
		}, 2},
		{"head naming maxParts+1 parts", func(m *Memory) {
			plantChunked(m, "k", "0123abcd", maxParts+1, func(i int) string { return "p" })
		}, 2},
		{"parts over maxValue", func(m *Memory) {
			plantChunked(m, "k", "0123abcd", maxParts, func(i int) string { return strings.Repeat("y", 4096) })
		}, 2 + maxValue/4096 + 1},
		{"one part over maxValue", func(m *Memory) {
			plantChunked(m, "k", "0123abcd", 2, func(i int) string { return strings.Repeat("y", maxValue+1) })
		}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, s := newStore(t, 0, 2048)
			tc.plant(m)
			before := m.Ops()
			_, err := s.Get(ctx, "k")
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Get: %v, want ErrCorrupt", err)
			}
			if n := m.Ops().Gets - before.Gets; n != tc.wantReads {
				t.Errorf("Get made %d backend reads, want %d", n, tc.wantReads)
			}
			// Corrupt is a miss the caller overwrites.
			if err := s.Set(ctx, "k", []byte("new")); err != nil {
				t.Fatalf("Set over it: %v", err)
			}
			if got, err := s.Get(ctx, "k"); string(got) != "new" || err != nil {
				t.Fatalf("Get after Set = %q, %v", got, err)
			}
			tc.plant(m)
			if err := s.Delete(ctx, "k"); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			if _, err := s.Get(ctx, "k"); err != ErrNotFound {
				t.Errorf("Get after Delete: %v", err)
			}
		})
	}
}

// TestWriteBounds checks that Set refuses a value over the bounds before
// touching the keychain, and takes one at them.
func TestWriteBounds(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		maxItem int
		value   []byte
		ok      bool
	}{
		{"maxValue in one item", 0, bytes.Repeat([]byte("a"), maxValue), true},
		{"maxValue in parts of 2048 (macOS)", 2048, bytes.Repeat([]byte("a"), maxValue), true},
		{"maxValue in parts of 2496 (Windows)", 2496, bytes.Repeat([]byte("a"), maxValue), true},
		{"one byte over", 0, bytes.Repeat([]byte("a"), maxValue+1), false},
		{"binary whose base64 is over", 2048, values(maxValue*3/4, 1)["binary"], false},
		{"20 MB", 2048, bytes.Repeat([]byte("a"), 20<<20), false},
		{"over maxParts of 1024", 1024, bytes.Repeat([]byte("a"), maxParts*1024+1), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, s := newStore(t, tc.maxItem, tc.maxItem)
			err := s.Set(ctx, "k", tc.value)
			if tc.ok {
				if err != nil {
					t.Fatalf("Set: %v", err)
				}
				got, err := s.Get(ctx, "k")
				if err != nil || !bytes.Equal(got, tc.value) {
					t.Fatalf("Get = %d bytes, %v", len(got), err)
				}
				return
			}
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("Set: %v, want ErrTooLarge", err)
			}
			if users := m.Users(svc); len(users) != 0 {
				t.Errorf("a refused Set left items %q", users)
			}
		})
	}
	// Over maxValue, nothing is even read.
	m, s := newStore(t, 0, 0)
	s.Set(ctx, "k", bytes.Repeat([]byte("a"), maxValue+1))
	if ops := m.Ops(); ops.Gets+ops.Sets != 0 {
		t.Errorf("Set of a value over maxValue made backend calls: %+v", ops)
	}
}

// scripted is a Backend that runs a hook before every call, to interleave
// another writer's calls with a Store's at exact points. It hides the
// optional interfaces of the backend under it.
type scripted struct {
	b Backend

	mu     sync.Mutex
	before func(op, user string) // called before every call, outside mu
}

func (b *scripted) hook(op, user string) {
	b.mu.Lock()
	f := b.before
	b.mu.Unlock()
	if f != nil {
		f(op, user)
	}
}

func (b *scripted) Get(service, user string) (string, error) {
	b.hook("get", user)
	return b.b.Get(service, user)
}

func (b *scripted) Set(service, user, v string) error {
	b.hook("set", user)
	return b.b.Set(service, user, v)
}

func (b *scripted) Delete(service, user string) error {
	b.hook("delete", user)
	return b.b.Delete(service, user)
}

// partsOf returns the generations of the parts of key in m, and how many
// parts each has.
func partsOf(m *Memory, key string) map[string]int {
	gens := map[string]int{}
	for _, u := range m.Users(svc) {
		if rest, ok := strings.CutPrefix(u, nameOf(key)+"#"); ok {
			gens[rest[:genLen]]++
		}
	}
	return gens
}

// wantOnlyHeadsParts fails unless the parts of key in m are exactly those
// its head names.
func wantOnlyHeadsParts(t *testing.T, m *Memory, key string) {
	t.Helper()
	head, err := m.Get(svc, nameOf(key))
	if err != nil {
		t.Fatal(err)
	}
	mk, _, _ := parseMarker(head)
	gens := partsOf(m, key)
	want := map[string]int{}
	if mk.n > 0 {
		want[mk.gen] = mk.n
	}
	if fmt.Sprint(gens) != fmt.Sprint(want) {
		t.Errorf("parts by generation %v, want only the head's %v", gens, want)
	}
}

// A race interleaves a second writer ("they") with a chunked Set of ours on
// key at the points where one can replace the head without knowing the
// other's parts. It returns the values written, ours first, and the names
// of all parts written.
type race func(t *testing.T, b Backend, key string) (ours, theirs []byte, parts []string)

// raceTheirSetWhileWeWriteParts: their whole Set runs after our first read
// of the head, while we write our parts. Our second read, just before our
// head, sees their head, and we delete their parts once ours is in.
func raceTheirSetWhileWeWriteParts(t *testing.T, b Backend, key string) (ours, theirs []byte, parts []string) {
	ctx := context.Background()
	ours, theirs = values(1000, 1)["text"], values(1200, 2)["text"]
	ub, tb := &scripted{b: b}, &scripted{b: b}
	us, them := New(ub, svc, 300), New(tb, svc, 300)
	var mu sync.Mutex
	record := func(op, user string) {
		if op == "set" && strings.Contains(user, "#") {
			mu.Lock()
			parts = append(parts, user)
			mu.Unlock()
		}
	}
	tb.before = record
	var once sync.Once
	ub.before = func(op, user string) {
		record(op, user)
		if op == "set" && strings.HasSuffix(user, "/0") {
			once.Do(func() {
				if err := them.Set(ctx, key, theirs); err != nil {
					t.Error(err)
				}
			})
		}
	}
	if err := us.Set(ctx, key, ours); err != nil {
		t.Fatal(err)
	}
	return ours, theirs, parts
}

// raceTheirHeadAfterOurs: they read the head before ours landed and write
// theirs after it, not knowing our parts; reading the head back, we find
// theirs in place of ours and delete our own parts.
func raceTheirHeadAfterOurs(t *testing.T, b Backend, key string) (ours, theirs []byte, parts []string) {
	ctx := context.Background()
	ours, theirs = values(1000, 3)["text"], values(1200, 4)["text"]
	ub, tb := &scripted{b: b}, &scripted{b: b}
	us, them := New(ub, svc, 300), New(tb, svc, 300)
	var mu sync.Mutex
	record := func(op, user string) {
		if op == "set" && strings.Contains(user, "#") {
			mu.Lock()
			parts = append(parts, user)
			mu.Unlock()
		}
	}

	// They stop just before writing their head, having read the old one.
	atHead, release, theirDone := make(chan struct{}), make(chan struct{}), make(chan error)
	tb.before = func(op, user string) {
		record(op, user)
		if op == "set" && user == nameOf(key) {
			close(atHead)
			<-release
		}
	}
	go func() { theirDone <- them.Set(ctx, key, theirs) }()
	<-atHead

	// We write ours; before we read the head back, they write theirs (and,
	// reading it back, find it theirs).
	wroteHead := false
	ub.before = func(op, user string) {
		record(op, user)
		switch {
		case op == "set" && user == nameOf(key):
			wroteHead = true
		case op == "get" && user == nameOf(key) && wroteHead:
			wroteHead = false
			close(release)
			if err := <-theirDone; err != nil {
				t.Error(err)
			}
		}
	}
	if err := us.Set(ctx, key, ours); err != nil {
		t.Fatal(err)
	}
	return ours, theirs, parts
}

// checkRace runs a race on b and checks that the value read is the last
// written, and that of the parts written only the head's are left.
func checkRace(t *testing.T, b Backend, key string, r race, lastIsOurs bool) {
	t.Helper()
	ctx := context.Background()
	s := New(b, svc, 300)
	// An earlier chunked value, whose parts must go too.
	if err := s.Set(ctx, key, values(900, 5)["text"]); err != nil {
		t.Fatal(err)
	}
	first, _, _ := parseMarker(must(b.Get(svc, nameOf(key))))
	ours, theirs, parts := r(t, b, key)
	last := theirs
	if lastIsOurs {
		last = ours
	}
	if got, err := s.Get(ctx, key); err != nil || !bytes.Equal(got, last) {
		t.Fatalf("Get = %d bytes, %v; want the last written", len(got), err)
	}
	head, _, _ := parseMarker(must(b.Get(svc, nameOf(key))))
	for i := range first.n {
		parts = append(parts, partName(nameOf(key), first.gen, i))
	}
	left := 0
	for _, p := range parts {
		_, err := b.Get(svc, p)
		named := strings.HasPrefix(p, nameOf(key)+"#"+head.gen+"/")
		switch {
		case named && err != nil:
			t.Errorf("part %q of the head: %v", p, err)
		case !named && !errors.Is(err, keyring.ErrNotFound):
			left++
		}
	}
	if left > 0 {
		t.Errorf("%d of %d parts written are left that no head names", left, len(parts))
	}
}

// TestRacingWriters checks the races against the in-memory backend.
func TestRacingWriters(t *testing.T) {
	ctx := context.Background()
	t.Run("their Set while we write parts", func(t *testing.T) {
		m := NewMemory(300)
		checkRace(t, m, "k", raceTheirSetWhileWeWriteParts, true)
		wantOnlyHeadsParts(t, m, "k")
	})
	t.Run("their head lands after ours", func(t *testing.T) {
		m := NewMemory(300)
		checkRace(t, m, "k", raceTheirHeadAfterOurs, false)
		wantOnlyHeadsParts(t, m, "k")
	})

	// A reader that got our head before theirs replaced it, and finds our
	// parts gone, reads the head again and returns theirs.
	t.Run("reader of the replaced head", func(t *testing.T) {
		ours, theirs := values(1000, 1)["text"], values(1200, 2)["text"]
		m := NewMemory(300)
		rb := &scripted{b: m}
		reader, w := New(rb, svc, 300), New(m, svc, 300)
		w.Set(ctx, "k", ours)
		var once sync.Once
		rb.before = func(op, user string) {
			if op == "get" && strings.HasSuffix(user, "/1") {
				once.Do(func() { w.Set(ctx, "k", theirs) })
			}
		}
		if got, err := reader.Get(ctx, "k"); err != nil || !bytes.Equal(got, theirs) {
			t.Fatalf("Get = %d bytes, %v; want theirs", len(got), err)
		}
	})
}
