// Package filestore keeps sso-credproc's items in files encrypted with age
// (filippo.io/age), for machines where no keychain can be had: a
// container, a server without a D-Bus session bus, WSL without a Secret
// Service. It is used only when the user asks for it (sso_credproc_store =
// file, --store file, SSO_CREDPROC_STORE=file), never as a fallback.
//
// The directory (DefaultDir: $XDG_DATA_HOME/sso-credproc/store) holds:
//
//	key                the store's key: a text header naming its age
//	                   recipient and how its identity is protected, then,
//	                   for a passphrase, the X25519 identity encrypted with
//	                   age's scrypt recipient (work factor DefaultWorkFactor)
//	<64 hex>.age       one item: age-encrypted to the recipient in key; the
//	                   name is the SHA-256 of the item's key (see itemName)
//	.tmp-*             a write under way (or left by a writer that died;
//	                   encrypted like an item)
//
// Items are encrypted to the store's public recipient, so a write needs
// neither the passphrase nor the identity; a read decrypts the identity
// once per Store (one scrypt derivation per process for a passphrase, none
// for an identity file named by SSO_CREDPROC_AGE_IDENTITY).
//
// Every file is written whole to a temporary file in the directory, synced,
// and renamed over the item, then the directory is synced: a reader sees
// the old value or the new one, never a mix, and any number of concurrent
// writers leave one complete value. The key is created the same way but
// linked into place, so that of two processes creating it at once one wins
// and the other uses the winner's.
//
// Errors: Get returns keychain.ErrNotFound for a missing item and an error
// wrapping keychain.ErrCorrupt for one that does not decrypt, does not name
// its key, or whose store key is gone. Anything that makes the store
// unusable (a wrong passphrase, no passphrase and no terminal, an identity
// file that does not hold the store's key, a directory open to other users)
// is an *Error, which wraps keychain.ErrUnavailable and carries a hint.
package filestore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"filippo.io/age"

	"github.com/sso-credproc/sso-credproc/keychain"
)

// Environment variables that configure the store (see FromEnv).
const (
	// EnvPassphrase holds the passphrase that protects the store's key.
	EnvPassphrase = "SSO_CREDPROC_FILE_PASSPHRASE"
	// EnvIdentity names an age identity file (age-keygen's format) whose
	// key the items are encrypted to, instead of a passphrase.
	EnvIdentity = "SSO_CREDPROC_AGE_IDENTITY"
)

// DefaultWorkFactor is the scrypt work factor (log2 of N, r = 8, p = 1)
// that protects a new store key: 2^15 takes about 50-100 ms and 32 MiB per
// derivation on a current CPU, and every credential call that reads an item
// pays one. age's default, 18, is about 1 s and 256 MiB, which a
// credential_process run before every AWS CLI command cannot afford and 64
// concurrent copies in a small container cannot hold. Percival's scrypt
// paper proposes 2^14 for interactive logins (< 100 ms).
const DefaultWorkFactor = 15

// maxWorkFactor bounds the work factor accepted from a key file (age's
// default, 2^18: about 1 s and 256 MiB).
const maxWorkFactor = 18

const (
	keyName    = "key"
	itemSuffix = ".age"
	tmpPrefix  = ".tmp-"
	// maxValue bounds a value; items are JSON of a few KB.
	maxValue = 1 << 20
	// maxKeyFile bounds the key file (a hybrid post-quantum recipient is
	// about 2 KB).
	maxKeyFile = 64 << 10
	// promptAttempts is how often a passphrase is asked for on the
	// terminal before giving up.
	promptAttempts = 3
)

// itemMagic starts every item's plaintext, followed by the item's key and a
// newline, then the value: a file renamed to another item's name does not
// pass for that item.
const itemMagic = "sso-credproc file store item v1\n"

var (
	// ErrWrongPassphrase: the passphrase does not open the store's key.
	ErrWrongPassphrase = errors.New("the passphrase does not open the file store's key")
	// ErrNoPassphrase: no passphrase in EnvPassphrase and no terminal to
	// ask on.
	ErrNoPassphrase = errors.New("no passphrase for the file store")
	// ErrWrongIdentity: the identity file does not hold the key the
	// store's items are encrypted to, or the store was set up with a
	// passphrase (or the other way round).
	ErrWrongIdentity = errors.New("the file store was set up with another key")
	// ErrUnsafeDir: the directory belongs to another user, is writable by
	// others, or is not a directory.
	ErrUnsafeDir = errors.New("the file store's directory is not safe")
	// ErrNoTerminal is returned by a Prompt that has no terminal to ask on.
	ErrNoTerminal = errors.New("no terminal")
)

// Error is every error that makes the store unusable now. It wraps
// keychain.ErrUnavailable and Err, so the program treats it as an
// unreachable keychain; its Hint says what to do.
type Error struct {
	Err  error  // the cause: one of the Err* of this package, wrapped with detail, or an I/O error
	hint string // what the user can do, for a "hint:" line
}

func (e *Error) Error() string { return "file store: " + e.Err.Error() }

func (e *Error) Unwrap() []error { return []error{keychain.ErrUnavailable, e.Err} }

// Hint says what the user can do about e, for a "hint:" line.
func (e *Error) Hint() string { return e.hint }

// Hint returns the hint of an *Error in err's chain, or "".
func Hint(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.hint
	}
	return ""
}

// Options configure a Store.
type Options struct {
	// Dir is the store's directory (see DefaultDir). It is created, 0700,
	// with its parents, on the first write.
	Dir string
	// IdentityFile is the path of an age identity file; when set, items
	// are encrypted to its first identity and Passphrase and Prompt are
	// not used.
	IdentityFile string
	// Passphrase protects the store's own key; "" = ask with Prompt.
	Passphrase string
	// Prompt asks the user for a passphrase on the terminal, without echo,
	// and returns it; nil when there is no terminal. It returns
	// ErrNoTerminal when it finds none, and an error when ctx ends first.
	Prompt func(ctx context.Context, prompt string) (string, error)
	// Notice shows the user a line on stderr: the first-use warning when
	// the directory is created. nil = none.
	Notice func(msg string)
	// WorkFactor is the scrypt work factor (log2 N) of a new store key;
	// 0 = DefaultWorkFactor.
	WorkFactor int
}

// Store is a keychain.Store and keychain.Prober over a directory of
// age-encrypted files. It is safe for concurrent use, also by many
// processes at once.
type Store struct {
	o   Options
	err error // set by New when the options cannot work

	mu       sync.Mutex
	dirOK    bool         // the directory was checked (and exists)
	key      *keyFile     // the store's key file, once read or created
	identity age.Identity // the identity that opens items, once unlocked
}

var (
	_ keychain.Store  = (*Store)(nil)
	_ keychain.Prober = (*Store)(nil)
)

// New returns a Store with options o. It touches nothing: the directory is
// checked on first use and created on the first write.
func New(o Options) *Store {
	s := &Store{o: o}
	if o.Dir == "" {
		s.err = &Error{Err: errors.New("no directory"), hint: "set XDG_DATA_HOME or HOME"}
	}
	if o.WorkFactor == 0 {
		s.o.WorkFactor = DefaultWorkFactor
	}
	if s.o.WorkFactor < 1 || s.o.WorkFactor > maxWorkFactor {
		s.err = &Error{Err: fmt.Errorf("scrypt work factor %d: want 1 to %d", o.WorkFactor, maxWorkFactor)}
	}
	return s
}

// FromEnv returns the Store the environment asks for: the directory
// DefaultDir(getenv), the identity file named by EnvIdentity, else the
// passphrase in EnvPassphrase, else one asked for on the terminal
// (TerminalPrompt). notice shows the first-use warning and the prompt's
// complaints.
//
// The same environment gives the same Store for the life of the process
// (notice is the first caller's), so that commands over several sessions
// (logout --all, status) decrypt the store's key, or ask for its
// passphrase, once.
func FromEnv(getenv func(string) string, notice func(string)) *Store {
	o := Options{IdentityFile: getenv(EnvIdentity), Passphrase: getenv(EnvPassphrase), Notice: notice}
	dir, err := DefaultDir(getenv)
	id := [3]string{dir, o.IdentityFile, o.Passphrase}
	opened.Lock()
	defer opened.Unlock()
	if s := opened.m[id]; s != nil {
		return s
	}
	if err != nil {
		s := New(o)
		s.err = &Error{Err: err, hint: "set XDG_DATA_HOME or HOME to a directory of yours"}
		return s
	}
	o.Dir = dir
	if o.IdentityFile == "" && o.Passphrase == "" {
		o.Prompt = TerminalPrompt()
	}
	s := New(o)
	if opened.m == nil {
		opened.m = map[[3]string]*Store{}
	}
	opened.m[id] = s
	return s
}

// opened holds the Stores FromEnv made, by directory, identity file and
// passphrase.
var opened struct {
	sync.Mutex
	m map[[3]string]*Store
}

// Dir is the store's directory.
func (s *Store) Dir() string { return s.o.Dir }

// Get implements keychain.Store.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := s.begin(ctx, key); err != nil {
		return nil, err
	}
	exists, err := s.checkDir(false)
	if err != nil {
		return nil, err
	}
	if !exists {
		return nil, keychain.ErrNotFound
	}
	data, err := readFile(s.itemPath(key), maxValue+4096+len(key))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, keychain.ErrNotFound
	case errors.Is(err, errTooBig):
		return nil, fmt.Errorf("%w: %v", keychain.ErrCorrupt, err)
	case err != nil:
		return nil, ioError("read an item", err)
	}
	id, err := s.unlock(ctx)
	if err != nil {
		return nil, err
	}
	r, err := age.Decrypt(bytes.NewReader(data), id)
	if err != nil {
		var nm *age.NoIdentityMatchError
		if errors.As(err, &nm) {
			return nil, fmt.Errorf("%w: the item is encrypted to another key than the store's", keychain.ErrCorrupt)
		}
		return nil, fmt.Errorf("%w: the item does not decrypt: %v", keychain.ErrCorrupt, err)
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%w: the item does not decrypt: %v", keychain.ErrCorrupt, err)
	}
	head := itemMagic + key + "\n"
	if !bytes.HasPrefix(plain, []byte(head)) {
		return nil, fmt.Errorf("%w: the file holds another item", keychain.ErrCorrupt)
	}
	return plain[len(head):], nil
}

// Set implements keychain.Store. It needs the store's public recipient
// only, never the passphrase, except to create the store's key.
func (s *Store) Set(ctx context.Context, key string, value []byte) error {
	if err := s.begin(ctx, key); err != nil {
		return err
	}
	if len(value) > maxValue {
		return fmt.Errorf("%w: %d bytes, more than the file store's %d", keychain.ErrTooLarge, len(value), maxValue)
	}
	if _, err := s.checkDir(true); err != nil {
		return err
	}
	k, err := s.keyFile(ctx, true)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, k.recipient)
	if err != nil {
		return &Error{Err: fmt.Errorf("encrypt: %w", err)}
	}
	io.WriteString(w, itemMagic+key+"\n")
	w.Write(value)
	if err := w.Close(); err != nil {
		return &Error{Err: fmt.Errorf("encrypt: %w", err)}
	}
	if err := writeFile(ctx, s.o.Dir, s.itemPath(key), buf.Bytes()); err != nil {
		return ioError("write an item", err)
	}
	return nil
}

// Delete implements keychain.Store.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.begin(ctx, key); err != nil {
		return err
	}
	exists, err := s.checkDir(false)
	if err != nil || !exists {
		return err
	}
	if err := os.Remove(s.itemPath(key)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return ioError("remove an item", err)
	}
	if err := syncDir(s.o.Dir); err != nil {
		return ioError("remove an item", err)
	}
	return nil
}

// Probe implements keychain.Prober: nil when items can be written and read
// now. It creates nothing. When the store has its key, Probe opens it (a
// passphrase is checked, which costs one scrypt derivation and may ask on
// the terminal); when it has none yet, Probe checks that one can be made:
// the identity file is usable, or a passphrase is set or can be asked for.
// It also removes temporary files that writers which died left behind.
func (s *Store) Probe(ctx context.Context) error {
	if err := s.begin(ctx, keychain.ProbeKey); err != nil {
		return err
	}
	exists, err := s.checkDir(false)
	if err != nil {
		return err
	}
	if exists {
		removeStaleTemps(s.o.Dir)
		k, err := s.keyFile(ctx, false)
		if err == nil {
			_, err = s.unlockKey(ctx, k)
			return err
		}
		if !errors.Is(err, errNoKey) {
			return err
		}
	}
	if s.o.IdentityFile != "" {
		_, err := s.readIdentityFile()
		return err
	}
	if s.o.Passphrase == "" && s.o.Prompt == nil {
		return noPassphrase()
	}
	return nil
}

// begin checks what every call needs: options that work, a live context,
// a key of printable ASCII shorter than 200 bytes (as keychain's).
func (s *Store) begin(ctx context.Context, key string) error {
	if s.err != nil {
		return s.err
	}
	if err := ctx.Err(); err != nil {
		return &Error{Err: fmt.Errorf("interrupted: %w", err)}
	}
	if key == "" || len(key) >= 200 {
		return fmt.Errorf("filestore: key of %d bytes: want 1 to 199", len(key))
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return fmt.Errorf("filestore: key has byte %#02x at offset %d: want printable ASCII", key[i], i)
		}
	}
	return nil
}

// itemPath is the file of key: the hex SHA-256 of the key, under a label
// of this format. Keys name sso-sessions, start URLs, accounts and roles;
// the hash hides them from a listing, though not from someone who guesses
// a key and hashes it.
func (s *Store) itemPath(key string) string {
	sum := sha256.Sum256([]byte("sso-credproc file store item name v1\x00" + key))
	return filepath.Join(s.o.Dir, hex.EncodeToString(sum[:])+itemSuffix)
}

// checkDir makes sure the directory is safe to use (see checkDirSafe); with
// create, it is created first if missing, with the first-use warning.
// exists is false when it is missing and not created.
func (s *Store) checkDir(create bool) (exists bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dirOK {
		return true, nil
	}
	dir := s.o.Dir
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		if !create {
			return false, nil
		}
		if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
			return false, ioError("create the directory", err)
		}
		switch err := os.Mkdir(dir, 0o700); {
		case err == nil:
			s.notice()
		case !errors.Is(err, fs.ErrExist):
			return false, ioError("create the directory", err)
		}
	}
	if err := checkDirSafe(dir); err != nil {
		return false, &Error{Err: fmt.Errorf("%w: %v", ErrUnsafeDir, err),
			hint: fmt.Sprintf("make it a directory of your own that only you can write to: chmod 700 %s (or remove it, and sso-credproc makes a new one)", dir)}
	}
	s.dirOK = true
	return true, nil
}

// notice is the first-use warning, shown by the process that created the
// directory.
func (s *Store) notice() {
	if s.o.Notice == nil {
		return
	}
	by := "a passphrase (" + EnvPassphrase + " or asked on the terminal)"
	if s.o.IdentityFile != "" {
		by = "the age identity file " + s.o.IdentityFile
	}
	s.o.Notice(fmt.Sprintf("created the file store %s: tokens and credentials are kept there in files encrypted with age, under a key protected by %s; any process of yours that can read that can read them (see \"Headless machines\" in the README)", s.o.Dir, by))
}

func ioError(what string, err error) error {
	return &Error{Err: fmt.Errorf("%s: %w", what, err), hint: "check the file store's directory: its disk, its permissions (700, yours) and free space"}
}

func noPassphrase() error {
	return &Error{Err: ErrNoPassphrase,
		hint: fmt.Sprintf("set %s to the store's passphrase, run the command in a terminal to be asked for it, or set %s to an age identity file (age-keygen -o FILE)", EnvPassphrase, EnvIdentity)}
}

// errTooBig: a file is larger than any this store writes.
var errTooBig = errors.New("larger than this store writes")

// readFile reads name, refusing files larger than limit bytes (errTooBig).
func readFile(name string, limit int) ([]byte, error) {
	// openNonBlock: a FIFO planted at the name must not make the read wait
	// for ever; what is opened must be a regular file.
	f, err := os.OpenFile(name, os.O_RDONLY|openNonBlock, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", name)
	}
	b, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(b) > limit {
		return nil, fmt.Errorf("%s: %w (%d bytes)", filepath.Base(name), errTooBig, limit)
	}
	return b, nil
}

// writeFile writes data to name atomically: a temporary file in dir,
// synced, renamed over name, then dir synced. The temporary file is 0600
// (os.CreateTemp) and removed on failure.
func writeFile(ctx context.Context, dir, name string, data []byte) error {
	tmp, err := writeTemp(dir, data)
	if err != nil {
		return err
	}
	if err := rename(ctx, tmp, name); err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(dir)
}

// writeTemp writes data to a new temporary file in dir, synced to disk,
// and returns its name; on an error nothing is left behind.
func writeTemp(dir string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, tmpPrefix+"*")
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// removeStaleTemps removes temporary files of writers that died: those
// older than an hour (a write takes milliseconds). Best effort.
func removeStaleTemps(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), tmpPrefix) {
			continue
		}
		if fi, err := e.Info(); err == nil && staleTemp(fi) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}
