package filestore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"filippo.io/age"

	"github.com/sso-credproc/sso-credproc/keychain"
)

// The key file is a text header, a blank line, and for a passphrase the
// age (scrypt) encryption of the X25519 identity's string:
//
//	sso-credproc file store key v1
//	recipient: age1...
//	protection: passphrase | identity-file
//
//	<age file>
//
// The recipient is public: writers encrypt to it without the passphrase.
const keyMagic = "sso-credproc file store key v1\n"

const (
	protPassphrase   = "passphrase"
	protIdentityFile = "identity-file"
)

// errNoKey: the store has no key file yet.
var errNoKey = errors.New("the file store has no key yet")

type keyFile struct {
	recipient  age.Recipient
	rcptText   string // the recipient's age1... string
	protection string // protPassphrase or protIdentityFile
	sealed     []byte // protPassphrase: the identity, encrypted with the passphrase
}

func (s *Store) keyPath() string { return filepath.Join(s.o.Dir, keyName) }

// keyFile returns the store's key file, read once; with create, it is made
// when there is none. For an identity file, it also finds the identity that
// opens the store, so that reads need no further step.
func (s *Store) keyFile(ctx context.Context, create bool) (*keyFile, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.key != nil {
		return s.key, nil
	}
	data, err := readFile(s.keyPath(), maxKeyFile)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !create:
		return nil, errNoKey
	case errors.Is(err, fs.ErrNotExist):
		if data, err = s.createKey(ctx); err != nil {
			return nil, err
		}
	case errors.Is(err, errTooBig):
		return nil, s.damagedKey(err)
	case err != nil:
		return nil, ioError("read the key", err)
	}
	k, err := parseKeyFile(data)
	if err != nil {
		return nil, s.damagedKey(err)
	}
	if err := s.matchKey(k); err != nil {
		return nil, err
	}
	s.key = k
	return k, nil
}

func parseKeyFile(data []byte) (*keyFile, error) {
	rest, ok := bytes.CutPrefix(data, []byte(keyMagic))
	if !ok {
		return nil, errors.New("it does not start with " + strings.TrimSpace(keyMagic))
	}
	head, sealed, ok := bytes.Cut(rest, []byte("\n\n"))
	if !ok {
		return nil, errors.New("its header does not end")
	}
	k := &keyFile{sealed: sealed}
	for _, line := range strings.Split(string(head), "\n") {
		name, v, _ := strings.Cut(line, ": ")
		switch name {
		case "recipient":
			k.rcptText = v
		case "protection":
			k.protection = v
		}
	}
	var err error
	switch {
	case strings.HasPrefix(k.rcptText, "age1pq1"):
		k.recipient, err = age.ParseHybridRecipient(k.rcptText)
	default:
		k.recipient, err = age.ParseX25519Recipient(k.rcptText)
	}
	if err != nil {
		return nil, fmt.Errorf("its recipient: %v", err)
	}
	switch {
	case k.protection == protPassphrase && len(sealed) == 0:
		return nil, errors.New("it holds no encrypted identity")
	case k.protection == protPassphrase, k.protection == protIdentityFile:
	default:
		return nil, fmt.Errorf("protection %q is not %s or %s", k.protection, protPassphrase, protIdentityFile)
	}
	return k, nil
}

// matchKey checks that the options can open k: a passphrase for a
// passphrase-protected key; for an identity-file key, the identity file
// must hold its identity, which becomes s.identity.
func (s *Store) matchKey(k *keyFile) error {
	start := fmt.Sprintf("or remove the store (its items are only a cache) and sign in again: rm -r %s", s.o.Dir)
	switch {
	case k.protection == protPassphrase && s.o.IdentityFile != "":
		return &Error{Err: fmt.Errorf("%w: a passphrase, not the identity file %s", ErrWrongIdentity, s.o.IdentityFile),
			hint: fmt.Sprintf("unset %s and give the passphrase (%s), %s", EnvIdentity, EnvPassphrase, start)}
	case k.protection == protIdentityFile && s.o.IdentityFile == "":
		return &Error{Err: fmt.Errorf("%w: an age identity file (public key %s), not a passphrase", ErrWrongIdentity, k.rcptText),
			hint: fmt.Sprintf("set %s to that identity file, %s", EnvIdentity, start)}
	case k.protection == protPassphrase:
		return nil
	}
	ids, err := s.readIdentityFile()
	if err != nil {
		return err
	}
	for _, id := range ids {
		if id.rcptText == k.rcptText {
			s.identity = id.identity
			return nil
		}
	}
	return &Error{Err: fmt.Errorf("%w: the identity file %s does not hold the store's key (public key %s)", ErrWrongIdentity, s.o.IdentityFile, k.rcptText),
		hint: fmt.Sprintf("set %s to the identity file whose public key is %s, %s", EnvIdentity, k.rcptText, start)}
}

func (s *Store) damagedKey(err error) error {
	return &Error{Err: fmt.Errorf("the key file %s is damaged: %v", s.keyPath(), err),
		hint: fmt.Sprintf("remove the store (its items are only a cache) and sign in again: rm -r %s", s.o.Dir)}
}

// unlock returns the identity that opens the store's items.
func (s *Store) unlock(ctx context.Context) (age.Identity, error) {
	k, err := s.keyFile(ctx, false)
	if errors.Is(err, errNoKey) {
		return nil, fmt.Errorf("%w: the store's key file %s is missing", keychain.ErrCorrupt, s.keyPath())
	}
	if err != nil {
		return nil, err
	}
	return s.unlockKey(ctx, k)
}

// unlockKey decrypts k's identity with the passphrase, once per Store.
func (s *Store) unlockKey(ctx context.Context, k *keyFile) (age.Identity, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.identity != nil {
		return s.identity, nil
	}
	if s.o.Passphrase != "" {
		id, err := s.openSealed(k, s.o.Passphrase)
		if errors.Is(err, ErrWrongPassphrase) {
			err = &Error{Err: fmt.Errorf("%w (%s, from %s)", ErrWrongPassphrase, s.keyPath(), EnvPassphrase),
				hint: fmt.Sprintf("set %s to the passphrase the store was created with; if it is lost, remove the store (its items are only a cache) and sign in again: rm -r %s", EnvPassphrase, s.o.Dir)}
		}
		if err != nil {
			return nil, err
		}
		s.identity = id
		return id, nil
	}
	if s.o.Prompt == nil {
		return nil, noPassphrase()
	}
	for range promptAttempts {
		pass, err := s.o.Prompt(ctx, "passphrase of the file store "+s.o.Dir+": ")
		if err != nil {
			return nil, promptError(err)
		}
		id, err := s.openSealed(k, pass)
		if errors.Is(err, ErrWrongPassphrase) {
			s.say("that passphrase does not open the file store")
			continue
		}
		if err != nil {
			return nil, err
		}
		s.identity = id
		return id, nil
	}
	return nil, &Error{Err: fmt.Errorf("%w (%s): %d attempts", ErrWrongPassphrase, s.keyPath(), promptAttempts),
		hint: fmt.Sprintf("if the passphrase is lost, remove the store (its items are only a cache) and sign in again: rm -r %s", s.o.Dir)}
}

// openSealed decrypts k's identity with pass: ErrWrongPassphrase when the
// passphrase does not open it.
func (s *Store) openSealed(k *keyFile, pass string) (age.Identity, error) {
	sid, err := age.NewScryptIdentity(pass)
	if err != nil {
		return nil, ErrWrongPassphrase // empty
	}
	sid.SetMaxWorkFactor(maxWorkFactor)
	r, err := age.Decrypt(bytes.NewReader(k.sealed), sid)
	if errors.Is(err, age.ErrIncorrectIdentity) {
		return nil, ErrWrongPassphrase
	}
	if err != nil {
		return nil, s.damagedKey(err)
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		return nil, s.damagedKey(err)
	}
	id, err := age.ParseX25519Identity(strings.TrimSpace(string(plain)))
	if err != nil {
		return nil, s.damagedKey(errors.New("the encrypted identity does not parse"))
	}
	if id.Recipient().String() != k.rcptText {
		return nil, s.damagedKey(errors.New("the encrypted identity is not the recipient's"))
	}
	return id, nil
}

// createKey makes the store's key file and returns its contents: the first
// identity of the identity file, or a new X25519 identity sealed with the
// passphrase. The file is written to a temporary file and linked into
// place; when another process made one first, that one is returned.
func (s *Store) createKey(ctx context.Context) ([]byte, error) {
	var (
		head   string
		sealed []byte
		newID  age.Identity
	)
	if s.o.IdentityFile != "" {
		ids, err := s.readIdentityFile()
		if err != nil {
			return nil, err
		}
		head = "recipient: " + ids[0].rcptText + "\nprotection: " + protIdentityFile + "\n"
	} else {
		pass, err := s.newPassphrase(ctx)
		if err != nil {
			return nil, err
		}
		id, err := age.GenerateX25519Identity()
		if err != nil {
			return nil, &Error{Err: fmt.Errorf("generate a key: %w", err)}
		}
		sr, err := age.NewScryptRecipient(pass)
		if err != nil {
			return nil, noPassphrase()
		}
		sr.SetWorkFactor(s.o.WorkFactor)
		var buf bytes.Buffer
		w, err := age.Encrypt(&buf, sr)
		if err != nil {
			return nil, &Error{Err: fmt.Errorf("encrypt the key: %w", err)}
		}
		io.WriteString(w, id.String()+"\n")
		if err := w.Close(); err != nil {
			return nil, &Error{Err: fmt.Errorf("encrypt the key: %w", err)}
		}
		head = "recipient: " + id.Recipient().String() + "\nprotection: " + protPassphrase + "\n"
		sealed, newID = buf.Bytes(), id
	}
	data := append([]byte(keyMagic+head+"\n"), sealed...)

	tmp, err := writeTemp(s.o.Dir, data)
	if err != nil {
		return nil, ioError("write the key", err)
	}
	defer os.Remove(tmp)
	err = os.Link(tmp, s.keyPath())
	switch {
	case errors.Is(err, fs.ErrExist):
		// Another process made the key first: use that one.
		if data, err = readFile(s.keyPath(), maxKeyFile); err != nil {
			return nil, ioError("read the key", err)
		}
		return data, nil
	case err != nil:
		return nil, ioError("write the key", err)
	}
	if err := syncDir(s.o.Dir); err != nil {
		return nil, ioError("write the key", err)
	}
	if newID != nil {
		s.identity = newID // no need to derive the passphrase's key again
	}
	return data, nil
}

// newPassphrase is the passphrase for a new key: EnvPassphrase's, else one
// typed twice on the terminal.
func (s *Store) newPassphrase(ctx context.Context) (string, error) {
	if s.o.Passphrase != "" {
		return s.o.Passphrase, nil
	}
	if s.o.Prompt == nil {
		return "", noPassphrase()
	}
	for range promptAttempts {
		pass, err := s.o.Prompt(ctx, "new passphrase for the file store "+s.o.Dir+": ")
		if err != nil {
			return "", promptError(err)
		}
		if pass == "" {
			s.say("the passphrase must not be empty")
			continue
		}
		again, err := s.o.Prompt(ctx, "the same passphrase again: ")
		if err != nil {
			return "", promptError(err)
		}
		if again != pass {
			s.say("the two passphrases differ")
			continue
		}
		return pass, nil
	}
	return "", &Error{Err: fmt.Errorf("%w: no passphrase agreed in %d attempts", ErrNoPassphrase, promptAttempts),
		hint: fmt.Sprintf("type the same passphrase twice, or set %s", EnvPassphrase)}
}

func (s *Store) say(msg string) {
	if s.o.Notice != nil {
		s.o.Notice(msg)
	}
}

func promptError(err error) error {
	if errors.Is(err, ErrNoTerminal) {
		return noPassphrase()
	}
	return &Error{Err: fmt.Errorf("%w: asking on the terminal: %w", ErrNoPassphrase, err),
		hint: fmt.Sprintf("type the passphrase when asked, or set %s", EnvPassphrase)}
}

// fileIdentity is one identity of the identity file, with its recipient.
type fileIdentity struct {
	identity age.Identity
	rcptText string
}

// readIdentityFile reads the identity file: the X25519 and hybrid
// identities it holds, in order; at least one.
func (s *Store) readIdentityFile() ([]fileIdentity, error) {
	hint := fmt.Sprintf("set %s to an age identity file such as age-keygen -o FILE writes (readable only by you), or unset it to use a passphrase", EnvIdentity)
	data, err := readFile(s.o.IdentityFile, 1<<20)
	if err != nil {
		return nil, &Error{Err: fmt.Errorf("read the identity file (%s): %w", EnvIdentity, err), hint: hint}
	}
	// As ssh does for private keys: a key others can read is not used.
	if st, err := os.Stat(s.o.IdentityFile); err == nil && runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return nil, &Error{Err: fmt.Errorf("the identity file %s (%s) can be read by other users (mode %04o)", s.o.IdentityFile, EnvIdentity, st.Mode().Perm()),
			hint: "make it yours alone: chmod 600 " + s.o.IdentityFile}
	}
	parsed, err := age.ParseIdentities(bytes.NewReader(data))
	if err != nil {
		// age's parse errors can quote a character of the key material
		// ("invalid character data part: s[13]=111"): not shown.
		return nil, &Error{Err: fmt.Errorf("the identity file %s (%s) is not an age identity file: a line does not parse", s.o.IdentityFile, EnvIdentity), hint: hint}
	}
	var ids []fileIdentity
	for _, id := range parsed {
		switch id := id.(type) {
		case *age.X25519Identity:
			ids = append(ids, fileIdentity{id, id.Recipient().String()})
		case *age.HybridIdentity:
			ids = append(ids, fileIdentity{id, id.Recipient().String()})
		}
	}
	if len(ids) == 0 {
		return nil, &Error{Err: fmt.Errorf("the identity file %s (%s) holds no X25519 or hybrid identity", s.o.IdentityFile, EnvIdentity), hint: hint}
	}
	return ids, nil
}
