package keychain

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// printable is every byte a key may hold.
var printable = func() string {
	var b strings.Builder
	for c := byte(0x20); c <= 0x7e; c++ {
		b.WriteByte(c)
	}
	return b.String()
}()

// randomKeys returns keys made of bytes that matter to the naming: case,
// the escape, the part separators, quotes, and tokencache's separators.
func randomKeys(n int, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, 1))
	const alphabet = "aAbBfF09%#/:|'\\\" -._~"
	keys := []string{"sso-session:Corp|eu-west-1|token", "sso-session:corp|eu-west-1|token", ProbeKey, printable}
	for range n {
		b := make([]byte, 1+r.IntN(12))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		keys = append(keys, string(b))
	}
	return keys
}

// TestItemNames checks the properties ItemName documents: names are one
// item each even where case is ignored, hold none of the bytes that break
// a backend, and never meet a part's name or a legacy name.
func TestItemNames(t *testing.T) {
	keys := randomKeys(3000, 1)
	type owner struct{ key, what string }
	current := map[string]owner{} // folded name -> whose
	legacy := map[string]owner{}  // legacy names may share an item (the fault ItemName fixes)
	for _, key := range keys {
		name := nameOf(key)
		if strings.ContainsAny(name, "'\\#: \"") {
			t.Errorf("name %q of %q holds a byte that breaks a backend", name, key)
		}
		for i := 0; i < len(name); i++ {
			if unicode.IsUpper(rune(name[i])) && (i < 1 || name[i-1] != '%') && (i < 2 || name[i-2] != '%') {
				t.Errorf("name %q of %q has an upper-case letter outside an escape", name, key)
			}
		}
		for what, n := range map[string]string{"head": name, "part": partName(name, "0123abcd", 7)} {
			f := strings.ToLower(n)
			if prev, ok := current[f]; ok && prev.key != key {
				t.Fatalf("%s of %q and %s of %q are one item where case is ignored: %q", what, key, prev.what, prev.key, n)
			}
			current[f] = owner{key, what}
		}
		if l, ok := legacyName(key); ok {
			legacy[strings.ToLower(l)] = owner{key, "legacy head"}
			legacy[strings.ToLower(partName(l, "0123abcd", 7))] = owner{key, "legacy part"}
		}
	}
	for f, o := range legacy {
		if c, ok := current[f]; ok {
			t.Errorf("%s of %q is the %s of %q where case is ignored: %q", o.what, o.key, c.what, c.key, f)
		}
	}
	// Every key of package tokencache has a legacy name that can be read.
	for _, key := range []string{"sso-session:Corp|eu-west-1|token", "start-url:https://d-1.awsapps.com/start|us-east-1|registration"} {
		if _, ok := legacyName(key); !ok {
			t.Errorf("%q: no legacy name", key)
		}
	}
	// Keys whose encoding is over the bound are refused, not cut.
	long := strings.Repeat("A", maxKeyLen)
	if _, err := ItemName(long); err == nil {
		t.Errorf("a key that encodes to %d bytes was taken", 3*len(long))
	}
	if _, err := ItemName(strings.Repeat("a", maxKeyLen)); err != nil {
		t.Error(err)
	}
}

// caseless is a Backend that, like Windows Credential Manager, ignores the
// case of names (TargetName is compared without case).
type caseless struct{ m *Memory }

func (c caseless) Get(service, user string) (string, error) {
	return c.m.Get(service, strings.ToLower(user))
}
func (c caseless) Set(service, user, v string) error {
	return c.m.Set(service, strings.ToLower(user), v)
}
func (c caseless) Delete(service, user string) error {
	return c.m.Delete(service, strings.ToLower(user))
}

// TestKeysDifferingInCase checks that keys that differ only in case keep
// their own values on a backend that ignores case, whole and in parts.
func TestKeysDifferingInCase(t *testing.T) {
	ctx := context.Background()
	for _, size := range []int{10, 1000} {
		s := New(caseless{NewMemory(300)}, svc, 300)
		keys := []string{"sso-session:Corp|eu-west-1|token", "sso-session:corp|eu-west-1|token", "sso-session:CORP|eu-west-1|token"}
		for i, k := range keys {
			if err := s.Set(ctx, k, values(size, uint64(i))["text"]); err != nil {
				t.Fatal(err)
			}
		}
		for i, k := range keys {
			got, err := s.Get(ctx, k)
			if err != nil || !bytes.Equal(got, values(size, uint64(i))["text"]) {
				t.Errorf("size %d: Get(%q) = %d bytes, %v; want its own value", size, k, len(got), err)
			}
		}
	}
}

// TestLegacyItems checks the items older versions kept under the key
// itself: read while the key's own item is missing, removed by the next
// Set and by Delete, and never read where that item could be another
// key's.
func TestLegacyItems(t *testing.T) {
	ctx := context.Background()
	const key = "sso-session:Corp|eu-west-1|token"
	for _, size := range []int{10, 1000} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			m := NewMemory(300)
			old := values(size, 1)["text"]
			plantLegacy(m, key, old, 300)
			legacyItems := m.Users(svc)
			if size > 300 && len(legacyItems) < 3 {
				t.Fatalf("legacy items %q: want parts", legacyItems)
			}
			s := New(m, svc, 300)
			if got, err := s.Get(ctx, key); err != nil || !bytes.Equal(got, old) {
				t.Fatalf("Get of a legacy item = %d bytes, %v", len(got), err)
			}
			v := values(size, 2)["text"]
			if err := s.Set(ctx, key, v); err != nil {
				t.Fatal(err)
			}
			for _, u := range m.Users(svc) {
				if strings.Contains(u, ":") {
					t.Errorf("legacy item %q left after Set (legacy items were %q)", u, legacyItems)
				}
			}
			if got, err := s.Get(ctx, key); err != nil || !bytes.Equal(got, v) {
				t.Fatalf("Get after Set = %d bytes, %v", len(got), err)
			}
			// Delete removes both, also when both exist.
			plantLegacy(m, key, old, 300)
			if err := s.Delete(ctx, key); err != nil {
				t.Fatal(err)
			}
			if users := m.Users(svc); len(users) != 0 {
				t.Errorf("items left after Delete: %q", users)
			}
		})
	}

	// Where case is ignored, the legacy item of "Corp" is the current item
	// of "corp" (a name without escapes): it must not be read.
	t.Run("legacy name that is another key's item", func(t *testing.T) {
		b := caseless{NewMemory(0)}
		s := New(b, svc, 0)
		if err := s.Set(ctx, "corp", []byte("corp's")); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Get(ctx, "Corp"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get(Corp) = %q, %v; want ErrNotFound, not corp's value", got, err)
		}
		if err := s.Delete(ctx, "Corp"); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Get(ctx, "corp"); string(got) != "corp's" || err != nil {
			t.Errorf("Delete(Corp) took corp's item: Get(corp) = %q, %v", got, err)
		}
	})
}

// plantLegacy writes v under key as versions before ItemName did: the
// head named by the key itself, its parts <key>#<gen>/<i>.
func plantLegacy(m *Memory, key string, v []byte, maxItem int) {
	enc := encodeValue(v)
	if len(enc) <= maxItem {
		m.Set(svc, key, enc)
		return
	}
	parts := split(enc, maxItem)
	mk := marker{gen: newGen(), n: len(parts), sum: sha256.Sum256(v)}
	for i, p := range parts {
		m.Set(svc, partName(key, mk.gen, i), p)
	}
	m.Set(svc, key, mk.String())
}

// shellQuote is go-keyring's internal/shellescape.Quote (v0.2.8), which its
// macOS Set applies to the service, account and password of the line it
// gives `security -i`.
func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	if regexp.MustCompile(`[^\w@%+=:,./-]`).MatchString(s) {
		return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
	}
	return s
}

// securitySplitLine is split_line of Apple's security command
// (SecurityTool/security.c, the same from 2003 to macOS 15), which splits
// each line of `security -i` into arguments: outside quotes a backslash
// escapes the next byte and white space ends an argument; a ' or " at the
// start of an argument quotes it up to the same quote, a backslash
// escaping inside too; the closing quote ends the argument. At most 32
// arguments.
func securitySplitLine(line string) []string {
	const (
		skipWS = iota
		readArg
		readArgEscaped
		quotedArg
		quotedArgEscaped
	)
	const maxArgs = 32
	var args []string
	var cur []byte
	state, quote := skipWS, byte(0)
	isspace := func(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' }
	for i := 0; i < len(line); i++ {
		c := line[i]
		if state == skipWS {
			if isspace(c) {
				continue
			}
			cur = []byte{}
			if c == '"' || c == '\'' {
				quote, state = c, quotedArg
				continue
			}
			state = readArg
		}
		if state == readArg {
			if c == '\\' {
				state = readArgEscaped
				continue
			} else if isspace(c) {
				args, state = append(args, string(cur)), skipWS
				if len(args) >= maxArgs {
					break
				}
			} else {
				cur = append(cur, c)
			}
		}
		if state == quotedArg {
			if c == '\\' {
				state = quotedArgEscaped
				continue
			}
			if c == quote {
				args, state = append(args, string(cur)), skipWS
				if len(args) >= maxArgs {
					break
				}
			} else {
				cur = append(cur, c)
			}
		}
		if state == readArgEscaped {
			cur, state = append(cur, c), readArg
		}
		if state == quotedArgEscaped {
			cur, state = append(cur, c), quotedArg
		}
	}
	if state != skipWS {
		args = append(args, string(cur))
	}
	return args
}

// securityLine is the line go-keyring's macOS Set writes to `security -i`
// (keyring_darwin.go, v0.2.8), newline included.
func securityLine(service, account, password string) string {
	password = "go-keyring-base64:" + base64.StdEncoding.EncodeToString([]byte(password))
	return fmt.Sprintf("add-generic-password -U -s %s -a %s -w %s\n", shellQuote(service), shellQuote(account), shellQuote(password))
}

// TestSecurityToolQuoting checks that every item name the Store writes
// reaches the macOS keychain as itself through go-keyring's quoting and
// the security command's parser, and that the longest line fits the
// command's line buffer (MAX_LINE_LEN 4096, of which readline keeps
// 4095 bytes).
func TestSecurityToolQuoting(t *testing.T) {
	want := func(account, pw string) []string {
		return []string{"add-generic-password", "-U", "-s", Service, "-a", account, "-w", "go-keyring-base64:" + base64.StdEncoding.EncodeToString([]byte(pw))}
	}
	// The port reproduces the faults: ' splits the account, \ is dropped.
	for _, account := range []string{"sso-session:it's|r|token", `sso-session:a\b|r|token`} {
		line := securityLine(Service, account, "v")
		if got := securitySplitLine(strings.TrimSuffix(line, "\n")); fmt.Sprint(got) == fmt.Sprint(want(account, "v")) {
			t.Errorf("the parser port takes %q as is; it should not", account)
		}
	}

	// Every name the Store writes: heads and parts of keys of every byte.
	ctx := context.Background()
	m, s := newStore(t, macMaxItem, macMaxItem)
	for _, key := range randomKeys(300, 2) {
		for _, size := range []int{5, 3000} {
			if err := s.Set(ctx, key, values(size, 1)["text"]); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, account := range m.Users(svc) {
		line := securityLine(Service, account, "v")
		if got := securitySplitLine(strings.TrimSuffix(line, "\n")); fmt.Sprint(got) != fmt.Sprint(want(account, "v")) {
			t.Errorf("item name %q reaches security as %q", account, got)
		}
	}

	// The longest line: the longest name, a part suffix, a full item.
	longest := partName(strings.Repeat("~", maxNameLen), "0123abcd", maxParts-1)
	item := strings.Repeat("\xff", macMaxItem)
	if line := securityLine(Service, longest, item); len(line)-1 > 4095 {
		t.Errorf("the longest line is %d bytes, over the 4095 security reads", len(line)-1)
	}
}
