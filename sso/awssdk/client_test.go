package awssdk_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sso-credproc/sso-credproc/internal/ssofake"
	"github.com/sso-credproc/sso-credproc/profile"
	"github.com/sso-credproc/sso-credproc/sso"
	"github.com/sso-credproc/sso-credproc/sso/awssdk"
)

// visitor is a Browser that visits the URL like a user who is signed in:
// it follows the redirect back to the loopback listener.
type visitor struct {
	t      *testing.T
	opened atomic.Int32
	last   atomic.Value
}

func (v *visitor) Open(u string) error {
	v.opened.Add(1)
	v.last.Store(u)
	go func() {
		resp, err := http.Get(u)
		if err != nil {
			v.t.Errorf("browser: %v", err)
			return
		}
		resp.Body.Close()
	}()
	return nil
}

func newClient(t *testing.T, opts ssofake.Options) (*ssofake.Server, *awssdk.Client) {
	t.Helper()
	srv := ssofake.New(opts)
	t.Cleanup(srv.Close)
	c := awssdk.New(awssdk.Config{Region: "eu-west-1", OIDCEndpoint: srv.URL, PortalEndpoint: srv.URL, CallTimeout: 10 * time.Second})
	return srv, c
}

const startURL = "https://d-abc123.awsapps.com/start"

func TestPKCELoginRefreshAndRoleCredentials(t *testing.T) {
	srv, c := newClient(t, ssofake.Options{RotateRefreshTokens: true})
	ctx := context.Background()
	reg, err := c.Register(ctx, []string{"sso:account:access"}, true, startURL)
	if err != nil {
		t.Fatal(err)
	}
	if reg.ClientID == "" || reg.ClientSecret == "" || reg.ExpiresAt.Before(time.Now().Add(80*24*time.Hour)) {
		t.Fatalf("registration %+v", reg)
	}
	b := &visitor{t: t}
	var notes []string
	tok, err := c.LoginPKCE(ctx, reg, sso.LoginOptions{StartURL: startURL, Scopes: reg.Scopes, Browser: b, Notify: func(m string) { notes = append(notes, m) }})
	if err != nil {
		t.Fatal(err)
	}
	if b.opened.Load() != 1 || srv.Count("Authorize") != 1 || srv.Count("CreateToken:authorization_code") != 1 {
		t.Fatalf("opened %d, counts %v", b.opened.Load(), srv.Counts())
	}
	u := b.last.Load().(string)
	if !strings.HasPrefix(u, srv.URL+"/authorize?") || !strings.Contains(u, "code_challenge_method=S256") || !strings.Contains(u, "redirect_uri=http%3A%2F%2F127.0.0.1%3A") {
		t.Errorf("authorize URL %s", u)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" || time.Until(tok.ExpiresAt) < 50*time.Minute {
		t.Fatalf("token %+v", tok)
	}
	if len(notes) == 0 || strings.Contains(strings.Join(notes, "\n"), tok.AccessToken) {
		t.Errorf("notes %q", notes)
	}

	// Refresh rotates; the old refresh token is then refused.
	tok2, err := c.Refresh(ctx, reg, tok.RefreshToken, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if tok2.RefreshToken == "" || tok2.RefreshToken == tok.RefreshToken || tok2.AccessToken == tok.AccessToken {
		t.Fatalf("refresh did not rotate: %+v", tok2)
	}
	if _, err := c.Refresh(ctx, reg, tok.RefreshToken, time.Now()); !sso.IsSessionGone(err) {
		t.Fatalf("old refresh token: err = %v, want InvalidGrant", err)
	}

	rc, err := c.RoleCredentials(ctx, tok2.AccessToken, "111122223333", "Dev")
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(rc.Expiration); rc.AccessKeyID == "" || rc.SessionToken == "" || d < 55*time.Minute || d > 65*time.Minute {
		t.Fatalf("role credentials %+v (epoch milliseconds read right?)", rc)
	}
	srv.RevokeAll()
	if _, err := c.RoleCredentials(ctx, tok2.AccessToken, "111122223333", "Dev"); !sso.IsUnauthorized(err) {
		t.Fatalf("revoked token: err = %v", err)
	}
}

func TestDeviceLogin(t *testing.T) {
	srv, c := newClient(t, ssofake.Options{})
	ctx := context.Background()
	reg, err := c.Register(ctx, nil, false, startURL)
	if err != nil {
		t.Fatal(err)
	}
	var notes []string
	b := &visitor{t: t}
	// Two pending answers first, then the browser's approval lands.
	srv.Inject("CreateToken:device_code", ssofake.Fault{Type: "AuthorizationPendingException"}, ssofake.Fault{Type: "AuthorizationPendingException"})
	tok, err := c.LoginDevice(ctx, reg, sso.LoginOptions{StartURL: startURL, Browser: b, Notify: func(m string) { notes = append(notes, m) },
		After: func(time.Duration) <-chan time.Time { return time.After(20 * time.Millisecond) }})
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == "" || tok.RefreshToken != "" {
		t.Fatalf("legacy device token %+v (no refresh token expected)", tok)
	}
	if srv.Count("Verify") != 1 || srv.Count("CreateToken:device_code") < 3 {
		t.Fatalf("counts %v", srv.Counts())
	}
	if !strings.Contains(strings.Join(notes, "\n"), "sign-in code:") {
		t.Errorf("the user code was not shown: %q", notes)
	}
}

func TestDeviceLoginFailures(t *testing.T) {
	for _, tc := range []struct {
		fault ssofake.Fault
		want  string
	}{
		{ssofake.Fault{Type: "ExpiredTokenException"}, "expired"},
		{ssofake.Fault{Type: "AccessDeniedException"}, "refused"},
	} {
		t.Run(tc.fault.Type, func(t *testing.T) {
			srv, c := newClient(t, ssofake.Options{})
			reg, err := c.Register(context.Background(), nil, false, startURL)
			if err != nil {
				t.Fatal(err)
			}
			srv.Inject("CreateToken:device_code", ssofake.Fault{Type: "SlowDownException"}, tc.fault)
			var waits []time.Duration
			_, err = c.LoginDevice(context.Background(), reg, sso.LoginOptions{StartURL: startURL,
				After: func(d time.Duration) <-chan time.Time { waits = append(waits, d); return time.After(time.Millisecond) }})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if len(waits) != 1 || waits[0] != 6*time.Second {
				t.Errorf("waits %v: slow_down must add 5 s to the 1 s interval", waits)
			}
		})
	}
}

// flooder is a Browser that, before the user's browser visits the page,
// has a local process hit the loopback callback with forged requests:
// wrong, missing and guessed states, an error with a wrong state, a wrong
// Host, and an oversized request, 32 at once.
type flooder struct {
	visitor
	statuses chan int
}

func (f *flooder) Open(u string) error {
	au, err := url.Parse(u)
	if err != nil {
		return err
	}
	cb := au.Query().Get("redirect_uri")
	forged := []string{
		cb, cb + "?code=forged", cb + "?code=forged&state=", cb + "?code=forged&state=" + strings.Repeat("A", 43),
		cb + "?error=access_denied&state=wrong", cb + "?code=x&state=" + strings.Repeat("s", 64<<10),
	}
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			req, _ := http.NewRequest("GET", forged[i%len(forged)], nil)
			if i%7 == 6 {
				req.Host = "evil.example:80"
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				f.statuses <- -1
				return
			}
			resp.Body.Close()
			f.statuses <- resp.StatusCode
		})
	}
	wg.Wait()
	close(f.statuses)
	return f.visitor.Open(u)
}

// Forged callbacks are refused and bounded; the real one still wins.
func TestPKCECallbackFlood(t *testing.T) {
	srv, c := newClient(t, ssofake.Options{})
	reg, err := c.Register(context.Background(), []string{"sso:account:access"}, true, startURL)
	if err != nil {
		t.Fatal(err)
	}
	f := &flooder{visitor: visitor{t: t}, statuses: make(chan int, 32)}
	tok, err := c.LoginPKCE(context.Background(), reg, sso.LoginOptions{StartURL: startURL, Browser: f})
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("sign-in after a flood: %v", err)
	}
	seen := map[int]int{}
	for s := range f.statuses {
		seen[s]++
	}
	if seen[http.StatusBadRequest] == 0 || seen[http.StatusRequestHeaderFieldsTooLarge] == 0 || seen[http.StatusOK] != 0 || seen[-1] != 0 {
		t.Errorf("forged requests' statuses: %v", seen)
	}
	if n := srv.Count("CreateToken:authorization_code"); n != 1 {
		t.Errorf("%d code exchanges, want 1", n)
	}
}

func TestPKCEDenied(t *testing.T) {
	_, c := newClient(t, ssofake.Options{DenyAuthorization: true})
	reg, err := c.Register(context.Background(), []string{"sso:account:access"}, true, startURL)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.LoginPKCE(context.Background(), reg, sso.LoginOptions{StartURL: startURL, Browser: &visitor{t: t}})
	if err == nil || !strings.Contains(err.Error(), "access_denied") {
		t.Fatalf("err = %v, want access_denied", err)
	}
}

func TestPKCEWaitEndsWithContext(t *testing.T) {
	_, c := newClient(t, ssofake.Options{})
	reg, err := c.Register(context.Background(), []string{"sso:account:access"}, true, startURL)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = c.LoginPKCE(ctx, reg, sso.LoginOptions{StartURL: startURL}) // nobody opens the page
	if err == nil || ctx.Err() == nil {
		t.Fatalf("err = %v", err)
	}
}

func TestRetriesAndErrors(t *testing.T) {
	srv, c := newClient(t, ssofake.Options{})
	ctx := context.Background()
	srv.Inject("RegisterClient", ssofake.Fault{Status: 500, Type: "InternalServerException"})
	if _, err := c.Register(ctx, nil, false, startURL); err != nil {
		t.Fatalf("a 500 is retried by the SDK: %v", err)
	}
	if n := srv.Count("RegisterClient"); n != 2 {
		t.Errorf("RegisterClient calls = %d, want 2", n)
	}
	srv.Inject("GetRoleCredentials", ssofake.Fault{Status: 429, Type: "TooManyRequestsException"}, ssofake.Fault{Status: 429, Type: "TooManyRequestsException"}, ssofake.Fault{Status: 429, Type: "TooManyRequestsException"})
	_, err := c.RoleCredentials(ctx, "whatever", "1", "r")
	if !sso.HasCode(err, "TooManyRequestsException") || srv.Count("GetRoleCredentials") != 3 {
		t.Fatalf("err = %v after %d calls", err, srv.Count("GetRoleCredentials"))
	}
	srv.Inject("RegisterClient", ssofake.Fault{RawBody: `{"clientId": 12, "clientSecret": "s3cr3t-in-body"`})
	_, err = c.Register(ctx, nil, false, startURL)
	if !sso.HasCode(err, sso.CodeMalformed) || strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("malformed answer: err = %v", err)
	}
	srv.Inject("RegisterClient", ssofake.Fault{RawBody: `{}`})
	if _, err = c.Register(ctx, nil, false, startURL); !sso.HasCode(err, sso.CodeMalformed) {
		t.Fatalf("empty answer: err = %v", err)
	}
	srv.Inject("GetRoleCredentials", ssofake.Fault{Delay: 5 * time.Second})
	slow := awssdk.New(awssdk.Config{Region: "eu-west-1", OIDCEndpoint: srv.URL, PortalEndpoint: srv.URL, CallTimeout: 100 * time.Millisecond, MaxAttempts: 1})
	start := time.Now()
	if _, err := slow.RoleCredentials(ctx, "x", "1", "r"); err == nil || time.Since(start) > 3*time.Second {
		t.Fatalf("a slow call must end at the call timeout: %v after %s", err, time.Since(start))
	}
}

func TestEndpointResolution(t *testing.T) {
	// Without an override the SDK's resolver is used: the authorize URL
	// goes to the regional OIDC host of the partition.
	for region, host := range map[string]string{
		"eu-west-1":     "https://oidc.eu-west-1.amazonaws.com/authorize?",
		"cn-north-1":    "https://oidc.cn-north-1.amazonaws.com.cn/authorize?",
		"us-gov-west-1": "https://oidc.us-gov-west-1.amazonaws.com/authorize?",
	} {
		c := awssdk.New(awssdk.Config{Region: region})
		b := &recorder{}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		_, _ = c.LoginPKCE(ctx, &sso.Registration{ClientID: "id", ClientSecret: "s"}, sso.LoginOptions{Browser: b})
		cancel()
		if !strings.HasPrefix(b.url, host) {
			t.Errorf("%s: opened %q, want prefix %q", region, b.url, host)
		}
	}
}

func TestAuthorizeURLDropsOverridePath(t *testing.T) {
	c := awssdk.New(awssdk.Config{Region: "eu-west-1", OIDCEndpoint: "https://sso.example.test:8443/some/path"})
	b := &recorder{}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, _ = c.LoginPKCE(ctx, &sso.Registration{ClientID: "id", ClientSecret: "s"}, sso.LoginOptions{Browser: b})
	if !strings.HasPrefix(b.url, "https://sso.example.test:8443/authorize?") {
		t.Errorf("opened %q", b.url)
	}
}

// Which of the environment and the profile wins is profile's business
// (profile.TestBooleans); here ConfigFor must pass its result on.
func TestFIPSAndDualStack(t *testing.T) {
	for _, tc := range []struct {
		fips, dualStack bool
		want            string
	}{
		{false, false, "https://oidc.us-east-1.amazonaws.com/authorize?"},
		{true, false, "https://oidc-fips.us-east-1.amazonaws.com/authorize?"},
		{false, true, "https://oidc.us-east-1.api.aws/authorize?"},
	} {
		p := &profile.Profile{Region: "us-east-1", UseFIPS: tc.fips, UseDualStack: tc.dualStack}
		cfg := awssdk.ConfigFor(p)
		b := &recorder{}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		_, _ = awssdk.New(cfg).LoginPKCE(ctx, &sso.Registration{ClientID: "id", ClientSecret: "s"}, sso.LoginOptions{Browser: b})
		cancel()
		if !strings.HasPrefix(b.url, tc.want) {
			t.Errorf("fips %v dual-stack %v: opened %q, want prefix %q", tc.fips, tc.dualStack, b.url, tc.want)
		}
	}
}

type recorder struct{ url string }

func (r *recorder) Open(u string) error { r.url = u; return nil }

// No HTTP answer at all: the error names the endpoint and the cause in a
// few words, never the SDK's retry narrative.
func TestUnreachableEndpoint(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	tlsSrv := httptest.NewUnstartedServer(http.NotFoundHandler())
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0)
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	stop := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	defer hang.Close()
	defer close(stop)
	for _, tc := range []struct {
		endpoint, code, want string
		timeout              time.Duration
	}{
		// Generous timeouts where an answer comes at once: a loaded
		// machine must not turn these into timeouts.
		{closed, sso.CodeUnreachable, "RegisterClient: cannot reach " + closed + ": connection refused", 20 * time.Second},
		{tlsSrv.URL + "/some/path", sso.CodeUnreachable, "RegisterClient: cannot reach " + tlsSrv.URL + ": its TLS certificate is not trusted here", 20 * time.Second},
		{hang.URL, sso.CodeTimeout, "RegisterClient: no answer from " + hang.URL + " within 300ms", 300 * time.Millisecond},
	} {
		c := awssdk.New(awssdk.Config{Region: "eu-west-1", OIDCEndpoint: tc.endpoint, CallTimeout: tc.timeout, MaxAttempts: 1})
		_, err := c.Register(context.Background(), nil, false, startURL)
		if !sso.HasCode(err, tc.code) || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want code %s and %q…", tc.endpoint, err, tc.code, tc.want)
		}
		if strings.Contains(err.Error(), "attempts") || strings.Contains(err.Error(), "StatusCode") {
			t.Errorf("%s: the SDK's retry text leaks: %v", tc.endpoint, err)
		}
	}
}

// Answers that are well-formed JSON but say impossible things are refused
// or bounded; a huge answer is cut off.
func TestImplausibleAnswers(t *testing.T) {
	srv, _ := newClient(t, ssofake.Options{})
	// One attempt per call: each call must take exactly the answer planted
	// for it, never a retry's real one.
	c := awssdk.New(awssdk.Config{Region: "eu-west-1", OIDCEndpoint: srv.URL, PortalEndpoint: srv.URL, CallTimeout: 10 * time.Second, MaxAttempts: 1})
	ctx := context.Background()
	roleAnswer := func(key string, exp int64) string {
		return fmt.Sprintf(`{"roleCredentials":{"accessKeyId":%q,"secretAccessKey":"s","sessionToken":"t","expiration":%d}}`, key, exp)
	}
	in := func(d time.Duration) int64 { return time.Now().Add(d).UnixMilli() }
	for name, body := range map[string]string{
		"expired":          roleAnswer("ASIA", 1),
		"just expired":     roleAnswer("ASIA", in(-time.Second)),
		"13 hours":         roleAnswer("ASIA", in(13*time.Hour)),
		"year 9999":        roleAnswer("ASIA", 253402300799000),
		"year 10000":       roleAnswer("ASIA", 253402300800000),
		"64 KB key":        roleAnswer(strings.Repeat("A", 64<<10), in(time.Hour)),
		"no session token": fmt.Sprintf(`{"roleCredentials":{"accessKeyId":"ASIA","secretAccessKey":"s","expiration":%d}}`, in(time.Hour)),
	} {
		srv.Inject("GetRoleCredentials", ssofake.Fault{RawBody: body})
		if _, err := c.RoleCredentials(ctx, "x", "111122223333", "r"); !sso.HasCode(err, sso.CodeMalformed) {
			t.Errorf("%s: err = %v, want MalformedAnswer", name, err)
		}
	}
	srv.Inject("RegisterClient", ssofake.Fault{RawBody: `{"clientId":"c","clientSecret":"s","clientSecretExpiresAt":0}`})
	if _, err := c.Register(ctx, nil, false, startURL); !sso.HasCode(err, sso.CodeMalformed) {
		t.Errorf("registration that has expired: err = %v", err)
	}
	srv.Inject("GetRoleCredentials", ssofake.Fault{RawBody: roleAnswer("ASIA", in(12*time.Hour))})
	if _, err := c.RoleCredentials(ctx, "x", "111122223333", "r"); err != nil {
		t.Errorf("12-hour credentials refused: %v", err)
	}
	for name, exp := range map[string]int64{
		"centuries": 9999999999,
		"100 days":  time.Now().Add(100 * 24 * time.Hour).Unix(),
	} {
		srv.Inject("RegisterClient", ssofake.Fault{RawBody: fmt.Sprintf(`{"clientId":"c","clientSecret":"s","clientSecretExpiresAt":%d}`, exp)})
		if reg, err := c.Register(ctx, nil, false, startURL); !sso.HasCode(err, sso.CodeMalformed) {
			t.Errorf("registration for %s: %+v, %v", name, reg, err)
		}
	}
	srv.Inject("RegisterClient", ssofake.Fault{RawBody: fmt.Sprintf(`{"clientId":"c","clientSecret":"s","clientSecretExpiresAt":%d}`, time.Now().Add(90*24*time.Hour).Unix())})
	if _, err := c.Register(ctx, nil, false, startURL); err != nil {
		t.Errorf("a 90-day registration refused: %v", err)
	}
	srv.Inject("CreateToken", ssofake.Fault{RawBody: `{"accessToken":"a","expiresIn":2147483647}`})
	if tok, err := c.Refresh(ctx, &sso.Registration{ClientID: "c", ClientSecret: "s"}, "r", time.Now()); err != nil || tok.ExpiresAt.After(time.Now().Add(25*time.Hour)) {
		t.Errorf("token for decades: %+v, %v", tok, err)
	}
	for name, body := range map[string]string{
		"a 3 MB answer":          `{"accessToken":"` + strings.Repeat("a", 3<<20) + `","expiresIn":3600}`,
		"a 100 KB access token":  `{"accessToken":"` + strings.Repeat("a", 100<<10) + `","expiresIn":3600}`,
		"a 100 KB refresh token": `{"accessToken":"a","refreshToken":"` + strings.Repeat("r", 100<<10) + `","expiresIn":3600}`,
	} {
		srv.Inject("CreateToken", ssofake.Fault{RawBody: body})
		if _, err := c.Refresh(ctx, &sso.Registration{ClientID: "c", ClientSecret: "s"}, "r", time.Now()); !sso.HasCode(err, sso.CodeMalformed) || len(err.Error()) > 200 {
			t.Errorf("%s: err = %.300v", name, err)
		}
	}
}

// A service's error message and code are cut to a line's length: a 20 MB
// message reaches neither the terminal nor a lock note.
func TestHugeErrorMessageIsCut(t *testing.T) {
	srv, c := newClient(t, ssofake.Options{})
	srv.Inject("CreateToken", ssofake.Fault{Type: "InvalidGrantException", Message: strings.Repeat("x", 200<<10)})
	_, err := c.Refresh(context.Background(), &sso.Registration{ClientID: "c", ClientSecret: "s"}, "r", time.Now())
	if !strings.Contains(err.Error(), "InvalidGrantException") || !strings.Contains(err.Error(), "xxx") {
		t.Fatalf("err = %.300v", err)
	}
	if n := len([]rune(err.Error())); n > 400 {
		t.Errorf("error is %d runes long", n)
	}
}
