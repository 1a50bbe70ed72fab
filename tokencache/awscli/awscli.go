// Package awscli reads and writes the AWS CLI's SSO token cache,
// ~/.aws/sso/cache/<sha1 hex>.json, for sso-credproc's two opt-in bridges
// to it:
//
//   - `login --from-aws-cli` imports a token that `aws sso login` left there
//     into the keychain (Read, Token.Valid, Token.SSOToken,
//     Token.SSORegistration).
//   - `login --export-aws-cli-cache` (or sso_credproc_export_aws_cli_cache =
//     true) also writes the keychain's token there, for tools that read only
//     that file, such as the Session Manager plugin and older SDKs (New,
//     Write); `logout` removes it again, but only while it still holds the
//     token sso-credproc wrote (Remove).
//
// These files hold bearer tokens in plaintext, protected only by their mode
// (0600), which is why sso-credproc touches them only when asked to. No
// error of this package carries a token, a secret or any other value read
// from a file: errors name the file and the JSON field.
//
// The format is the AWS CLI v2's. Sources, cited by the functions below:
//
//   - aws-cli v2, awscli/customizations/sso/utils.py: SSO_TOKEN_DIR
//     (~/.aws/sso/cache), do_sso_login (a botocore JSONFileCache with
//     _sso_json_dumps), _serialize_utc_timestamp ("%Y-%m-%dT%H:%M:%SZ").
//   - aws-cli v2, awscli/botocore/utils.py: SSOTokenFetcher._token_cache_key
//     (the file name), SSOTokenFetcher._create_token_attempt and
//     SSOTokenFetcherAuth._create_token_ (the fields and their order, the
//     same for the device code and the authorization code).
//   - aws-cli v2, awscli/botocore/utils.py: JSONFileCache.__setitem__ writes
//     the file in place: os.open(O_WRONLY|O_CREAT, 0o600), truncate, write;
//     the directory comes from os.makedirs with no mode.
//   - botocore, botocore/utils.py: SSOTokenLoader (a reader needs accessToken
//     and expiresAt); JSONFileCache.__setitem__ (since boto/botocore#3597,
//     late 2025, e.g. 1.43: a tempfile.mkstemp file, fsynced, os.replace'd
//     over the old one; before, e.g. Debian's 1.29: in place as above).
//   - botocore, botocore/tokens.py: SSOTokenProvider._refresh_access_token
//     (to refresh, a reader needs refreshToken, clientId, clientSecret and a
//     registrationExpiresAt in the future).
//   - aws-sdk-go-v2, credentials/ssocreds/sso_cached_token.go:
//     loadCachedToken (accessToken and an RFC 3339 expiresAt), and
//     sso_token_provider.go: refreshToken (needs clientId, clientSecret and
//     refreshToken; rewrites the file keeping its mode).
package awscli

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"time"

	"github.com/sso-credproc/sso-credproc/sso"
)

// Token is one cache file's content: an SSO access token with, when the
// file carries them, the refresh token and the client registration it was
// issued to. The JSON field of each is in its comment. Times are UTC; the
// file keeps whole seconds.
type Token struct {
	StartURL string // "startUrl": the IAM Identity Center start URL
	Region   string // "region": the IAM Identity Center region

	AccessToken string    // "accessToken" (secret)
	ExpiresAt   time.Time // "expiresAt"

	ClientID              string    // "clientId": the OIDC client the tokens were issued to
	ClientSecret          string    // "clientSecret" (secret)
	RegistrationExpiresAt time.Time // "registrationExpiresAt": when ClientSecret expires
	RefreshToken          string    // "refreshToken" (secret); "" when none was issued
}

// The JSON field names, as the AWS CLI writes them.
const (
	fieldStartURL              = "startUrl"
	fieldRegion                = "region"
	fieldAccessToken           = "accessToken"
	fieldExpiresAt             = "expiresAt"
	fieldClientID              = "clientId"
	fieldClientSecret          = "clientSecret"
	fieldRegistrationExpiresAt = "registrationExpiresAt"
	fieldRefreshToken          = "refreshToken"
)

// CacheKey returns the file name's stem: the lowercase hex SHA-1 of the
// UTF-8 sso-session name, or of the start URL when sessionName is "" (a
// legacy profile with sso_start_url on the profile itself). Source:
// SSOTokenFetcher._token_cache_key and SSOTokenLoader._generate_cache_key
// (botocore/utils.py); ssocreds.StandardCachedTokenFilepath in the Go SDK.
// Both are used as written: no trimming, no case folding, no trailing "/"
// removed.
func CacheKey(sessionName, startURL string) string {
	key := startURL
	if sessionName != "" {
		key = sessionName
	}
	sum := sha1.Sum([]byte(key))
	return hex.EncodeToString(sum[:])
}

// Dir returns home/.aws/sso/cache, the AWS CLI's SSO_TOKEN_DIR
// (awscli/customizations/sso/utils.py) and botocore's
// SSOTokenProvider._SSO_TOKEN_CACHE_DIR. No variable moves it.
func Dir(home string) string {
	return filepath.Join(home, ".aws", "sso", "cache")
}

// Path returns the cache file for an sso-session (sessionName), or for a
// legacy profile's start URL when sessionName is "":
// home/.aws/sso/cache/<CacheKey>.json. home is the directory the AWS CLI
// would expand "~" to; profile.HomeDir(os.Getenv) gives it.
func Path(home, sessionName, startURL string) string {
	return filepath.Join(Dir(home), CacheKey(sessionName, startURL)+".json")
}

// New builds the Token sso-credproc exports for a session: its start URL
// and region, the keychain's token and, when reg is not nil, the client
// registration the token was issued to.
//
// With the registration and a refresh token in the file, botocore refreshes
// the token itself in the last 15 minutes before it expires
// (SSOTokenProvider._REFRESH_WINDOW), as the Go SDK does once it has
// expired, and each such refresh may rotate the refresh token that
// sso-credproc keeps too. Export WithoutRefresh() to let readers use the
// access token only.
func New(startURL, region string, tok *sso.Token, reg *sso.Registration) *Token {
	t := &Token{
		StartURL:     startURL,
		Region:       region,
		AccessToken:  tok.AccessToken,
		ExpiresAt:    tok.ExpiresAt.UTC(),
		RefreshToken: tok.RefreshToken,
	}
	if reg != nil {
		t.ClientID = reg.ClientID
		t.ClientSecret = reg.ClientSecret
		t.RegistrationExpiresAt = reg.ExpiresAt.UTC()
	}
	return t
}

// WithoutRefresh returns a copy of t without the refresh token and the
// client registration, so that no reader of the file can refresh it: botocore
// then logs "missing keys" and uses the access token until it expires, the
// Go SDK returns an error once it has expired.
func (t *Token) WithoutRefresh() *Token {
	c := *t
	c.RefreshToken, c.ClientID, c.ClientSecret, c.RegistrationExpiresAt = "", "", "", time.Time{}
	return &c
}

// Valid reports whether the access token can still be used at now for at
// least skew more: it is set and ExpiresAt is after now+skew. This is the
// caller's decision; Read returns expired tokens too. (botocore's
// SSOTokenProvider refreshes within 15 minutes of ExpiresAt; its
// SSOTokenFetcher treats a token as expired within the same 15 minutes.)
func (t *Token) Valid(now time.Time, skew time.Duration) bool {
	return t.AccessToken != "" && t.ExpiresAt.After(now.Add(skew))
}

// CanRefresh reports whether the file carries what a refresh needs at now:
// a refresh token, the client ID and secret, and a registration that has
// not expired. It is botocore's rule (SSOTokenProvider._refresh_access_token,
// botocore/tokens.py); the Go SDK does not look at registrationExpiresAt.
func (t *Token) CanRefresh(now time.Time) bool {
	return t.RefreshToken != "" && t.ClientID != "" && t.ClientSecret != "" && t.RegistrationExpiresAt.After(now)
}

// CheckSession returns an error naming the field when the file's start URL
// or region is set and differs from startURL or region: the token was issued
// for another IAM Identity Center instance (an sso-session whose start URL
// changed since `aws sso login`). A field the file lacks is not checked:
// neither botocore nor the Go SDK requires them, and the Go SDK's writer
// does not add them. The values compared are not secrets and are quoted.
func (t *Token) CheckSession(startURL, region string) error {
	if t.StartURL != "" && t.StartURL != startURL {
		return fmt.Errorf("the AWS CLI's token is for start URL %q (field %q), not %q", t.StartURL, fieldStartURL, startURL)
	}
	if t.Region != "" && t.Region != region {
		return fmt.Errorf("the AWS CLI's token is for region %q (field %q), not %q", t.Region, fieldRegion, region)
	}
	return nil
}

// SSOToken returns the access and refresh tokens in the form the keychain
// cache keeps (tokencache stores an *sso.Token).
func (t *Token) SSOToken() *sso.Token {
	return &sso.Token{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, ExpiresAt: t.ExpiresAt}
}

// SSORegistration returns the client registration the file carries, or nil
// when it lacks the client ID or secret. The file records neither the
// registration's scopes nor its grant types (botocore keeps them in a
// separate registration file), so both are nil; ExpiresAt is zero when the
// file has no registrationExpiresAt. A refresh token works only with the
// client it was issued to, so an imported refresh token needs this
// registration.
func (t *Token) SSORegistration() *sso.Registration {
	if t.ClientID == "" || t.ClientSecret == "" {
		return nil
	}
	return &sso.Registration{ClientID: t.ClientID, ClientSecret: t.ClientSecret, ExpiresAt: t.RegistrationExpiresAt}
}

// String describes t without its secrets, so that a Token printed by
// mistake (%v, %+v, %s) leaks nothing.
func (t Token) String() string {
	return fmt.Sprintf("awscli.Token{StartURL:%q Region:%q AccessToken:%s ExpiresAt:%s ClientID:%q ClientSecret:%s RegistrationExpiresAt:%s RefreshToken:%s}",
		t.StartURL, t.Region, redacted(t.AccessToken), t.ExpiresAt.Format(time.RFC3339), t.ClientID,
		redacted(t.ClientSecret), t.RegistrationExpiresAt.Format(time.RFC3339), redacted(t.RefreshToken))
}

// GoString is String, for %#v.
func (t Token) GoString() string { return t.String() }

func redacted(s string) string {
	if s == "" {
		return `""`
	}
	return "<redacted>"
}
