package kernelkeyring

import (
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// keyctl is the part of the keyctl(2) and add_key(2) system calls the
// Keyring uses, so that tests can refuse them or fill the quota.
type keyctl interface {
	addKey(desc string, payload []byte, ring int) (int, error)
	search(ring int, desc string) (int, error)
	// read copies the payload (or, for a keyring, the key IDs) into buf
	// and returns its whole length, which may exceed len(buf).
	read(id int, buf []byte) (int, error)
	describe(id int) (string, error)
	setperm(id int, perm uint32) error
	setTimeout(id int, seconds int) error
	link(id, ring int) error
	unlink(id, ring int) error
	invalidate(id int) error
}

// sys makes the system calls.
type sys struct{}

func (sys) addKey(desc string, payload []byte, ring int) (int, error) {
	return unix.AddKey("user", desc, payload, ring)
}
func (sys) search(ring int, desc string) (int, error) {
	return unix.KeyctlSearch(ring, "user", desc, 0)
}
func (sys) read(id int, buf []byte) (int, error) {
	return unix.KeyctlBuffer(unix.KEYCTL_READ, id, buf, 0)
}
func (sys) describe(id int) (string, error)   { return unix.KeyctlString(unix.KEYCTL_DESCRIBE, id) }
func (sys) setperm(id int, perm uint32) error { return unix.KeyctlSetperm(id, perm) }
func (sys) setTimeout(id int, seconds int) error {
	_, err := unix.KeyctlInt(unix.KEYCTL_SET_TIMEOUT, id, seconds, 0, 0)
	return err
}
func (sys) link(id, ring int) error {
	_, err := unix.KeyctlInt(unix.KEYCTL_LINK, id, ring, 0, 0)
	return err
}
func (sys) unlink(id, ring int) error {
	_, err := unix.KeyctlInt(unix.KEYCTL_UNLINK, id, ring, 0, 0)
	return err
}
func (sys) invalidate(id int) error {
	_, err := unix.KeyctlInt(unix.KEYCTL_INVALIDATE, id, 0, 0, 0)
	return err
}

// Keyring is the calling user's kernel user keyring, holding keys whose
// descriptions start with a prefix.
type Keyring struct {
	prefix string
	k      keyctl
}

// Open returns the user keyring with sso-credproc's keys ([Prefix]). It
// makes no system call: a keyring that cannot be used shows in the first
// call's error.
func Open() (*Keyring, error) { return &Keyring{prefix: Prefix, k: sys{}}, nil }

// Get returns the payload of the key for key; nil and no error when there
// is none, or it has expired or been revoked.
func (r *Keyring) Get(key string) ([]byte, error) {
	id, err := r.k.search(unix.KEY_SPEC_USER_KEYRING, r.prefix+key)
	if missing(err) {
		return nil, nil
	}
	if err != nil {
		return nil, classify("search", err)
	}
	b, err := r.read(id, 2048) // a credential set is about 1.2 KB
	if missing(err) {
		return nil, nil // removed or replaced since the search
	}
	if err != nil {
		return nil, classify("read", err)
	}
	return b, nil
}

// read returns the whole payload of key id, starting with a buffer of size
// bytes; the kernel says how large the payload is when it does not fit.
func (r *Keyring) read(id, size int) ([]byte, error) {
	for range 3 { // the payload may grow between two reads
		buf := make([]byte, size)
		n, err := r.k.read(id, buf)
		if err != nil {
			return nil, err
		}
		if n <= len(buf) {
			return buf[:n], nil
		}
		size = n
	}
	return nil, fmt.Errorf("key %d keeps changing size", id)
}

// Set stores value under key for ttl (rounded down to whole seconds, at
// least one), replacing the key's previous value in one step. The kernel
// limits a user key's payload to 32,767 bytes.
func (r *Keyring) Set(key string, value []byte, ttl time.Duration) error {
	seconds := int(ttl / time.Second)
	if seconds < 1 {
		return fmt.Errorf("keyctl: the timeout of %q is %s; it must be at least one second", key, ttl)
	}
	// The kernel finds the process keyring through the calling thread's
	// credentials, and one made after the process's other threads started
	// is not theirs: every call that names it must come from one thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	id, err := r.k.addKey(r.prefix+key, value, unix.KEY_SPEC_PROCESS_KEYRING)
	if err != nil {
		return classify("add_key", err)
	}
	// Once linked into the user keyring it lives on there; before that,
	// dropping this only reference destroys it.
	defer r.k.unlink(id, unix.KEY_SPEC_PROCESS_KEYRING)
	if err := r.k.setperm(id, Perm|keyPosLink); err != nil {
		return classify("setperm", err)
	}
	if err := r.k.setTimeout(id, seconds); err != nil {
		return classify("set_timeout", err)
	}
	if err := r.k.link(id, unix.KEY_SPEC_USER_KEYRING); err != nil {
		return classify("link", err)
	}
	if err := r.k.setperm(id, Perm); err != nil {
		return classify("setperm", err)
	}
	return nil
}

// keyPosLink lets the possessor link the key; only the staging step has it.
const keyPosLink = 0x10 << 24

// Delete removes the key for key at once (keyctl_invalidate); a key that is
// not there is no error.
func (r *Keyring) Delete(key string) error {
	for range 8 { // a nested keyring may hold one more of the same description
		id, err := r.k.search(unix.KEY_SPEC_USER_KEYRING, r.prefix+key)
		if missing(err) {
			return nil
		}
		if err != nil {
			return classify("search", err)
		}
		if err := r.k.invalidate(id); err != nil && !missing(err) {
			return classify("invalidate", err)
		}
	}
	return fmt.Errorf("keyctl: %q is still found after it was invalidated", key)
}

// Keys lists the keys (without the description prefix) of this Keyring in
// the user keyring itself whose key starts with prefix.
func (r *Keyring) Keys(prefix string) ([]string, error) {
	b, err := r.read(unix.KEY_SPEC_USER_KEYRING, 1024)
	if err != nil {
		return nil, classify("read", err)
	}
	var keys []string
	for i := 0; i+4 <= len(b); i += 4 {
		id := int(int32(binary.NativeEndian.Uint32(b[i:])))
		d, err := r.k.describe(id)
		if err != nil {
			continue // gone since, or not ours to view
		}
		kd, err := ParseDescription(d)
		if err == nil && kd.Type == "user" && strings.HasPrefix(kd.Description, r.prefix+prefix) {
			keys = append(keys, kd.Description[len(r.prefix):])
		}
	}
	return keys, nil
}

// Description is what keyctl_describe(3) says of a key.
type Description struct {
	Type        string
	UID, GID    int
	Perm        uint32
	Description string
}

// Describe describes the key for key (for checks and status); nil when
// there is none.
func (r *Keyring) Describe(key string) (*Description, error) {
	id, err := r.k.search(unix.KEY_SPEC_USER_KEYRING, r.prefix+key)
	if missing(err) {
		return nil, nil
	}
	if err != nil {
		return nil, classify("search", err)
	}
	s, err := r.k.describe(id)
	if err != nil {
		return nil, classify("describe", err)
	}
	return ParseDescription(s)
}

// ParseDescription reads keyctl_describe's "type;uid;gid;perm;description"
// (perm in hex).
func ParseDescription(s string) (*Description, error) {
	f := strings.SplitN(s, ";", 5)
	if len(f) != 5 {
		return nil, fmt.Errorf("keyctl describe: unexpected answer %q", s)
	}
	uid, err1 := strconv.Atoi(f[1])
	gid, err2 := strconv.Atoi(f[2])
	perm, err3 := strconv.ParseUint(f[3], 16, 32)
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, fmt.Errorf("keyctl describe: unexpected answer %q: %w", s, err)
	}
	return &Description{Type: f[0], UID: uid, GID: gid, Perm: uint32(perm), Description: f[4]}, nil
}

// missing reports whether err means there is no usable key: none, expired,
// or revoked.
func missing(err error) bool {
	return errors.Is(err, unix.ENOKEY) || errors.Is(err, unix.EKEYEXPIRED) || errors.Is(err, unix.EKEYREVOKED)
}

// classify names the failed call and marks a refusal (errors.ErrUnsupported)
// and a full quota (ErrQuota).
func classify(op string, err error) error {
	switch {
	case errors.Is(err, unix.EDQUOT):
		return fmt.Errorf("keyctl %s: %w", op, ErrQuota)
	case errors.Is(err, unix.EPERM), errors.Is(err, unix.ENOSYS):
		// Docker's default seccomp profile answers EPERM: the kernel
		// keyring is not namespaced per container.
		return fmt.Errorf("%w: keyctl %s refused: %v (a seccomp filter, as in Docker's default profile, or a kernel without keys)", errors.ErrUnsupported, op, err)
	}
	return fmt.Errorf("keyctl %s: %w", op, err)
}
