// Package tokencache decides what sso-credproc remembers — the client
// registration, the SSO token and role credentials, all in the keychain —
// when each is fresh, and which process may renew it. Many copies of
// sso-credproc run at once; per-session and per-role file locks make them
// behave like one: one login, one refresh, one role call.
package tokencache

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sso-credproc/sso-credproc/keychain"
	"github.com/sso-credproc/sso-credproc/sso"
)

// Session identifies an SSO login: an sso-session, or a legacy start URL.
type Session struct {
	Name     string // sso-session name; "" for legacy profiles
	StartURL string
	Region   string
	Scopes   []string
}

// Target is the role whose credentials are wanted.
type Target struct {
	Session
	AccountID string
	RoleName  string
}

// Policy holds the expiry rules.
type Policy struct {
	// RefreshWindow: an access token is refreshed this long before it expires.
	RefreshWindow time.Duration
	// MinCredentialTTL: cached role credentials are reused while more than this remains.
	MinCredentialTTL time.Duration
	// ClockSkew is added to every expiry comparison.
	ClockSkew time.Duration
	// LoginTimeout bounds the wait for the user to sign in.
	LoginTimeout time.Duration
}

// DefaultPolicy is what sso-credproc uses unless told otherwise.
var DefaultPolicy = Policy{
	RefreshWindow:    15 * time.Minute,
	MinCredentialTTL: 15 * time.Minute,
	ClockSkew:        time.Minute,
	LoginTimeout:     5 * time.Minute,
}

// SSO is the part of *sso.Client that the cache uses.
type SSO interface {
	Register(ctx context.Context, scopes []string, pkce bool, issuerURL string) (*sso.Registration, error)
	LoginPKCE(ctx context.Context, reg *sso.Registration, o sso.LoginOptions) (*sso.Token, error)
	LoginDevice(ctx context.Context, reg *sso.Registration, o sso.LoginOptions) (*sso.Token, error)
	Refresh(ctx context.Context, reg *sso.Registration, refreshToken string, now time.Time) (*sso.Token, error)
	RoleCredentials(ctx context.Context, accessToken, accountID, roleName string) (*sso.RoleCredentials, error)
}

// Credentials are what credential_process prints.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
	AccountID       string
}

// Cache ties the keychain, the SSO service and the locks together.
type Cache struct {
	Store  keychain.Store
	Locks  Locker
	Policy Policy
	// NewSSO returns the SSO client; it is called only when the cache needs
	// the network, so the warm path never builds SDK clients.
	NewSSO func() SSO
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	// UseDeviceCode forces the device-code grant.
	UseDeviceCode bool
	// Browser opens sign-in pages; nil means only show the URL.
	Browser sso.Browser
	// Notify shows a line to the user (stderr, /dev/tty).
	Notify func(msg string)
	// Debugf logs what the cache decides (never secrets); may be nil.
	Debugf func(format string, args ...any)

	client SSO
	start  time.Time // wall-clock time Credentials was called
}

func (c *Cache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Cache) debugf(format string, args ...any) {
	if c.Debugf != nil {
		c.Debugf(format, args...)
	}
}

func (c *Cache) sso() SSO {
	if c.client == nil {
		c.client = c.NewSSO()
	}
	return c.client
}

// Cached returns the cached role credentials for t while they are fresh,
// nil when there are none: the warm path, with no lock and no network.
func (c *Cache) Cached(ctx context.Context, t Target) (*Credentials, error) {
	cr, err := c.loadCredentials(ctx, t.credentialsKey(), t)
	if cr != nil {
		c.debugf("role credentials for %s/%s from the keychain, valid until %s", t.AccountID, t.RoleName, cr.Expiration.Format(time.RFC3339))
	}
	return cr, err
}

// Credentials returns role credentials for t: from the keychain while they
// are fresh, else from IAM Identity Center, logging in or refreshing the
// token as needed.
func (c *Cache) Credentials(ctx context.Context, t Target) (*Credentials, error) {
	c.start = time.Now()
	if cr, err := c.Cached(ctx, t); err != nil || cr != nil {
		return cr, err
	}
	credKey := t.credentialsKey()

	lease, err := c.Locks.Lock(ctx, credKey)
	if err != nil {
		return nil, err
	}
	cr, err := c.credentialsLocked(ctx, t, credKey, lease)
	lease.Release(err)
	return cr, err
}

func (c *Cache) credentialsLocked(ctx context.Context, t Target, credKey string, lease Lease) (*Credentials, error) {
	// Another copy may have done the work while this one waited.
	if cr, err := c.loadCredentials(ctx, credKey, t); err != nil || cr != nil {
		c.debugf("role credentials written by another sso-credproc")
		return cr, err
	}
	if err := c.peerFailure(lease, "get role credentials"); err != nil {
		return nil, err
	}
	var rejected string
	for attempt := 0; ; attempt++ {
		tok, err := c.token(ctx, t.Session, rejected)
		if err != nil {
			return nil, err
		}
		c.debugf("GetRoleCredentials for %s/%s", t.AccountID, t.RoleName)
		rc, err := c.sso().RoleCredentials(ctx, tok.AccessToken, t.AccountID, t.RoleName)
		if sso.IsUnauthorized(err) && attempt == 0 {
			// The portal no longer takes this token: drop it and get a new
			// one once (refresh, or login), never more.
			c.debugf("the portal rejected the cached access token; getting a new one")
			rejected = tok.AccessToken
			continue
		}
		if err != nil {
			return nil, err
		}
		cr := &Credentials{
			AccessKeyID:     rc.AccessKeyID,
			SecretAccessKey: rc.SecretAccessKey,
			SessionToken:    rc.SessionToken,
			Expiration:      rc.Expiration,
			AccountID:       t.AccountID,
		}
		if err := c.put(ctx, credKey, newStoredCredentials(t, cr)); err != nil {
			return nil, err
		}
		return cr, nil
	}
}

// loadCredentials returns fresh cached credentials, nil when there are none.
func (c *Cache) loadCredentials(ctx context.Context, key string, t Target) (*Credentials, error) {
	var sc storedCredentials
	if ok, err := c.get(ctx, key, &sc); err != nil || !ok {
		return nil, err
	}
	if sc.StartURL != t.StartURL || sc.AccountID != t.AccountID || sc.RoleName != t.RoleName {
		c.debugf("cached role credentials are for another start URL or role; ignoring them")
		return nil, nil
	}
	if left := sc.Expiration.Sub(c.now()); left <= c.Policy.MinCredentialTTL+c.Policy.ClockSkew {
		c.debugf("cached role credentials have %s left; renewing", left.Round(time.Second))
		return nil, nil
	}
	return sc.credentials(), nil
}

// token returns an access token for s that is not rejected (the one the
// portal refused), refreshing or logging in under the session lock.
func (c *Cache) token(ctx context.Context, s Session, rejected string) (*storedToken, error) {
	key := s.tokenKey()
	tok, err := c.loadToken(ctx, key, s)
	if err != nil {
		return nil, err
	}
	if c.fresh(tok, rejected) {
		return tok, nil
	}
	lease, err := c.Locks.Lock(ctx, key)
	if err != nil {
		return nil, err
	}
	tok, err = c.tokenLocked(ctx, s, key, rejected, lease)
	lease.Release(err)
	return tok, err
}

func (c *Cache) tokenLocked(ctx context.Context, s Session, key, rejected string, lease Lease) (*storedToken, error) {
	tok, err := c.loadToken(ctx, key, s)
	if err != nil {
		return nil, err
	}
	if c.fresh(tok, rejected) {
		c.debugf("access token renewed by another sso-credproc")
		return tok, nil
	}
	if !c.usable(tok, rejected) {
		if err := c.peerFailure(lease, "sign in"); err != nil {
			return nil, err
		}
	}

	reg, err := c.registration(ctx, s, false)
	if err != nil {
		return nil, err
	}
	if tok != nil && tok.RefreshToken != "" && reg != nil && reg.ClientID == tok.ClientID {
		now := c.now()
		c.debugf("refreshing the access token (expires %s)", tok.ExpiresAt.Format(time.RFC3339))
		nt, err := c.sso().Refresh(ctx, reg.registration(), tok.RefreshToken, now)
		switch {
		case err == nil:
			st := newStoredToken(s, reg.ClientID, nt)
			if err := c.put(ctx, key, st); err != nil {
				return nil, err
			}
			return st, nil
		case sso.IsSessionGone(err):
			c.debugf("the refresh token was refused (%v); signing in again", err)
		case c.usable(tok, rejected):
			// The service is unwell but the token still works: use it and
			// try the refresh again next time.
			c.debugf("refresh failed (%v); the current token is still valid", err)
			return tok, nil
		default:
			return nil, fmt.Errorf("refresh the SSO token: %w", err)
		}
	} else if c.usable(tok, rejected) {
		// Legacy tokens have no refresh token: use them to the end.
		return tok, nil
	}
	return c.login(ctx, s, key)
}

func (c *Cache) login(ctx context.Context, s Session, key string) (*storedToken, error) {
	pkce := s.Name != "" && !c.UseDeviceCode
	reg, err := c.registration(ctx, s, true)
	if err != nil {
		return nil, err
	}
	if reg == nil || !reg.fits(pkce, s.Scopes, c.now()) {
		c.debugf("registering a public client (pkce=%t)", pkce)
		r, err := c.sso().Register(ctx, s.Scopes, pkce, s.StartURL)
		if err != nil {
			return nil, fmt.Errorf("register the client: %w", err)
		}
		reg = newStoredRegistration(s, r)
		if err := c.put(ctx, s.registrationKey(), reg); err != nil {
			return nil, err
		}
	}
	lctx, cancel := context.WithTimeout(ctx, c.Policy.LoginTimeout)
	defer cancel()
	o := sso.LoginOptions{StartURL: s.StartURL, Scopes: s.Scopes, Browser: c.Browser, Notify: c.Notify, Now: c.Now}
	if c.Notify != nil {
		c.Notify(fmt.Sprintf("signing in to %s (waiting up to %s)", s.StartURL, c.Policy.LoginTimeout))
	}
	var tok *sso.Token
	if pkce {
		tok, err = c.sso().LoginPKCE(lctx, reg.registration(), o)
	} else {
		tok, err = c.sso().LoginDevice(lctx, reg.registration(), o)
	}
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			return nil, &LoginTimeoutError{Timeout: c.Policy.LoginTimeout, Err: err}
		}
		return nil, fmt.Errorf("sign in to %s: %w", s.StartURL, err)
	}
	st := newStoredToken(s, reg.ClientID, tok)
	if err := c.put(ctx, key, st); err != nil {
		return nil, err
	}
	return st, nil
}

// registration returns the stored registration; nil when there is none or
// it has expired. forLogin also accepts one that expires soon (it is
// replaced by fits).
func (c *Cache) registration(ctx context.Context, s Session, forLogin bool) (*storedRegistration, error) {
	var r storedRegistration
	ok, err := c.get(ctx, s.registrationKey(), &r)
	if err != nil || !ok {
		return nil, err
	}
	if !forLogin && !r.ExpiresAt.After(c.now().Add(c.Policy.ClockSkew)) {
		return nil, nil
	}
	return &r, nil
}

func (c *Cache) loadToken(ctx context.Context, key string, s Session) (*storedToken, error) {
	var t storedToken
	ok, err := c.get(ctx, key, &t)
	if err != nil || !ok {
		return nil, err
	}
	if t.StartURL != s.StartURL || t.Region != s.Region {
		c.debugf("cached token is for another start URL or region; ignoring it")
		return nil, nil
	}
	return &t, nil
}

// usable: not expired (beyond the skew) and not the rejected one.
func (c *Cache) usable(t *storedToken, rejected string) bool {
	return t != nil && t.AccessToken != rejected && t.ExpiresAt.Sub(c.now()) > c.Policy.ClockSkew
}

// fresh: usable and outside the refresh window (or unrefreshable and usable).
func (c *Cache) fresh(t *storedToken, rejected string) bool {
	if !c.usable(t, rejected) {
		return false
	}
	return t.RefreshToken == "" || t.ExpiresAt.Sub(c.now()) > c.Policy.RefreshWindow+c.Policy.ClockSkew
}

// peerFailure returns a PeerError when the lock's previous holder failed
// after this call began: another copy just tried the same thing and failed
// (often: the user did not finish the sign-in), so this one does not open
// one more browser tab or hammer the service. A failure from before this
// call began is history; this call tries again.
func (c *Cache) peerFailure(lease Lease, what string) error {
	if msg, at := lease.PrevFailure(); msg != "" && at.After(c.start) {
		return &PeerError{What: what, Msg: msg}
	}
	return nil
}

// PeerError reports that another sso-credproc process, which this one
// waited for, failed at the same task.
type PeerError struct{ What, Msg string }

func (e *PeerError) Error() string {
	return fmt.Sprintf("another sso-credproc running at the same time failed to %s: %s", e.What, e.Msg)
}

// LoginTimeoutError says the user did not finish signing in in time.
type LoginTimeoutError struct {
	Timeout time.Duration
	Err     error
}

func (e *LoginTimeoutError) Error() string {
	return fmt.Sprintf("the sign-in was not finished within the login timeout of %s", e.Timeout)
}

func (e *LoginTimeoutError) Unwrap() error { return e.Err }

// sameScopes reports whether a and b hold the same scopes, in any order.
func sameScopes(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
