// Package keychain keeps sso-credproc's secrets in the OS keychain: the
// Secret Service on Linux, the login keychain on macOS, Credential Manager
// on Windows.
//
// The rest of the program sees a [Store]: Get, Set and Delete of byte values
// under short ASCII keys, every call bounded by its context. Underneath, a
// [Backend] holds one string per (service, user) pair, the shape of
// github.com/zalando/go-keyring. A value that does not fit one backend item
// (Windows and macOS refuse large items) is split into parts; see [New] for
// the layout and why a reader never sees a mix of two writes.
//
// What is stored under a key (the head item) is one of:
//
//	the value itself              valid UTF-8 not starting with "sso-credproc-"
//	sso-credproc-b64:<base64>     any other value (binary, or one that would look like a marker)
//	sso-credproc-chunks:v1:<gen>:<n>:<sha256 hex>
//	                              the value is the concatenation of the items
//	                              <name>#<gen>/0 … <name>#<gen>/<n-1>, which
//	                              hold one of the two forms above, split into
//	                              pieces
//
// So a plain value can never be mistaken for a marker, and binary values
// survive backends that store text. The backend user name of a key's item
// is not the key itself but its percent-encoding (see ItemName), which is
// the same item on every backend: two keys that differ only in case, or
// hold ' or \, get items of their own on Windows and macOS too.
//
// What a reader reads is bounded: a value's stored form is at most 64 KiB
// (maxValue), in at most 32 parts (maxParts). An item or a set of parts
// over the bound is corrupt, found so without reading the rest.
package keychain

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zalando/go-keyring"
)

// Service is the keychain service name of every item sso-credproc writes.
const Service = "sso-credproc"

var (
	// ErrNotFound is returned by Get when the key has no item.
	ErrNotFound = errors.New("keychain: item not found")
	// ErrCorrupt is returned by Get for an item that cannot be decoded: a
	// chunked item whose parts are missing or fail their checksum, or a
	// head in a format this version does not know.
	ErrCorrupt = errors.New("keychain: item is corrupt or partly written")
	// ErrUnavailable is wrapped, together with its cause, by every error
	// that means the keychain could not be used: none reachable, locked,
	// refused, or no answer before the context ended (then the error wraps
	// context.DeadlineExceeded or context.Canceled too). Such an error
	// reads "keychain: not available: [read part 2 of 3: ]<cause>"; it
	// never names the key, which is the caller's to say.
	ErrUnavailable = errors.New("keychain: not available")
	// ErrTooLarge is returned by Set for a value whose stored form is over
	// 64 KiB, or that does not fit the keychain even split into 32 parts
	// or into parts of the smallest size.
	ErrTooLarge = errors.New("keychain: value too large for the keychain")

	// The causes below are only ever wrapped together with ErrUnavailable;
	// their text reads as the part after "keychain: not available: ".

	// ErrLocked: the keychain (Secret Service collection, macOS keychain)
	// that holds the items is locked and could not be unlocked now, e.g.
	// because no unlock prompt can be shown.
	ErrLocked = errors.New("the keychain is locked")
	// ErrNoCollection: the Secret Service runs but has no collection to
	// store items in (neither "login" nor one under the "default" alias),
	// as with a gnome-keyring started by D-Bus activation without a login
	// keyring.
	ErrNoCollection = errors.New("the Secret Service has no keyring to store items in")
	// ErrNoSessionBus: no D-Bus session bus was found or it did not accept
	// the connection (Linux).
	ErrNoSessionBus = errors.New("no D-Bus session bus")
	// ErrNoSecretService: the session bus has no Secret Service
	// (org.freedesktop.secrets) and none could be started (Linux).
	ErrNoSecretService = errors.New("no Secret Service on the D-Bus session bus")
	// ErrDenied: the user or the OS refused access (a dismissed macOS
	// dialog, Windows access denied).
	ErrDenied = errors.New("access to the keychain was refused")
	// ErrNoLogonSession: Windows keeps no credentials for this logon
	// session (ERROR_NO_SUCH_LOGON_SESSION), as in an SSH session or any
	// other network logon: Credential Manager fails on every call there.
	ErrNoLogonSession = errors.New("the Credential Manager is not available in this logon session")
)

// IsUnavailable reports whether err means the keychain could not be reached
// or did not answer; [Hint] says what the user can do about it.
func IsUnavailable(err error) bool { return errors.Is(err, ErrUnavailable) }

// Store is what the rest of the program uses. Keys are printable ASCII,
// shorter than 200 bytes (and at most 500 once percent-encoded, see
// ItemName). Values are arbitrary bytes (in practice JSON of a few KB), at
// most 64 KiB once encoded.
type Store interface {
	// Get returns the value under key: ErrNotFound, ErrCorrupt, or an error
	// wrapping ErrUnavailable when there is none to return. An item over
	// the size bounds is ErrCorrupt.
	Get(ctx context.Context, key string) ([]byte, error)
	// Set stores value under key, replacing any previous value; a value
	// over the size bounds is ErrTooLarge.
	Set(ctx context.Context, key string, value []byte) error
	// Delete removes key and its parts. Deleting a missing key is not an
	// error.
	Delete(ctx context.Context, key string) error
}

// Prober is implemented by the Store that [Open] and [New] return.
type Prober interface {
	// Probe returns nil when items can be written and read now; otherwise
	// an error wrapping ErrUnavailable and, where that is the cause,
	// ErrLocked, ErrNoCollection, ErrNoSessionBus, ErrNoSecretService or
	// ErrDenied, whose one-line message names the cause. It is meant for
	// the moment before network requests whose results must be stored,
	// not for the warm path: on Linux it costs a few D-Bus round trips and
	// writes nothing; where the backend cannot tell without writing
	// (macOS, Windows), it writes, reads back and deletes one item under
	// the reserved key [ProbeKey].
	Probe(ctx context.Context) error
}

// ProbeKey is the key Probe writes and deletes on backends that cannot be
// asked whether they can store items. It must not be used otherwise.
const ProbeKey = "sso-credproc-probe"

// Backend is the raw, go-keyring-shaped item store: one string per service
// and user.
type Backend interface {
	// Get returns go-keyring's keyring.ErrNotFound when there is no item.
	Get(service, user string) (string, error)
	// Set may return keyring.ErrSetDataTooBig.
	Set(service, user, password string) error
	// Delete returns keyring.ErrNotFound when there is no item.
	Delete(service, user string) error
}

// contextBackend is implemented by backends that can bound a Get by a
// context themselves (the Linux Secret Service reader, the macOS security
// command, which is killed when ctx ends). Store still runs every call in
// its own goroutine, so a backend without it is bounded too; this lets the
// backend stop its own work early. getContext returns an *itemTooLarge for
// an item it found to be over maxValue, having read no more of it than
// that.
type contextBackend interface {
	getContext(ctx context.Context, service, user string) (string, error)
}

// itemTooLarge is a backend item over the read bound: what held it (the
// item, or what the backend stopped reading: a D-Bus reply, a command's
// output) has size bytes (0: unknown, where reading stopped), more than
// max.
type itemTooLarge struct {
	what      string // "" for the item itself
	size, max int64
}

func (e *itemTooLarge) Error() string {
	what := e.what
	if what == "" {
		what = "an item"
	}
	if e.size == 0 {
		return fmt.Sprintf("%s of more than %d bytes, over the bound", what, e.max)
	}
	return fmt.Sprintf("%s of %d bytes, over the bound of %d", what, e.size, e.max)
}

// probeBackend is implemented by backends that can tell whether items can
// be written and read without writing one (the Linux Secret Service, and
// Memory, which simulates the answers). Its errors are causes: the Store
// wraps them with ErrUnavailable.
type probeBackend interface {
	probe(ctx context.Context) error
}

const (
	prefix       = "sso-credproc-" // reserved: a plain value never starts with it
	b64Prefix    = prefix + "b64:"
	markerPrefix = prefix + "chunks:v1:"

	genLen  = 8   // hex digits of a chunk generation
	minPart = 256 // smallest part Set will split into before giving up

	// maxValue bounds a value's stored form (encodeValue's result), in one
	// item or summed over its parts: Set refuses a larger one
	// (ErrTooLarge) and Get stops reading an item or parts beyond it
	// (ErrCorrupt). The largest value sso-credproc stores is a token:
	// JSON of an access and a refresh token of 1 to 2 KB each, under 6 KB;
	// this is ten times that.
	maxValue = 64 << 10
	// maxParts bounds the parts a head may name, so a corrupt head makes
	// Get read at most this many items more. 64 KiB in the parts of the
	// macOS keychain (DefaultMaxItem 2048) is 32 parts; Windows' 2496
	// make 27; Linux keeps every value in one item. A real value needs 1
	// to 3.
	maxParts = 32

	maxKeyLen = 200 - 1 // keys are shorter than 200 bytes
	// maxNameLen bounds an item name (ItemName): Windows refuses a
	// credential whose UserName is over 513 characters
	// (CRED_MAX_USERNAME_LENGTH, wincred.h), and a part's name adds
	// "#<8 hex>/<up to 2 digits>" to it.
	maxNameLen = 500
	// readAttempts is how often Get reads the head of a chunked value whose
	// parts are missing or damaged, as long as the head keeps changing
	// (concurrent writers), before it reports ErrCorrupt.
	readAttempts = 3
)

// New returns a Store over b for the given service name. maxItem is the
// largest string one backend item may hold (0 = no limit).
//
// A value whose encoding fits maxItem is one item, named after the key
// (ItemName): one read. A larger one is written as parts under fresh names
// <name>#<gen>/<i> first, then the head under the name names them (see the
// package documentation). A reader reads the head, then the parts it
// names, and checks the whole value against the head's SHA-256: a missing
// part or a bad sum makes it read the head again (a writer may just have
// replaced it) and report ErrCorrupt if that does not help. A writer that
// dies half way leaves unreferenced parts behind, never a broken value.
//
// Parts that no head names any more are deleted by the writer that
// replaced the head: those of the head it read before writing its parts,
// those of the head it reads again just before writing its own, and its
// own parts if, read once more after its head was written, the head is
// another writer's. Parts are left behind only by a writer that dies, and
// where another writer's head was written and read back entirely between
// a writer's last read of the head and its own head landing: no backend
// here can be told to replace an item only if it still holds what was
// read, nor (macOS, Windows through go-keyring) list items. The parts of a
// head over the bounds are not deleted either: that would cost what
// reading them would.
//
// If the backend refuses an item as too big (keyring.ErrSetDataTooBig), Set
// writes the parts again in half the size (but not less than 32 parts
// need), down to 256 bytes.
//
// Items that versions before ItemName kept under the key itself are read
// when the key's own item is missing, and deleted by Set and Delete.
//
// Calls are bounded only by their context; [Open] adds a default timeout.
func New(b Backend, service string, maxItem int) Store {
	return &store{b: b, service: service, maxItem: max(maxItem, 0)}
}

type store struct {
	b       Backend
	service string
	maxItem int
	timeout time.Duration // if > 0, every Store call ends after it at most
}

func (s *store) Get(ctx context.Context, key string) ([]byte, error) {
	name, err := ItemName(key)
	if err != nil {
		return nil, err
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()

	v, err := s.read(ctx, name)
	if legacy, ok := legacyName(key); ok && errors.Is(err, ErrNotFound) {
		// Not moved here: a concurrent Set of a newer value could be
		// overwritten. The next Set writes the name and deletes this.
		return s.read(ctx, legacy)
	}
	return v, err
}

// read returns the value whose head is the item name.
func (s *store) read(ctx context.Context, name string) ([]byte, error) {
	head, err := s.get(ctx, name, "")
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		v, err := s.decode(ctx, name, head)
		if !errors.Is(err, ErrCorrupt) || attempt == readAttempts {
			return v, err
		}
		again, gerr := s.get(ctx, name, "")
		if gerr != nil {
			return nil, gerr // deleted meanwhile: ErrNotFound
		}
		if again == head {
			return nil, err
		}
		head = again
	}
}

// decode turns a head item into the value, reading parts if it is a marker.
// It reads no part of a head that names more than maxParts, and no part
// after those that hold more than maxValue bytes.
func (s *store) decode(ctx context.Context, name, head string) ([]byte, error) {
	if len(head) > maxValue {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, &itemTooLarge{size: int64(len(head)), max: maxValue})
	}
	m, isMarker, err := parseMarker(head)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if !isMarker {
		v, err := decodeValue(head)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		return v, nil
	}

	var whole []byte
	for i := range m.n {
		p, err := s.get(ctx, partName(name, m.gen, i), partOf("read", i, m.n))
		if errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("%w: part %d of %d is missing", ErrCorrupt, i+1, m.n)
		}
		if err != nil {
			return nil, err
		}
		if len(whole)+len(p) > maxValue {
			return nil, fmt.Errorf("%w: parts 1 to %d of %d hold more than %d bytes", ErrCorrupt, i+1, m.n, maxValue)
		}
		whole = append(whole, p...)
	}
	if strings.HasPrefix(string(whole), markerPrefix) {
		return nil, fmt.Errorf("%w: its parts hold a marker", ErrCorrupt)
	}
	v, err := decodeValue(string(whole))
	if err == nil && sha256.Sum256(v) != m.sum {
		err = errors.New("parts fail their checksum")
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return v, nil
}

func (s *store) Set(ctx context.Context, key string, value []byte) error {
	name, err := ItemName(key)
	if err != nil {
		return err
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()

	if err := s.write(ctx, name, value); err != nil {
		return err
	}
	if legacy, ok := legacyName(key); ok {
		s.remove(ctx, legacy) // best effort: the value is in place
	}
	return nil
}

// write stores value under the item name.
func (s *store) write(ctx context.Context, name string, value []byte) error {
	enc := encodeValue(value)
	if len(enc) > maxValue {
		return fmt.Errorf("%w: it takes %d bytes, more than %d", ErrTooLarge, len(enc), maxValue)
	}
	// The previous head says which parts become garbage once the new head
	// is in place.
	old, err := s.headMarker(ctx, name)
	if err != nil {
		return err
	}

	part := s.maxItem
	if s.maxItem == 0 || len(enc) <= s.maxItem {
		err := s.set(ctx, name, "", enc)
		if err == nil {
			s.deleteParts(ctx, name, old)
			return nil
		}
		if !errors.Is(err, keyring.ErrSetDataTooBig) {
			return err
		}
		part = len(enc) / 2
	}
	return s.writeChunked(ctx, name, value, enc, part, old)
}

func (s *store) writeChunked(ctx context.Context, name string, value []byte, enc string, part int, old marker) error {
	m := marker{gen: newGen(), sum: sha256.Sum256(value)}
	written := 0 // parts 0..written-1 of m.gen may exist
	// Parts written before a failure are deleted; if ctx has ended, the
	// deletes are not even tried, and a write still under way in the
	// backend may land after them anyway.
	cleanup := func() { s.deleteParts(ctx, name, marker{gen: m.gen, n: written}) }
	for {
		if part < minPart {
			cleanup()
			return fmt.Errorf("%w: %d bytes do not fit even in parts of %d bytes", ErrTooLarge, len(enc), minPart)
		}
		parts := split(enc, part)
		if len(parts) > maxParts {
			cleanup()
			return fmt.Errorf("%w: %d bytes need more than %d parts of the %d bytes the keychain takes", ErrTooLarge, len(enc), maxParts, part)
		}
		var err error
		for i, p := range parts {
			if err = s.set(ctx, partName(name, m.gen, i), partOf("write", i, len(parts)), p); err != nil {
				break
			}
			written = max(written, i+1)
		}
		if err == nil {
			m.n = len(parts)
			break
		}
		if !errors.Is(err, keyring.ErrSetDataTooBig) {
			cleanup()
			return err
		}
		part = smallerPart(len(enc), part)
	}
	// The head as it is now, after the parts: another writer may have
	// replaced old meanwhile, and its parts are garbage once ours is in.
	cur, err := s.headMarker(ctx, name)
	if err != nil {
		cleanup()
		return err
	}
	if err := s.set(ctx, name, "", m.String()); err != nil {
		cleanup()
		return err
	}
	s.deleteParts(ctx, name, old)
	if cur.gen != old.gen {
		s.deleteParts(ctx, name, cur)
	}
	// A writer that read the head before ours landed and wrote its own
	// after it does not know our parts: if the head is not ours now, they
	// are garbage (a reader that got our head reads the head again when a
	// part is missing).
	now, err := s.get(ctx, name, "")
	if err == nil && now != m.String() || errors.Is(err, ErrNotFound) || errors.Is(err, ErrCorrupt) {
		s.deleteParts(ctx, name, m)
	}
	return nil
}

// smallerPart is the part size to try after the backend refused parts of
// size part for a value of n encoded bytes: half of it, but no less than
// what n needs in maxParts parts (split cuts a part up to
// utf8.UTFMax-1 bytes short), and less than part.
func smallerPart(n, part int) int {
	need := (n+maxParts-1)/maxParts + utf8.UTFMax - 1
	if next := max(part/2, need); next < part {
		return next
	}
	return part / 2 // over maxParts: the loop reports ErrTooLarge
}

// headMarker reads the head under name and returns the marker it holds, or
// a zero marker if there is none, it is a plain value or it is corrupt.
// The error is one that makes the keychain unusable (ErrUnavailable).
func (s *store) headMarker(ctx context.Context, name string) (marker, error) {
	head, err := s.get(ctx, name, "")
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrCorrupt) {
		return marker{}, nil
	}
	if err != nil {
		return marker{}, err
	}
	m, _, _ := parseMarker(head)
	return m, nil
}

func (s *store) Delete(ctx context.Context, key string) error {
	name, err := ItemName(key)
	if err != nil {
		return err
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()

	if err := s.remove(ctx, name); err != nil {
		return err
	}
	if legacy, ok := legacyName(key); ok {
		return s.remove(ctx, legacy)
	}
	return nil
}

// remove deletes the head under name and the parts it names. A head over
// the bounds is deleted without its parts being known.
func (s *store) remove(ctx context.Context, name string) error {
	head, err := s.get(ctx, name, "")
	switch {
	case errors.Is(err, ErrNotFound):
		return nil
	case err != nil && !errors.Is(err, ErrCorrupt):
		return err
	}
	m, _, _ := parseMarker(head)
	// The head goes first: a crash after it leaves only unreferenced parts.
	if err := s.del(ctx, name, ""); err != nil {
		return err
	}
	for i := range m.n {
		if err := s.del(ctx, partName(name, m.gen, i), partOf("delete", i, m.n)); err != nil {
			return err
		}
	}
	return nil
}

// Probe implements [Prober].
func (s *store) Probe(ctx context.Context) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if pb, ok := s.b.(probeBackend); ok {
		_, err := await(ctx, func() (struct{}, error) { return struct{}{}, pb.probe(ctx) })
		return s.mapErr("", err)
	}
	// The backend cannot be asked: write, read back and delete an item.
	// The value is no secret.
	const v = "probe"
	if err := s.set(ctx, ProbeKey, "", v); err != nil {
		if errors.Is(err, keyring.ErrSetDataTooBig) {
			return &unavailableError{cause: fmt.Errorf("the keychain refuses a %d-byte item: %w", len(v), err)}
		}
		return err
	}
	got, err := s.get(ctx, ProbeKey, "")
	if err == nil && got != v {
		err = &unavailableError{cause: errors.New("the keychain returned another value than the one just written")}
	}
	if errors.Is(err, ErrNotFound) {
		err = &unavailableError{cause: errors.New("the keychain lost an item just written")}
	}
	if derr := s.del(ctx, ProbeKey, ""); err == nil {
		err = derr
	}
	return err
}

// partOf names part i (from 0) of n for errors: "read part 2 of 3".
func partOf(op string, i, n int) string {
	return fmt.Sprintf("%s part %d of %d", op, i+1, n)
}

// deleteParts removes the parts of an earlier generation after the head no
// longer names them. It is best effort: the new value is already in place,
// and a part left behind is unreferenced garbage, not a wrong value.
func (s *store) deleteParts(ctx context.Context, key string, m marker) {
	for i := range m.n {
		if s.del(ctx, partName(key, m.gen, i), "") != nil && ctx.Err() != nil {
			return
		}
	}
}

// timeoutCause is the cause of a context that bound ended: the store's own
// timeout ran out, so errors can name it rather than the time it took.
type timeoutCause struct{ d time.Duration }

func (c *timeoutCause) Error() string { return fmt.Sprintf("timeout of %v", c.d) }

// bound applies the store's own timeout, if any, on top of ctx.
func (s *store) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.timeout > 0 {
		return context.WithTimeoutCause(ctx, s.timeout, &timeoutCause{s.timeout})
	}
	return context.WithCancel(ctx)
}

// get, set and del are the backend calls, each run in its own goroutine so
// that the caller returns when ctx ends even if the keychain never answers
// (the Secret Service can wait forever on an unlock prompt). The abandoned
// call finishes in the background; a Set may therefore still land after its
// caller was told it timed out. what names a part in errors ("read part 2
// of 3"); it is "" for the head item, which the caller names.
func (s *store) get(ctx context.Context, user, what string) (string, error) {
	v, err := await(ctx, func() (string, error) {
		if cb, ok := s.b.(contextBackend); ok {
			return cb.getContext(ctx, s.service, user)
		}
		return s.b.Get(s.service, user)
	})
	return v, s.mapErr(what, err)
}

func (s *store) set(ctx context.Context, user, what, v string) error {
	_, err := await(ctx, func() (struct{}, error) {
		return struct{}{}, s.b.Set(s.service, user, v)
	})
	if errors.Is(err, keyring.ErrSetDataTooBig) {
		return err
	}
	return s.mapErr(what, err)
}

func (s *store) del(ctx context.Context, user, what string) error {
	_, err := await(ctx, func() (struct{}, error) {
		return struct{}{}, s.b.Delete(s.service, user)
	})
	if errors.Is(err, keyring.ErrNotFound) {
		return nil
	}
	return s.mapErr(what, err)
}

// mapErr turns a backend error into the package's: keyring.ErrNotFound
// becomes ErrNotFound, an *itemTooLarge ErrCorrupt, and anything else an
// *unavailableError with its cause, classified by the platform's classify.
// Backend errors never carry the value, so neither does the result.
func (s *store) mapErr(what string, err error) error {
	var ue *unavailableError
	var big *itemTooLarge
	switch {
	case err == nil:
		return nil
	case errors.Is(err, keyring.ErrNotFound):
		return ErrNotFound
	case errors.As(err, &big):
		if what != "" {
			return fmt.Errorf("%w: %s: %v", ErrCorrupt, what, big)
		}
		return fmt.Errorf("%w: %v", ErrCorrupt, big)
	case errors.As(err, &ue):
		if ue.what == "" && what != "" {
			return &unavailableError{what: what, cause: ue.cause}
		}
		return err
	default:
		return &unavailableError{what: what, cause: classify(err)}
	}
}

// unavailableError is every error of this package that wraps
// ErrUnavailable: "keychain: not available: [what: ]cause", one line.
type unavailableError struct {
	what  string // the part involved ("read part 2 of 3"), or ""
	cause error  // a backend error, possibly wrapping ErrLocked & co.
}

func (e *unavailableError) Error() string {
	if e.what == "" {
		return ErrUnavailable.Error() + ": " + oneLine(e.cause.Error())
	}
	return ErrUnavailable.Error() + ": " + e.what + ": " + oneLine(e.cause.Error())
}

func (e *unavailableError) Unwrap() []error { return []error{ErrUnavailable, e.cause} }

// oneLine joins the lines of a backend's message (the output of macOS's
// security command can have several).
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// await runs f in a goroutine and returns its result, or an
// *unavailableError wrapping ctx's error if ctx ends first (or f failed
// because it did).
func await[T any](ctx context.Context, f func() (T, error)) (T, error) {
	var zero T
	if ctx.Err() != nil {
		return zero, ctxErr(ctx)
	}
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := f()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		if r.err != nil && ctx.Err() != nil {
			return zero, ctxErr(ctx)
		}
		return r.v, r.err
	case <-ctx.Done():
		return zero, ctxErr(ctx)
	}
}

// ctxErr says why ctx ended: the store's timeout, whose configured length
// it names, another deadline, or cancellation.
func ctxErr(ctx context.Context) error {
	err := ctx.Err()
	var tc *timeoutCause
	switch {
	case errors.Is(err, context.Canceled):
		return &unavailableError{cause: fmt.Errorf("interrupted before the keychain answered (%w)", err)}
	case errors.As(context.Cause(ctx), &tc):
		return &unavailableError{cause: fmt.Errorf("the keychain did not answer within %v (%w)", tc.d, err)}
	default:
		return &unavailableError{cause: fmt.Errorf("the keychain did not answer before the deadline (%w)", err)}
	}
}

func checkKey(key string) error {
	if key == "" || len(key) > maxKeyLen {
		return fmt.Errorf("keychain: key of %d bytes: want 1 to %d", len(key), maxKeyLen)
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return fmt.Errorf("keychain: key has byte %#02x at offset %d: want printable ASCII", key[i], i)
		}
	}
	return nil
}

// partName is the item name of part i of a chunked value whose head is
// the item name.
func partName(name, gen string, i int) string {
	return fmt.Sprintf("%s#%s/%d", name, gen, i)
}

func newGen() string {
	var b [genLen / 2]byte
	rand.Read(b[:]) // never fails (crypto/rand since Go 1.24)
	return hex.EncodeToString(b[:])
}
