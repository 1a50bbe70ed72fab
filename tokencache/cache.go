// Package tokencache decides what sso-credproc remembers — the client
// registration, the SSO token and role credentials, all in the keychain —
// when each is fresh, and which process may renew it. Many copies of
// sso-credproc run at once; per-session and per-role file locks make them
// behave like one: one login, one refresh, one role call.
package tokencache

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
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

// prober is implemented by stores that can tell whether they can store
// items now (keychain.Prober): unlocked, with a collection to store in.
type prober interface {
	Probe(ctx context.Context) error
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
	// OnSignIn, when set, is called as a sign-in starts, with its deadline.
	OnSignIn func(deadline time.Time)
	// AWSCLICache is the AWS CLI's token cache file of the session
	// (awscli.Path): written when ExportAWSCLI is set, removed by Logout
	// when it still holds what was written.
	AWSCLICache  string
	ExportAWSCLI bool
	// NoLogin forbids starting a sign-in: a call that needs one fails with
	// a LoginRequiredError (a refresh with the refresh token is allowed).
	NoLogin bool
	// Fast, when set, holds copies of role credentials that are faster to
	// read than Store (see FastTier): Cached reads it first and fills it
	// from the keychain; every write of role credentials goes to both;
	// Logout clears both.
	Fast FastTier
	// FastOff: the user turned the fast tier off; it is only cleared
	// (Logout), never read or written.
	FastOff bool

	client     SSO
	start      time.Time // wall-clock time Credentials was called
	registered bool      // a client was registered in this run
	signedIn   bool      // the user signed in during this run
	refreshed  bool      // the token was refreshed during this run
	fastBroken bool      // the fast tier failed in this run; not used again
	waitNote   sync.Once
}

// issueTimeout bounds a call whose answer the service commits to (a
// refresh that may rotate the refresh token) and the keychain write of what
// it issued, once they no longer follow the caller's context; see detached.
const issueTimeout = 45 * time.Second

// detached returns a context that is not cancelled with ctx (a signal, the
// caller giving up) but ends after d: for calls and writes that must finish
// once started, so that what the service has just issued is never lost.
func detached(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), d)
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
// nil when there are none: the warm path, with no lock and no network. The
// fast tier is read first; fresh credentials found in the keychain instead
// are copied into it.
func (c *Cache) Cached(ctx context.Context, t Target) (*Credentials, error) {
	key := t.credentialsKey()
	if cr := c.fastCached(key, t); cr != nil {
		c.debugf("role credentials for %s/%s from the fast cache (kernel keyring), valid until %s", t.AccountID, t.RoleName, cr.Expiration.Format(time.RFC3339))
		return cr, nil
	}
	cr, err := c.loadCredentials(ctx, key, t)
	if cr != nil {
		c.debugf("role credentials for %s/%s from the keychain, valid until %s", t.AccountID, t.RoleName, cr.Expiration.Format(time.RFC3339))
		c.fastKeep(key, t, cr)
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
	// Whatever the service is about to issue must be stored: find out now
	// that the keychain can store it, not after a registration or sign-in.
	if err := c.probe(ctx); err != nil {
		return nil, err
	}

	lease, err := c.lock(ctx, credKey, t.Session)
	if err != nil {
		return nil, err
	}
	cr, err := c.credentialsLocked(ctx, t, credKey, lease)
	lease.Release(peerNews(err))
	return cr, err
}

func (c *Cache) credentialsLocked(ctx context.Context, t Target, credKey string, lease Lease) (*Credentials, error) {
	// Another copy may have done the work while this one waited.
	if cr, err := c.loadCredentials(ctx, credKey, t); err != nil || cr != nil {
		c.debugf("role credentials written by another sso-credproc")
		if cr != nil {
			c.fastKeep(credKey, t, cr)
		}
		return cr, err
	}
	if err := c.peerFailure(lease, stepRoleCredentials); err != nil {
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
			return nil, &stepError{step: stepRoleCredentials, err: err}
		}
		cr := &Credentials{
			AccessKeyID:     rc.AccessKeyID,
			SecretAccessKey: rc.SecretAccessKey,
			SessionToken:    rc.SessionToken,
			Expiration:      rc.Expiration,
			AccountID:       t.AccountID,
		}
		if err := c.index(ctx, t); err != nil {
			return nil, err
		}
		if err := c.keep(ctx, credKey, newStoredCredentials(t, cr)); err != nil {
			return nil, err
		}
		c.fastKeep(credKey, t, cr)
		return cr, nil
	}
}

// loadCredentials returns fresh cached credentials, nil when there are none.
func (c *Cache) loadCredentials(ctx context.Context, key string, t Target) (*Credentials, error) {
	var sc storedCredentials
	if ok, err := c.get(ctx, key, &sc); err != nil || !ok {
		return nil, err
	}
	return c.usableCredentials(&sc, t, "cached role credentials", "renewing"), nil
}

// usableCredentials returns sc's credentials when they are t's and fresh:
// more than MinCredentialTTL (plus the clock skew) left, the margin that
// botocore renews at. Otherwise it logs why not, naming them what, and
// what happens then, and returns nil.
func (c *Cache) usableCredentials(sc *storedCredentials, t Target, what, then string) *Credentials {
	if sc.StartURL != t.StartURL || sc.AccountID != t.AccountID || sc.RoleName != t.RoleName {
		c.debugf("%s are for another start URL or role; ignoring them", what)
		return nil
	}
	if left := sc.Expiration.Sub(c.now()); left <= c.Policy.MinCredentialTTL+c.Policy.ClockSkew {
		c.debugf("%s have %s left; %s", what, left.Round(time.Second), then)
		return nil
	}
	return sc.credentials()
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
	lease, err := c.lock(ctx, key, s)
	if err != nil {
		return nil, err
	}
	tok, err = c.tokenLocked(ctx, s, key, rejected, lease)
	lease.Release(peerNews(err))
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
	if tok != nil && rejected != "" && tok.AccessToken == rejected && tok.ExpiresAt.After(c.now()) {
		// The service refused it: store it as expired, so that no later
		// run (login, status) takes it for valid. Its refresh token, if
		// any, is still tried.
		tok.ExpiresAt = c.now().Add(-time.Second).UTC()
		if err := c.keep(ctx, key, tok); err != nil {
			return nil, err
		}
	}
	if !c.usable(tok, rejected) {
		if err := c.peerFailure(lease, stepSignIn); err != nil {
			return nil, err
		}
	}

	reg, err := c.registration(ctx, s, false)
	if err != nil {
		return nil, err
	}
	if tok != nil && tok.RefreshToken != "" && reg != nil && reg.ClientID == tok.ClientID {
		c.debugf("refreshing the access token (expires %s)", tok.ExpiresAt.Format(time.RFC3339))
		nt, err := c.refresh(ctx, s, key, reg, tok)
		switch {
		case err == nil:
			return nt, nil
		case errors.As(err, new(*StoreError)):
			return nil, err
		case sso.IsClientRejected(err):
			c.debugf("SSO OIDC refused the client registration (%v); it will be replaced before any sign-in", err)
			if tok, err = c.forgetClient(ctx, s, key, tok, rejected); err != nil {
				return nil, err
			}
			if tok != nil {
				// The access token still works; only its refresh token
				// died with the client.
				return tok, nil
			}
		case sso.IsSessionGone(err):
			c.debugf("the refresh token was refused (%v); signing in again", err)
		case c.usable(tok, rejected):
			// The service is unwell but the token still works: use it and
			// try the refresh again next time.
			c.debugf("refresh failed (%v); the current token is still valid", err)
			return tok, nil
		default:
			return nil, &stepError{step: stepRefresh, err: fmt.Errorf("refresh the SSO token: %w", err)}
		}
	} else if c.usable(tok, rejected) {
		// Legacy tokens have no refresh token: use them to the end.
		return tok, nil
	}
	return c.login(ctx, s, key)
}

// refresh redeems tok's refresh token and stores the answer. The call and
// the write run to their end even when ctx is cancelled (a signal): the
// service may rotate the refresh token, revoking the old one, and what it
// just issued must not be lost. Without a new refresh token in the answer
// the old one is kept (RFC 6749 §6: the server MAY issue a new one; when it
// does not, the client keeps using the one it has).
func (c *Cache) refresh(ctx context.Context, s Session, key string, reg *storedRegistration, tok *storedToken) (*storedToken, error) {
	dctx, cancel := detached(ctx, issueTimeout)
	defer cancel()
	nt, err := c.sso().Refresh(dctx, reg.registration(), tok.RefreshToken, c.now())
	if err != nil {
		return nil, err
	}
	st := newStoredToken(s, reg.ClientID, nt)
	if st.RefreshToken == "" {
		st.RefreshToken = tok.RefreshToken
	}
	st.Exported = tok.Exported
	if err := c.keep(ctx, key, st); err != nil {
		return nil, err
	}
	if err := c.export(ctx, s, key, st); err != nil {
		return nil, err
	}
	c.refreshed = true
	return st, nil
}

// forgetClient drops the stored registration that the service refused and
// the refresh token bound to it. The access token, when still usable, is
// kept without its refresh token (it is the user's and works until it
// expires) and returned; otherwise the token item is deleted and nil is
// returned.
func (c *Cache) forgetClient(ctx context.Context, s Session, key string, tok *storedToken, rejected string) (*storedToken, error) {
	if err := c.remove(ctx, s.registrationKey()); err != nil {
		return nil, err
	}
	if tok == nil {
		return nil, nil
	}
	if c.usable(tok, rejected) {
		kept := *tok
		kept.RefreshToken = ""
		if err := c.keep(ctx, key, &kept); err != nil {
			return nil, err
		}
		return &kept, nil
	}
	return nil, c.remove(ctx, key)
}

func (c *Cache) login(ctx context.Context, s Session, key string) (*storedToken, error) {
	if c.NoLogin {
		return nil, &stepError{step: stepSignIn, err: &LoginRequiredError{StartURL: s.StartURL}}
	}
	pkce := s.Name != "" && !c.UseDeviceCode
	reg, err := c.registration(ctx, s, true)
	if err != nil {
		return nil, err
	}
	if reg == nil || !reg.fits(pkce, s.Scopes, c.now()) {
		if reg, err = c.register(ctx, s, pkce); err != nil {
			return nil, err
		}
	}
	for {
		tok, err := c.signIn(ctx, s, reg, pkce)
		if sso.IsClientRejected(err) {
			if c.registered {
				// Refused right after registering: registering again would
				// only loop.
				return nil, &stepError{step: stepSignIn, err: &ClientRejectedError{StartURL: s.StartURL, Err: err}}
			}
			c.debugf("SSO OIDC refused the stored client registration (%v); registering a new one", err)
			if _, err := c.forgetClient(ctx, s, key, nil, ""); err != nil {
				return nil, err
			}
			if reg, err = c.register(ctx, s, pkce); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		st := newStoredToken(s, reg.ClientID, tok)
		if err := c.keep(ctx, key, st); err != nil {
			return nil, err
		}
		if err := c.export(ctx, s, key, st); err != nil {
			return nil, err
		}
		c.signedIn = true
		if c.Notify != nil {
			c.Notify(tokenInfo(st).Line("signed in to", s))
		}
		return st, nil
	}
}

// register registers a new public client and stores it.
func (c *Cache) register(ctx context.Context, s Session, pkce bool) (*storedRegistration, error) {
	c.debugf("registering a public client (pkce=%t)", pkce)
	r, err := c.sso().Register(ctx, s.Scopes, pkce, s.StartURL)
	if err != nil {
		return nil, &stepError{step: stepSignIn, err: fmt.Errorf("register the client: %w", err)}
	}
	c.registered = true
	reg := newStoredRegistration(s, r)
	if err := c.keep(ctx, s.registrationKey(), reg); err != nil {
		return nil, err
	}
	return reg, nil
}

// signIn runs the browser or device-code flow with reg, bounded by the
// login timeout.
func (c *Cache) signIn(ctx context.Context, s Session, reg *storedRegistration, pkce bool) (*sso.Token, error) {
	lctx, cancel := context.WithTimeout(ctx, c.Policy.LoginTimeout)
	defer cancel()
	o := sso.LoginOptions{StartURL: s.StartURL, Scopes: s.Scopes, Browser: c.Browser, Notify: c.Notify, Now: c.Now}
	if c.Notify != nil {
		c.Notify(fmt.Sprintf("signing in to %s (waiting up to %s)", s.StartURL, c.Policy.LoginTimeout))
	}
	if c.OnSignIn != nil {
		dl, _ := lctx.Deadline()
		c.OnSignIn(dl)
	}
	var (
		tok *sso.Token
		err error
	)
	if pkce {
		tok, err = c.sso().LoginPKCE(lctx, reg.registration(), o)
	} else {
		tok, err = c.sso().LoginDevice(lctx, reg.registration(), o)
	}
	switch {
	case err == nil:
		return tok, nil
	case sso.IsClientRejected(err):
		return nil, err
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
		return nil, &stepError{step: stepSignIn, err: &LoginTimeoutError{Timeout: c.Policy.LoginTimeout, Err: err}}
	}
	return nil, &stepError{step: stepSignIn, err: fmt.Errorf("sign in to %s: %w", s.StartURL, err)}
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

// lockWaitNote is how long a copy waits for a lock before it tells the
// user why it is waiting (a peer is most likely waiting for a sign-in).
var lockWaitNote = time.Second

// lock takes the lock called name; when that takes longer than
// lockWaitNote it tells the user, once per run, that it is waiting for
// another sso-credproc.
func (c *Cache) lock(ctx context.Context, name string, s Session) (Lease, error) {
	if c.Notify == nil {
		return c.Locks.Lock(ctx, name)
	}
	t := time.AfterFunc(lockWaitNote, func() {
		c.waitNote.Do(func() {
			c.Notify(fmt.Sprintf("waiting for another sso-credproc that is signing in to %s (or renewing its credentials)", s.StartURL))
		})
	})
	defer t.Stop()
	return c.Locks.Lock(ctx, name)
}

// peerNews returns the failure to leave for the next holder of a lock: nil
// for a call that was cancelled (a signal, a caller that gave up), which
// says nothing about whether the next one can succeed.
func peerNews(err error) error {
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// What a failure was about, as the next holder of the lock reports it.
const (
	stepSignIn          = "sign in"
	stepRefresh         = "refresh the SSO token"
	stepRoleCredentials = "get role credentials"
)

// stepError marks err with the step that failed; its message is err's.
type stepError struct {
	step string
	err  error
}

func (e *stepError) Error() string { return e.err.Error() }
func (e *stepError) Unwrap() error { return e.err }

// failedStep returns the step err says failed, and the message to pass on:
// for a PeerError the first cause, never a chain of peers.
func failedStep(err error) (step, msg string) {
	var pe *PeerError
	if errors.As(err, &pe) {
		return pe.What, pe.Msg
	}
	step = stepRoleCredentials
	var se *stepError
	if errors.As(err, &se) {
		step = se.step
	}
	return step, err.Error()
}

// peerFailure returns a PeerError when the lock's previous holder failed
// after this call began: another copy just tried the same thing and failed
// (often: the user did not finish the sign-in), so this one does not open
// one more browser tab or hammer the service. A failure from before this
// call began is history; this call tries again. what is used when the
// holder did not say which step failed.
func (c *Cache) peerFailure(lease Lease, what string) error {
	if f := lease.PrevFailure(); f != nil && f.At.After(c.start) {
		return &PeerError{What: cmp.Or(f.Step, what), Msg: f.Msg}
	}
	return nil
}

// PeerError reports that another sso-credproc process, which this one
// waited for, failed: What is the step that failed ("sign in", "refresh the
// SSO token", "get role credentials"), Msg the first cause, one line.
type PeerError struct{ What, Msg string }

func (e *PeerError) Error() string {
	return fmt.Sprintf("another sso-credproc running at the same time failed to %s: %s", e.What, e.Msg)
}

// ClientRejectedError says that SSO OIDC refused a client registration it
// had just issued, so registering once more would not help.
type ClientRejectedError struct {
	StartURL string
	Err      error
}

func (e *ClientRejectedError) Error() string {
	return fmt.Sprintf("IAM Identity Center refused the client it has just registered for %s: %v", e.StartURL, e.Err)
}

func (e *ClientRejectedError) Unwrap() error { return e.Err }

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
