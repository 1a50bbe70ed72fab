package tokencache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sso-credproc/sso-credproc/keychain"
	"github.com/sso-credproc/sso-credproc/sso"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fakeSSO is an in-memory IAM Identity Center with counters.
type fakeSSO struct {
	clock *clock
	mu    sync.Mutex
	n     atomic.Int64 // serial for issued values

	tokenTTL, credTTL, regTTL time.Duration
	rotate                    bool
	noRefreshToken            bool

	register, pkce, device, refresh, role, logout atomic.Int32
	logoutErr                                     error

	// hooks, each may be nil
	refreshErr func() error
	roleErr    func(accessToken string) error
	loginErr   func(ctx context.Context) error

	validRefresh map[string]bool
	clients      map[string]bool // client IDs the service knows
	keepRefresh  bool            // refresh answers carry no refreshToken
	rejectAll    bool            // every client is refused, new ones too
	// badAuthorize counts browser sign-ins started with a client the
	// service does not know: the authorize page fails and the user is stuck.
	badAuthorize atomic.Int32
}

func newFakeSSO(c *clock) *fakeSSO {
	return &fakeSSO{clock: c, tokenTTL: time.Hour, credTTL: time.Hour, regTTL: 90 * 24 * time.Hour, validRefresh: map[string]bool{}, clients: map[string]bool{}}
}

// forgetClients makes the service forget every registration (and with it
// every refresh token), as when a registration expires on the service's
// side or a fake restarts.
func (f *fakeSSO) forgetClients() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.clients)
	clear(f.validRefresh)
}

func (f *fakeSSO) knows(reg *sso.Registration) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return !f.rejectAll && f.clients[reg.ClientID]
}

var errInvalidClient = &sso.Error{Op: "CreateToken", Code: "InvalidClientException", Message: "Invalid client provided"}

func (f *fakeSSO) next(prefix string) string { return fmt.Sprintf("%s-%d", prefix, f.n.Add(1)) }

func (f *fakeSSO) Register(ctx context.Context, scopes []string, pkce bool, issuer string) (*sso.Registration, error) {
	f.register.Add(1)
	r := &sso.Registration{ClientID: f.next("client"), ClientSecret: f.next("secret"), ExpiresAt: f.clock.Now().Add(f.regTTL), Scopes: scopes}
	f.mu.Lock()
	f.clients[r.ClientID] = true
	f.mu.Unlock()
	if pkce {
		r.GrantTypes = []string{sso.GrantAuthorizationCode, sso.GrantRefreshToken}
	}
	return r, nil
}

func (f *fakeSSO) token() *sso.Token {
	t := &sso.Token{AccessToken: f.next("access"), ExpiresAt: f.clock.Now().Add(f.tokenTTL)}
	if !f.noRefreshToken {
		t.RefreshToken = f.next("refresh")
		f.mu.Lock()
		f.validRefresh[t.RefreshToken] = true
		f.mu.Unlock()
	}
	return t
}

func (f *fakeSSO) login(ctx context.Context) (*sso.Token, error) {
	if f.loginErr != nil {
		if err := f.loginErr(ctx); err != nil {
			return nil, err
		}
	}
	return f.token(), nil
}

func (f *fakeSSO) LoginPKCE(ctx context.Context, reg *sso.Registration, o sso.LoginOptions) (*sso.Token, error) {
	f.pkce.Add(1)
	if !f.knows(reg) {
		// The authorize page answers 400; nothing comes back.
		f.badAuthorize.Add(1)
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return f.login(ctx)
}

func (f *fakeSSO) LoginDevice(ctx context.Context, reg *sso.Registration, o sso.LoginOptions) (*sso.Token, error) {
	f.device.Add(1)
	if !f.knows(reg) {
		return nil, &sso.Error{Op: "StartDeviceAuthorization", Code: "InvalidClientException", Message: "Invalid client provided"}
	}
	return f.login(ctx)
}

func (f *fakeSSO) Refresh(ctx context.Context, reg *sso.Registration, rt string, now time.Time) (*sso.Token, error) {
	f.refresh.Add(1)
	if f.refreshErr != nil {
		if err := f.refreshErr(); err != nil {
			return nil, err
		}
	}
	if !f.knows(reg) {
		return nil, errInvalidClient
	}
	f.mu.Lock()
	ok := f.validRefresh[rt]
	f.mu.Unlock()
	if !ok {
		return nil, &sso.Error{Op: "CreateToken", Code: "InvalidGrantException"}
	}
	t := &sso.Token{AccessToken: f.next("access"), ExpiresAt: now.Add(f.tokenTTL), RefreshToken: rt}
	if f.rotate {
		f.mu.Lock()
		delete(f.validRefresh, rt)
		t.RefreshToken = f.next("refresh")
		f.validRefresh[t.RefreshToken] = true
		f.mu.Unlock()
	}
	if f.keepRefresh {
		t.RefreshToken = ""
	}
	if err := ctx.Err(); err != nil {
		// The service has answered (and rotated), but a cancelled HTTP
		// call loses the answer.
		return nil, err
	}
	return t, nil
}

func (f *fakeSSO) RoleCredentials(ctx context.Context, at, acct, role string) (*sso.RoleCredentials, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.role.Add(1)
	if f.roleErr != nil {
		if err := f.roleErr(at); err != nil {
			return nil, err
		}
	}
	return &sso.RoleCredentials{AccessKeyID: f.next("ASIA"), SecretAccessKey: f.next("sk"), SessionToken: f.next("st"), Expiration: f.clock.Now().Add(f.credTTL)}, nil
}

func (f *fakeSSO) Logout(ctx context.Context, accessToken string) error {
	f.logout.Add(1)
	return f.logoutErr
}

func (f *fakeSSO) counts() string {
	return fmt.Sprintf("register=%d pkce=%d device=%d refresh=%d role=%d", f.register.Load(), f.pkce.Load(), f.device.Load(), f.refresh.Load(), f.role.Load())
}

type env struct {
	t     *testing.T
	clock *clock
	sso   *fakeSSO
	mem   *keychain.Memory
	store keychain.Store
	locks Locker
}

func newEnv(t *testing.T) *env {
	c := &clock{t: time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)}
	mem := keychain.NewMemory(0)
	return &env{t: t, clock: c, sso: newFakeSSO(c), mem: mem, store: keychain.New(mem, keychain.Service, 0), locks: &FileLocker{Dir: t.TempDir(), Poll: time.Millisecond}}
}

func (e *env) cache() *Cache {
	return &Cache{
		Store: e.store, Locks: e.locks, Policy: DefaultPolicy, Now: e.clock.Now,
		NewSSO: func() SSO { return e.sso },
	}
}

var (
	sessionTarget = Target{Session: Session{Name: "corp", StartURL: "https://d-abc.awsapps.com/start", Region: "eu-west-1", Scopes: []string{"sso:account:access"}}, AccountID: "111122223333", RoleName: "Dev"}
	legacyTarget  = Target{Session: Session{StartURL: "https://d-abc.awsapps.com/start", Region: "eu-west-1"}, AccountID: "111122223333", RoleName: "Dev"}
)

func (e *env) get(c *Cache, t Target) *Credentials {
	e.t.Helper()
	cr, err := c.Credentials(context.Background(), t)
	if err != nil {
		e.t.Fatalf("Credentials: %v (%s)", err, e.sso.counts())
	}
	if cr.AccessKeyID == "" || cr.SecretAccessKey == "" || cr.SessionToken == "" || cr.AccountID != t.AccountID {
		e.t.Fatalf("incomplete credentials %+v", cr)
	}
	return cr
}

// dropCredentials removes the cached role credentials, so that the next
// call needs the token.
func (e *env) dropCredentials() {
	e.t.Helper()
	if err := e.store.Delete(context.Background(), legacyTarget.credentialsKey()); err != nil {
		e.t.Fatal(err)
	}
	if err := e.store.Delete(context.Background(), sessionTarget.credentialsKey()); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) wantCounts(want string) {
	e.t.Helper()
	if got := e.sso.counts(); got != want {
		e.t.Errorf("calls: %s, want %s", got, want)
	}
}

func TestColdThenWarm(t *testing.T) {
	for _, tc := range []struct {
		name   string
		target Target
		device bool
		want   string
	}{
		{"sso-session uses PKCE", sessionTarget, false, "register=1 pkce=1 device=0 refresh=0 role=1"},
		{"legacy uses device code", legacyTarget, false, "register=1 pkce=0 device=1 refresh=0 role=1"},
		{"forced device code", sessionTarget, true, "register=1 pkce=0 device=1 refresh=0 role=1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			c := e.cache()
			c.UseDeviceCode = tc.device
			first := e.get(c, tc.target)
			e.wantCounts(tc.want)
			second := e.get(e.cache(), tc.target)
			e.wantCounts(tc.want) // nothing more
			if *first != *second {
				t.Errorf("warm call returned other credentials")
			}
		})
	}
}

func TestCredentialReuseWindow(t *testing.T) {
	e := newEnv(t)
	e.get(e.cache(), sessionTarget)
	// 1h credentials: reused while more than 15m (+1m skew) remain.
	e.clock.Add(43 * time.Minute)
	e.get(e.cache(), sessionTarget)
	e.wantCounts("register=1 pkce=1 device=0 refresh=0 role=1")
	e.clock.Add(2 * time.Minute) // 15m left: renew
	e.get(e.cache(), sessionTarget)
	// The token (1h, refreshed 15m early) is inside its window too now.
	e.wantCounts("register=1 pkce=1 device=0 refresh=1 role=2")
}

func TestPolicyOverrides(t *testing.T) {
	e := newEnv(t)
	c := e.cache()
	c.Policy.MinCredentialTTL = 50 * time.Minute
	e.get(c, sessionTarget)
	e.clock.Add(10 * time.Minute) // 50m left <= 50m + 1m
	e.get(c, sessionTarget)
	e.wantCounts("register=1 pkce=1 device=0 refresh=0 role=2")
}

func TestRefreshRotation(t *testing.T) {
	e := newEnv(t)
	e.sso.rotate = true
	e.get(e.cache(), sessionTarget)
	for i := 0; i < 3; i++ {
		e.clock.Add(50 * time.Minute) // token and credentials both inside their windows
		e.get(e.cache(), sessionTarget)
	}
	// Each refresh used the rotated token of the one before: no InvalidGrant, no new login.
	e.wantCounts("register=1 pkce=1 device=0 refresh=3 role=4")
}

func TestRefreshRefusedLogsInAgain(t *testing.T) {
	e := newEnv(t)
	e.get(e.cache(), sessionTarget)
	e.sso.refreshErr = func() error { return &sso.Error{Code: "InvalidGrantException"} }
	e.clock.Add(50 * time.Minute)
	e.get(e.cache(), sessionTarget)
	// The registration is reused for the new login.
	e.wantCounts("register=1 pkce=2 device=0 refresh=1 role=2")
}

func TestRefreshServerErrorKeepsValidToken(t *testing.T) {
	e := newEnv(t)
	e.get(e.cache(), sessionTarget)
	e.sso.refreshErr = func() error { return &sso.Error{Code: "InternalServerException"} }
	e.clock.Add(50 * time.Minute) // token: 10m left, still valid
	e.get(e.cache(), sessionTarget)
	e.wantCounts("register=1 pkce=1 device=0 refresh=1 role=2")
	e.clock.Add(20 * time.Minute) // token expired: the error surfaces
	e.dropCredentials()
	_, err := e.cache().Credentials(context.Background(), sessionTarget)
	if !sso.HasCode(err, "InternalServerException") {
		t.Fatalf("err = %v, want the refresh failure", err)
	}
}

func TestLegacyTokenUsedToTheEnd(t *testing.T) {
	e := newEnv(t)
	e.sso.noRefreshToken = true
	e.get(e.cache(), legacyTarget)
	e.clock.Add(50 * time.Minute) // inside the refresh window, but nothing to refresh with
	e.get(e.cache(), legacyTarget)
	e.wantCounts("register=1 pkce=0 device=1 refresh=0 role=2")
	e.clock.Add(20 * time.Minute) // expired: log in again, same registration
	e.dropCredentials()
	e.get(e.cache(), legacyTarget)
	e.wantCounts("register=1 pkce=0 device=2 refresh=0 role=3")
}

func TestPortalRejectsTokenOnce(t *testing.T) {
	e := newEnv(t)
	e.get(e.cache(), sessionTarget)
	bad := ""
	e.sso.roleErr = func(at string) error {
		if bad == "" {
			bad = at // the cached token: the portal has forgotten it
		}
		if at == bad {
			return &sso.Error{Code: "UnauthorizedException"}
		}
		return nil
	}
	if err := e.store.Delete(context.Background(), sessionTarget.credentialsKey()); err != nil {
		t.Fatal(err)
	}
	e.get(e.cache(), sessionTarget)
	// The rejected token was replaced by a refresh (refresh token still good), then the call succeeded.
	e.wantCounts("register=1 pkce=1 device=0 refresh=1 role=3")

	// A portal that rejects every token: one retry, then the error. Never a loop.
	e.sso.roleErr = func(string) error { return &sso.Error{Code: "UnauthorizedException"} }
	if err := e.store.Delete(context.Background(), sessionTarget.credentialsKey()); err != nil {
		t.Fatal(err)
	}
	_, err := e.cache().Credentials(context.Background(), sessionTarget)
	if !sso.IsUnauthorized(err) {
		t.Fatalf("err = %v, want UnauthorizedException", err)
	}
	e.wantCounts("register=1 pkce=1 device=0 refresh=2 role=5")
}

func TestCorruptItemsAreMisses(t *testing.T) {
	for _, key := range []string{sessionTarget.credentialsKey(), sessionTarget.tokenKey(), sessionTarget.registrationKey()} {
		t.Run(strings.Split(key, "|")[2], func(t *testing.T) {
			e := newEnv(t)
			e.get(e.cache(), sessionTarget)
			for _, junk := range []string{"{not json", `{"version":99}`, `{"version":1}`, ""} {
				if err := e.store.Set(context.Background(), key, []byte(junk)); err != nil {
					t.Fatal(err)
				}
				if key != sessionTarget.credentialsKey() {
					e.dropCredentials()
				}
				if key == sessionTarget.registrationKey() {
					// The registration is only read to refresh or sign in.
					if err := e.store.Delete(context.Background(), sessionTarget.tokenKey()); err != nil {
						t.Fatal(err)
					}
				}
				e.get(e.cache(), sessionTarget)
				// And the item was overwritten with a good one.
				b, err := e.store.Get(context.Background(), key)
				if err != nil || !strings.HasPrefix(string(b), `{"version":1,`) {
					t.Fatalf("item not rewritten: %q, %v", b, err)
				}
			}
		})
	}
}

// An item claiming a lifetime the service never grants (credentials for a
// year, a token for a week, a registration for centuries: written by
// someone else, or by an older version) is a miss and gets replaced; it is
// never served after the service revoked everything.
func TestImplausibleItemsAreMisses(t *testing.T) {
	for _, tc := range []struct {
		key   func() string
		field string
		want  string
	}{
		{sessionTarget.credentialsKey, "expiration", "register=1 pkce=1 device=0 refresh=0 role=2"},
		{sessionTarget.tokenKey, "expiresAt", "register=1 pkce=2 device=0 refresh=0 role=2"},
		{sessionTarget.registrationKey, "expiresAt", "register=2 pkce=2 device=0 refresh=0 role=2"},
	} {
		t.Run(strings.Split(tc.key(), "|")[2], func(t *testing.T) {
			e := newEnv(t)
			e.get(e.cache(), sessionTarget)
			ctx := context.Background()
			b, err := e.store.Get(ctx, tc.key())
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			m[tc.field] = "9999-12-31T23:59:59Z"
			b, _ = json.Marshal(m)
			if err := e.store.Set(ctx, tc.key(), b); err != nil {
				t.Fatal(err)
			}
			if tc.key() != sessionTarget.credentialsKey() {
				e.dropCredentials()
			}
			if tc.key() == sessionTarget.registrationKey() {
				if err := e.store.Delete(ctx, sessionTarget.tokenKey()); err != nil {
					t.Fatal(err)
				}
			}
			cr := e.get(e.cache(), sessionTarget)
			if cr.Expiration.Year() == 9999 {
				t.Error("a year-9999 item was served")
			}
			e.wantCounts(tc.want)
			if b, _ := e.store.Get(ctx, tc.key()); strings.Contains(string(b), "9999-") {
				t.Error("the implausible item was not replaced")
			}
		})
	}
}

func TestStartURLChangeIgnoresCache(t *testing.T) {
	e := newEnv(t)
	e.get(e.cache(), sessionTarget)
	moved := sessionTarget
	moved.StartURL = "https://d-other.awsapps.com/start"
	e.get(e.cache(), moved)
	// New login for the new start URL (the registration is per sso-session and region, reused).
	e.wantCounts("register=1 pkce=2 device=0 refresh=0 role=2")
}

func TestFlowChangeReregisters(t *testing.T) {
	e := newEnv(t)
	e.get(e.cache(), sessionTarget)
	if err := e.store.Delete(context.Background(), sessionTarget.tokenKey()); err != nil {
		t.Fatal(err)
	}
	if err := e.store.Delete(context.Background(), sessionTarget.credentialsKey()); err != nil {
		t.Fatal(err)
	}
	c := e.cache()
	c.UseDeviceCode = true
	e.get(c, sessionTarget)
	e.wantCounts("register=2 pkce=1 device=1 refresh=0 role=2")
}

func TestKeychainUnavailable(t *testing.T) {
	e := newEnv(t)
	e.mem.FailGets(1, fmt.Errorf("%w: no D-Bus session bus", keychain.ErrUnavailable))
	_, err := e.cache().Credentials(context.Background(), sessionTarget)
	if !errors.Is(err, keychain.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	e.wantCounts("register=0 pkce=0 device=0 refresh=0 role=0")
}

func TestLoginTimeout(t *testing.T) {
	e := newEnv(t)
	e.sso.loginErr = func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	}
	c := e.cache()
	c.Policy.LoginTimeout = 20 * time.Millisecond
	_, err := c.Credentials(context.Background(), sessionTarget)
	var lt *LoginTimeoutError
	if !errors.As(err, &lt) || lt.Timeout != 20*time.Millisecond {
		t.Fatalf("err = %v, want a LoginTimeoutError", err)
	}
}

// Copies in one process, each with its own Cache, behave like processes:
// the file locks serialise them.
func TestConcurrentCopies(t *testing.T) {
	e := newEnv(t)
	e.sso.loginErr = func(context.Context) error { time.Sleep(50 * time.Millisecond); return nil }
	const n = 16
	var wg sync.WaitGroup
	results := make([]*Credentials, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = e.cache().Credentials(context.Background(), sessionTarget)
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("copy %d: %v", i, errs[i])
		}
		if *results[i] != *results[0] {
			t.Fatalf("copy %d got other credentials", i)
		}
	}
	e.wantCounts("register=1 pkce=1 device=0 refresh=0 role=1")
}

func TestConcurrentRefreshWithRotation(t *testing.T) {
	e := newEnv(t)
	e.sso.rotate = true
	e.get(e.cache(), sessionTarget)
	e.clock.Add(50 * time.Minute)
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = e.cache().Credentials(context.Background(), sessionTarget)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("copy %d: %v", i, err)
		}
	}
	e.wantCounts("register=1 pkce=1 device=0 refresh=1 role=2")
}

// Copies that waited for another copy's sign-in, which failed, report that
// failure instead of opening one more browser tab each: the first cause
// once, with the step that failed, however many copies came before.
func TestWaiterDoesNotLogInAfterPeerFailure(t *testing.T) {
	e := newEnv(t)
	started := make(chan struct{})
	release := make(chan struct{})
	e.sso.loginErr = func(context.Context) error {
		close(started)
		<-release
		return errors.New("the user closed the browser")
	}
	errA := make(chan error, 1)
	go func() {
		_, err := e.cache().Credentials(context.Background(), sessionTarget)
		errA <- err
	}()
	<-started
	const n = 6
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := e.cache().Credentials(context.Background(), sessionTarget)
			errs <- err
		}()
	}
	time.Sleep(50 * time.Millisecond) // the copies now wait on a lock
	close(release)
	if err := <-errA; err == nil || !strings.Contains(err.Error(), "closed the browser") {
		t.Fatalf("A: %v", err)
	}
	for range n {
		err := <-errs
		var pe *PeerError
		if !errors.As(err, &pe) || !strings.Contains(pe.Msg, "closed the browser") {
			t.Fatalf("err = %v, want a PeerError carrying A's failure", err)
		}
		msg := err.Error()
		if strings.Count(msg, "another sso-credproc") != 1 || !strings.Contains(msg, "failed to sign in: ") ||
			!strings.HasSuffix(msg, "the user closed the browser") {
			t.Errorf("message %q: want one 'another sso-credproc … failed to sign in: <first cause>'", msg)
		}
	}
	e.wantCounts("register=1 pkce=1 device=0 refresh=0 role=0")

	// The next, unhurried run signs in normally.
	e.sso.loginErr = nil
	e.get(e.cache(), sessionTarget)
	e.wantCounts("register=1 pkce=2 device=0 refresh=0 role=1")
}

func TestLockWaitHasDeadline(t *testing.T) {
	e := newEnv(t)
	lease, err := e.locks.Lock(context.Background(), sessionTarget.credentialsKey())
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release(nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err = e.cache().Credentials(ctx, sessionTarget)
	if !errors.Is(err, ErrLockTimeout) {
		t.Fatalf("err = %v, want ErrLockTimeout", err)
	}
}
