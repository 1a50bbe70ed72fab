package tokencache

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sso-credproc/sso-credproc/keychain"
	"github.com/sso-credproc/sso-credproc/sso"
)

func TestLogin(t *testing.T) {
	e := newEnv(t)
	s := sessionTarget.Session
	info, err := e.cache().Login(context.Background(), s, false)
	if err != nil {
		t.Fatal(err)
	}
	if !info.SignedIn || !info.Refresh || info.StartURL != s.StartURL || info.ExpiresAt.IsZero() {
		t.Errorf("first login: %+v", info)
	}
	// A fresh token: nothing happens.
	info, err = e.cache().Login(context.Background(), s, false)
	if err != nil || info.SignedIn || info.Refreshed {
		t.Errorf("second login: %+v, %v", info, err)
	}
	// Inside the refresh window: a refresh, no browser.
	e.clock.Add(50 * time.Minute)
	info, err = e.cache().Login(context.Background(), s, false)
	if err != nil || info.SignedIn || !info.Refreshed {
		t.Errorf("login in the refresh window: %+v, %v", info, err)
	}
	// --force: a new sign-in whatever is stored.
	info, err = e.cache().Login(context.Background(), s, true)
	if err != nil || !info.SignedIn {
		t.Errorf("forced login: %+v, %v", info, err)
	}
	e.wantCounts("register=1 pkce=2 device=0 refresh=1 role=0")
	// Role credentials then need no sign-in.
	e.get(e.cache(), sessionTarget)
	e.wantCounts("register=1 pkce=2 device=0 refresh=1 role=1")
}

func TestNoLogin(t *testing.T) {
	e := newEnv(t)
	c := e.cache()
	c.NoLogin = true
	_, err := c.Credentials(context.Background(), sessionTarget)
	var lr *LoginRequiredError
	if !errors.As(err, &lr) {
		t.Fatalf("err = %v, want LoginRequiredError", err)
	}
	e.wantCounts("register=0 pkce=0 device=0 refresh=0 role=0")
	// A refresh is still allowed.
	e.get(e.cache(), sessionTarget)
	e.clock.Add(50 * time.Minute)
	c = e.cache()
	c.NoLogin = true
	e.get(c, sessionTarget)
	e.wantCounts("register=1 pkce=1 device=0 refresh=1 role=2")
}

func TestLogoutRemovesEverything(t *testing.T) {
	e := newEnv(t)
	e.get(e.cache(), sessionTarget)
	other := sessionTarget
	other.AccountID, other.RoleName = "444455556666", "Ops"
	e.get(e.cache(), other)
	// A chunked credentials item: the parts go too.
	big := keychain.New(e.mem, keychain.Service, 256)
	e.store = big
	e.get(e.cache(), Target{Session: sessionTarget.Session, AccountID: "777788889999", RoleName: strings.Repeat("R", 64)})
	before := len(e.mem.Users(keychain.Service))
	if before < 8 {
		t.Fatalf("keys before: %v", e.mem.Users(keychain.Service))
	}
	st, err := e.cache().Inspect(context.Background(), sessionTarget.Session)
	if err != nil || st.Token == nil || st.Registration == nil || len(st.Credentials) != 3 {
		t.Fatalf("inspect: %+v, %v", st, err)
	}
	res, err := e.cache().Logout(context.Background(), sessionTarget.Session)
	if err != nil {
		t.Fatal(err)
	}
	if !res.CalledService || res.ServiceErr != nil || e.sso.logout.Load() != 1 {
		t.Errorf("sso:Logout: %+v, calls %d", res, e.sso.logout.Load())
	}
	want := []string{"role credentials 111122223333/Dev", "role credentials 444455556666/Ops", "role credentials 777788889999/" + strings.Repeat("R", 64), "token", "client registration"}
	if !slices.Equal(res.Removed, want) {
		t.Errorf("removed %q, want %q", res.Removed, want)
	}
	if keys := e.mem.Users(keychain.Service); len(keys) != 0 {
		t.Errorf("left behind: %q", keys)
	}
	// The next call signs in again.
	e.get(e.cache(), sessionTarget)
	e.wantCounts("register=2 pkce=2 device=0 refresh=0 role=4")
}

func TestLogoutServiceFailureStillCleansUp(t *testing.T) {
	e := newEnv(t)
	e.get(e.cache(), sessionTarget)
	e.sso.logoutErr = errors.New("service unavailable")
	res, err := e.cache().Logout(context.Background(), sessionTarget.Session)
	if err != nil || res.ServiceErr == nil || len(res.Removed) != 3 {
		t.Fatalf("res %+v, err %v", res, err)
	}
	// Expired token: no sso:Logout call, local clean-up only.
	e.get(e.cache(), sessionTarget)
	e.clock.Add(2 * time.Hour)
	res, err = e.cache().Logout(context.Background(), sessionTarget.Session)
	if err != nil || res.CalledService || len(res.Removed) != 3 {
		t.Fatalf("res %+v, err %v", res, err)
	}
	// Nothing stored: nothing removed, no error.
	res, err = e.cache().Logout(context.Background(), sessionTarget.Session)
	if err != nil || len(res.Removed) != 0 {
		t.Fatalf("res %+v, err %v", res, err)
	}
}

func TestInspectReportsDamage(t *testing.T) {
	e := newEnv(t)
	e.get(e.cache(), sessionTarget)
	if err := e.store.Set(context.Background(), sessionTarget.tokenKey(), []byte("{broken")); err != nil {
		t.Fatal(err)
	}
	st, err := e.cache().Inspect(context.Background(), sessionTarget.Session)
	if err != nil || st.Token != nil || !slices.Contains(st.Damaged, "token") || len(st.Credentials) != 1 {
		t.Fatalf("%+v %v", st, err)
	}
}

// The chunked item really was in parts, so that the logout test above
// proves the parts go too.
func TestLogoutTestUsesParts(t *testing.T) {
	e := newEnv(t)
	e.store = keychain.New(e.mem, keychain.Service, 256)
	e.get(e.cache(), Target{Session: sessionTarget.Session, AccountID: "777788889999", RoleName: strings.Repeat("R", 64)})
	parts := 0
	for _, u := range e.mem.Users(keychain.Service) {
		if strings.Contains(u, "#") {
			parts++
		}
	}
	if parts == 0 {
		t.Fatalf("no parts: %q", e.mem.Users(keychain.Service))
	}
}

// An sso-session named in another script, or with control characters,
// still gets keychain items (keys are printable ASCII).
func TestSessionNamesOfAnyScript(t *testing.T) {
	for _, name := range []string{"développement", "開発", "a%41b", "tab\tname"} {
		e := newEnv(t)
		tg := sessionTarget
		tg.Name = name
		e.get(e.cache(), tg)
		e.get(e.cache(), tg)
		e.wantCounts("register=1 pkce=1 device=0 refresh=0 role=1")
	}
	if keyText("a%41b") == keyText("aAb") {
		t.Error("percent escapes collide")
	}
}

// A token the portal refused is stored as expired: a later login signs in
// instead of calling it valid.
func TestRefusedTokenIsNotKeptAsValid(t *testing.T) {
	e := newEnv(t)
	e.sso.noRefreshToken = true
	e.get(e.cache(), legacyTarget)
	e.dropCredentials()
	e.sso.roleErr = func(string) error { return &sso.Error{Code: "UnauthorizedException"} }
	c := e.cache()
	c.NoLogin = true
	if _, err := c.Credentials(context.Background(), legacyTarget); err == nil {
		t.Fatal("no error")
	}
	info, err := e.cache().Login(context.Background(), legacyTarget.Session, false)
	if err != nil || !info.SignedIn {
		t.Fatalf("login after the refusal: %+v, %v: want a new sign-in", info, err)
	}
}
