package keychain

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
)

// chunkSeeds are heads as Set writes them and near misses: every rule of
// parseMarker broken once.
func chunkSeeds() []string {
	good := marker{gen: "0123abcd", n: 3, sum: sha256.Sum256([]byte("value"))}.String()
	sum := good[len(good)-64:]
	return []string{
		good,
		marker{gen: "ffffffff", n: maxParts, sum: [32]byte{}}.String(),
		markerPrefix + "0123abcd:0:" + sum,                  // no parts
		markerPrefix + "0123abcd:4097:" + sum,               // more than maxParts
		markerPrefix + "0123abcd:03:" + sum,                 // not canonical
		markerPrefix + "0123abcd:+3:" + sum,                 // sign
		markerPrefix + "0123ABCD:3:" + sum,                  // upper-case generation
		markerPrefix + "0123abc:3:" + sum,                   // short generation
		markerPrefix + "0123abcd:3:" + strings.ToUpper(sum), // upper-case sum
		markerPrefix + "0123abcd:3:" + sum[:63],             // short sum
		markerPrefix + "0123abcd:3:" + sum + ":x",           // a fourth field
		markerPrefix, // nothing after the prefix
		"sso-credproc-chunks:v2:0123abcd:3:" + sum, // another version
		b64Prefix + "aGVsbG8=",                     // a base64 value
		b64Prefix + "not base64!",                  // a broken one
		prefix + "what:",                           // an unknown form
		"plain value", "", "{\"version\":1}",
	}
}

// FuzzChunkHead checks parseMarker, the reader of a chunked value's head,
// on any head: it never panics; a head without the marker prefix is not a
// marker; one with it is either an error or a marker within the limits
// (1 to maxParts parts) that String writes back byte for byte, so that
// every marker has one spelling and a head is read exactly as it was
// written.
func FuzzChunkHead(f *testing.F) {
	for _, s := range chunkSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, head string) {
		m, ok, err := parseMarker(head)
		switch {
		case !ok:
			if err != nil || m != (marker{}) || strings.HasPrefix(head, markerPrefix) {
				t.Fatalf("parseMarker(%q) = %+v, %v, %v: a head with the marker prefix must be taken for a marker, and only it", head, m, ok, err)
			}
		case err != nil:
			if m != (marker{}) {
				t.Fatalf("parseMarker(%q) = %+v, %v: a marker and an error", head, m, err)
			}
		default:
			if got := m.String(); got != head {
				t.Fatalf("parseMarker(%q) accepted a marker that String writes as %q", head, got)
			}
			if m.n < 1 || m.n > maxParts || len(m.gen) != genLen {
				t.Fatalf("parseMarker(%q) = %+v: outside the limits", head, m)
			}
		}
	})
}

// FuzzChunkedGet stores any head and, when it names parts, parts cut from
// any body (one of them left out when drop names it), and reads the value
// with Get over a healthy in-memory backend: Get never panics, fails only
// with ErrCorrupt, and a value it returns is what the head or the parts
// encode, with the SHA-256 the marker names.
func FuzzChunkedGet(f *testing.F) {
	for _, head := range chunkSeeds() {
		f.Add(head, "", uint16(0xffff))
	}
	for _, v := range []string{"value", "é€𝄞x", "\x00\xff binary"} {
		body := encodeValue([]byte(v))
		for _, n := range []int{1, 2, 3, len(body) + 1} {
			head := marker{gen: "89abcdef", n: n, sum: sha256.Sum256([]byte(v))}.String()
			f.Add(head, body, uint16(0xffff))
			f.Add(head, body, uint16(n-1))
		}
	}
	f.Fuzz(func(t *testing.T, head, body string, drop uint16) {
		ctx := context.Background()
		m, s := newStore(t, 0, 0)
		const key = "sso-session:fuzz|us-east-1|token"
		name, err := ItemName(key)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Set(svc, name, head); err != nil {
			t.Fatal(err)
		}
		mk, isMarker, merr := parseMarker(head)
		if isMarker && merr == nil {
			// body in mk.n pieces as near equal as bytes allow.
			for i := range mk.n {
				if i == int(drop) {
					continue
				}
				p := body[i*len(body)/mk.n : (i+1)*len(body)/mk.n]
				if err := m.Set(svc, partName(name, mk.gen, i), p); err != nil {
					t.Fatal(err)
				}
			}
		}
		v, err := s.Get(ctx, key)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) || v != nil {
				t.Fatalf("Get: %v (value %q): a healthy backend's only failure is ErrCorrupt", err, v)
			}
			return
		}
		switch {
		case merr != nil:
			t.Fatalf("Get read %q under a malformed head %q", v, head)
		case isMarker:
			if sha256.Sum256(v) != mk.sum {
				t.Fatalf("Get returned %q, whose SHA-256 is not the head's %x", v, mk.sum)
			}
			if want, err := decodeValue(body); err != nil || !bytes.Equal(v, want) || int(drop) < mk.n {
				t.Fatalf("Get returned %q from parts of %q (part %d left out), want %q, %v", v, body, drop, want, err)
			}
		default:
			if want, err := decodeValue(head); err != nil || !bytes.Equal(v, want) {
				t.Fatalf("Get(%q) = %q, want %q, %v", head, v, want, err)
			}
		}
	})
}

// FuzzValueRoundTrip writes any value through a Store whose items are at
// most maxItem bytes (chunked values included) and reads it back: what Get
// returns is what Set wrote, and the backend holds the head and its parts,
// nothing else. (FuzzFormat checks encodeValue and split alone.)
func FuzzValueRoundTrip(f *testing.F) {
	for _, v := range []string{"", "value", "é€𝄞x", "\x00\xff binary", prefix + "looks like ours", markerPrefix + "0123abcd:1:" + strings.Repeat("0", 64), strings.Repeat("é", 700)} {
		f.Add([]byte(v), uint16(0))
		f.Add([]byte(v), uint16(minPart))
	}
	f.Fuzz(func(t *testing.T, v []byte, maxItem uint16) {
		limit := int(maxItem)
		if limit != 0 {
			limit = max(limit%4096, minPart) // a part size Set accepts
		}
		ctx := context.Background()
		m, s := newStore(t, limit, limit)
		const key = "start-url:https://example.awsapps.com/start|eu-west-1|registration"
		if err := s.Set(ctx, key, v); err != nil {
			if errors.Is(err, ErrTooLarge) {
				return
			}
			t.Fatalf("Set(%q) with items of %d bytes: %v", v, limit, err)
		}
		got, err := s.Get(ctx, key)
		if err != nil || !bytes.Equal(got, v) {
			t.Fatalf("Get after Set(%q) with items of %d bytes = %q, %v", v, limit, got, err)
		}
		name, err := ItemName(key)
		if err != nil {
			t.Fatal(err)
		}
		head, _ := m.Get(svc, name)
		want := 1
		if mk, ok, _ := parseMarker(head); ok {
			want += mk.n
		}
		if users := m.Users(svc); len(users) != want {
			t.Fatalf("the backend holds %d items (%q), want the head and its parts: %d", len(users), users, want)
		}
	})
}
