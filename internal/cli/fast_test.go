package cli

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sso-credproc/sso-credproc/keychain"
)

// fastTier is an in-memory tokencache.FastTier; err, when set, fails every
// call.
type fastTier struct {
	mu    sync.Mutex
	items map[string][]byte
	err   error
	calls int
}

func (f *fastTier) Get(key string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	return f.items[key], f.err
}

func (f *fastTier) Set(key string, v []byte, ttl time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return f.err
	}
	f.items[key] = v
	return nil
}

func (f *fastTier) Delete(key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	delete(f.items, key)
	return f.err
}

func (f *fastTier) Keys(prefix string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	var keys []string
	for k := range f.items {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	return keys, f.err
}

// The warm path serves what the fast tier holds without the keychain;
// turned off (the variable or the key), it reads the keychain alone and
// hands over on a miss, as before; logout clears the tier.
func TestWarmPathFastTier(t *testing.T) {
	h := newHarness(t, "")
	f := &fastTier{items: map[string][]byte{}}
	h.fast = f
	code, want, stderr := h.run(true, "--profile", "dev-sso", "--no-browser")
	if code != 0 || len(f.items) != 1 {
		t.Fatalf("renew: exit %d, fast tier %d items: %s", code, len(f.items), stderr)
	}
	h.store = keychain.New(keychain.NewMemory(0), keychain.Service, 0) // an empty keychain
	code, got, stderr := h.run(false, "--profile", "dev-sso", "--debug")
	if code != 0 || got != want || !strings.Contains(stderr, "from the fast cache") {
		t.Fatalf("warm: exit %d, same output %t: %s", code, got == want, stderr)
	}

	h.env["SSO_CREDPROC_FAST_CACHE"] = "0"
	f.calls = 0
	code, got, stderr = h.run(false, "--profile", "dev-sso", "--debug")
	if code != 99 || got != "" || f.calls != 0 || !strings.Contains(stderr, "fast cache off") {
		t.Fatalf("with SSO_CREDPROC_FAST_CACHE=0: exit %d (want the handoff, 99), %d fast tier calls, stdout %q: %s", code, f.calls, got, stderr)
	}
	delete(h.env, "SSO_CREDPROC_FAST_CACHE")
	hOff := newHarness(t, "sso_credproc_fast_cache = false\n")
	hOff.fast = f
	if code, _, _ := hOff.run(false, "--profile", "dev-sso"); code != 99 || f.calls != 0 {
		t.Fatalf("with sso_credproc_fast_cache = false: exit %d, %d fast tier calls", code, f.calls)
	}

	// Logout clears the tier, even turned off.
	h.env["SSO_CREDPROC_FAST_CACHE"] = "false"
	if code, _, stderr := h.run(true, "logout", "--profile", "dev-sso"); code != 0 || len(f.items) != 0 {
		t.Fatalf("logout: exit %d, fast tier %d items: %s", code, len(f.items), stderr)
	}
}

// A fast tier that cannot be used (keyctl refused) changes nothing but a
// --debug line.
func TestWarmPathFastTierRefused(t *testing.T) {
	h := newHarness(t, "")
	h.fast = &fastTier{items: map[string][]byte{}, err: fmt.Errorf("%w: keyctl search refused: operation not permitted", errors.ErrUnsupported)}
	code, want, stderr := h.run(true, "--profile", "dev-sso", "--no-browser")
	if code != 0 {
		t.Fatalf("renew: exit %d: %s", code, stderr)
	}
	code, got, stderr := h.run(false, "--profile", "dev-sso", "--debug")
	if code != 0 || got != want {
		t.Fatalf("warm: exit %d, same output %t: %s", code, got == want, stderr)
	}
	if !strings.Contains(stderr, "fast cache not used (read: unsupported operation: keyctl search refused") || !strings.Contains(stderr, "from the keychain") {
		t.Errorf("stderr: %s", stderr)
	}
	if code, _, stderr := h.run(true, "logout", "--profile", "dev-sso"); code != 0 {
		t.Fatalf("logout: exit %d: %s", code, stderr)
	}
}
