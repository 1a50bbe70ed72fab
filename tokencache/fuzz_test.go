package tokencache

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sso-credproc/sso-credproc/keychain"
	"github.com/sso-credproc/sso-credproc/sso"
)

// The stored items' fixtures (testdata/items) are items as this version
// writes them for sessionTarget; the fuzz targets start from them.
var fuzzNow = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func readItem(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "items", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// itemCache returns a Cache over an in-memory keychain whose items are at
// most 512 bytes (so that long items are chunked, as on macOS and
// Windows), with item stored under key as a keychain.Store writes it.
func itemCache(t *testing.T, key string, item []byte) *Cache {
	t.Helper()
	store := keychain.New(keychain.NewMemory(0), keychain.Service, 512)
	if err := store.Set(context.Background(), key, item); err != nil {
		t.Fatalf("storing the item: %v", err)
	}
	return &Cache{Store: store, Policy: DefaultPolicy, Now: func() time.Time { return fuzzNow }}
}

// itemSeeds adds the fixture and variants of it that each break one rule
// of the stored form.
func itemSeeds(f *testing.F, name string) {
	item := readItem(f, name)
	f.Add(item)
	for _, r := range [][2]string{
		{`"version":1`, `"version":2`},
		{`"version":1`, `"version":"1"`},
		{`Z"`, `+23:59"`},
		{`Z"`, `-23:59"`},
		{`"eu-west-1"`, `"us-east-1"`},
		{`https://d-abc.awsapps.com/start`, `https://other.awsapps.com/start`},
		{`"111122223333"`, `"444455556666"`},
		{`"fixture-`, `"`},
		{`}`, `,"extra":[1,{"x":null}]}`},
		{`{`, `[{`},
	} {
		f.Add(bytes.Replace(item, []byte(r[0]), []byte(r[1]), 1))
	}
	// The expiry zero, impossible, and later than the service grants.
	stamp := regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d`)
	for _, t := range []string{"0001-01-01T00:00:00", "2026-13-02T03:04:05", "2099-01-01T00:00:00", "2026-11-29T12:15:00"} {
		f.Add(stamp.ReplaceAll(item, []byte(t)))
	}
	// Each string field empty in turn.
	for _, m := range regexp.MustCompile(`"[A-Za-z]+":"[^"]+"`).FindAllIndex(item, -1) {
		field := item[m[0]:m[1]]
		name := string(field[:bytes.Index(field, []byte(`":"`))])
		blank := []byte(name + `":""`)
		f.Add(bytes.Replace(item, field, blank, 1))
	}
	f.Add([]byte(`null`))
	f.Add([]byte(`{}`))
	f.Add([]byte(strings.Repeat(`{"a":`, 100)))
}

// sameJSON fails t unless a and b encode to the same JSON.
func sameJSON(t *testing.T, what string, a, b any) {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatalf("%s: an item that was read cannot be written back: %v", what, err)
	}
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Fatalf("%s: read back as %s, want %s", what, jb, ja)
	}
}

// FuzzTokenItem reads any token item as the cache does (loadToken): it
// never panics and never fails, since an item that does not decode is a
// miss; a token it returns is valid, claims no longer a lifetime than the
// service grants, belongs to the session asked for, and reads back the same
// once the cache writes it again (as logout and the AWS CLI export do).
func FuzzTokenItem(f *testing.F) {
	itemSeeds(f, "token.json")
	s := sessionTarget.Session
	f.Fuzz(func(t *testing.T, item []byte) {
		ctx := context.Background()
		c := itemCache(t, s.tokenKey(), item)
		tok, err := c.loadToken(ctx, s.tokenKey(), s)
		if err != nil {
			t.Fatalf("loadToken: %v: an undecodable item is a miss, not an error", err)
		}
		if tok == nil {
			return
		}
		if !tok.valid() || !tok.plausible(fuzzNow) || tok.StartURL != s.StartURL || tok.Region != s.Region {
			t.Fatalf("loadToken accepted %+v for session %+v", tok, s)
		}
		if err := c.keep(ctx, s.tokenKey(), tok); err != nil {
			t.Fatalf("writing the token back: %v", err)
		}
		again, err := c.loadToken(ctx, s.tokenKey(), s)
		if err != nil || again == nil {
			t.Fatalf("the token written back does not read: %v", err)
		}
		sameJSON(t, "token", tok, again)
	})
}

// FuzzRegistrationItem reads any client registration item as a sign-in
// does (registration, forLogin): it never panics or fails; a registration
// it returns is valid, no longer-lived than the service grants, and reads
// back the same once written again.
func FuzzRegistrationItem(f *testing.F) {
	itemSeeds(f, "registration.json")
	s := sessionTarget.Session
	f.Fuzz(func(t *testing.T, item []byte) {
		ctx := context.Background()
		c := itemCache(t, s.registrationKey(), item)
		reg, err := c.registration(ctx, s, true)
		if err != nil {
			t.Fatalf("registration: %v: an undecodable item is a miss, not an error", err)
		}
		if reg == nil {
			return
		}
		if !reg.valid() || !reg.plausible(fuzzNow) {
			t.Fatalf("registration accepted %+v", reg)
		}
		// What a refresh or sign-in takes from it.
		if r := reg.registration(); r.ClientID != reg.ClientID || r.ClientSecret != reg.ClientSecret || !r.ExpiresAt.Equal(reg.ExpiresAt) {
			t.Fatalf("registration() = %+v from %+v", r, reg)
		}
		if err := c.keep(ctx, s.registrationKey(), reg); err != nil {
			t.Fatalf("writing the registration back: %v", err)
		}
		again, err := c.registration(ctx, s, true)
		if err != nil || again == nil {
			t.Fatalf("the registration written back does not read: %v", err)
		}
		sameJSON(t, "registration", reg, again)
	})
}

// FuzzCredentialsItem reads any role credentials item as the warm path does
// (Cached): it never panics or fails; credentials it returns are complete,
// for the role asked for, fresh by the policy, no longer-lived than a role
// session can be, and the cache writes them back (newStoredCredentials) so
// that they read the same.
func FuzzCredentialsItem(f *testing.F) {
	itemSeeds(f, "credentials.json")
	tg := sessionTarget
	f.Fuzz(func(t *testing.T, item []byte) {
		ctx := context.Background()
		c := itemCache(t, tg.credentialsKey(), item)
		cr, err := c.Cached(ctx, tg)
		if err != nil {
			t.Fatalf("Cached: %v: an undecodable item is a miss, not an error", err)
		}
		if cr == nil {
			return
		}
		if cr.AccessKeyID == "" || cr.SecretAccessKey == "" || cr.SessionToken == "" || cr.AccountID != tg.AccountID {
			t.Fatalf("Cached returned incomplete or foreign credentials %+v for %+v", cr, tg)
		}
		if left := cr.Expiration.Sub(fuzzNow); left <= c.Policy.MinCredentialTTL+c.Policy.ClockSkew || left > sso.MaxRoleSession {
			t.Fatalf("Cached returned credentials with %v left", left)
		}
		if err := c.keep(ctx, tg.credentialsKey(), newStoredCredentials(tg, cr)); err != nil {
			t.Fatalf("writing the credentials back: %v", err)
		}
		again, err := c.Cached(ctx, tg)
		if err != nil || again == nil {
			t.Fatalf("the credentials written back do not read: %v", err)
		}
		sameJSON(t, "credentials", cr, again)
	})
}

// TestStoredItemFixtures: the items this version writes (testdata/items)
// still read, field for field, so that a change of the stored form that
// would turn every user's cached items into misses (a sign-in for all)
// fails here first.
func TestStoredItemFixtures(t *testing.T) {
	ctx := context.Background()
	s := sessionTarget.Session
	exp := time.Date(2026, 11, 29, 20, 0, 0, 0, time.UTC)

	tok, err := itemCache(t, s.tokenKey(), readItem(t, "token.json")).loadToken(ctx, s.tokenKey(), s)
	if err != nil || tok == nil || tok.ClientID != "client-1" || tok.AccessToken != "fixture-access-token" ||
		tok.RefreshToken != "fixture-refresh-token" || tok.Exported != "fixture-access-token" || !tok.ExpiresAt.Equal(exp) {
		t.Errorf("token.json: %+v, %v", tok, err)
	}

	reg, err := itemCache(t, s.registrationKey(), readItem(t, "registration.json")).registration(ctx, s, true)
	if err != nil || reg == nil || reg.ClientID != "client-1" || reg.ClientSecret != "fixture-client-secret" ||
		!reg.ExpiresAt.Equal(time.Date(2027, 2, 17, 11, 0, 0, 123456789, time.UTC)) ||
		!reg.fits(true, s.Scopes, fuzzNow) {
		t.Errorf("registration.json: %+v, %v", reg, err)
	}

	cr, err := itemCache(t, sessionTarget.credentialsKey(), readItem(t, "credentials.json")).Cached(ctx, sessionTarget)
	if err != nil || cr == nil || *cr != (Credentials{AccessKeyID: "ASIAFIXTURE", SecretAccessKey: "fixture-secret-access-key",
		SessionToken: "fixture-session-token", Expiration: exp, AccountID: "111122223333"}) {
		t.Errorf("credentials.json: %+v, %v", cr, err)
	}
}
