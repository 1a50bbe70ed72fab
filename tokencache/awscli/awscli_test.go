package awscli_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sso-credproc/sso-credproc/sso"
	"github.com/sso-credproc/sso-credproc/tokencache/awscli"
)

const startURL = "https://d-abc123.awsapps.com/start"

var (
	expiresAt = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	regExpiry = time.Date(2030, 3, 4, 5, 6, 7, 0, time.UTC)
)

// adminToken is what testdata/botocore/<sha1("admin")>.json holds.
func adminToken() *awscli.Token {
	return &awscli.Token{
		StartURL: startURL, Region: "eu-west-1",
		AccessToken: "fixture-access-token-admin", ExpiresAt: expiresAt,
		ClientID: "fixture-client-id", ClientSecret: "fixture-client-secret", RegistrationExpiresAt: regExpiry,
		RefreshToken: "fixture-refresh-token-admin",
	}
}

// legacyToken is what testdata/botocore/<sha1(startURL)>.json holds.
func legacyToken() *awscli.Token {
	return &awscli.Token{
		StartURL: startURL, Region: "us-east-1",
		AccessToken: "fixture-access-token-legacy", ExpiresAt: expiresAt,
		ClientID: "fixture-client-id-legacy", ClientSecret: "fixture-client-secret-legacy", RegistrationExpiresAt: regExpiry,
	}
}

func TestCacheKeyVectors(t *testing.T) {
	// docs: /work/shared/PROTOCOL.md, "AWS CLI cache"
	for _, tc := range []struct{ session, url, want string }{
		{"admin", "", "d033e22ae348aeb5660fc2140aec35850c4da997"},
		{"admin", startURL, "d033e22ae348aeb5660fc2140aec35850c4da997"}, // the session name wins
		{"", startURL, "40a89917e3175433e361b710a9d43528d7f1890a"},
	} {
		if got := awscli.CacheKey(tc.session, tc.url); got != tc.want {
			t.Errorf("CacheKey(%q, %q) = %s, want %s", tc.session, tc.url, got, tc.want)
		}
	}
	home := filepath.Join("h", "me")
	if got, want := awscli.Path(home, "admin", startURL), filepath.Join("h", "me", ".aws", "sso", "cache", "d033e22ae348aeb5660fc2140aec35850c4da997.json"); got != want {
		t.Errorf("Path = %s, want %s", got, want)
	}
	if got, want := awscli.Path(home, "", startURL), filepath.Join(awscli.Dir(home), "40a89917e3175433e361b710a9d43528d7f1890a.json"); got != want {
		t.Errorf("Path (legacy) = %s, want %s", got, want)
	}
}

// The fixtures were written by botocore's own writer (testdata/gen_botocore.py).
func TestReadBotocoreFixtures(t *testing.T) {
	utc := adminToken()
	utc.AccessToken, utc.RefreshToken = "fixture-access-token-utc", "fixture-refresh-token-utc"
	for name, want := range map[string]*awscli.Token{
		"d033e22ae348aeb5660fc2140aec35850c4da997.json": adminToken(),
		"40a89917e3175433e361b710a9d43528d7f1890a.json": legacyToken(),
		"utc-suffix.json": utc,
	} {
		got, err := awscli.Read(filepath.Join("testdata", "botocore", name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if *got != *want {
			t.Errorf("%s:\n got %#v\nwant %#v", name, got, want)
		}
		if got.ExpiresAt.Location() != time.UTC {
			t.Errorf("%s: ExpiresAt in %v, want UTC", name, got.ExpiresAt.Location())
		}
	}
}

// What Write produces is, byte for byte, what botocore wrote for the same
// token.
func TestWriteMatchesBotocoreFixtures(t *testing.T) {
	home := t.TempDir()
	for _, tc := range []struct {
		session string
		tok     *awscli.Token
	}{{"admin", adminToken()}, {"", legacyToken()}} {
		p := awscli.Path(home, tc.session, startURL)
		tok := *tc.tok
		tok.ExpiresAt = tok.ExpiresAt.Add(678901 * time.Microsecond) // as the fixture's datetime; botocore drops it
		if err := awscli.Write(p, &tok); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join("testdata", "botocore", filepath.Base(p)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", filepath.Base(p), got, want)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	p := awscli.Path(t.TempDir(), "admin", "")
	for _, tok := range []*awscli.Token{
		adminToken(),
		adminToken().WithoutRefresh(),
		{StartURL: "https://ünï.example/start?a=\"b\"&c=<d>\\", Region: "eu-west-1", AccessToken: "a\x00b\x7f\u2028😀\n",
			ExpiresAt: time.Date(2029, 12, 31, 23, 59, 59, 999999999, time.FixedZone("x", 3600)), RefreshToken: "r"},
	} {
		if err := awscli.Write(p, tok); err != nil {
			t.Fatal(err)
		}
		got, err := awscli.Read(p)
		if err != nil {
			t.Fatal(err)
		}
		want := *tok
		want.ExpiresAt = want.ExpiresAt.UTC().Truncate(time.Second)
		if *got != want {
			t.Errorf("round trip:\n got %#v\nwant %#v", got, want)
		}
		if got.AccessToken != tok.AccessToken || got.StartURL != tok.StartURL {
			t.Errorf("strings changed in the round trip: %q %q", got.AccessToken, got.StartURL)
		}
	}
}

func TestWriteModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no permission bits; see Write")
	}
	home := t.TempDir()
	p := awscli.Path(home, "admin", "")
	if err := awscli.Write(p, adminToken()); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		want fs.FileMode
	}{
		{p, 0o600},
		{awscli.Dir(home), fs.ModeDir | 0o700},
		{filepath.Join(home, ".aws", "sso"), fs.ModeDir | 0o700},
		{filepath.Join(home, ".aws"), fs.ModeDir | 0o700},
	} {
		fi, err := os.Lstat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != c.want {
			t.Errorf("%s: mode %v, want %v", c.path, fi.Mode(), c.want)
		}
	}
	// A file the AWS CLI left 0644 (a umask of 0 and an old writer) is
	// replaced by one of 0600; an existing directory keeps its mode.
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(awscli.Dir(home), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := awscli.Write(p, adminToken()); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(p); fi.Mode() != 0o600 {
		t.Errorf("rewritten file: mode %v, want 0600", fi.Mode())
	}
	if fi, _ := os.Stat(awscli.Dir(home)); fi.Mode().Perm() != 0o755 {
		t.Errorf("existing directory: mode %v, want it kept at 0755", fi.Mode())
	}
	assertOnly(t, awscli.Dir(home), filepath.Base(p))
}

// assertOnly fails unless dir holds exactly names (no temporary file left).
func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("%s holds %q, want %q", dir, got, names)
	}
}

// Writers replace the file whole: concurrent readers never see a partial
// file (a writer that truncated and rewrote in place would be caught).
func TestWriteIsAtomic(t *testing.T) {
	p := awscli.Path(t.TempDir(), "admin", "")
	if err := awscli.Write(p, adminToken()); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var reads, bad sync.Map
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					reads.Store(r, i)
					return
				default:
				}
				if _, err := awscli.Read(p); err != nil {
					bad.Store(err.Error(), true)
				}
			}
		}()
	}
	long := strings.Repeat("x", 8000) // many write calls' worth, so that a torn write would show
	for i := 0; i < 300; i++ {
		tok := adminToken()
		tok.AccessToken = fmt.Sprintf("%s-%d", long, i)
		if err := awscli.Write(p, tok); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	bad.Range(func(k, _ any) bool { t.Errorf("a reader saw: %s", k); return true })
	if n, _ := reads.Load(0); n.(int) == 0 {
		t.Error("the readers never ran")
	}
	got, err := awscli.Read(p)
	if err != nil || !strings.HasSuffix(got.AccessToken, "-299") {
		t.Errorf("after the writes: %v", err)
	}
	assertOnly(t, filepath.Dir(p), filepath.Base(p))
}

func TestWriteRefusesLinksAndOthers(t *testing.T) {
	dir := t.TempDir()
	p := awscli.Path(dir, "admin", "")
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	elsewhere := filepath.Join(dir, "elsewhere")
	if err := os.WriteFile(elsewhere, []byte("not yours"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(elsewhere, p); err != nil {
		t.Skipf("cannot make a symbolic link here: %v", err)
	}
	err := awscli.Write(p, adminToken())
	if !errors.Is(err, awscli.ErrRefused) || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("Write over a symbolic link: %v, want ErrRefused naming the file", err)
	}
	if b, _ := os.ReadFile(elsewhere); string(b) != "not yours" {
		t.Errorf("the link's target was changed: %q", b)
	}
	if fi, err := os.Lstat(p); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v", err)
	}
	assertOnly(t, filepath.Dir(p), filepath.Base(p))

	// a dangling link too: writing through it would create its target
	os.Remove(p)
	os.Remove(elsewhere)
	if err := os.Symlink(elsewhere, p); err != nil {
		t.Fatal(err)
	}
	if err := awscli.Write(p, adminToken()); !errors.Is(err, awscli.ErrRefused) {
		t.Errorf("Write over a dangling link: %v, want ErrRefused", err)
	}
	if _, err := os.Lstat(elsewhere); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the dangling link's target was created: %v", err)
	}

	// a directory in its place
	os.Remove(p)
	if err := os.Mkdir(p, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := awscli.Write(p, adminToken()); !errors.Is(err, awscli.ErrRefused) {
		t.Errorf("Write over a directory: %v, want ErrRefused", err)
	}
}

func TestWriteRejectsIncompleteTokens(t *testing.T) {
	p := awscli.Path(t.TempDir(), "admin", "")
	for field, edit := range map[string]func(*awscli.Token){
		"startUrl":     func(t *awscli.Token) { t.StartURL = "" },
		"region":       func(t *awscli.Token) { t.Region = "" },
		"accessToken":  func(t *awscli.Token) { t.AccessToken = "" },
		"expiresAt":    func(t *awscli.Token) { t.ExpiresAt = time.Time{} },
		"clientSecret": func(t *awscli.Token) { t.ClientSecret = "" },
	} {
		tok := adminToken()
		edit(tok)
		err := awscli.Write(p, tok)
		if !errors.Is(err, awscli.ErrMalformed) || !strings.Contains(err.Error(), fmt.Sprintf("%q", field)) {
			t.Errorf("without %s: %v, want ErrMalformed naming it", field, err)
		}
		noSecrets(t, err, tok)
	}
	if _, err := os.Stat(filepath.Dir(p)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a refused token created the directory: %v", err)
	}
}

// noSecrets fails if err's text holds any secret of tok.
func noSecrets(t *testing.T, err error, tok *awscli.Token) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range []string{tok.AccessToken, tok.ClientSecret, tok.RefreshToken} {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error %q holds a secret", err)
		}
	}
}

func TestReadErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.json")
	_, err := awscli.Read(missing)
	if !errors.Is(err, fs.ErrNotExist) || errors.Is(err, awscli.ErrMalformed) || !strings.Contains(err.Error(), missing) {
		t.Errorf("Read(missing) = %v, want fs.ErrNotExist naming the file", err)
	}
	if strings.Count(err.Error(), missing) != 1 {
		t.Errorf("the path is repeated: %v", err)
	}

	const secret = "SECRET-VALUE"
	good := `"startUrl": "u", "region": "r", "accessToken": "` + secret + `", "expiresAt": "2030-01-02T03:04:05Z"`
	for _, tc := range []struct {
		name, body, field string
	}{
		{"empty", ``, ""},
		{"not json", `{"accessToken": ` + secret + `}`, ""},
		{"truncated", `{"accessToken": "` + secret, ""},
		{"array", `["` + secret + `"]`, ""},
		{"string", `"` + secret + `"`, ""},
		{"null", `null`, ""},
		{"bom", "\ufeff{" + good + "}", ""},
		{"no access token", `{"startUrl": "u", "expiresAt": "2030-01-02T03:04:05Z", "refreshToken": "` + secret + `"}`, "accessToken"},
		{"empty access token", `{"accessToken": "", "expiresAt": "2030-01-02T03:04:05Z", "refreshToken": "` + secret + `"}`, "accessToken"},
		{"number access token", `{"accessToken": 12345678, "expiresAt": "2030-01-02T03:04:05Z"}`, "accessToken"},
		{"object access token", `{"accessToken": {"v": "` + secret + `"}, "expiresAt": "2030-01-02T03:04:05Z"}`, "accessToken"},
		{"no expiresAt", `{"accessToken": "` + secret + `"}`, "expiresAt"},
		{"null expiresAt", `{"accessToken": "` + secret + `", "expiresAt": null}`, "expiresAt"},
		{"number expiresAt", `{"accessToken": "` + secret + `", "expiresAt": 1893553445}`, "expiresAt"},
		{"bad expiresAt", `{"accessToken": "` + secret + `", "expiresAt": "` + secret + `"}`, "expiresAt"},
		{"naive expiresAt", `{"accessToken": "` + secret + `", "expiresAt": "2030-01-02T03:04:05"}`, "expiresAt"},
		{"bad registrationExpiresAt", `{` + good + `, "registrationExpiresAt": "2030-13-01T00:00:00Z"}`, "registrationExpiresAt"},
		{"bool refreshToken", `{` + good + `, "refreshToken": true}`, "refreshToken"},
		{"number clientSecret", `{` + good + `, "clientSecret": 1}`, "clientSecret"},
		{"array clientId", `{` + good + `, "clientId": ["` + secret + `"]}`, "clientId"},
		{"number startUrl", `{` + good + `, "startUrl": 1}`, "startUrl"},
		{"null region", `{` + good + `, "region": null}`, "region"},
	} {
		p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".json")
		if err := os.WriteFile(p, []byte(tc.body), 0o600); err != nil {
			t.Fatal(err)
		}
		tok, err := awscli.Read(p)
		if !errors.Is(err, awscli.ErrMalformed) {
			t.Errorf("%s: Read = %v, %v; want ErrMalformed", tc.name, tok, err)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, p) {
			t.Errorf("%s: %q does not name the file", tc.name, msg)
		}
		if tc.field != "" && !strings.Contains(msg, fmt.Sprintf("field %q", tc.field)) {
			t.Errorf("%s: %q does not name field %s", tc.name, msg, tc.field)
		}
		var fe *awscli.Error
		if !errors.As(err, &fe) || fe.Field != tc.field || fe.Path != p || fe.Op != "read" {
			t.Errorf("%s: error %#v, want *Error for field %q", tc.name, err, tc.field)
		}
		for _, leak := range []string{secret, "SECRET", "1234", "1893553445", "2030-01-02T03:04:05\""} {
			if strings.Contains(msg, leak) {
				t.Errorf("%s: %q holds a value from the file (%s)", tc.name, msg, leak)
			}
		}
	}
}

func TestReadAcceptsOtherWriters(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, body string
		want       time.Time
	}{
		// aws-sdk-go-v2 storeCachedToken: a map, so sorted keys, RFC 3339, a newline
		{"go sdk", `{"accessToken":"a","clientId":"c","clientSecret":"s","expiresAt":"2030-01-02T03:04:05Z","refreshToken":"r","region":"eu-west-1","startUrl":"u"}` + "\n", expiresAt},
		// JavaScript SDK (Date.toISOString, milliseconds), pretty-printed, unknown fields
		{"js sdk", "{\n  \"accessToken\": \"a\",\n  \"expiresAt\": \"2030-01-02T03:04:05.123Z\",\n  \"receivedAt\": 5\n}", expiresAt.Add(123 * time.Millisecond)},
		{"offset", `{"accessToken": "a", "expiresAt": "2030-01-02T05:04:05+02:00"}`, expiresAt},
		{"utc suffix", `{"accessToken": "a", "expiresAt": "2030-01-02T03:04:05UTC"}`, expiresAt},
		{"empty optional", `{"accessToken": "a", "expiresAt": "2030-01-02T03:04:05Z", "refreshToken": "", "registrationExpiresAt": ""}`, expiresAt},
	} {
		p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".json")
		if err := os.WriteFile(p, []byte(tc.body), 0o600); err != nil {
			t.Fatal(err)
		}
		tok, err := awscli.Read(p)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if tok.AccessToken != "a" || !tok.ExpiresAt.Equal(tc.want) || tok.ExpiresAt.Location() != time.UTC {
			t.Errorf("%s: got %#v, want expiry %v", tc.name, tok, tc.want)
		}
	}
}

func TestReadTooLarge(t *testing.T) {
	dir := t.TempDir()
	pad := strings.Repeat("A", awscli.MaxFileSize)
	for name, body := range map[string]string{
		"padded": `{"accessToken": "a", "expiresAt": "2030-01-02T03:04:05Z", "pad": "` + pad + `"}`,
		"huge":   `{"accessToken": "` + strings.Repeat(pad, 64) + `"}`,
	} {
		p := filepath.Join(dir, name+".json")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := awscli.Read(p)
		if !errors.Is(err, awscli.ErrMalformed) || !strings.Contains(err.Error(), p) || strings.Contains(err.Error(), "AAAA") {
			t.Errorf("%s: %v, want ErrMalformed naming the file", name, err)
		}
	}
	// the largest accepted size is accepted
	p := filepath.Join(dir, "max.json")
	body := `{"accessToken": "a", "expiresAt": "2030-01-02T03:04:05Z", "pad": "`
	body += strings.Repeat("A", awscli.MaxFileSize-len(body)-2) + `"}`
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := awscli.Read(p); err != nil {
		t.Errorf("a file of exactly MaxFileSize bytes: %v", err)
	}
}

func TestReadFollowsLinks(t *testing.T) {
	// botocore's open() follows them; `aws sso login` through a link works
	dir := t.TempDir()
	target := filepath.Join(dir, "real.json")
	if err := awscli.Write(target, adminToken()); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("cannot make a symbolic link here: %v", err)
	}
	if got, err := awscli.Read(link); err != nil || *got != *adminToken() {
		t.Errorf("Read(link) = %v, %v", got, err)
	}
}

func TestRemove(t *testing.T) {
	dir := t.TempDir()
	p := awscli.Path(dir, "admin", "")
	tok := adminToken()
	if err := awscli.Write(p, tok); err != nil {
		t.Fatal(err)
	}
	if ok, err := awscli.Remove(p, "another-token"); ok || err != nil {
		t.Errorf("Remove with another token = %v, %v; want false, nil", ok, err)
	}
	if ok, err := awscli.Remove(p, tok.AccessToken[:len(tok.AccessToken)-1]); ok || err != nil {
		t.Errorf("Remove with a prefix of the token = %v, %v; want false, nil", ok, err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("the file went: %v", err)
	}
	if ok, err := awscli.Remove(p, ""); ok || err == nil {
		t.Errorf("Remove with no token = %v, %v; want an error", ok, err)
	}
	if ok, err := awscli.Remove(p, tok.AccessToken); !ok || err != nil {
		t.Errorf("Remove with our token = %v, %v; want true, nil", ok, err)
	}
	if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the file is still there: %v", err)
	}
	if ok, err := awscli.Remove(p, tok.AccessToken); ok || err != nil {
		t.Errorf("Remove of a missing file = %v, %v; want false, nil", ok, err)
	}

	// a malformed file, or a link to a file holding our token, stays
	if err := os.WriteFile(p, []byte(`{"accessToken": "`+tok.AccessToken+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if ok, err := awscli.Remove(p, tok.AccessToken); ok || err != nil {
		t.Errorf("Remove of a malformed file = %v, %v; want false, nil", ok, err)
	}
	os.Remove(p)
	target := filepath.Join(dir, "ours.json")
	if err := awscli.Write(target, tok); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, p); err == nil {
		if ok, err := awscli.Remove(p, tok.AccessToken); ok || err != nil {
			t.Errorf("Remove of a link = %v, %v; want false, nil", ok, err)
		}
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("the link went: %v", err)
		}
		if _, err := os.Stat(target); err != nil {
			t.Errorf("the link's target went: %v", err)
		}
	}
}

func TestHelpers(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 0, 0, 0, time.UTC) // 4m05s before expiresAt
	tok := adminToken()
	if !tok.Valid(now, time.Minute) || !tok.Valid(now, 4*time.Minute) {
		t.Error("Valid: a token with 4m05s left is not valid with a skew of 1m or 4m")
	}
	if tok.Valid(now, 4*time.Minute+5*time.Second) || tok.Valid(expiresAt, 0) || tok.Valid(expiresAt.Add(time.Hour), 0) {
		t.Error("Valid: an expired token, or one expiring within the skew, is valid")
	}
	if (&awscli.Token{ExpiresAt: expiresAt}).Valid(now, 0) {
		t.Error("Valid: a token without an access token is valid")
	}

	if !tok.CanRefresh(now) {
		t.Error("CanRefresh: false for a complete token")
	}
	if tok.CanRefresh(regExpiry) {
		t.Error("CanRefresh: true once the registration expired")
	}
	for name, edit := range map[string]func(*awscli.Token){
		"refreshToken": func(t *awscli.Token) { t.RefreshToken = "" },
		"clientId":     func(t *awscli.Token) { t.ClientID = "" },
		"clientSecret": func(t *awscli.Token) { t.ClientSecret = "" },
		"registration": func(t *awscli.Token) { t.RegistrationExpiresAt = time.Time{} },
	} {
		c := adminToken()
		edit(c)
		if c.CanRefresh(now) {
			t.Errorf("CanRefresh without %s: true", name)
		}
	}

	if err := tok.CheckSession(startURL, "eu-west-1"); err != nil {
		t.Error(err)
	}
	if err := (&awscli.Token{}).CheckSession(startURL, "eu-west-1"); err != nil {
		t.Errorf("CheckSession without startUrl and region: %v", err)
	}
	if err := tok.CheckSession(startURL+"/", "eu-west-1"); err == nil || !strings.Contains(err.Error(), `"startUrl"`) {
		t.Errorf("CheckSession with another start URL: %v", err)
	}
	if err := tok.CheckSession(startURL, "us-east-1"); err == nil || !strings.Contains(err.Error(), `"region"`) {
		t.Errorf("CheckSession with another region: %v", err)
	}

	st := tok.SSOToken()
	if *st != (sso.Token{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, ExpiresAt: expiresAt}) {
		t.Errorf("SSOToken = %+v", st)
	}
	reg := tok.SSORegistration()
	if reg == nil || reg.ClientID != tok.ClientID || reg.ClientSecret != tok.ClientSecret || !reg.ExpiresAt.Equal(regExpiry) || reg.Scopes != nil || reg.GrantTypes != nil {
		t.Errorf("SSORegistration = %+v", reg)
	}
	if r := tok.WithoutRefresh().SSORegistration(); r != nil {
		t.Errorf("SSORegistration without a client = %+v, want nil", r)
	}

	local := time.FixedZone("local", -5*3600)
	back := awscli.New(startURL, "eu-west-1", &sso.Token{AccessToken: st.AccessToken, RefreshToken: st.RefreshToken, ExpiresAt: expiresAt.In(local)}, &sso.Registration{ClientID: reg.ClientID, ClientSecret: reg.ClientSecret, ExpiresAt: regExpiry.In(local)})
	if *back != *tok || back.ExpiresAt.Location() != time.UTC || back.RegistrationExpiresAt.Location() != time.UTC {
		t.Errorf("New:\n got %#v\nwant %#v", back, tok)
	}
	if n := awscli.New(startURL, "eu-west-1", st, nil); n.ClientID != "" || n.ClientSecret != "" || !n.RegistrationExpiresAt.IsZero() || n.RefreshToken != tok.RefreshToken {
		t.Errorf("New without a registration = %#v", n)
	}
	w := tok.WithoutRefresh()
	if w.RefreshToken != "" || w.ClientID != "" || w.ClientSecret != "" || !w.RegistrationExpiresAt.IsZero() || w.AccessToken != tok.AccessToken {
		t.Errorf("WithoutRefresh = %#v", w)
	}
	if tok.RefreshToken == "" {
		t.Error("WithoutRefresh changed its receiver")
	}
}

func TestTokenPrintsNoSecrets(t *testing.T) {
	tok := adminToken()
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, v := range []any{tok, *tok} {
			s := fmt.Sprintf(format, v)
			for _, secret := range []string{tok.AccessToken, tok.ClientSecret, tok.RefreshToken} {
				if strings.Contains(s, secret) {
					t.Errorf("Sprintf(%s, %T) = %s holds a secret", format, v, s)
				}
			}
			if !strings.Contains(s, tok.ClientID) || !strings.Contains(s, "<redacted>") {
				t.Errorf("Sprintf(%s, %T) = %s", format, v, s)
			}
		}
	}
}

// The package must stay out of the AWS SDK and the HTTP stack (the warm
// path, cmd/sso-credproc/deps_test.go): the SDK is for its tests only.
func TestDeps(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps listed only %q", deps)
	}
	for _, d := range deps {
		if strings.HasPrefix(d, "github.com/aws/") || d == "net/http" || d == "testing" {
			t.Errorf("tokencache/awscli links %s", d)
		}
	}
}
