package filestore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/sso-credproc/sso-credproc/keychain"
)

// testWorkFactor keeps the scrypt work of the tests small; the default's
// cost is measured by BenchmarkUnlockPassphrase.
const testWorkFactor = 10

const (
	tokenKey = "sso-session:corp-prod|eu-west-1|token"
	credsKey = "sso-session:corp-prod|eu-west-1|111122223333|AdministratorAccess|credentials"
)

var ctx = context.Background()

func newStore(t testing.TB, dir string, o Options) *Store {
	t.Helper()
	o.Dir = dir
	if o.WorkFactor == 0 {
		o.WorkFactor = testWorkFactor
	}
	if o.Passphrase == "" && o.IdentityFile == "" && o.Prompt == nil {
		o.Passphrase = "correct horse battery staple"
	}
	return New(o)
}

func storeDir(t testing.TB) string {
	return filepath.Join(t.TempDir(), "data", "sso-credproc", "store")
}

func mustGet(t *testing.T, s *Store, key string) string {
	t.Helper()
	v, err := s.Get(ctx, key)
	if err != nil {
		t.Fatalf("Get %q: %v", key, err)
	}
	return string(v)
}

func TestRoundTrip(t *testing.T) {
	dir := storeDir(t)
	s := newStore(t, dir, Options{})
	if _, err := s.Get(ctx, tokenKey); !errors.Is(err, keychain.ErrNotFound) {
		t.Fatalf("Get from a store that does not exist: %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, tokenKey); err != nil {
		t.Fatalf("Delete from a store that does not exist: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Get or Delete created the directory: %v", err)
	}

	binary := []byte{0, 1, 2, 0xff, '\n', 's', 's', 'o'}
	for _, v := range [][]byte{[]byte(`{"accessToken":"at-1"}`), {}, binary, bytes.Repeat([]byte("x"), 100_000)} {
		if err := s.Set(ctx, tokenKey, v); err != nil {
			t.Fatalf("Set: %v", err)
		}
		if got := mustGet(t, s, tokenKey); got != string(v) {
			t.Fatalf("Get = %q…, want %q…", got[:min(len(got), 20)], v[:min(len(v), 20)])
		}
		// A new Store, as the next process: it reads what this one wrote.
		if got := mustGet(t, newStore(t, dir, Options{}), tokenKey); got != string(v) {
			t.Fatalf("another Store reads %q…", got[:min(len(got), 20)])
		}
	}
	if err := s.Set(ctx, credsKey, []byte("creds")); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, tokenKey); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Get(ctx, tokenKey); !errors.Is(err, keychain.ErrNotFound) {
		t.Fatalf("Get after Delete: %v", err)
	}
	if err := s.Delete(ctx, tokenKey); err != nil {
		t.Fatalf("Delete again: %v", err)
	}
	if got := mustGet(t, s, credsKey); got != "creds" {
		t.Fatalf("the other item: %q", got)
	}
	if err := s.Set(ctx, tokenKey, make([]byte, maxValue+1)); !errors.Is(err, keychain.ErrTooLarge) {
		t.Errorf("Set of %d bytes: %v, want ErrTooLarge", maxValue+1, err)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 2 { // the key and the credentials
		t.Errorf("files left: %q, want the key and one item", names)
	}
}

func TestKeysAreChecked(t *testing.T) {
	s := newStore(t, storeDir(t), Options{})
	for _, key := range []string{"", strings.Repeat("k", 200), "tab\there", "é"} {
		if err := s.Set(ctx, key, []byte("v")); err == nil {
			t.Errorf("Set with key %q succeeded", key)
		}
		if _, err := s.Get(ctx, key); err == nil || errors.Is(err, keychain.ErrNotFound) {
			t.Errorf("Get with key %q: %v", key, err)
		}
	}
	if err := s.Set(ctx, strings.Repeat("k", 199), []byte("v")); err != nil {
		t.Errorf("a 199-byte key: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Set(cancelled, tokenKey, []byte("v")); !errors.Is(err, context.Canceled) || !keychain.IsUnavailable(err) {
		t.Errorf("Set with a cancelled context: %v", err)
	}
}

func TestPermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix modes")
	}
	old := setUmask(0)
	t.Cleanup(func() { setUmask(old) })
	dir := storeDir(t)
	s := newStore(t, dir, Options{})
	if err := s.Set(ctx, tokenKey, []byte("v")); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if st, err := os.Stat(d); err != nil || st.Mode().Perm() != 0o700 {
			t.Errorf("%s: mode %v (%v), want 0700", d, st.Mode().Perm(), err)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Fatalf("files %v, want the key and one item", entries)
	}
	for _, e := range entries {
		if st, err := os.Stat(filepath.Join(dir, e.Name())); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v (%v), want 0600", e.Name(), st.Mode().Perm(), err)
		}
	}
}

func TestUnsafeDirectory(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix modes")
	}
	dir := storeDir(t)
	if err := newStore(t, dir, Options{}).Set(ctx, tokenKey, []byte("v")); err != nil {
		t.Fatal(err)
	}

	// Readable by others: closed, then used.
	os.Chmod(dir, 0o750)
	if got := mustGet(t, newStore(t, dir, Options{}), tokenKey); got != "v" {
		t.Fatalf("Get: %q", got)
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Errorf("a group-readable directory was left at %v", st.Mode().Perm())
	}

	// Writable by others: refused, since they could plant items or a key.
	os.Chmod(dir, 0o770)
	s := newStore(t, dir, Options{})
	_, err := s.Get(ctx, tokenKey)
	if !errors.Is(err, ErrUnsafeDir) || !keychain.IsUnavailable(err) || !strings.Contains(Hint(err), "chmod 700 "+dir) {
		t.Errorf("group-writable directory: %v (hint %q)", err, Hint(err))
	}
	if err := s.Set(ctx, tokenKey, []byte("w")); !errors.Is(err, ErrUnsafeDir) {
		t.Errorf("Set in a group-writable directory: %v", err)
	}
	if err := s.Probe(ctx); !errors.Is(err, ErrUnsafeDir) {
		t.Errorf("Probe of a group-writable directory: %v", err)
	}
	os.Chmod(dir, 0o700)

	// Another user's directory (root can make one).
	if os.Geteuid() == 0 {
		if err := os.Chown(dir, 4242, 4242); err != nil {
			t.Fatal(err)
		}
		_, err := newStore(t, dir, Options{}).Get(ctx, tokenKey)
		if !errors.Is(err, ErrUnsafeDir) || !strings.Contains(err.Error(), "belongs to user 4242") {
			t.Errorf("another user's directory: %v", err)
		}
		os.Chown(dir, 0, 0)
	}

	// A link in place of the directory.
	link := filepath.Join(t.TempDir(), "store")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	if _, err := newStore(t, link, Options{}).Get(ctx, tokenKey); !errors.Is(err, ErrUnsafeDir) {
		t.Errorf("a link as the directory: %v", err)
	}
}

// Many writers of one item at once, each its own Store as separate
// processes would be, while others read: every read is one whole value
// that was written, and the store ends with one of them.
func TestConcurrentWriters(t *testing.T) {
	dir := storeDir(t)
	const writers, rounds = 64, 5
	value := func(w, r int) string {
		return fmt.Sprintf(`{"writer":%d,"round":%d,"pad":"%s"}`, w, r, strings.Repeat("p", 3000))
	}
	valid := map[string]bool{}
	for w := range writers {
		for r := range rounds {
			valid[value(w, r)] = true
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2*writers*rounds)
	notices := make(chan string, writers)
	for w := range writers {
		wg.Add(2)
		go func() { // a writer; all start on an empty directory
			defer wg.Done()
			s := newStore(t, dir, Options{Notice: func(m string) { notices <- m }})
			for r := range rounds {
				if err := s.Set(ctx, tokenKey, []byte(value(w, r))); err != nil {
					errs <- fmt.Errorf("writer %d: %w", w, err)
				}
			}
		}()
		go func() { // a reader
			defer wg.Done()
			s := newStore(t, dir, Options{})
			for range rounds {
				v, err := s.Get(ctx, tokenKey)
				if errors.Is(err, keychain.ErrNotFound) {
					continue
				}
				if err != nil {
					errs <- fmt.Errorf("reader: %w", err)
				} else if !valid[string(v)] {
					errs <- fmt.Errorf("reader got a value nobody wrote: %.40q", v)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := mustGet(t, newStore(t, dir, Options{}), tokenKey); !valid[got] {
		t.Errorf("final value %.40q", got)
	}
	if n := len(notices); n != 1 {
		t.Errorf("%d first-use notices, want 1", n)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("files %v, want the key and one item (no temporary files left)", entries)
	}
}

func TestWrongPassphrase(t *testing.T) {
	dir := storeDir(t)
	if err := newStore(t, dir, Options{Passphrase: "right"}).Set(ctx, tokenKey, []byte("v")); err != nil {
		t.Fatal(err)
	}
	s := newStore(t, dir, Options{Passphrase: "wrong"})
	_, err := s.Get(ctx, tokenKey)
	if !errors.Is(err, ErrWrongPassphrase) || !keychain.IsUnavailable(err) || errors.Is(err, keychain.ErrCorrupt) {
		t.Fatalf("Get with a wrong passphrase: %v, want ErrWrongPassphrase, unavailable, not corrupt", err)
	}
	if !strings.Contains(err.Error(), EnvPassphrase) || !strings.Contains(Hint(err), EnvPassphrase) || !strings.Contains(Hint(err), "rm -r "+dir) {
		t.Errorf("error %q, hint %q: want the variable named and how to start over", err, Hint(err))
	}
	if strings.Contains(err.Error(), "wrong") || strings.Contains(Hint(err), "wrong") {
		t.Errorf("the passphrase is in the message: %q %q", err, Hint(err))
	}
	if err := s.Probe(ctx); !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("Probe with a wrong passphrase: %v", err)
	}
	// A write needs only the public recipient: it works, and the right
	// passphrase reads it.
	if err := s.Set(ctx, tokenKey, []byte("w")); err != nil {
		t.Errorf("Set with a wrong passphrase: %v", err)
	}
	if got := mustGet(t, newStore(t, dir, Options{Passphrase: "right"}), tokenKey); got != "w" {
		t.Errorf("Get = %q", got)
	}
}

func TestPrompt(t *testing.T) {
	dir := storeDir(t)
	var asked []string
	answers := func(as ...string) func(context.Context, string) (string, error) {
		return func(_ context.Context, prompt string) (string, error) {
			asked = append(asked, prompt)
			if len(as) == 0 {
				return "", errors.New("no more answers")
			}
			a := as[0]
			as = as[1:]
			return a, nil
		}
	}
	var notes []string
	note := func(m string) { notes = append(notes, m) }

	// A new store: asked twice; an empty one and a mismatch are asked again.
	s := newStore(t, dir, Options{Prompt: answers("", "one", "two", "pass", "pass"), Notice: note})
	if err := s.Set(ctx, tokenKey, []byte("v")); err != nil {
		t.Fatalf("Set: %v (asked %q)", err, asked)
	}
	if len(asked) != 5 || !strings.Contains(asked[0], "new passphrase") || !strings.Contains(asked[0], dir) {
		t.Errorf("asked %q", asked)
	}
	if got := mustGet(t, s, tokenKey); got != "v" {
		t.Errorf("Get = %q", got)
	}
	if len(asked) != 5 {
		t.Errorf("the creating Store asked again to read: %q", asked)
	}
	if !strings.Contains(strings.Join(notes, "\n"), "must not be empty") || !strings.Contains(strings.Join(notes, "\n"), "differ") {
		t.Errorf("notices %q", notes)
	}

	// Reading: a wrong one is asked again, once per Store.
	asked = nil
	s = newStore(t, dir, Options{Prompt: answers("nope", "pass")})
	if got := mustGet(t, s, tokenKey); got != "v" || len(asked) != 2 {
		t.Errorf("Get = %q after %q", got, asked)
	}
	if mustGet(t, s, tokenKey); len(asked) != 2 {
		t.Errorf("asked again for a second read: %q", asked)
	}
	_, err := newStore(t, dir, Options{Prompt: answers("a", "b", "c")}).Get(ctx, tokenKey)
	if !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("three wrong answers: %v", err)
	}

	// No terminal: a one-line error naming the variable.
	for _, prompt := range []func(context.Context, string) (string, error){
		nil,
		func(context.Context, string) (string, error) { return "", ErrNoTerminal },
	} {
		s := New(Options{Dir: dir, Prompt: prompt})
		_, err := s.Get(ctx, tokenKey)
		if !errors.Is(err, ErrNoPassphrase) || !keychain.IsUnavailable(err) || !strings.Contains(Hint(err), EnvPassphrase) || !strings.Contains(Hint(err), EnvIdentity) {
			t.Errorf("no passphrase: %v (hint %q)", err, Hint(err))
		}
	}
	// A fresh directory without a way to get a passphrase fails the probe
	// (before a sign-in whose result could not be kept) and Set.
	fresh := New(Options{Dir: storeDir(t)})
	if err := fresh.Probe(ctx); !errors.Is(err, ErrNoPassphrase) {
		t.Errorf("Probe without a passphrase: %v", err)
	}
	if err := fresh.Set(ctx, tokenKey, []byte("v")); !errors.Is(err, ErrNoPassphrase) {
		t.Errorf("Set without a passphrase: %v", err)
	}
}

func writeIdentity(t *testing.T) (path string, id *age.X25519Identity) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(t.TempDir(), "key.txt")
	text := "# created: 2026-01-01T00:00:00Z\n# public key: " + id.Recipient().String() + "\n" + id.String() + "\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, id
}

func TestIdentityFile(t *testing.T) {
	dir := storeDir(t)
	idFile, id := writeIdentity(t)
	var notes []string
	s := New(Options{Dir: dir, IdentityFile: idFile, Notice: func(m string) { notes = append(notes, m) },
		Prompt: func(context.Context, string) (string, error) {
			t.Error("asked for a passphrase")
			return "", ErrNoTerminal
		}})
	if err := s.Probe(ctx); err != nil {
		t.Fatalf("Probe: %v", err)
	}
	if err := s.Set(ctx, tokenKey, []byte("v")); err != nil {
		t.Fatal(err)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], idFile) || !strings.Contains(notes[0], dir) {
		t.Errorf("first-use notice %q", notes)
	}
	if got := mustGet(t, New(Options{Dir: dir, IdentityFile: idFile}), tokenKey); got != "v" {
		t.Errorf("Get = %q", got)
	}
	key, _ := os.ReadFile(filepath.Join(dir, keyName))
	if !bytes.Contains(key, []byte(id.Recipient().String())) || bytes.Contains(key, []byte(id.String())) {
		t.Errorf("key file %q: want the recipient, not the identity", key)
	}
	// The item is an age file the user can open with age -d -i.
	data, _ := os.ReadFile(newStore(t, dir, Options{}).itemPath(tokenKey))
	r, err := age.Decrypt(bytes.NewReader(data), id)
	if err != nil {
		t.Fatalf("age -d -i: %v", err)
	}
	var plain bytes.Buffer
	plain.ReadFrom(r)
	if plain.String() != itemMagic+tokenKey+"\nv" {
		t.Errorf("plaintext %q", plain.String())
	}

	// Another identity file: a clear error, not a corrupt item.
	other, _ := writeIdentity(t)
	for name, f := range map[string]func(*Store) error{
		"Get":   func(s *Store) error { _, err := s.Get(ctx, tokenKey); return err },
		"Set":   func(s *Store) error { return s.Set(ctx, tokenKey, []byte("w")) },
		"Probe": func(s *Store) error { return s.Probe(ctx) },
	} {
		err := f(New(Options{Dir: dir, IdentityFile: other}))
		if !errors.Is(err, ErrWrongIdentity) || !keychain.IsUnavailable(err) || !strings.Contains(Hint(err), EnvIdentity) || !strings.Contains(Hint(err), id.Recipient().String()) {
			t.Errorf("%s with another identity file: %v (hint %q)", name, err, Hint(err))
		}
	}
	// A passphrase for a store set up with an identity file, and the other
	// way round.
	if _, err := New(Options{Dir: dir, Passphrase: "p"}).Get(ctx, tokenKey); !errors.Is(err, ErrWrongIdentity) || !strings.Contains(Hint(err), EnvIdentity) {
		t.Errorf("a passphrase for an identity-file store: %v (hint %q)", err, Hint(err))
	}
	pdir := storeDir(t)
	newStore(t, pdir, Options{}).Set(ctx, tokenKey, []byte("v"))
	if _, err := New(Options{Dir: pdir, IdentityFile: idFile}).Get(ctx, tokenKey); !errors.Is(err, ErrWrongIdentity) || !strings.Contains(Hint(err), EnvPassphrase) {
		t.Errorf("an identity file for a passphrase store: %v (hint %q)", err, Hint(err))
	}

	// Files that are not identity files; the message never quotes them.
	bad := filepath.Join(t.TempDir(), "bad")
	for _, text := range []string{"AGE-SECRET-KEY-1NOTAKEYATALLSECRETSECRET\n", "# only a comment\n", "ssh-ed25519 AAAA secret\n"} {
		os.WriteFile(bad, []byte(text), 0o600)
		err := New(Options{Dir: storeDir(t), IdentityFile: bad}).Set(ctx, tokenKey, []byte("v"))
		if !keychain.IsUnavailable(err) || !strings.Contains(err.Error(), bad) || !strings.Contains(Hint(err), "age-keygen") {
			t.Errorf("identity file %q: %v (hint %q)", text, err, Hint(err))
		}
		if err != nil && (strings.Contains(err.Error(), "NOTAKEY") || strings.Contains(err.Error(), "AAAA")) {
			t.Errorf("the error quotes the file: %v", err)
		}
	}
	if err := New(Options{Dir: storeDir(t), IdentityFile: filepath.Join(t.TempDir(), "missing")}).Probe(ctx); !keychain.IsUnavailable(err) || !strings.Contains(err.Error(), EnvIdentity) {
		t.Errorf("a missing identity file: %v", err)
	}
	// A key line with a character outside bech32: age's own error would
	// quote it ("s[13]=111").
	good, _ := os.ReadFile(idFile)
	broken := strings.Replace(string(good), "AGE-SECRET-KEY-1", "AGE-SECRET-KEY-1o", 1)
	os.WriteFile(bad, []byte(broken), 0o600)
	if err := New(Options{Dir: storeDir(t), IdentityFile: bad}).Probe(ctx); err == nil || strings.Contains(err.Error(), "s[") || strings.Contains(err.Error(), "=111") {
		t.Errorf("a malformed key line: %v", err)
	}
	// Others can read it: refused, as ssh refuses such a private key.
	if runtime.GOOS != "windows" {
		os.Chmod(idFile, 0o644)
		if err := New(Options{Dir: dir, IdentityFile: idFile}).Probe(ctx); err == nil || !strings.Contains(err.Error(), "can be read by other users (mode 0644)") || !strings.Contains(Hint(err), "chmod 600 "+idFile) {
			t.Errorf("an identity file others can read: %v (hint %q)", err, Hint(err))
		}
	}
}

func TestCorruptItems(t *testing.T) {
	dir := storeDir(t)
	s := newStore(t, dir, Options{})
	for _, k := range []string{tokenKey, credsKey} {
		if err := s.Set(ctx, k, []byte("value of "+k)); err != nil {
			t.Fatal(err)
		}
	}
	item := s.itemPath(tokenKey)
	good, _ := os.ReadFile(item)
	corrupt := func(what string) {
		t.Helper()
		_, err := newStore(t, dir, Options{}).Get(ctx, tokenKey)
		if !errors.Is(err, keychain.ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", what, err)
		}
		os.WriteFile(item, good, 0o600)
	}

	os.WriteFile(item, good[:len(good)-5], 0o600)
	corrupt("truncated")
	flipped := bytes.Clone(good)
	flipped[len(flipped)-3] ^= 1
	os.WriteFile(item, flipped, 0o600)
	corrupt("a flipped bit")
	os.WriteFile(item, []byte("not age at all"), 0o600)
	corrupt("garbage")
	os.WriteFile(item, nil, 0o600)
	corrupt("empty")
	os.WriteFile(item, make([]byte, maxValue+8192), 0o600)
	corrupt("too large")
	other, _ := os.ReadFile(s.itemPath(credsKey))
	os.WriteFile(item, other, 0o600)
	corrupt("another item's file")

	foreign, _ := age.GenerateX25519Identity()
	var buf bytes.Buffer
	w, _ := age.Encrypt(&buf, foreign.Recipient())
	w.Write([]byte(itemMagic + tokenKey + "\nplanted"))
	w.Close()
	os.WriteFile(item, buf.Bytes(), 0o600)
	corrupt("encrypted to another key")

	// Corrupt items are replaced by the next write.
	os.WriteFile(item, []byte("garbage"), 0o600)
	if err := s.Set(ctx, tokenKey, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, newStore(t, dir, Options{}), tokenKey); got != "new" {
		t.Errorf("after replacing a corrupt item: %q", got)
	}

	// A damaged key file makes the store unusable, with a way out.
	keyPath := filepath.Join(dir, keyName)
	key, _ := os.ReadFile(keyPath)
	for what, text := range map[string][]byte{
		"garbage":                []byte("garbage"),
		"too large":              append(bytes.Clone(key), make([]byte, maxKeyFile)...),
		"a bad recipient":        bytes.Replace(key, []byte("recipient: age1"), []byte("recipient: age2"), 1),
		"an unknown protection":  bytes.Replace(key, []byte("protection: passphrase"), []byte("protection: magic"), 1),
		"no encrypted identity":  key[:bytes.Index(key, []byte("\n\n"))+2],
		"a damaged age file":     append(bytes.Clone(key[:len(key)-4]), "xxxx"...),
		"another store's header": bytes.Replace(key, key[:bytes.Index(key, []byte("\n\n"))], otherHeader(t), 1),
	} {
		os.WriteFile(keyPath, text, 0o600)
		_, err := newStore(t, dir, Options{}).Get(ctx, tokenKey)
		if !keychain.IsUnavailable(err) || errors.Is(err, keychain.ErrCorrupt) || !strings.Contains(Hint(err), "rm -r "+dir) {
			t.Errorf("key file with %s: %v (hint %q)", what, err, Hint(err))
		}
	}
	// No key file at all: the items cannot be read, and are replaced.
	os.Remove(keyPath)
	if _, err := newStore(t, dir, Options{}).Get(ctx, tokenKey); !errors.Is(err, keychain.ErrCorrupt) {
		t.Errorf("items without a key file: %v, want ErrCorrupt", err)
	}
	s = newStore(t, dir, Options{})
	if err := s.Set(ctx, tokenKey, []byte("again")); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, newStore(t, dir, Options{}), tokenKey); got != "again" {
		t.Errorf("after a new key: %q", got)
	}
}

// otherHeader is a valid key header of another store.
func otherHeader(t *testing.T) []byte {
	dir := storeDir(t)
	newStore(t, dir, Options{}).Set(ctx, tokenKey, []byte("v"))
	key, _ := os.ReadFile(filepath.Join(dir, keyName))
	return key[:bytes.Index(key, []byte("\n\n"))]
}

// No file name says what it holds, and no file holds a value, the
// passphrase or an identity in clear text.
func TestNothingInClear(t *testing.T) {
	idFile, id := writeIdentity(t)
	const pass = "passphrase-in-clear-3f9a"
	for name, o := range map[string]Options{"passphrase": {Passphrase: pass}, "identity file": {IdentityFile: idFile}} {
		dir := storeDir(t)
		s := newStore(t, dir, o)
		secrets := []string{pass, id.String(), "AGE-SECRET-KEY"}
		names := []string{"corp-prod", "111122223333", "AdministratorAccess", "eu-west-1", "token", "credentials", "registration", "index"}
		for i, k := range []string{tokenKey, credsKey, "sso-session:corp-prod|eu-west-1|registration", "sso-session:corp-prod|eu-west-1|index"} {
			v := fmt.Sprintf(`{"accessToken":"SECRET-VALUE-%d","refreshToken":"SECRET-REFRESH-%d"}`, i, i)
			secrets = append(secrets, v, fmt.Sprintf("SECRET-VALUE-%d", i), fmt.Sprintf("SECRET-REFRESH-%d", i))
			if err := s.Set(ctx, k, []byte(v)); err != nil {
				t.Fatal(err)
			}
		}
		files := 0
		filepath.WalkDir(filepath.Dir(filepath.Dir(dir)), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			files++
			for _, n := range names {
				if strings.Contains(d.Name(), n) {
					t.Errorf("%s: file name %s names %q", name, d.Name(), n)
				}
			}
			b, _ := os.ReadFile(path)
			for _, sec := range secrets {
				if bytes.Contains(b, []byte(sec)) {
					t.Errorf("%s: %s holds %q in clear", name, d.Name(), sec)
				}
			}
			return nil
		})
		if files != 5 {
			t.Errorf("%s: %d files, want the key and 4 items", name, files)
		}
	}
}

func TestFirstUseNotice(t *testing.T) {
	dir := storeDir(t)
	var notes []string
	o := Options{Notice: func(m string) { notes = append(notes, m) }}
	s := newStore(t, dir, o)
	if err := s.Probe(ctx); err != nil {
		t.Fatal(err)
	}
	if len(notes) != 0 {
		t.Errorf("Probe gave a notice: %q", notes)
	}
	s.Set(ctx, tokenKey, []byte("v"))
	newStore(t, dir, o).Set(ctx, credsKey, []byte("v"))
	if len(notes) != 1 || !strings.Contains(notes[0], "created the file store "+dir) || !strings.Contains(notes[0], EnvPassphrase) || strings.Contains(notes[0], "\n") {
		t.Errorf("notices %q, want one line naming the directory", notes)
	}
}

func TestProbe(t *testing.T) {
	dir := storeDir(t)
	s := newStore(t, dir, Options{})
	if err := s.Probe(ctx); err != nil {
		t.Fatalf("Probe of a new store: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Probe created the directory")
	}
	s.Set(ctx, tokenKey, []byte("v"))
	stale, fresh := filepath.Join(dir, tmpPrefix+"stale"), filepath.Join(dir, tmpPrefix+"fresh")
	os.WriteFile(stale, nil, 0o600)
	os.WriteFile(fresh, nil, 0o600)
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(stale, old, old)
	if err := newStore(t, dir, Options{}).Probe(ctx); err != nil {
		t.Fatalf("Probe: %v", err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Error("a stale temporary file was left")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Error("a write under way lost its temporary file")
	}
	var _ keychain.Prober = s
}

func TestDefaultDir(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	for _, tc := range []struct {
		goos string
		env  map[string]string
		want string
	}{
		{"linux", map[string]string{"HOME": "/home/u"}, "/home/u/.local/share/sso-credproc/store"},
		{"linux", map[string]string{"HOME": "/home/u", "XDG_DATA_HOME": "/data"}, "/data/sso-credproc/store"},
		{"linux", map[string]string{"HOME": "/home/u", "XDG_DATA_HOME": "relative"}, "/home/u/.local/share/sso-credproc/store"},
		{"freebsd", map[string]string{"HOME": "/home/u"}, "/home/u/.local/share/sso-credproc/store"},
		{"darwin", map[string]string{"HOME": "/Users/u"}, "/Users/u/Library/Application Support/sso-credproc/store"},
		{"linux", map[string]string{}, ""},
	} {
		got, err := defaultDir(env(tc.env), tc.goos)
		if runtime.GOOS != "windows" && got != tc.want || (tc.want == "") != (err != nil) {
			t.Errorf("%s %v: %q, %v; want %q", tc.goos, tc.env, got, err, tc.want)
		}
	}
	if runtime.GOOS != "windows" {
		got, _ := defaultDir(env(map[string]string{"LOCALAPPDATA": `C:\Users\u\AppData\Local`}), "windows")
		if !strings.HasPrefix(got, `C:\Users\u\AppData\Local`) || !strings.HasSuffix(got, filepath.Join("sso-credproc", "store")) {
			t.Errorf("windows: %q", got)
		}
	}
}

// The default work factor's cost, paid once per process that reads an
// item of a passphrase-protected store.
func BenchmarkUnlockPassphrase(b *testing.B) {
	for _, wf := range []int{DefaultWorkFactor, 18} {
		b.Run(fmt.Sprintf("workfactor=%d", wf), func(b *testing.B) {
			dir := storeDir(b)
			if err := newStore(b, dir, Options{WorkFactor: wf}).Set(ctx, tokenKey, []byte("v")); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := newStore(b, dir, Options{}).Get(ctx, tokenKey); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A read with an identity file: what a warm call pays beyond the file I/O.
func BenchmarkGetIdentityFile(b *testing.B) {
	dir := storeDir(b)
	id, _ := age.GenerateX25519Identity()
	idFile := filepath.Join(b.TempDir(), "key.txt")
	os.WriteFile(idFile, []byte(id.String()+"\n"), 0o600)
	value := bytes.Repeat([]byte("c"), 1500)
	if err := New(Options{Dir: dir, IdentityFile: idFile}).Set(ctx, credsKey, value); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := New(Options{Dir: dir, IdentityFile: idFile}).Get(ctx, credsKey); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSet(b *testing.B) {
	dir := storeDir(b)
	s := newStore(b, dir, Options{})
	value := bytes.Repeat([]byte("c"), 1500)
	for b.Loop() {
		if err := s.Set(ctx, credsKey, value); err != nil {
			b.Fatal(err)
		}
	}
}
