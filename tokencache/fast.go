package tokencache

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
)

// FastTier is a second store, in front of the keychain, for role
// credentials only (short-lived: at most 12 hours): on Linux the kernel
// user keyring (keychain/kernelkeyring), which answers in microseconds
// where the Secret Service takes milliseconds. Client secrets, access and
// refresh tokens are never written to it.
//
// Keys are the keychain's keys; values the same versioned JSON as the
// keychain item. Its errors never fail a call: the cache then goes on with
// the keychain alone, as without a fast tier. An error wrapping
// errors.ErrUnsupported means the tier cannot be used in this process at
// all (keyctl refused by a seccomp filter, another OS).
type FastTier interface {
	// Get returns the value under key; nil and no error when there is
	// none (or it has timed out).
	Get(key string) ([]byte, error)
	// Set stores value under key, replacing any previous value; the tier
	// drops it by itself after ttl (at least one second).
	Set(key string, value []byte, ttl time.Duration) error
	// Delete removes key; a missing key is no error.
	Delete(key string) error
	// Keys lists the keys held that start with prefix.
	Keys(prefix string) ([]string, error)
}

// fastCached returns the fast tier's fresh copy of t's credentials, nil
// when there is none (missing, damaged, for another start URL or role, or
// within the renewal window: the keychain's rules, see usableCredentials).
func (c *Cache) fastCached(key string, t Target) *Credentials {
	if c.Fast == nil || c.FastOff || c.fastBroken {
		return nil
	}
	b, err := c.Fast.Get(key)
	if err != nil {
		c.fastFailed("read", err)
		return nil
	}
	if b == nil {
		c.debugf("no copy of the role credentials in the fast cache")
		return nil
	}
	var sc storedCredentials
	if err := json.Unmarshal(b, &sc); err != nil || !sc.valid() {
		c.debugf("the fast cache's copy of %q does not decode; it will be replaced", key)
		return nil
	}
	if !sc.plausible(c.now()) {
		c.debugf("the fast cache's copy of %q claims an impossible lifetime; it will be replaced", key)
		return nil
	}
	return c.usableCredentials(&sc, t, "role credentials in the fast cache", "reading the keychain")
}

// fastKeep copies credentials just read from the keychain, or just
// issued, into the fast tier, to vanish when they expire.
func (c *Cache) fastKeep(key string, t Target, cr *Credentials) {
	if c.Fast == nil || c.FastOff || c.fastBroken {
		return
	}
	ttl := cr.Expiration.Sub(c.now())
	if ttl < time.Second {
		return
	}
	b, err := json.Marshal(newStoredCredentials(t, cr))
	if err != nil {
		c.fastFailed("write", err)
		return
	}
	if err := c.Fast.Set(key, b, ttl); err != nil {
		c.fastFailed("write", err)
		return
	}
	c.debugf("role credentials copied to the fast cache for %s", ttl.Round(time.Second))
}

// fastFailed notes that the fast tier failed; it is not used again in
// this run.
func (c *Cache) fastFailed(op string, err error) {
	c.fastBroken = true
	c.debugf("fast cache not used (%s: %v); the keychain alone serves this call", op, err)
}

// fastRemove removes from the fast tier the role credentials of session s:
// those in the index (keys) and any other of the session it holds, even
// with the fast cache turned off (they may date from before). It returns
// the keys removed. A tier that this process cannot use is passed over
// with a debug line: there is nothing it could have written.
func (c *Cache) fastRemove(s Session, keys []string) ([]string, error) {
	if c.Fast == nil {
		return nil, nil
	}
	prefix := s.base() + "|"
	held, err := c.Fast.Keys(prefix)
	if errors.Is(err, errors.ErrUnsupported) {
		c.debugf("fast cache not cleared: %v", err)
		return nil, nil
	}
	if err != nil {
		return nil, &FastTierError{Op: "list", Err: err}
	}
	var removed []string
	for _, k := range held {
		if !isCredentialsKeyOf(k, prefix) && !slices.Contains(keys, k) {
			continue
		}
		if err := c.Fast.Delete(k); err != nil {
			return removed, &FastTierError{Op: "delete", Key: k, Err: err}
		}
		removed = append(removed, k)
	}
	return removed, nil
}

// isCredentialsKeyOf reports whether key is a credentials key
// (Target.credentialsKey) of the session whose keys begin with prefix:
// ACCOUNT|ROLE|credentials after it, and nothing more (a session whose name
// holds "|" has keys that begin with another session's prefix).
func isCredentialsKeyOf(key, prefix string) bool {
	rest, ok := strings.CutPrefix(key, prefix)
	if !ok {
		return false
	}
	f := strings.Split(rest, "|")
	return len(f) == 3 && len(f[0]) == 12 && strings.Trim(f[0], "0123456789") == "" && f[1] != "" && f[2] == "credentials"
}

// FastTierError is a failure to remove role credentials from the fast
// tier (the kernel keyring): a copy may remain until its timeout.
type FastTierError struct {
	Op, Key string
	Err     error
}

func (e *FastTierError) Error() string {
	if e.Key == "" {
		return "the fast cache (kernel keyring) cannot be cleared: " + e.Op + ": " + e.Err.Error()
	}
	return "remove the fast cache's copy of " + e.Key + " (kernel keyring): " + e.Err.Error()
}

func (e *FastTierError) Unwrap() error { return e.Err }
