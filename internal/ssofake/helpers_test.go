package ssofake_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"

	"github.com/sso-credproc/sso-credproc/internal/ssofake"
)

const (
	grantDevice   = "urn:ietf:params:oauth:grant-type:device_code"
	grantAuthCode = "authorization_code"
	grantRefresh  = "refresh_token"
	startURL      = "https://d-1234567890.awsapps.com/start"
	callback      = "http://127.0.0.1/oauth/callback"
)

// clock is a settable time source for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fastRetryer is the SDK's standard retryer without the waits.
func fastRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
	})
}

func newServer(t *testing.T, opts ssofake.Options) (*ssofake.Server, *ssooidc.Client, *sso.Client) {
	t.Helper()
	srv := ssofake.New(opts)
	t.Cleanup(srv.Close)
	oc := ssooidc.New(ssooidc.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Retryer: fastRetryer()})
	pc := sso.New(sso.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Retryer: fastRetryer()})
	return srv, oc, pc
}

func register(t *testing.T, oc *ssooidc.Client, grants ...string) *ssooidc.RegisterClientOutput {
	t.Helper()
	in := &ssooidc.RegisterClientInput{
		ClientName: aws.String("sso-credproc-test"),
		ClientType: aws.String("public"),
		Scopes:     []string{"sso:account:access"},
		GrantTypes: grants,
		IssuerUrl:  aws.String(startURL),
	}
	for _, g := range grants {
		if g == grantAuthCode {
			in.RedirectUris = []string{callback}
		}
	}
	out, err := oc.RegisterClient(context.Background(), in)
	if err != nil {
		t.Fatalf("RegisterClient: %v", err)
	}
	return out
}

func startDevice(t *testing.T, oc *ssooidc.Client, reg *ssooidc.RegisterClientOutput) *ssooidc.StartDeviceAuthorizationOutput {
	t.Helper()
	out, err := oc.StartDeviceAuthorization(context.Background(), &ssooidc.StartDeviceAuthorizationInput{
		ClientId:     reg.ClientId,
		ClientSecret: reg.ClientSecret,
		StartUrl:     aws.String(startURL),
	})
	if err != nil {
		t.Fatalf("StartDeviceAuthorization: %v", err)
	}
	return out
}

func pollDevice(oc *ssooidc.Client, reg *ssooidc.RegisterClientOutput, deviceCode *string) (*ssooidc.CreateTokenOutput, error) {
	return oc.CreateToken(context.Background(), &ssooidc.CreateTokenInput{
		ClientId:     reg.ClientId,
		ClientSecret: reg.ClientSecret,
		GrantType:    aws.String(grantDevice),
		DeviceCode:   deviceCode,
	})
}

// get fetches url without following redirects.
func get(t *testing.T, url string) *http.Response {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// loginDevice runs the whole device code flow and returns the token.
func loginDevice(t *testing.T, oc *ssooidc.Client, reg *ssooidc.RegisterClientOutput) *ssooidc.CreateTokenOutput {
	t.Helper()
	dev := startDevice(t, oc, reg)
	if resp := get(t, *dev.VerificationUriComplete); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", *dev.VerificationUriComplete, resp.Status)
	}
	tok, err := pollDevice(oc, reg, dev.DeviceCode)
	if err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	return tok
}

// pkce returns a code verifier and its S256 challenge.
func pkce() (verifier, challenge string) {
	verifier = base64.RawURLEncoding.EncodeToString([]byte(rand.Text() + rand.Text()))[:64]
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// wantErr checks that err is a T and returns it.
func wantErr[T error](t *testing.T, err error) T {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("got error %v (%T), want %T", err, err, target)
	}
	return target
}
