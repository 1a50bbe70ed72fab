package sso

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
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
)

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

func (o *LoginOptions) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o *LoginOptions) notify(format string, args ...any) {
	if o.Notify != nil {
		o.Notify(fmt.Sprintf(format, args...))
	}
}

// open opens the browser if there is one and says what the user has to do.
func (o *LoginOptions) open(u string) {
	if o.Browser == nil {
		o.notify("open this URL in a browser to sign in: %s", u)
		return
	}
	if err := o.Browser.Open(u); err != nil {
		o.notify("could not open a browser (%v); open this URL to sign in: %s", err, u)
		return
	}
	o.notify("a browser was opened to sign in; if it did not appear, open: %s", u)
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

func randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// callbackResult is what the loopback listener received.
type callbackResult struct {
	code string
	err  error
}

// LoginPKCE runs the authorization code grant with PKCE: a loopback listener
// on 127.0.0.1, the browser sent to the OIDC endpoint's /authorize page, and
// CreateToken with the code and verifier. It returns when ctx ends at the latest.
func (c *Client) LoginPKCE(ctx context.Context, reg *Registration, o LoginOptions) (*Token, error) {
	base, err := c.oidcBase(ctx)
	if err != nil {
		return nil, err
	}
	pk, err := NewVerifier()
	if err != nil {
		return nil, err
	}
	state, err := randomString(32)
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
		Handler:           callbackHandler(state, results),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go srv.Serve(ln) //nolint:errcheck // Serve returns ErrServerClosed after Shutdown
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
	o.open(base + "/authorize?" + q.Encode())

	var res callbackResult
	select {
	case res = <-results:
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for the browser sign-in: %w", ctx.Err())
	}
	if res.err != nil {
		return nil, res.err
	}
	return c.createToken(ctx, "CreateToken(authorization_code)", &ssooidc.CreateTokenInput{
		ClientId:     aws.String(reg.ClientID),
		ClientSecret: aws.String(reg.ClientSecret),
		GrantType:    aws.String(GrantAuthorizationCode),
		Code:         aws.String(res.code),
		CodeVerifier: aws.String(pk.Verifier),
		RedirectUri:  aws.String(redirect),
	}, o.now())
}

// callbackHandler answers the browser's redirect to /oauth/callback and sends
// the outcome on results once. A wrong state ends the login: it means the
// answer is not for this request.
func callbackHandler(state string, results chan<- callbackResult) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oauth/callback", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		var res callbackResult
		switch {
		case q.Get("state") != state:
			res.err = errors.New("sign-in callback: the state does not match this login; start it again")
		case q.Get("error") != "":
			res.err = fmt.Errorf("sign-in refused (%s): %s", q.Get("error"), firstNonEmpty(q.Get("error_description"), "no reason given"))
		case q.Get("code") == "":
			res.err = errors.New("sign-in callback carries no code")
		default:
			res.code = q.Get("code")
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
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

const page = `<!doctype html><html><head><meta charset="utf-8"><title>sso-credproc</title></head>` +
	`<body><h1>%s</h1><p>%s</p></body></html>`

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// LoginDevice runs the device authorization grant: StartDeviceAuthorization,
// the browser sent to the verification page, then CreateToken polled as
// RFC 8628 says (interval, slow_down adds 5 s) until the user approves, the
// code expires, the user refuses or ctx ends.
func (c *Client) LoginDevice(ctx context.Context, reg *Registration, o LoginOptions) (*Token, error) {
	sctx, cancel := context.WithTimeout(ctx, c.cfg.CallTimeout)
	da, err := c.oidcClient().StartDeviceAuthorization(sctx, &ssooidc.StartDeviceAuthorizationInput{
		ClientId:     aws.String(reg.ClientID),
		ClientSecret: aws.String(reg.ClientSecret),
		StartUrl:     aws.String(o.StartURL),
	})
	cancel()
	if err != nil {
		return nil, wrap("StartDeviceAuthorization", err)
	}
	if aws.ToString(da.DeviceCode) == "" || aws.ToString(da.VerificationUri) == "" {
		return nil, &Error{Op: "StartDeviceAuthorization", Code: CodeMalformed, Message: "answer has no deviceCode or verificationUri"}
	}
	o.notify("sign-in code: %s (check that the browser shows the same code; page: %s)", aws.ToString(da.UserCode), aws.ToString(da.VerificationUri))
	o.open(firstNonEmpty(aws.ToString(da.VerificationUriComplete), aws.ToString(da.VerificationUri)))

	in := &ssooidc.CreateTokenInput{
		ClientId:     aws.String(reg.ClientID),
		ClientSecret: aws.String(reg.ClientSecret),
		GrantType:    aws.String(GrantDeviceCode),
		DeviceCode:   da.DeviceCode,
	}
	poll := func(ctx context.Context) (*Token, error) {
		return c.createToken(ctx, "CreateToken(device_code)", in, o.now())
	}
	return PollDevice(ctx, time.Duration(da.Interval)*time.Second, time.Duration(da.ExpiresIn)*time.Second, o.After, poll)
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
