package tokencache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sso-credproc/sso-credproc/keychain"
	"github.com/sso-credproc/sso-credproc/sso"
)

// Keychain keys are derived from the sso-session (or the start URL of a
// legacy profile), the region, and for role credentials the account and role.

func (s Session) base() string {
	if s.Name != "" {
		return "sso-session:" + keyText(s.Name) + "|" + s.Region
	}
	return "start-url:" + keyText(s.StartURL) + "|" + s.Region
}

// keyText makes a name fit a keychain key (printable ASCII): bytes outside
// it and '%' are percent-encoded, so that an sso-session named in any
// script (botocore accepts them) has items of its own. Printable ASCII
// names are unchanged.
func keyText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '%' {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

func (s Session) registrationKey() string { return s.base() + "|registration" }
func (s Session) tokenKey() string        { return s.base() + "|token" }
func (t Target) credentialsKey() string {
	return t.base() + "|" + t.AccountID + "|" + t.RoleName + "|credentials"
}

// The stored forms are this package's own, versioned; SDK types are never
// persisted. An item that does not decode, or has another version, is a miss
// and gets overwritten.
const storeVersion = 1

type stored interface {
	valid() bool
	// plausible reports whether what the item says of its lifetime could
	// have come from the service (sso.MaxRegistration and friends): an
	// item from an older version, or one planted in the keychain, that
	// claims more is a miss, never served.
	plausible(now time.Time) bool
}

func (r *storedRegistration) plausible(now time.Time) bool {
	return !r.ExpiresAt.After(now.Add(sso.MaxRegistration))
}

func (t *storedToken) plausible(now time.Time) bool {
	return !t.ExpiresAt.After(now.Add(sso.MaxTokenLifetime + 15*time.Minute))
}

func (c *storedCredentials) plausible(now time.Time) bool {
	return !c.Expiration.After(now.Add(sso.MaxRoleSession))
}

type storedRegistration struct {
	Version      int       `json:"version"`
	StartURL     string    `json:"startUrl"`
	Region       string    `json:"region"`
	ClientID     string    `json:"clientId"`
	ClientSecret string    `json:"clientSecret"`
	ExpiresAt    time.Time `json:"expiresAt"`
	Scopes       []string  `json:"scopes,omitempty"`
	GrantTypes   []string  `json:"grantTypes,omitempty"`
}

func newStoredRegistration(s Session, r *sso.Registration) *storedRegistration {
	return &storedRegistration{
		Version: storeVersion, StartURL: s.StartURL, Region: s.Region,
		ClientID: r.ClientID, ClientSecret: r.ClientSecret, ExpiresAt: r.ExpiresAt,
		Scopes: r.Scopes, GrantTypes: r.GrantTypes,
	}
}

func (r *storedRegistration) valid() bool {
	return r.Version == storeVersion && r.ClientID != "" && r.ClientSecret != "" && !r.ExpiresAt.IsZero()
}

// fits reports whether the registration serves a login of the given kind
// with these scopes for at least another hour.
func (r *storedRegistration) fits(pkce bool, scopes []string, now time.Time) bool {
	hasCode := false
	for _, g := range r.GrantTypes {
		if g == sso.GrantAuthorizationCode {
			hasCode = true
		}
	}
	return hasCode == pkce && sameScopes(r.Scopes, scopes) && r.ExpiresAt.After(now.Add(time.Hour))
}

func (r *storedRegistration) registration() *sso.Registration {
	return &sso.Registration{ClientID: r.ClientID, ClientSecret: r.ClientSecret, ExpiresAt: r.ExpiresAt, Scopes: r.Scopes, GrantTypes: r.GrantTypes}
}

type storedToken struct {
	Version      int       `json:"version"`
	StartURL     string    `json:"startUrl"`
	Region       string    `json:"region"`
	ClientID     string    `json:"clientId"`
	AccessToken  string    `json:"accessToken"`
	ExpiresAt    time.Time `json:"expiresAt"`
	RefreshToken string    `json:"refreshToken,omitempty"`
	// Exported is the access token last written to the AWS CLI's cache
	// file, so that logout removes that file only if it still holds it.
	Exported string `json:"exportedAccessToken,omitempty"`
}

func newStoredToken(s Session, clientID string, t *sso.Token) *storedToken {
	return &storedToken{
		Version: storeVersion, StartURL: s.StartURL, Region: s.Region, ClientID: clientID,
		AccessToken: t.AccessToken, ExpiresAt: t.ExpiresAt, RefreshToken: t.RefreshToken,
	}
}

func (t *storedToken) valid() bool {
	return t.Version == storeVersion && t.AccessToken != "" && !t.ExpiresAt.IsZero()
}

type storedCredentials struct {
	Version         int       `json:"version"`
	StartURL        string    `json:"startUrl"`
	AccountID       string    `json:"accountId"`
	RoleName        string    `json:"roleName"`
	AccessKeyID     string    `json:"accessKeyId"`
	SecretAccessKey string    `json:"secretAccessKey"`
	SessionToken    string    `json:"sessionToken"`
	Expiration      time.Time `json:"expiration"`
}

func newStoredCredentials(t Target, c *Credentials) *storedCredentials {
	return &storedCredentials{
		Version: storeVersion, StartURL: t.StartURL, AccountID: t.AccountID, RoleName: t.RoleName,
		AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken, Expiration: c.Expiration,
	}
}

func (c *storedCredentials) valid() bool {
	return c.Version == storeVersion && c.AccessKeyID != "" && c.SecretAccessKey != "" && c.SessionToken != "" && !c.Expiration.IsZero()
}

func (c *storedCredentials) credentials() *Credentials {
	return &Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken, Expiration: c.Expiration, AccountID: c.AccountID}
}

// get reads key into v. A missing, corrupt or undecodable item is a miss
// (false, nil); an unreachable keychain is an error.
func (c *Cache) get(ctx context.Context, key string, v stored) (bool, error) {
	ok, damage, err := c.read(ctx, key, v)
	if damage != "" {
		c.debugf("keychain item %q %s; it will be replaced", key, damage)
	}
	return ok, err
}

// read reads key into v: ok when v holds a valid item; damage says why an
// item that is there cannot be used ("is corrupt", "does not decode"), ""
// when it is fine or missing; err is an unreachable keychain.
func (c *Cache) read(ctx context.Context, key string, v stored) (ok bool, damage string, err error) {
	b, err := c.Store.Get(ctx, key)
	switch {
	case errors.Is(err, keychain.ErrNotFound):
		return false, "", nil
	case errors.Is(err, keychain.ErrCorrupt):
		return false, "is corrupt", nil
	case err != nil:
		return false, "", &StoreError{Op: "read", Key: key, Err: err}
	}
	if err := json.Unmarshal(b, v); err != nil || !v.valid() {
		return false, "does not decode", nil
	}
	if !v.plausible(c.now()) {
		return false, "claims an impossible lifetime", nil
	}
	return true, "", nil
}

// keep writes v under key. The write runs to its end even when ctx is
// cancelled (a signal, a caller giving up), bounded by issueTimeout: it
// holds what the service has just issued, which may exist nowhere else (a
// rotated refresh token revokes the old one).
func (c *Cache) keep(ctx context.Context, key string, v stored) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	dctx, cancel := detached(ctx, issueTimeout)
	defer cancel()
	if err := c.Store.Set(dctx, key, b); err != nil {
		return &StoreError{Op: "write", Key: key, Err: err}
	}
	return nil
}

// remove deletes key, to its end like keep: a half-done clean-up would
// leave a registration the service has refused.
func (c *Cache) remove(ctx context.Context, key string) error {
	dctx, cancel := detached(ctx, issueTimeout)
	defer cancel()
	if err := c.Store.Delete(dctx, key); err != nil {
		return &StoreError{Op: "delete", Key: key, Err: err}
	}
	return nil
}

// StoreError is a keychain failure; it never carries the value.
type StoreError struct {
	Op, Key string
	Err     error
}

func (e *StoreError) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("the keychain cannot store sso-credproc's items (service %s): %v", keychain.Service, e.Err)
	}
	return fmt.Sprintf("%s keychain item %q (service %s): %v", e.Op, e.Key, keychain.Service, e.Err)
}

func (e *StoreError) Unwrap() error { return e.Err }
