// Package sso holds what sso-credproc knows of IAM Identity Center that
// needs no SDK: the values exchanged (registration, token, role
// credentials), the service's error codes, PKCE and the device-code polling
// rules. The calls themselves are made by package sso/awssdk over the
// aws-sdk-go-v2 clients; keeping them apart keeps the SDK (and its start-up
// cost) out of the warm path, which never talks to the network.
package sso

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// ClientName is the name under which sso-credproc registers its public client.
const ClientName = "sso-credproc"

// Grant types of SSO OIDC CreateToken.
const (
	GrantDeviceCode        = "urn:ietf:params:oauth:grant-type:device_code"
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
)

// Bounds on lifetimes the service states, shared by the client that checks
// its answers and the cache that checks what it reads back from the
// keychain (an item written by an older version, or by someone else).
const (
	// MaxRegistration bounds a client registration's clientSecretExpiresAt:
	// SSO OIDC registers clients for 90 days (RegisterClient, IAM Identity
	// Center docs); one more day allows for clock skew.
	MaxRegistration = 91 * 24 * time.Hour
	// MaxRoleSession bounds role credentials' expiration: at most 12 hours
	// (the longest permission-set session duration, IAM Identity Center
	// docs) plus 15 minutes of clock skew.
	MaxRoleSession = 12*time.Hour + 15*time.Minute
	// MaxTokenLifetime caps an access token's expiresIn (IAM Identity
	// Center issues tokens of hours); a longer one is refreshed earlier.
	MaxTokenLifetime = 24 * time.Hour
)

// Clip returns s cut to at most max runes (max >= 1), "…" marking a cut,
// with invalid UTF-8 replaced by U+FFFD: text from elsewhere (a service's
// error message, a lock note) bounded before it is shown or kept.
func Clip(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max-1]) + "…"
}

// RedirectURI is the redirect URI registered for the PKCE flow; loopback
// redirects match whatever port is used at login time (RFC 8252 §7.3).
const RedirectURI = "http://127.0.0.1/oauth/callback"

// Registration is a registered public OIDC client.
type Registration struct {
	ClientID     string
	ClientSecret string
	ExpiresAt    time.Time
	Scopes       []string
	GrantTypes   []string
}

// Token is an SSO access token, with its refresh token when one was issued.
type Token struct {
	AccessToken  string
	RefreshToken string
	ExpiresAt    time.Time
}

// RoleCredentials are temporary AWS credentials for one account and role.
type RoleCredentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
}

// Assignment is one account and role (permission set) the signed-in user
// can reach, from the portal's ListAccounts and ListAccountRoles.
type Assignment struct {
	AccountID    string `json:"accountId"`
	AccountName  string `json:"accountName"`
	RoleName     string `json:"roleName"`
	EmailAddress string `json:"emailAddress"`
}

// Error codes beyond the service's exception names.
const (
	CodeMalformed = "MalformedAnswer"
	CodeTimeout   = "Timeout"
	// CodeUnreachable: no HTTP answer at all (connection refused, a name
	// that does not resolve, an untrusted certificate, a proxy failure).
	CodeUnreachable = "Unreachable"
)

// Error is a failed IAM Identity Center call. Code is the service's exception
// name (e.g. "InvalidGrantException") when it sent one.
type Error struct {
	Op      string
	Code    string
	Message string
	Err     error
}

func (e *Error) Error() string {
	msg := e.Op + ": "
	switch {
	case (e.Code == CodeUnreachable || e.Code == CodeTimeout) && e.Message != "":
		msg += e.Message
	case e.Code != "" && e.Message != "":
		msg += e.Code + ": " + e.Message
	case e.Code != "":
		msg += e.Code
	case e.Err != nil:
		msg += e.Err.Error()
	default:
		msg += "failed"
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// HasCode reports whether err is an *Error with one of the given codes.
func HasCode(err error, codes ...string) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	for _, c := range codes {
		if e.Code == c {
			return true
		}
	}
	return false
}

// IsSessionGone reports whether err means the refresh token (or the grant
// being redeemed) can no longer be used, so a new sign-in is needed. The
// client registration itself was accepted; see IsClientRejected.
func IsSessionGone(err error) bool {
	return HasCode(err, "InvalidGrantException", "ExpiredTokenException", "AccessDeniedException")
}

// IsClientRejected reports whether SSO OIDC refused the client registration
// itself: InvalidClientException (the service does not know the client, or
// its secret has expired, RFC 6749 §5.2 invalid_client) or
// UnauthorizedClientException (the client may not use this grant,
// unauthorized_client). The registration must be replaced before any
// sign-in is started with it.
func IsClientRejected(err error) bool {
	return HasCode(err, "InvalidClientException", "UnauthorizedClientException")
}

// IsUnauthorized reports whether the portal rejected the access token.
func IsUnauthorized(err error) bool {
	return HasCode(err, "UnauthorizedException")
}

// Browser opens a URL for the user.
type Browser interface {
	Open(url string) error
}

// LoginOptions are what both login flows need besides the registration.
type LoginOptions struct {
	StartURL string
	Scopes   []string
	// Browser opens the sign-in page; nil means only show the URL.
	Browser Browser
	// Notify shows one line to the user (never stdout).
	Notify func(msg string)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// After is the poller's timer; nil means time.After. Tests replace it.
	After func(d time.Duration) <-chan time.Time
}

// Time is the login's clock.
func (o *LoginOptions) Time() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// Tell shows the user one line.
func (o *LoginOptions) Tell(format string, args ...any) {
	if o.Notify != nil {
		o.Notify(fmt.Sprintf(format, args...))
	}
}

// Open opens the browser if there is one and says what the user has to do.
func (o *LoginOptions) Open(u string) {
	if o.Browser == nil {
		o.Tell("open this URL in a browser to sign in: %s", u)
		return
	}
	if err := o.Browser.Open(u); err != nil {
		o.Tell("could not open a browser (%v); open this URL to sign in: %s", err, u)
		return
	}
	o.Tell("a browser was opened to sign in; if it did not appear, open: %s", u)
}

// Verifier is a PKCE code verifier and its S256 challenge.
type Verifier struct {
	Verifier  string
	Challenge string
}

// NewVerifier returns a random verifier of 86 characters from the
// unreserved set (RFC 7636 §4.1) and its S256 challenge.
func NewVerifier() (Verifier, error) {
	b := make([]byte, 64)
	if _, err := rand.Read(b); err != nil {
		return Verifier{}, err
	}
	v := base64.RawURLEncoding.EncodeToString(b)
	return Verifier{Verifier: v, Challenge: S256(v)}, nil
}

// S256 is base64url(SHA-256(verifier)) without padding.
func S256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// RandomString returns n random bytes, base64url-encoded.
func RandomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// PollDevice calls poll until it returns a token or a final error: at once,
// then every interval (5 s when zero); AuthorizationPending keeps polling,
// SlowDown adds 5 s to the interval for good, ExpiredToken and AccessDenied
// stop. expiresIn (when > 0) bounds the whole wait, as does ctx. after is the
// timer (time.After when nil).
func PollDevice(ctx context.Context, interval, expiresIn time.Duration, after func(time.Duration) <-chan time.Time, poll func(context.Context) (*Token, error)) (*Token, error) {
	if interval <= 0 {
		interval = 5 * time.Second
	}
	if after == nil {
		after = time.After
	}
	if expiresIn > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, expiresIn)
		defer cancel()
	}
	for {
		tok, err := poll(ctx)
		switch {
		case err == nil:
			return tok, nil
		case HasCode(err, "AuthorizationPendingException"):
		case HasCode(err, "SlowDownException"):
			interval += 5 * time.Second
		case HasCode(err, "ExpiredTokenException"):
			return nil, fmt.Errorf("the sign-in code expired before it was approved; run the command again: %w", err)
		case HasCode(err, "AccessDeniedException"):
			return nil, fmt.Errorf("sign-in was refused in the browser: %w", err)
		default:
			if ctx.Err() != nil {
				return nil, fmt.Errorf("waiting for the sign-in to be approved: %w", ctx.Err())
			}
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for the sign-in to be approved: %w", ctx.Err())
		case <-after(interval):
		}
	}
}
