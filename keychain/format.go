package keychain

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// encodeValue is what a value looks like in an item (or, split, in its
// parts): the value itself if it is valid UTF-8 and cannot be taken for one
// of this package's own forms, otherwise base64 behind b64Prefix.
func encodeValue(v []byte) string {
	if utf8.Valid(v) && !strings.HasPrefix(string(v), prefix) {
		return string(v)
	}
	return b64Prefix + base64.StdEncoding.EncodeToString(v)
}

// decodeValue undoes encodeValue. A chunk marker is not a value; callers
// check for one first.
func decodeValue(s string) ([]byte, error) {
	if !strings.HasPrefix(s, prefix) {
		return []byte(s), nil
	}
	if !strings.HasPrefix(s, b64Prefix) {
		return nil, errors.New("unknown format")
	}
	v, err := base64.StdEncoding.DecodeString(s[len(b64Prefix):])
	if err != nil {
		return nil, errors.New("bad base64")
	}
	return v, nil
}

var errMalformedMarker = errors.New("malformed chunk marker")

// marker is a chunked value's head: which generation of parts holds it, how
// many there are, and the SHA-256 of the whole value.
type marker struct {
	gen string
	n   int
	sum [32]byte
}

func (m marker) String() string {
	return markerPrefix + m.gen + ":" + strconv.Itoa(m.n) + ":" + hex.EncodeToString(m.sum[:])
}

// parseMarker reports whether head is a chunk marker and, if it is, its
// fields. A head that starts like a marker but does not parse is an error.
func parseMarker(head string) (m marker, ok bool, err error) {
	rest, ok := strings.CutPrefix(head, markerPrefix)
	if !ok {
		return marker{}, false, nil
	}
	f := strings.Split(rest, ":")
	if len(f) != 3 || len(f[0]) != genLen || !isLowerHex(f[0]) || len(f[2]) != 2*len(m.sum) || !isLowerHex(f[2]) {
		return marker{}, true, errMalformedMarker
	}
	n, err := strconv.Atoi(f[1])
	if err != nil || n < 1 || n > maxParts || strconv.Itoa(n) != f[1] {
		return marker{}, true, errMalformedMarker
	}
	m.gen, m.n = f[0], n
	hex.Decode(m.sum[:], []byte(f[2])) // checked above
	return m, true, nil
}

// split cuts s into pieces of at most size bytes, each ending on a UTF-8
// character boundary so every piece is valid UTF-8 on its own (s is; size
// must be at least utf8.UTFMax).
func split(s string, size int) []string {
	var parts []string
	for len(s) > size {
		cut := size
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		parts = append(parts, s[:cut])
		s = s[cut:]
	}
	return append(parts, s)
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
