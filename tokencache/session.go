package tokencache

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sso-credproc/sso-credproc/keychain"
)

// TokenInfo describes an SSO token without its secrets.
type TokenInfo struct {
	StartURL   string
	Region     string
	ExpiresAt  time.Time
	Refresh    bool // a refresh token is held
	SignedIn   bool // this call signed in (rather than reuse or refresh)
	Refreshed  bool // this call refreshed the token
	ClientID   string
	storedCopy *storedToken
}

// AccessToken returns the access token itself, for calls that need it
// (sso:ListAccounts, sso:Logout). Never log it.
func (t *TokenInfo) AccessToken() string { return t.storedCopy.AccessToken }

func tokenInfo(t *storedToken) *TokenInfo {
	return &TokenInfo{StartURL: t.StartURL, Region: t.Region, ExpiresAt: t.ExpiresAt, Refresh: t.RefreshToken != "", ClientID: t.ClientID, storedCopy: t}
}

// Line describes the sign-in for people: "VERB URL (sso-session NAME,
// REGION); the session token is valid until T[, and is refreshed without
// a browser after that until the session ends]".
func (t *TokenInfo) Line(verb string, s Session) string {
	label := ""
	if s.Name != "" {
		label = fmt.Sprintf(" (sso-session %s, %s)", s.Name, s.Region)
	}
	refresh := ""
	if t.Refresh {
		refresh = ", and is refreshed without a browser after that until the session ends"
	}
	return fmt.Sprintf("%s %s%s; the session token is valid until %s%s", verb, s.StartURL, label, t.ExpiresAt.Local().Format("2006-01-02 15:04 MST"), refresh)
}

// LoginRequiredError says that a sign-in is needed but this call may not
// start one (Cache.NoLogin).
type LoginRequiredError struct{ StartURL string }

func (e *LoginRequiredError) Error() string {
	return fmt.Sprintf("a sign-in to %s is needed, and this call may not start one (--no-login, sso_credproc_login = never or SSO_CREDPROC_NO_LOGIN)", e.StartURL)
}

// Login makes sure a usable SSO token for s is stored: a fresh one is kept,
// one inside its refresh window is refreshed, else the user signs in. With
// force the user signs in again whatever is stored. NoLogin is ignored:
// this is the explicit sign-in.
func (c *Cache) Login(ctx context.Context, s Session, force bool) (*TokenInfo, error) {
	c.start = time.Now()
	c.NoLogin = false
	if err := c.probe(ctx); err != nil {
		return nil, err
	}
	key := s.tokenKey()
	if !force {
		tok, err := c.token(ctx, s, "")
		if err != nil {
			return nil, err
		}
		if !c.signedIn && !c.refreshed {
			// A fresh token was kept: export it if asked to.
			if err := c.export(ctx, s, key, tok); err != nil {
				return nil, err
			}
		}
		info := tokenInfo(tok)
		info.SignedIn, info.Refreshed = c.signedIn, c.refreshed
		return info, nil
	}
	lease, err := c.lock(ctx, key, s)
	if err != nil {
		return nil, err
	}
	tok, err := c.login(ctx, s, key)
	lease.Release(peerNews(err))
	if err != nil {
		return nil, err
	}
	info := tokenInfo(tok)
	info.SignedIn = true
	return info, nil
}

// Token returns a usable SSO token for s, refreshing or signing in as
// needed (NoLogin applies), for calls that need the access token itself
// (sso:ListAccounts). rejected is an access token the service refused,
// which is replaced.
func (c *Cache) Token(ctx context.Context, s Session, rejected string) (*TokenInfo, error) {
	c.start = time.Now()
	if err := c.probe(ctx); err != nil {
		return nil, err
	}
	tok, err := c.token(ctx, s, rejected)
	if err != nil {
		return nil, err
	}
	return tokenInfo(tok), nil
}

// Client returns the SSO client (built on first use).
func (c *Cache) Client() SSO { return c.sso() }

// probe asks the keychain whether it can store, when it can tell.
func (c *Cache) probe(ctx context.Context) error {
	if p, ok := c.Store.(prober); ok {
		if err := p.Probe(ctx); err != nil {
			return &StoreError{Op: "probe", Err: err}
		}
	}
	return nil
}

// logouter is implemented by SSO clients that can end a portal session
// (sso:Logout).
type logouter interface {
	Logout(ctx context.Context, accessToken string) error
}

// LogoutResult says what Logout did.
type LogoutResult struct {
	// Removed names the keychain items removed, as "token", "client
	// registration" and "role credentials ACCOUNT/ROLE".
	Removed []string
	// ServiceErr is the failure of sso:Logout, if it was called and failed;
	// the local clean-up went on regardless.
	ServiceErr error
	// CalledService reports whether sso:Logout was called.
	CalledService bool
}

// Logout ends the session s: sso:Logout with its access token when one is
// stored and unexpired, then every keychain item of the session — token,
// client registration, each role credential written for it, and the list
// of those — is removed (parts of chunked items included). The next
// credential call signs in again.
func (c *Cache) Logout(ctx context.Context, s Session) (*LogoutResult, error) {
	c.start = time.Now()
	key := s.tokenKey()
	lease, err := c.lock(ctx, key, s)
	if err != nil {
		return nil, err
	}
	defer lease.Release(nil)
	res := &LogoutResult{}
	tok, err := c.loadToken(ctx, key, s)
	if err != nil {
		return nil, err
	}
	if tok != nil && c.usable(tok, "") && c.NewSSO != nil {
		if lo, ok := c.sso().(logouter); ok {
			res.CalledService = true
			res.ServiceErr = lo.Logout(ctx, tok.AccessToken)
		}
	}
	removed, err := c.removeAWSCLIExport(tok)
	if err != nil {
		return res, err
	}
	if removed {
		res.Removed = append(res.Removed, "the AWS CLI's cached token "+c.AWSCLICache)
	}
	idx, err := c.loadIndex(ctx, s)
	if err != nil {
		return nil, err
	}
	type item struct{ key, what string }
	var items []item
	for _, k := range idx.Keys {
		items = append(items, item{k, "role credentials " + credentialsLabel(k)})
	}
	items = append(items, item{key, "token"}, item{s.registrationKey(), "client registration"}, item{s.indexKey(), ""})
	for _, it := range items {
		_, gerr := c.Store.Get(ctx, it.key)
		if errors.Is(gerr, keychain.ErrNotFound) {
			continue
		}
		if gerr != nil && !errors.Is(gerr, keychain.ErrCorrupt) {
			return res, &StoreError{Op: "read", Key: it.key, Err: gerr}
		}
		if err := c.remove(ctx, it.key); err != nil {
			return res, err
		}
		if it.what != "" {
			res.Removed = append(res.Removed, it.what)
		}
	}
	return res, nil
}

// credentialsLabel turns a credentials key into "ACCOUNT/ROLE".
func credentialsLabel(key string) string {
	parts := strings.Split(key, "|")
	if len(parts) >= 5 {
		return parts[len(parts)-3] + "/" + parts[len(parts)-2]
	}
	return key
}

// SessionState describes what the keychain holds for a session, without
// secrets.
type SessionState struct {
	Registration *time.Time // expiry of the client registration; nil if none
	Token        *TokenInfo // nil if none
	Credentials  []CredentialState
	// Damaged lists items that could not be decoded (they are replaced on
	// the next renewal).
	Damaged []string
}

// CredentialState is one cached role credential, without secrets.
type CredentialState struct {
	AccountID, RoleName string
	Expiration          time.Time
}

// Inspect reads what the keychain holds for s: nothing is renewed or
// written.
func (c *Cache) Inspect(ctx context.Context, s Session) (*SessionState, error) {
	st := &SessionState{}
	var r storedRegistration
	ok, err := c.getChecked(ctx, s.registrationKey(), &r, &st.Damaged, "client registration")
	if err != nil {
		return nil, err
	}
	if ok {
		st.Registration = &r.ExpiresAt
	}
	var t storedToken
	if ok, err = c.getChecked(ctx, s.tokenKey(), &t, &st.Damaged, "token"); err != nil {
		return nil, err
	}
	if ok {
		st.Token = tokenInfo(&t)
	}
	idx, err := c.loadIndex(ctx, s)
	if err != nil {
		return nil, err
	}
	for _, k := range idx.Keys {
		var sc storedCredentials
		ok, err := c.getChecked(ctx, k, &sc, &st.Damaged, "role credentials "+credentialsLabel(k))
		if err != nil {
			return nil, err
		}
		if ok {
			st.Credentials = append(st.Credentials, CredentialState{AccountID: sc.AccountID, RoleName: sc.RoleName, Expiration: sc.Expiration})
		}
	}
	return st, nil
}

// getChecked is get that also notes damaged items under what.
func (c *Cache) getChecked(ctx context.Context, key string, v stored, damaged *[]string, what string) (bool, error) {
	ok, damage, err := c.read(ctx, key, v)
	if damage != "" {
		*damaged = append(*damaged, what)
	}
	return ok, err
}

// storedIndex lists the role credential items written for a session, so
// that logout and status find them on every keychain (none of which can be
// searched the same way).
type storedIndex struct {
	Version int      `json:"version"`
	Keys    []string `json:"keys"`
}

func (x *storedIndex) valid() bool { return x.Version == storeVersion }

func (x *storedIndex) plausible(time.Time) bool { return true }

func (s Session) indexKey() string { return s.base() + "|index" }

func (c *Cache) loadIndex(ctx context.Context, s Session) (*storedIndex, error) {
	x := &storedIndex{Version: storeVersion}
	if _, err := c.get(ctx, s.indexKey(), x); err != nil {
		return nil, err
	}
	return x, nil
}

// index adds t's credentials key to its session's index, before the item
// itself is written: an index entry without an item is harmless, an item
// that no index names would survive a logout.
func (c *Cache) index(ctx context.Context, t Target) error {
	key := t.credentialsKey()
	x, err := c.loadIndex(ctx, t.Session)
	if err != nil || slices.Contains(x.Keys, key) {
		return err
	}
	lease, err := c.Locks.Lock(ctx, t.indexKey())
	if err != nil {
		return err
	}
	defer lease.Release(nil)
	if x, err = c.loadIndex(ctx, t.Session); err != nil || slices.Contains(x.Keys, key) {
		return err
	}
	x.Version = storeVersion
	x.Keys = append(x.Keys, key)
	return c.keep(ctx, t.indexKey(), x)
}
