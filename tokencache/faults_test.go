package tokencache

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sso-credproc/sso-credproc/keychain"
	"github.com/sso-credproc/sso-credproc/sso"
)

// storedRefreshToken returns the refresh token in the keychain for s.
func (e *env) storedToken(s Session) storedToken {
	e.t.Helper()
	b, err := e.store.Get(context.Background(), s.tokenKey())
	if err != nil {
		e.t.Fatalf("token item: %v", err)
	}
	var t storedToken
	if err := json.Unmarshal(b, &t); err != nil {
		e.t.Fatal(err)
	}
	return t
}

func (e *env) hasItem(key string) bool {
	e.t.Helper()
	_, err := e.store.Get(context.Background(), key)
	return err == nil
}

// beforeSet calls hook before each Set.
type beforeSet struct {
	keychain.Store
	hook func()
}

func (s *beforeSet) Set(ctx context.Context, key string, v []byte) error {
	s.hook()
	return s.Store.Set(ctx, key, v)
}

// The service forgot the client (its registration expired on the service's
// side before the stored clientSecretExpiresAt, or it was restarted): the
// refresh is refused with InvalidClientException. The stored registration
// and its refresh token are dropped, and the next sign-in registers first:
// never a browser sign-in with the refused client.
func TestRefusedClientIsReplacedBeforeSignIn(t *testing.T) {
	t.Run("token still valid", func(t *testing.T) {
		e := newEnv(t)
		e.get(e.cache(), sessionTarget)
		e.sso.forgetClients()
		e.clock.Add(50 * time.Minute) // refresh window; the access token has 10m left
		e.get(e.cache(), sessionTarget)
		e.wantCounts("register=1 pkce=1 device=0 refresh=1 role=2")
		if e.hasItem(sessionTarget.registrationKey()) {
			t.Error("the refused registration is still stored")
		}
		if tok := e.storedToken(sessionTarget.Session); tok.RefreshToken != "" {
			t.Error("the refresh token of the refused client is still stored")
		}
		// Once the token has expired: register, then sign in; no refresh
		// with a client that does not exist, no stuck browser.
		e.clock.Add(20 * time.Minute)
		e.dropCredentials()
		e.get(e.cache(), sessionTarget)
		e.wantCounts("register=2 pkce=2 device=0 refresh=1 role=3")
		if n := e.sso.badAuthorize.Load(); n != 0 {
			t.Errorf("%d browser sign-ins started with a refused client", n)
		}
		// And from then on all is normal again.
		e.clock.Add(50 * time.Minute)
		e.get(e.cache(), sessionTarget)
		e.wantCounts("register=2 pkce=2 device=0 refresh=2 role=4")
	})
	t.Run("token expired", func(t *testing.T) {
		e := newEnv(t)
		e.get(e.cache(), sessionTarget)
		e.sso.forgetClients()
		e.clock.Add(70 * time.Minute)
		e.dropCredentials()
		c := e.cache()
		c.Policy.LoginTimeout = time.Second // a stuck browser fails the test quickly
		e.get(c, sessionTarget)
		e.wantCounts("register=2 pkce=2 device=0 refresh=1 role=2")
		if n := e.sso.badAuthorize.Load(); n != 0 {
			t.Errorf("%d browser sign-ins started with a refused client", n)
		}
	})
	t.Run("legacy device code", func(t *testing.T) {
		e := newEnv(t)
		e.sso.noRefreshToken = true
		e.get(e.cache(), legacyTarget)
		e.sso.forgetClients()
		e.clock.Add(70 * time.Minute)
		e.dropCredentials()
		// StartDeviceAuthorization refuses the client: register and start
		// again, at once, in the same run.
		e.get(e.cache(), legacyTarget)
		e.wantCounts("register=2 pkce=0 device=3 refresh=0 role=2")
		e.clock.Add(70 * time.Minute)
		e.dropCredentials()
		e.get(e.cache(), legacyTarget)
		e.wantCounts("register=2 pkce=0 device=4 refresh=0 role=3")
	})
	t.Run("unauthorized_client for the grant", func(t *testing.T) {
		e := newEnv(t)
		e.get(e.cache(), sessionTarget)
		e.sso.refreshErr = func() error {
			return &sso.Error{Op: "CreateToken", Code: "UnauthorizedClientException", Message: "grant not allowed"}
		}
		e.clock.Add(70 * time.Minute)
		e.dropCredentials()
		e.get(e.cache(), sessionTarget)
		e.wantCounts("register=2 pkce=2 device=0 refresh=1 role=2")
	})
}

// A service that refuses every client, new ones too: one new registration
// per run at most, then an error that says so. Never a loop.
func TestRefusedClientNeverLoops(t *testing.T) {
	e := newEnv(t)
	e.sso.noRefreshToken = true
	e.get(e.cache(), legacyTarget)
	e.sso.rejectAll = true
	e.clock.Add(70 * time.Minute)
	e.dropCredentials()
	_, err := e.cache().Credentials(context.Background(), legacyTarget)
	var cre *ClientRejectedError
	if !errors.As(err, &cre) || !sso.IsClientRejected(err) {
		t.Fatalf("err = %v, want a ClientRejectedError", err)
	}
	e.wantCounts("register=2 pkce=0 device=3 refresh=0 role=1")
	// The next run registers once more, and fails the same way.
	_, err = e.cache().Credentials(context.Background(), legacyTarget)
	if !errors.As(err, &cre) {
		t.Fatalf("second run: err = %v", err)
	}
	e.wantCounts("register=3 pkce=0 device=5 refresh=0 role=1")
}

// A signal (the context cancelled) while a rotating refresh is under way:
// the answer is still stored, and the next run refreshes with the rotated
// refresh token instead of needing a browser.
func TestRotatedRefreshTokenSurvivesCancel(t *testing.T) {
	for _, stage := range []string{"during the call", "before the write"} {
		t.Run(stage, func(t *testing.T) {
			e := newEnv(t)
			e.sso.rotate = true
			e.get(e.cache(), sessionTarget)
			e.clock.Add(50 * time.Minute)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var once sync.Once
			if stage == "during the call" {
				e.sso.refreshErr = func() error { once.Do(cancel); return nil }
			}
			c := e.cache()
			if stage == "before the write" {
				// The answer is in; the signal comes as the store is written.
				c.Store = &beforeSet{Store: e.store, hook: func() { once.Do(cancel) }}
			}
			_, _ = c.Credentials(ctx, sessionTarget)
			e.sso.refreshErr = nil
			if tok := e.storedToken(sessionTarget.Session); !e.sso.validRefresh[tok.RefreshToken] {
				t.Fatalf("the stored refresh token %q is not the rotated one", tok.RefreshToken)
			}
			e.clock.Add(50 * time.Minute)
			e.dropCredentials()
			e.get(e.cache(), sessionTarget)
			e.wantCounts("register=1 pkce=1 device=0 refresh=2 role=2")
		})
	}
}

// RFC 6749 §6: a refresh answer without a refresh token leaves the stored
// one in use.
func TestRefreshWithoutNewRefreshTokenKeepsOld(t *testing.T) {
	e := newEnv(t)
	e.get(e.cache(), sessionTarget)
	before := e.storedToken(sessionTarget.Session).RefreshToken
	e.sso.keepRefresh = true
	for range 3 {
		e.clock.Add(50 * time.Minute)
		e.get(e.cache(), sessionTarget)
	}
	if got := e.storedToken(sessionTarget.Session).RefreshToken; got != before {
		t.Errorf("refresh token %q, want the original %q", got, before)
	}
	e.wantCounts("register=1 pkce=1 device=0 refresh=3 role=4")
}

// A copy that waits for another's sign-in says so once; the one that signed
// in says who is signed in to what and until when.
func TestNotices(t *testing.T) {
	e := newEnv(t)
	old := lockWaitNote
	lockWaitNote = 20 * time.Millisecond
	t.Cleanup(func() { lockWaitNote = old })
	started := make(chan struct{})
	release := make(chan struct{})
	e.sso.loginErr = func(context.Context) error {
		close(started)
		<-release
		return nil
	}
	var mu sync.Mutex
	var notesA, notesB []string
	ca, cb := e.cache(), e.cache()
	ca.Notify = func(m string) { mu.Lock(); notesA = append(notesA, m); mu.Unlock() }
	cb.Notify = func(m string) { mu.Lock(); notesB = append(notesB, m); mu.Unlock() }
	done := make(chan error, 2)
	go func() { _, err := ca.Credentials(context.Background(), sessionTarget); done <- err }()
	<-started
	go func() { _, err := cb.Credentials(context.Background(), sessionTarget); done <- err }()
	time.Sleep(150 * time.Millisecond)
	close(release)
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(strings.Join(notesA, "\n"), "signed in to "+sessionTarget.StartURL) ||
		!strings.Contains(strings.Join(notesA, "\n"), "valid until") {
		t.Errorf("A's notes %q: want who is signed in to what, until when", notesA)
	}
	waits := 0
	for _, n := range notesB {
		if strings.Contains(n, "waiting for another sso-credproc") {
			waits++
		}
	}
	if waits != 1 {
		t.Errorf("B's notes %q: want one 'waiting for another sso-credproc'", notesB)
	}
}

// probingStore is a store whose Probe fails.
type probingStore struct {
	keychain.Store
	err error
}

func (s *probingStore) Probe(context.Context) error { return s.err }

// A keychain that cannot store is found out before any request is made.
func TestKeychainThatCannotStoreFailsBeforeAnyRequest(t *testing.T) {
	e := newEnv(t)
	c := e.cache()
	cause := errors.New("no collection to store items in")
	c.Store = &probingStore{Store: e.store, err: cause}
	_, err := c.Credentials(context.Background(), sessionTarget)
	if !errors.Is(err, cause) || !strings.Contains(err.Error(), "cannot store") {
		t.Fatalf("err = %v", err)
	}
	e.wantCounts("register=0 pkce=0 device=0 refresh=0 role=0")
	c.Store = &probingStore{Store: e.store}
	e.get(c, sessionTarget)
	e.wantCounts("register=1 pkce=1 device=0 refresh=0 role=1")
}

// A copy that is cancelled (a signal, a caller that gave up) leaves no
// failure behind: the copy that waited for it signs in itself.
func TestCancelledPeerIsNoFailure(t *testing.T) {
	e := newEnv(t)
	started := make(chan struct{})
	var once sync.Once
	e.sso.loginErr = func(ctx context.Context) error {
		first := false
		once.Do(func() { first = true; close(started) })
		if first {
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	}
	ctxA, cancelA := context.WithCancel(context.Background())
	errA := make(chan error, 1)
	go func() { _, err := e.cache().Credentials(ctxA, sessionTarget); errA <- err }()
	<-started
	errB := make(chan error, 1)
	go func() { _, err := e.cache().Credentials(context.Background(), sessionTarget); errB <- err }()
	time.Sleep(50 * time.Millisecond) // B waits on the lock
	cancelA()
	if err := <-errA; !errors.Is(err, context.Canceled) {
		t.Fatalf("A: %v", err)
	}
	if err := <-errB; err != nil {
		t.Fatalf("B: %v, want its own sign-in", err)
	}
	e.wantCounts("register=1 pkce=2 device=0 refresh=0 role=1")
}
