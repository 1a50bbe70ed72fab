package keychain

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ItemName returns the backend user name of the item that holds key (the
// head, if the value is in parts): the macOS account, the Windows
// credential's UserName (and TargetName after "sso-credproc:"), the Secret
// Service item's "username" attribute. It is key with every byte but a-z,
// 0-9 and "-._~|" percent-encoded (RFC 3986 style, upper-case hex), so
// "sso-session:Corp|eu-west-1|token" is held under
// "sso-session%3A%43orp|eu-west-1|token". Such a name is one item of its
// own on every backend, because
//
//   - it has no upper-case letter outside an escape, and escapes are
//     always upper-case: two keys never share an item on a backend that
//     ignores case (Windows compares TargetName without case), and the
//     escapes still decode the same when folded;
//   - it has no ' or \, which go-keyring's macOS Set quotes by shell
//     rules that the line parser of `security -i` does not share, so that
//     ' made every write fail and \ wrote one account and read another
//     (TestSecurityToolQuoting);
//   - it has no '#': a part's name (name#<gen>/<i>) is never a head's;
//   - it has no ':', which every key the program used before this scheme
//     (when the name was the key itself, see legacyName) has: the two
//     never name one item.
//
// The error is a key that is not 1 to 199 bytes of printable ASCII, or
// whose name would be over 500 bytes (Windows takes a UserName of at most
// 513 characters, a part adds up to 12).
func ItemName(key string) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		if c := key[i]; nameByte(c) {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	if b.Len() > maxNameLen {
		return "", fmt.Errorf("keychain: key of %d bytes encodes to an item name of %d: want at most %d", len(key), b.Len(), maxNameLen)
	}
	return b.String(), nil
}

// nameByte reports whether c stands for itself in an item name.
func nameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("-._~|", c) >= 0
}

// legacyName returns the name under which versions before ItemName kept
// key's item (the key itself; its parts were <key>#<gen>/<i>), and whether
// it may be used: only when the key has a byte that no item name or part
// name has, even with the case of its letters changed (every key of
// package tokencache has ':'), so that a legacy item is never another
// key's current one.
func legacyName(key string) (string, bool) {
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !nameByte(c) && !('A' <= c && c <= 'Z') && strings.IndexByte("%#/", c) < 0 {
			return key, true
		}
	}
	return "", false
}

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
	if err != nil || n < 1 || strconv.Itoa(n) != f[1] {
		return marker{}, true, errMalformedMarker
	}
	if n > maxParts {
		return marker{}, true, fmt.Errorf("chunk marker names %d parts, more than %d", n, maxParts)
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
