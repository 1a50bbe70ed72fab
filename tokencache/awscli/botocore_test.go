package awscli_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sso-credproc/sso-credproc/internal/callers"
	"github.com/sso-credproc/sso-credproc/tokencache/awscli"
)

// botocoreScript answers a JSON request on stdin with what botocore does
// with the AWS CLI's SSO token cache, in a process whose HOME is the test's
// (botocore computes ~/.aws/sso/cache from it at import):
//
//   - write: each token, given as ordered [key, value, isTime] triples,
//     written by botocore's own writer, as `aws sso login` writes it: a
//     JSONFileCache over dir with _sso_json_dumps, times as datetimes.
//   - load: each (start_url, session_name) through SSOTokenLoader over the
//     default cache directory of botocore's SSOProvider.
//   - provider: the bearer token of profile "dev" from botocore.tokens'
//     SSOTokenProvider (default cache) at time "now", with a fake SSO OIDC
//     client that records refreshes.
const botocoreScript = `
import datetime, json, sys
import botocore, botocore.session, dateutil.parser
from botocore.credentials import SSOProvider
from botocore.tokens import SSOTokenProvider, _sso_json_dumps
from botocore.utils import JSONFileCache, SSOTokenLoader

req = json.load(sys.stdin)
out = {"version": botocore.__version__, "load": [], "refreshes": []}

for w in req["write"]:
    token = {}
    for key, value, is_time in w["token"]:
        token[key] = dateutil.parser.parse(value) if is_time else value
    JSONFileCache(w["dir"], dumps_func=_sso_json_dumps)[w["key"]] = token

loader = SSOTokenLoader(cache=JSONFileCache(SSOProvider._SSO_TOKEN_CACHE_DIR))
out["cache_dir"] = SSOProvider._SSO_TOKEN_CACHE_DIR
for l in req["load"]:
    try:
        out["load"].append({"token": loader(l["start_url"], session_name=l["session_name"])})
    except Exception as e:
        out["load"].append({"error": type(e).__name__})

p = req.get("provider")
if p:
    now = dateutil.parser.parse(p["now"])
    class Client:
        def create_token(self, **kw):
            out["refreshes"].append(kw)
            return {"accessToken": "botocore-refreshed-access-token", "expiresIn": 3600, "refreshToken": "botocore-refreshed-refresh-token"}
    provider = SSOTokenProvider(botocore.session.Session(profile="dev"), time_fetcher=lambda: now)
    provider.__dict__["_client"] = Client()
    frozen = provider.load_token().get_frozen_token()
    out["token"] = frozen.token
    out["expiration"] = frozen.expiration.isoformat()

json.dump(out, sys.stdout)
`

type botocoreAnswer struct {
	Version  string `json:"version"`
	CacheDir string `json:"cache_dir"`
	Load     []struct {
		Token map[string]any `json:"token"`
		Error string         `json:"error"`
	} `json:"load"`
	Token      string              `json:"token"`
	Expiration string              `json:"expiration"`
	Refreshes  []map[string]string `json:"refreshes"`
}

// pythonsWithBotocore returns every interpreter among
// $SSO_CREDPROC_TEST_PYTHON, /usr/bin/python3 and python3 on PATH whose
// botocore has the token provider (botocore.tokens, 1.28 and newer), so
// that Debian's botocore (what CI installs, and the AWS CLI v2 of Debian
// bundles the same writer) and a current one are both checked when both
// are installed. With none the test is skipped, or fails under CI.
func pythonsWithBotocore(t *testing.T) []string {
	t.Helper()
	var found, tried []string
	candidates := []string{os.Getenv("SSO_CREDPROC_TEST_PYTHON"), "/usr/bin/python3"}
	if p, err := exec.LookPath("python3"); err == nil {
		candidates = append(candidates, p)
	}
	for i, py := range candidates {
		if py == "" || slices.Contains(candidates[:i], py) {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		out, err := exec.CommandContext(ctx, py, "-c", "import botocore, botocore.tokens; print(botocore.tokens.SSOTokenProvider.__name__, botocore.__version__)").CombinedOutput()
		cancel()
		if err == nil {
			found = append(found, py)
		} else {
			tried = append(tried, py+": "+strings.TrimSpace(string(out)))
		}
	}
	if len(found) == 0 {
		callers.Missing(t, "botocore", "no python3 with botocore.tokens: "+strings.Join(tried, "; "), "apt-get install python3-botocore")
	}
	return found
}

type botocoreRequest struct {
	Write    []botocoreWrite  `json:"write"`
	Load     []botocoreLoad   `json:"load"`
	Provider *botocoreProfile `json:"provider,omitempty"`
}

type botocoreWrite struct {
	Dir   string  `json:"dir"`
	Key   string  `json:"key"`
	Token [][]any `json:"token"`
}

type botocoreLoad struct {
	StartURL    string  `json:"start_url"`
	SessionName *string `json:"session_name"`
}

type botocoreProfile struct {
	Now string `json:"now"`
}

func runBotocore(t *testing.T, py, home string, req botocoreRequest) botocoreAnswer {
	t.Helper()
	if req.Write == nil {
		req.Write = []botocoreWrite{}
	}
	if req.Load == nil {
		req.Load = []botocoreLoad{}
	}
	config := filepath.Join(home, "config")
	err := os.WriteFile(config, []byte("[profile dev]\nsso_session = admin\n\n[sso-session admin]\nsso_start_url = "+startURL+
		"\nsso_region = eu-west-1\nsso_registration_scopes = sso:account:access\n"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	var a botocoreAnswer
	callers.RunPython(t, py, botocoreScript, []string{"HOME=" + home, "USERPROFILE=" + home, "AWS_CONFIG_FILE=" + config,
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"), "PATH=" + os.Getenv("PATH")}, req, &a)
	t.Logf("caller version: %s with botocore %s", py, a.Version)
	return a
}

// triples renders tok as the dict SSOTokenFetcher._create_token_attempt
// builds, in its order, times as datetimes in UTC, as botocore makes them
// (its _serialize_utc_timestamp formats a datetime as it is, with a "Z").
func triples(tok *awscli.Token) [][]any {
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
	out := [][]any{
		{"startUrl", tok.StartURL, false}, {"region", tok.Region, false},
		{"accessToken", tok.AccessToken, false}, {"expiresAt", ts(tok.ExpiresAt), true},
	}
	if tok.ClientID != "" {
		out = append(out, []any{"clientId", tok.ClientID, false}, []any{"clientSecret", tok.ClientSecret, false})
		if !tok.RegistrationExpiresAt.IsZero() {
			out = append(out, []any{"registrationExpiresAt", ts(tok.RegistrationExpiresAt), true})
		}
	}
	if tok.RefreshToken != "" {
		out = append(out, []any{"refreshToken", tok.RefreshToken, false})
	}
	return out
}

// Write's bytes are botocore's bytes for the same token, strings that need
// escaping included.
func TestBotocoreWritesTheSameBytes(t *testing.T) {
	odd := adminToken()
	odd.StartURL = "https://ünï.example/start?a=\"b\"&c=<d>\\/"
	odd.AccessToken = "a\x00\x1fb\x7f\u00e9\u2028\U0001F600\n\r\t\b\f'"
	odd.ExpiresAt = odd.ExpiresAt.Add(999999 * time.Microsecond).In(time.FixedZone("x", 3600))
	for _, py := range pythonsWithBotocore(t) {
		home := t.TempDir()
		ours, theirs := filepath.Join(home, "ours"), filepath.Join(home, "theirs")
		var req botocoreRequest
		for i, tok := range []*awscli.Token{adminToken(), legacyToken(), adminToken().WithoutRefresh(), odd} {
			key := string(rune('a' + i))
			if err := awscli.Write(filepath.Join(ours, key+".json"), tok); err != nil {
				t.Fatal(err)
			}
			req.Write = append(req.Write, botocoreWrite{Dir: theirs, Key: key, Token: triples(tok)})
		}
		runBotocore(t, py, home, req)
		for _, w := range req.Write {
			got, err1 := os.ReadFile(filepath.Join(ours, w.Key+".json"))
			want, err2 := os.ReadFile(filepath.Join(theirs, w.Key+".json"))
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s: token %s:\n ours     %q\n botocore %q", py, w.Key, got, want)
			}
		}
	}
}

// botocore's readers find and load what Write wrote under Path(HOME, …),
// for an sso-session and for a legacy start URL.
func TestBotocoreLoadsWrite(t *testing.T) {
	for _, py := range pythonsWithBotocore(t) {
		home := t.TempDir()
		admin := "admin"
		if err := awscli.Write(awscli.Path(home, admin, startURL), adminToken()); err != nil {
			t.Fatal(err)
		}
		if err := awscli.Write(awscli.Path(home, "", startURL), legacyToken()); err != nil {
			t.Fatal(err)
		}
		a := runBotocore(t, py, home, botocoreRequest{Load: []botocoreLoad{
			{StartURL: startURL, SessionName: &admin},
			{StartURL: startURL},
			{StartURL: startURL + "/"}, // no such file: botocore must say so (the check can fail)
		}})
		if a.CacheDir != awscli.Dir(home) {
			t.Errorf("botocore's cache directory is %s, ours %s", a.CacheDir, awscli.Dir(home))
		}
		for i, want := range []*awscli.Token{adminToken(), legacyToken()} {
			got := a.Load[i].Token
			if a.Load[i].Error != "" || got["accessToken"] != want.AccessToken || got["startUrl"] != want.StartURL ||
				got["region"] != want.Region || got["expiresAt"] != want.ExpiresAt.Format("2006-01-02T15:04:05Z") ||
				got["clientId"] != want.ClientID || got["clientSecret"] != want.ClientSecret ||
				got["registrationExpiresAt"] != want.RegistrationExpiresAt.Format("2006-01-02T15:04:05Z") ||
				(got["refreshToken"] != nil) != (want.RefreshToken != "") {
				t.Errorf("%s: load %d: botocore got error %q and fields %v", py, i, a.Load[i].Error, keys(got))
			}
		}
		if a.Load[2].Error != "SSOTokenLoadError" {
			t.Errorf("%s: a missing file: botocore answered %q, want SSOTokenLoadError", py, a.Load[2].Error)
		}
	}
}

func keys(m map[string]any) []string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	slices.Sort(k)
	return k
}

// botocore's SSOTokenProvider uses the token while more than 15 minutes
// remain, and refreshes it with the client and refresh token Write wrote
// within them; it then rewrites the file, which Read reads and Remove no
// longer removes.
func TestBotocoreTokenProvider(t *testing.T) {
	for _, py := range pythonsWithBotocore(t) {
		home := t.TempDir()
		p := awscli.Path(home, "admin", "")
		tok := adminToken()
		if err := awscli.Write(p, tok); err != nil {
			t.Fatal(err)
		}
		a := runBotocore(t, py, home, botocoreRequest{Provider: &botocoreProfile{Now: tok.ExpiresAt.Add(-time.Hour).Format(time.RFC3339)}})
		exp, err := time.Parse(time.RFC3339, a.Expiration)
		if a.Token != tok.AccessToken || err != nil || !exp.Equal(tok.ExpiresAt) || len(a.Refreshes) != 0 {
			t.Errorf("%s: an hour before expiry botocore used our token: %v, expiring %s, after %d refreshes", py, a.Token == tok.AccessToken, a.Expiration, len(a.Refreshes))
		}

		now := tok.ExpiresAt.Add(-5 * time.Minute)
		a = runBotocore(t, py, home, botocoreRequest{Provider: &botocoreProfile{Now: now.Format(time.RFC3339)}})
		if len(a.Refreshes) != 1 {
			t.Fatalf("%s: 5 minutes before expiry botocore refreshed %d times, want 1", py, len(a.Refreshes))
		}
		r := a.Refreshes[0]
		if r["clientId"] != tok.ClientID || r["clientSecret"] != tok.ClientSecret || r["refreshToken"] != tok.RefreshToken || r["grantType"] != "refresh_token" {
			t.Errorf("%s: botocore refreshed with other values (client ID %q, grant %q)", py, r["clientId"], r["grantType"])
		}
		if a.Token != "botocore-refreshed-access-token" {
			t.Errorf("%s: after the refresh botocore did not use the refreshed token", py)
		}
		got, err := awscli.Read(p)
		if err != nil {
			t.Fatalf("Read of the file botocore rewrote: %v", err)
		}
		want := *tok
		want.AccessToken, want.RefreshToken, want.ExpiresAt = "botocore-refreshed-access-token", "botocore-refreshed-refresh-token", now.Add(time.Hour)
		if *got != want {
			t.Errorf("Read of the file botocore rewrote:\n got %#v\nwant %#v", got, &want)
		}
		if fi, err := os.Stat(p); err != nil || os.PathSeparator == '/' && fi.Mode().Perm() != 0o600 {
			t.Errorf("after botocore's rewrite: %v, %v; want 0600", fi.Mode(), err)
		}
		if ok, err := awscli.Remove(p, tok.AccessToken); ok || err != nil {
			t.Errorf("Remove after botocore refreshed = %v, %v; want false, nil", ok, err)
		}
		if ok, err := awscli.Remove(p, "botocore-refreshed-access-token"); !ok || err != nil {
			t.Errorf("Remove with the token the file now holds = %v, %v; want true, nil", ok, err)
		}
	}
}
