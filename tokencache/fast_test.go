package tokencache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sso-credproc/sso-credproc/keychain"
)

// memFast is an in-memory FastTier that drops values after their ttl by
// the test clock, and counts and fails calls on demand.
type memFast struct {
	mu    sync.Mutex
	now   func() time.Time
	items map[string]fastItem
	fail  map[string]error // by call: get, set, delete, keys
	calls map[string]int
}

type fastItem struct {
	value   []byte
	expires time.Time
	ttl     time.Duration
}

func newMemFast(now func() time.Time) *memFast {
	return &memFast{now: now, items: map[string]fastItem{}, fail: map[string]error{}, calls: map[string]int{}}
}

func (f *memFast) call(name string) error {
	f.calls[name]++
	return f.fail[name]
}

func (f *memFast) Get(key string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("get"); err != nil {
		return nil, err
	}
	it, ok := f.items[key]
	if !ok || !f.now().Before(it.expires) {
		return nil, nil
	}
	return it.value, nil
}

func (f *memFast) Set(key string, value []byte, ttl time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("set"); err != nil {
		return err
	}
	if ttl < time.Second {
		return fmt.Errorf("ttl %s", ttl)
	}
	f.items[key] = fastItem{value: value, expires: f.now().Add(ttl), ttl: ttl}
	return nil
}

func (f *memFast) Delete(key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("delete"); err != nil {
		return err
	}
	delete(f.items, key)
	return nil
}

func (f *memFast) Keys(prefix string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("keys"); err != nil {
		return nil, err
	}
	var keys []string
	for k := range f.items {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys, nil
}

func (f *memFast) keys() []string { keys, _ := f.Keys(""); return keys }

func (f *memFast) put(key string, v any) {
	b, ok := v.([]byte)
	if !ok {
		b, _ = json.Marshal(v)
	}
	f.items[key] = fastItem{value: b, expires: f.now().Add(time.Hour), ttl: time.Hour}
}

// failingGets is a keychain whose reads fail: a call that still succeeds
// did not read it.
type failingGets struct{ keychain.Store }

func (failingGets) Get(ctx context.Context, key string) ([]byte, error) {
	return nil, fmt.Errorf("%w: the test forbids reading the keychain", keychain.ErrUnavailable)
}

// fastCache is e.cache() with the fast tier f and a debug log.
func (e *env) fastCache(f *memFast, log *[]string) *Cache {
	c := e.cache()
	c.Fast = f
	c.Debugf = func(format string, args ...any) { *log = append(*log, fmt.Sprintf(format, args...)) }
	return c
}

func (e *env) keychainCredentials(t Target) storedCredentials {
	e.t.Helper()
	b, err := e.store.Get(context.Background(), t.credentialsKey())
	if err != nil {
		e.t.Fatal(err)
	}
	var sc storedCredentials
	if err := json.Unmarshal(b, &sc); err != nil {
		e.t.Fatal(err)
	}
	return sc
}

func (f *memFast) stored(t *testing.T, key string) storedCredentials {
	t.Helper()
	it, ok := f.items[key]
	if !ok {
		t.Fatalf("no %q in the fast tier (has %q)", key, f.keys())
	}
	var sc storedCredentials
	if err := json.Unmarshal(it.value, &sc); err != nil || !sc.valid() {
		t.Fatalf("fast tier value %q: %v", it.value, err)
	}
	return sc
}

// Renewed credentials go to both tiers; a warm call then reads the fast
// tier alone.
func TestFastTierHit(t *testing.T) {
	e := newEnv(t)
	f := newMemFast(e.clock.Now)
	var log []string
	cold := e.get(e.fastCache(f, &log), sessionTarget)
	key := sessionTarget.credentialsKey()
	if got, want := f.stored(t, key), e.keychainCredentials(sessionTarget); got != want {
		t.Errorf("fast tier holds %+v, the keychain %+v", got, want)
	}
	if ttl := f.items[key].ttl; ttl != time.Hour {
		t.Errorf("ttl %s, want the credentials' remaining life, 1h", ttl)
	}
	c := e.fastCache(f, &log)
	c.Store = failingGets{e.store}
	warm, err := c.Cached(context.Background(), sessionTarget)
	if err != nil || warm == nil || *warm != *cold {
		t.Fatalf("Cached: %+v, %v; want %+v", warm, err, cold)
	}
	e.wantCounts("register=1 pkce=1 device=0 refresh=0 role=1")
}

// A miss reads the keychain and fills the fast tier with the same item,
// for the credentials' remaining life; the next call hits.
func TestFastTierMissFillsFromKeychain(t *testing.T) {
	e := newEnv(t)
	cold := e.get(e.cache(), sessionTarget) // no fast tier yet
	e.clock.Add(20 * time.Minute)
	f := newMemFast(e.clock.Now)
	var log []string
	cr, err := e.fastCache(f, &log).Cached(context.Background(), sessionTarget)
	if err != nil || cr == nil || *cr != *cold {
		t.Fatalf("Cached: %+v, %v", cr, err)
	}
	key := sessionTarget.credentialsKey()
	if got, want := f.stored(t, key), e.keychainCredentials(sessionTarget); got != want {
		t.Errorf("fast tier holds %+v, the keychain %+v", got, want)
	}
	if ttl := f.items[key].ttl; ttl != 40*time.Minute {
		t.Errorf("ttl %s, want 40m", ttl)
	}
	c := e.fastCache(f, &log)
	c.Store = failingGets{e.store}
	if cr, err := c.Cached(context.Background(), sessionTarget); err != nil || cr == nil || *cr != *cold {
		t.Fatalf("second call: %+v, %v", cr, err)
	}
	// After their timeout the copies are gone and the keychain is read
	// again (here: stale, so none).
	e.clock.Add(40 * time.Minute)
	if v, _ := f.Get(key); v != nil {
		t.Error("the copy outlived its timeout")
	}
	if cr, err := e.fastCache(f, &log).Cached(context.Background(), sessionTarget); cr != nil || err != nil {
		t.Errorf("after expiry: %+v, %v", cr, err)
	}
}

// A copy that is damaged, of another format version, for another start
// URL or role, or inside the renewal window is a miss, and is replaced by
// the keychain's fresh item.
func TestFastTierBadCopyIsMissAndReplaced(t *testing.T) {
	key := sessionTarget.credentialsKey()
	for _, tc := range []struct {
		name  string
		value func(good storedCredentials) any
	}{
		{"corrupt", func(storedCredentials) any { return []byte(`{"version":1,"accessKeyId":`) }},
		{"not JSON", func(storedCredentials) any { return []byte("\x00\xff") }},
		{"another version", func(g storedCredentials) any { g.Version = 2; return g }},
		{"another start URL", func(g storedCredentials) any { g.StartURL = "https://other.awsapps.com/start"; return g }},
		{"another role", func(g storedCredentials) any { g.RoleName = "Admin"; return g }},
		{"inside the renewal window", func(g storedCredentials) any { g.Expiration = g.Expiration.Add(-50 * time.Minute); return g }},
		{"a year-9999 expiration", func(g storedCredentials) any {
			g.Expiration = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
			g.AccessKeyID = "PLANTED"
			return g
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			cold := e.get(e.cache(), sessionTarget)
			good := e.keychainCredentials(sessionTarget)
			f := newMemFast(e.clock.Now)
			f.put(key, tc.value(good))
			var log []string
			cr, err := e.fastCache(f, &log).Cached(context.Background(), sessionTarget)
			if err != nil || cr == nil || *cr != *cold {
				t.Fatalf("Cached: %+v, %v", cr, err)
			}
			if f.stored(t, key) != good {
				t.Errorf("the bad copy was not replaced")
			}
		})
	}
}

// Where the fast tier cannot be used — keyctl refused, the quota full, any
// other failure — the call works as without it, says why under --debug,
// and does not try the tier again in the same run.
func TestFastTierFailuresAreSilent(t *testing.T) {
	refused := fmt.Errorf("%w: keyctl search refused: operation not permitted", errors.ErrUnsupported)
	quota := errors.New("keyctl add_key: the kernel keyring quota of this user is full")
	for _, tc := range []struct {
		name     string
		fail     map[string]error
		wantSets int
	}{
		{"keyctl refused", map[string]error{"get": refused, "set": refused, "keys": refused, "delete": refused}, 0},
		{"quota full", map[string]error{"set": quota}, 1},
		{"read fails", map[string]error{"get": errors.New("keyctl read: bad address")}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			f := newMemFast(e.clock.Now)
			f.fail = tc.fail
			var log []string
			cold := e.get(e.fastCache(f, &log), sessionTarget) // renews
			cr, err := e.fastCache(f, &log).Cached(context.Background(), sessionTarget)
			if err != nil || cr == nil || *cr != *cold {
				t.Fatalf("Cached: %+v, %v", cr, err)
			}
			e.wantCounts("register=1 pkce=1 device=0 refresh=0 role=1")
			if f.calls["set"] != tc.wantSets*2 {
				t.Errorf("Set called %d times, want %d (once a run)", f.calls["set"], tc.wantSets*2)
			}
			if !slices.ContainsFunc(log, func(l string) bool { return strings.HasPrefix(l, "fast cache not used (") }) {
				t.Errorf("no debug line says why: %q", log)
			}
			res, err := e.fastCache(f, &log).Logout(context.Background(), sessionTarget.Session)
			if tc.fail["keys"] == refused && err != nil {
				t.Errorf("Logout with keyctl refused: %v", err)
			}
			if res == nil || !slices.Contains(res.Removed, "token") {
				t.Errorf("Logout did not clean the keychain: %+v", res)
			}
		})
	}
}

// Turned off, the fast tier is never read or written, but Logout still
// clears it (copies made while it was on).
func TestFastTierOff(t *testing.T) {
	e := newEnv(t)
	f := newMemFast(e.clock.Now)
	var log []string
	c := e.fastCache(f, &log)
	c.FastOff = true
	e.get(c, sessionTarget)
	c = e.fastCache(f, &log)
	c.FastOff = true
	if cr, err := c.Cached(context.Background(), sessionTarget); cr == nil || err != nil {
		t.Fatalf("Cached: %+v, %v", cr, err)
	}
	if len(f.calls) != 0 || len(f.items) != 0 {
		t.Fatalf("the tier was used: %v %q", f.calls, f.keys())
	}
	f.put(sessionTarget.credentialsKey(), e.keychainCredentials(sessionTarget))
	c = e.fastCache(f, &log)
	c.FastOff = true
	if _, err := c.Logout(context.Background(), sessionTarget.Session); err != nil {
		t.Fatal(err)
	}
	if keys := f.keys(); len(keys) != 0 {
		t.Errorf("left in the fast tier: %q", keys)
	}
}

// Logout removes every copy of the session's role credentials, also one
// whose keychain item is gone, and no other session's.
func TestLogoutClearsFastTier(t *testing.T) {
	e := newEnv(t)
	f := newMemFast(e.clock.Now)
	var log []string
	e.get(e.fastCache(f, &log), sessionTarget)
	ops := sessionTarget
	ops.AccountID, ops.RoleName = "444455556666", "Ops"
	e.get(e.fastCache(f, &log), ops)
	// A copy whose keychain item is gone (removed by hand).
	orphan := sessionTarget
	orphan.AccountID = "777788889999"
	f.put(orphan.credentialsKey(), e.keychainCredentials(sessionTarget))
	// Other sessions: some whose names make their keys begin like corp's.
	other, other2 := sessionTarget, sessionTarget
	other.Name = "corp|eu-west-1"
	other2.Name = "corp|eu-west-1|111122223333|Dev|credentials"
	legacy := legacyTarget
	for _, t := range []Target{other, other2, legacy} {
		f.put(t.credentialsKey(), e.keychainCredentials(sessionTarget))
	}
	res, err := e.fastCache(f, &log).Logout(context.Background(), sessionTarget.Session)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"role credentials 111122223333/Dev", "role credentials 444455556666/Ops", "token", "client registration", "role credentials 777788889999/Dev"}
	if !slices.Equal(res.Removed, want) {
		t.Errorf("removed %q, want %q", res.Removed, want)
	}
	keys := f.keys()
	wantKeys := []string{other.credentialsKey(), other2.credentialsKey(), legacy.credentialsKey()}
	slices.Sort(wantKeys)
	if !slices.Equal(keys, wantKeys) {
		t.Errorf("fast tier holds %q, want %q", keys, wantKeys)
	}
}

// deleteHook calls hook before each Delete.
type deleteHook struct {
	keychain.Store
	hook func(key string)
}

func (s *deleteHook) Delete(ctx context.Context, key string) error {
	s.hook(key)
	return s.Store.Delete(ctx, key)
}

// A warm call that read the keychain just before Logout removed its item
// may copy the credentials into the fast tier while Logout runs: Logout
// clears the tier again at its end.
func TestLogoutClearsFastTierAfterRacingFill(t *testing.T) {
	e := newEnv(t)
	f := newMemFast(e.clock.Now)
	var log []string
	e.get(e.fastCache(f, &log), sessionTarget)
	good := e.keychainCredentials(sessionTarget)
	c := e.fastCache(f, &log)
	c.Store = &deleteHook{Store: e.store, hook: func(key string) {
		if key == sessionTarget.credentialsKey() {
			f.put(key, good) // the racing warm call's fill
		}
	}}
	if _, err := c.Logout(context.Background(), sessionTarget.Session); err != nil {
		t.Fatal(err)
	}
	if keys := f.keys(); len(keys) != 0 {
		t.Errorf("left in the fast tier: %q", keys)
	}
}

// A logout that the keychain stops (locked, unreachable) has cleared the
// fast tier already: the copies do not outlive it.
func TestLogoutClearsFastTierWhenKeychainFails(t *testing.T) {
	e := newEnv(t)
	f := newMemFast(e.clock.Now)
	var log []string
	e.get(e.fastCache(f, &log), sessionTarget)
	c := e.fastCache(f, &log)
	c.Store = failingGets{e.store}
	if _, err := c.Logout(context.Background(), sessionTarget.Session); !keychain.IsUnavailable(err) {
		t.Fatalf("Logout: %v", err)
	}
	if keys := f.keys(); len(keys) != 0 {
		t.Errorf("left in the fast tier: %q", keys)
	}
}

// A fast tier that fails to delete does not stop the keychain clean-up,
// and the failure is reported: a copy may remain until its timeout.
func TestLogoutReportsFastTierFailure(t *testing.T) {
	e := newEnv(t)
	f := newMemFast(e.clock.Now)
	var log []string
	e.get(e.fastCache(f, &log), sessionTarget)
	f.fail["delete"] = errors.New("keyctl invalidate: permission denied")
	res, err := e.fastCache(f, &log).Logout(context.Background(), sessionTarget.Session)
	var fe *FastTierError
	if !errors.As(err, &fe) || fe.Key != sessionTarget.credentialsKey() {
		t.Fatalf("Logout: %v", err)
	}
	if keys := e.mem.Users(keychain.Service); len(keys) != 0 || !slices.Contains(res.Removed, "token") {
		t.Errorf("keychain left %q; removed %q", keys, res.Removed)
	}
}

// Only role credentials ever reach the fast tier: no access or refresh
// token, no client secret, through sign-in, refresh, a portal refusal and
// role calls.
func TestFastTierHoldsOnlyRoleCredentials(t *testing.T) {
	e := newEnv(t)
	e.sso.rotate = true
	f := newMemFast(e.clock.Now)
	var log []string
	var secrets []string
	collect := func() {
		for _, s := range []Session{sessionTarget.Session, legacyTarget.Session} {
			if b, err := e.store.Get(context.Background(), s.tokenKey()); err == nil {
				var tok storedToken
				json.Unmarshal(b, &tok)
				secrets = append(secrets, tok.AccessToken, tok.RefreshToken, tok.ClientID)
			}
			if b, err := e.store.Get(context.Background(), s.registrationKey()); err == nil {
				var reg storedRegistration
				json.Unmarshal(b, &reg)
				secrets = append(secrets, reg.ClientSecret, reg.ClientID)
			}
		}
	}
	for _, target := range []Target{sessionTarget, legacyTarget} {
		e.get(e.fastCache(f, &log), target)
		collect()
	}
	e.clock.Add(50 * time.Minute) // token refresh window, credentials stale
	e.get(e.fastCache(f, &log), sessionTarget)
	collect()
	if _, err := e.fastCache(f, &log).Login(context.Background(), sessionTarget.Session, true); err != nil {
		t.Fatal(err)
	}
	collect()
	e.clock.Add(50 * time.Minute)
	e.get(e.fastCache(f, &log), sessionTarget)
	collect()
	if f.calls["set"] < 4 {
		t.Fatalf("only %d writes to the fast tier; the check would prove little", f.calls["set"])
	}
	for _, k := range f.keys() {
		if !strings.HasSuffix(k, "|credentials") {
			t.Errorf("fast tier key %q is not a role credentials key", k)
		}
		v := string(f.items[k].value)
		var fields map[string]any
		json.Unmarshal([]byte(v), &fields)
		for name := range fields {
			if !slices.Contains([]string{"version", "startUrl", "accountId", "roleName", "accessKeyId", "secretAccessKey", "sessionToken", "expiration"}, name) {
				t.Errorf("fast tier value has field %q", name)
			}
		}
		for _, s := range secrets {
			if s != "" && strings.Contains(v, s) {
				t.Errorf("a token or client secret (%.10s…) is in the fast tier under %q", s, k)
			}
		}
	}
	if len(secrets) < 8 {
		t.Fatalf("collected %d secrets; the check would prove little", len(secrets))
	}
}
