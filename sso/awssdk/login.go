package awssdk

import (
	"cmp"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	"golang.org/x/net/netutil"

	"github.com/sso-credproc/sso-credproc/sso"
)

// callbackResult is what the loopback listener received.
type callbackResult struct {
	code string
	err  error
}

// LoginPKCE runs the authorization code grant with PKCE: a loopback listener
// on 127.0.0.1, the browser sent to the OIDC endpoint's /authorize page, and
// CreateToken with the code and verifier. It returns when ctx ends at the latest.
func (c *Client) LoginPKCE(ctx context.Context, reg *sso.Registration, o sso.LoginOptions) (*sso.Token, error) {
	base, err := c.oidcBase(ctx)
	if err != nil {
		return nil, err
	}
	pk, err := sso.NewVerifier()
	if err != nil {
		return nil, err
	}
	state, err := sso.RandomString(32)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen on 127.0.0.1 for the sign-in callback: %w", err)
	}
	redirect := fmt.Sprintf("http://127.0.0.1:%d/oauth/callback", ln.Addr().(*net.TCPAddr).Port)

	results := make(chan callbackResult, 1)
	srv := &http.Server{
		Handler:           callbackHandler(ln.Addr().String(), state, results),
		ReadHeaderTimeout: 3 * time.Second,
		ReadTimeout:       3 * time.Second,
		WriteTimeout:      10 * time.Second,
		MaxHeaderBytes:    maxCallbackHeader,
	}
	// One request per connection and a few connections at a time: a local
	// process flooding the port can slow the callback down, not exhaust
	// this process.
	srv.SetKeepAlivesEnabled(false)
	go srv.Serve(netutil.LimitListener(ln, maxCallbackConns)) //nolint:errcheck // Serve returns ErrServerClosed after Shutdown
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()

	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {reg.ClientID},
		"redirect_uri":          {redirect},
		"state":                 {state},
		"code_challenge_method": {"S256"},
		"scopes":                {strings.Join(o.Scopes, ",")},
		"code_challenge":        {pk.Challenge},
	}
	if o.Browser == nil {
		o.Tell("this sign-in URL works only in a browser on this machine (it returns to 127.0.0.1:%d here); from another machine, use --use-device-code instead", ln.Addr().(*net.TCPAddr).Port)
	}
	o.Open(base + "/authorize?" + q.Encode())

	var res callbackResult
	select {
	case res = <-results:
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for the browser sign-in: %w", ctx.Err())
	}
	if res.err != nil {
		return nil, res.err
	}
	// The exchange runs to its end (CallTimeout) even if ctx is cancelled
	// now: the user has signed in, and the token it returns must be kept.
	return c.createToken(context.WithoutCancel(ctx), "CreateToken(authorization_code)", &ssooidc.CreateTokenInput{
		ClientId:     aws.String(reg.ClientID),
		ClientSecret: aws.String(reg.ClientSecret),
		GrantType:    aws.String(sso.GrantAuthorizationCode),
		Code:         aws.String(res.code),
		CodeVerifier: aws.String(pk.Verifier),
		RedirectUri:  aws.String(redirect),
	}, o.Time())
}

// callbackHandler answers the browser's redirect to /oauth/callback and sends
// the outcome on results once. Only a request for this listener's own
// address (host) whose state matches ends the wait, with the code or the
// error it carries: anything else — another local process guessing at the
// port, a web page rebinding a name to 127.0.0.1 — gets 400 and changes
// nothing, so it cannot abort the sign-in or slip in a code of its own.
func callbackHandler(host, state string, results chan<- callbackResult) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oauth/callback", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if r.Host != host || subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1 {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, page, "Not this sign-in", "This page does not belong to the sign-in under way.")
			return
		}
		var res callbackResult
		switch {
		case q.Get("error") != "":
			res.err = fmt.Errorf("sign-in refused (%s): %s", q.Get("error"), cmp.Or(q.Get("error_description"), "no reason given"))
		case q.Get("code") == "":
			res.err = errors.New("sign-in callback carries no code")
		default:
			res.code = q.Get("code")
		}
		if res.err != nil {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, page, "Sign-in failed", html.EscapeString(res.err.Error()))
		} else {
			fmt.Fprintf(w, page, "Signed in", "sso-credproc has your sign-in. You can close this window.")
		}
		select {
		case results <- res:
		default: // a result was already taken; later callbacks change nothing
		}
	})
	return mux
}

// Bounds on the loopback callback's requests: the redirect is one short GET
// (state, code: well under 4 KiB). net/http counts the request line in
// MaxHeaderBytes and answers 431 beyond it.
const (
	maxCallbackHeader = 16 << 10
	maxCallbackConns  = 64
)

const page = `<!doctype html><html><head><meta charset="utf-8"><title>sso-credproc</title></head>` +
	`<body><h1>%s</h1><p>%s</p></body></html>`

// LoginDevice runs the device authorization grant: StartDeviceAuthorization,
// the browser sent to the verification page, then CreateToken polled as
// RFC 8628 says (interval, slow_down adds 5 s) until the user approves, the
// code expires, the user refuses or ctx ends.
func (c *Client) LoginDevice(ctx context.Context, reg *sso.Registration, o sso.LoginOptions) (*sso.Token, error) {
	sctx, cancel := context.WithTimeout(ctx, c.cfg.CallTimeout)
	da, err := c.oidcClient().StartDeviceAuthorization(sctx, &ssooidc.StartDeviceAuthorizationInput{
		ClientId:     aws.String(reg.ClientID),
		ClientSecret: aws.String(reg.ClientSecret),
		StartUrl:     aws.String(o.StartURL),
	})
	cancel()
	if err != nil {
		return nil, c.wrap("StartDeviceAuthorization", err, c.oidcEndpoint)
	}
	if err := checkFields("StartDeviceAuthorization", "deviceCode", aws.ToString(da.DeviceCode), "verificationUri", aws.ToString(da.VerificationUri)); err != nil {
		return nil, err
	}
	page, err := verificationPage(aws.ToString(da.VerificationUri))
	if err != nil {
		return nil, &sso.Error{Op: "StartDeviceAuthorization", Code: sso.CodeMalformed, Message: "verificationUri " + err.Error()}
	}
	open := page
	if complete, err := verificationPage(aws.ToString(da.VerificationUriComplete)); err == nil {
		open = complete
	}
	code := aws.ToString(da.UserCode)
	if !plainCode(code) {
		return nil, &sso.Error{Op: "StartDeviceAuthorization", Code: sso.CodeMalformed, Message: "userCode is not a plain code"}
	}
	o.Tell("sign-in code: %s (check that the browser shows the same code; page: %s)", code, page)
	o.Open(open)

	in := &ssooidc.CreateTokenInput{
		ClientId:     aws.String(reg.ClientID),
		ClientSecret: aws.String(reg.ClientSecret),
		GrantType:    aws.String(sso.GrantDeviceCode),
		DeviceCode:   da.DeviceCode,
	}
	poll := func(ctx context.Context) (*sso.Token, error) {
		// A poll, once sent, runs to its end (CallTimeout): the answer may
		// be the token of a sign-in the user has just approved.
		return c.createToken(context.WithoutCancel(ctx), "CreateToken(device_code)", in, o.Time())
	}
	return sso.PollDevice(ctx, time.Duration(da.Interval)*time.Second, time.Duration(da.ExpiresIn)*time.Second, o.After, poll)
}

// verificationPage checks a verification URI of the device flow before it
// is shown or handed to a browser: an absolute https URL (http only on a
// loopback host, as the fake serves), with nothing a terminal or a browser
// command line would read as more than a URL. It returns the URL as
// url.URL writes it.
func verificationPage(raw string) (string, error) {
	if raw == "" {
		return "", errors.New("is empty")
	}
	if len(raw) > maxURL {
		return "", fmt.Errorf("is longer than %d bytes", maxURL)
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.User != nil {
		return "", errors.New("is not an absolute URL")
	}
	host := u.Hostname()
	loopback := host == "localhost" || net.ParseIP(host).IsLoopback()
	if u.Scheme != "https" && !(u.Scheme == "http" && loopback) {
		return "", errors.New("is not an https URL")
	}
	s := u.String()
	for _, r := range s {
		if r <= ' ' || r == 0x7f {
			return "", errors.New("holds spaces or control characters")
		}
	}
	return s, nil
}

// maxURL bounds a verification URI: the service's are under 100 bytes.
const maxURL = 2048

// plainCode reports whether a user code is letters, digits and dashes, as
// the service issues them (e.g. ABCD-EFGH), short enough to read.
func plainCode(c string) bool {
	if c == "" || len(c) > 32 {
		return false
	}
	for _, r := range c {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}
