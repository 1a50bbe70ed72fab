// Package awssdk makes sso-credproc's IAM Identity Center calls with the
// aws-sdk-go-v2 clients (service/ssooidc and service/sso): client
// registration, the two login flows (authorization code with PKCE, device
// code), token refresh and role credentials. It keeps no state; tokencache
// decides when to call it.
package awssdk

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awssso "github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/sso-credproc/sso-credproc/profile"
	"github.com/sso-credproc/sso-credproc/sso"
)

// Config says where the IAM Identity Center endpoints are.
type Config struct {
	Region         string
	OIDCEndpoint   string // "" = the SDK's resolver for Region
	PortalEndpoint string // "" = the SDK's resolver for Region
	// CallTimeout bounds one API call including the SDK's retries.
	CallTimeout time.Duration
	// MaxAttempts of the SDK's standard retryer (0 = its default, 3).
	MaxAttempts int
	// UseFIPS and UseDualStack select the FIPS and dual-stack endpoints of
	// the SDK's resolver (no effect on an endpoint override).
	UseFIPS, UseDualStack bool
}

// ConfigFor is the Config for a profile resolved by profile.Load, which
// has read and checked the endpoint overrides and the FIPS and dual-stack
// switches (AWS_USE_FIPS_ENDPOINT / AWS_USE_DUALSTACK_ENDPOINT, else the
// profile's use_fips_endpoint / use_dualstack_endpoint, as in the SDKs).
func ConfigFor(p *profile.Profile) Config {
	return Config{
		Region:         p.Region,
		OIDCEndpoint:   p.OIDCEndpoint,
		PortalEndpoint: p.PortalEndpoint,
		UseFIPS:        p.UseFIPS,
		UseDualStack:   p.UseDualStack,
	}
}

func (c *Client) endpointOptions() (fips aws.FIPSEndpointState, dual aws.DualStackEndpointState) {
	if c.cfg.UseFIPS {
		fips = aws.FIPSEndpointStateEnabled
	}
	if c.cfg.UseDualStack {
		dual = aws.DualStackEndpointStateEnabled
	}
	return fips, dual
}

// Bounds on what the service says, so that a wrong or hostile answer cannot
// make sso-credproc hold hundreds of MB or fill a terminal; lifetimes are
// bounded by sso.MaxRegistration, sso.MaxRoleSession and
// sso.MaxTokenLifetime.
const (
	// maxAnswer bounds the body of any answer; the service's are a few KB.
	maxAnswer = 256 << 10
	// maxField bounds each value that is stored or printed (client ID and
	// secret, access and refresh tokens, role credentials' fields): real
	// ones are at most a few KB.
	maxField = 32 << 10
	// maxMessage bounds, in runes, a service's error message as shown; a
	// longer one is cut. maxCode bounds the error code.
	maxMessage, maxCode = 300, 80
)

// checkFields returns a malformed-answer error naming the first field that
// is empty or longer than maxField. Pairs are name, value.
func checkFields(op string, pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		switch n := len(pairs[i+1]); {
		case n == 0:
			return &sso.Error{Op: op, Code: sso.CodeMalformed, Message: "answer has no " + pairs[i]}
		case n > maxField:
			return &sso.Error{Op: op, Code: sso.CodeMalformed, Message: fmt.Sprintf("answer's %s is %d bytes, more than %d", pairs[i], n, maxField)}
		}
	}
	return nil
}

// cappedClient reads at most maxAnswer bytes of an answer's body; more is
// an error, so that a hostile endpoint cannot make sso-credproc hold
// hundreds of MB.
type cappedClient struct{ c aws.HTTPClient }

func (c cappedClient) Do(r *http.Request) (*http.Response, error) {
	resp, err := c.c.Do(r)
	if resp != nil && resp.Body != nil {
		resp.Body = &cappedBody{ReadCloser: resp.Body, left: maxAnswer}
	}
	return resp, err
}

type cappedBody struct {
	io.ReadCloser
	left int64
}

var errAnswerTooLarge = fmt.Errorf("the answer is larger than %d bytes", maxAnswer)

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, errAnswerTooLarge
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return 0, errAnswerTooLarge
	}
	return n, err
}

// Client talks to SSO OIDC and the SSO portal. It is cheap to build: the SDK
// clients are only constructed when first used.
type Client struct {
	cfg    Config
	oidc   *ssooidc.Client
	portal *awssso.Client
}

// New returns a Client for cfg.
func New(cfg Config) *Client {
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = 30 * time.Second
	}
	return &Client{cfg: cfg}
}

func (c *Client) retryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		if c.cfg.MaxAttempts > 0 {
			o.MaxAttempts = c.cfg.MaxAttempts
		}
		o.MaxBackoff = 5 * time.Second
	})
}

func (c *Client) httpClient() aws.HTTPClient {
	return cappedClient{awshttp.NewBuildableClient()}
}

func (c *Client) oidcClient() *ssooidc.Client {
	if c.oidc == nil {
		o := ssooidc.Options{Region: c.cfg.Region, Retryer: c.retryer(), AppID: sso.ClientName, HTTPClient: c.httpClient()}
		o.EndpointOptions.UseFIPSEndpoint, o.EndpointOptions.UseDualStackEndpoint = c.endpointOptions()
		if c.cfg.OIDCEndpoint != "" {
			o.BaseEndpoint = aws.String(c.cfg.OIDCEndpoint)
		}
		c.oidc = ssooidc.New(o)
	}
	return c.oidc
}

func (c *Client) portalClient() *awssso.Client {
	if c.portal == nil {
		o := awssso.Options{Region: c.cfg.Region, Retryer: c.retryer(), AppID: sso.ClientName, HTTPClient: c.httpClient()}
		o.EndpointOptions.UseFIPSEndpoint, o.EndpointOptions.UseDualStackEndpoint = c.endpointOptions()
		if c.cfg.PortalEndpoint != "" {
			o.BaseEndpoint = aws.String(c.cfg.PortalEndpoint)
		}
		c.portal = awssso.New(o)
	}
	return c.portal
}

// oidcEndpoint and portalEndpoint name the endpoints in messages.
func (c *Client) oidcEndpoint() string {
	if b, err := c.oidcBase(context.Background()); err == nil {
		return b
	}
	return "the SSO OIDC endpoint"
}

func (c *Client) portalEndpoint() string {
	params := awssso.EndpointParameters{
		Region:       aws.String(c.cfg.Region),
		UseDualStack: aws.Bool(c.cfg.UseDualStack),
		UseFIPS:      aws.Bool(c.cfg.UseFIPS),
	}
	if c.cfg.PortalEndpoint != "" {
		params.Endpoint = aws.String(c.cfg.PortalEndpoint)
	}
	ep, err := awssso.NewDefaultEndpointResolverV2().ResolveEndpoint(context.Background(), params)
	if err != nil {
		return "the SSO portal endpoint"
	}
	return ep.URI.Scheme + "://" + ep.URI.Host
}

// oidcBase returns scheme://host of the SSO OIDC endpoint, where the browser
// is sent for the authorization-code flow. The path of an override is dropped.
func (c *Client) oidcBase(ctx context.Context) (string, error) {
	params := ssooidc.EndpointParameters{
		Region:       aws.String(c.cfg.Region),
		UseDualStack: aws.Bool(c.cfg.UseDualStack),
		UseFIPS:      aws.Bool(c.cfg.UseFIPS),
	}
	if c.cfg.OIDCEndpoint != "" {
		params.Endpoint = aws.String(c.cfg.OIDCEndpoint)
	}
	ep, err := ssooidc.NewDefaultEndpointResolverV2().ResolveEndpoint(ctx, params)
	if err != nil {
		return "", fmt.Errorf("resolve the SSO OIDC endpoint for region %q: %w", c.cfg.Region, err)
	}
	u := url.URL{Scheme: ep.URI.Scheme, Host: ep.URI.Host}
	return u.String(), nil
}

// Register registers a public client. With pkce the registration allows the
// authorization_code and refresh_token grants and the loopback redirect URI;
// otherwise it is a device-code registration. issuerURL is the start URL.
func (c *Client) Register(ctx context.Context, scopes []string, pkce bool, issuerURL string) (*sso.Registration, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.CallTimeout)
	defer cancel()
	in := &ssooidc.RegisterClientInput{
		ClientName: aws.String(sso.ClientName),
		ClientType: aws.String("public"),
		Scopes:     scopes,
	}
	if pkce {
		in.GrantTypes = []string{sso.GrantAuthorizationCode, sso.GrantRefreshToken}
		in.RedirectUris = []string{sso.RedirectURI}
		in.IssuerUrl = aws.String(issuerURL)
	}
	out, err := c.oidcClient().RegisterClient(ctx, in)
	if err != nil {
		return nil, c.wrap("RegisterClient", err, c.oidcEndpoint)
	}
	if err := checkFields("RegisterClient", "clientId", aws.ToString(out.ClientId), "clientSecret", aws.ToString(out.ClientSecret)); err != nil {
		return nil, err
	}
	now := time.Now()
	expires := time.Unix(out.ClientSecretExpiresAt, 0).UTC()
	switch {
	case !expires.After(now):
		return nil, &sso.Error{Op: "RegisterClient", Code: sso.CodeMalformed, Message: "answer has a clientSecretExpiresAt in the past"}
	case expires.After(now.Add(sso.MaxRegistration)):
		return nil, &sso.Error{Op: "RegisterClient", Code: sso.CodeMalformed, Message: "answer has a clientSecretExpiresAt more than 90 days away"}
	}
	return &sso.Registration{
		ClientID:     aws.ToString(out.ClientId),
		ClientSecret: aws.ToString(out.ClientSecret),
		ExpiresAt:    expires,
		Scopes:       scopes,
		GrantTypes:   in.GrantTypes,
	}, nil
}

// Refresh exchanges a refresh token for a new access token. The answer may
// carry a new (rotated) refresh token; Token.RefreshToken is what the service
// returned, empty when it returned none.
func (c *Client) Refresh(ctx context.Context, reg *sso.Registration, refreshToken string, now time.Time) (*sso.Token, error) {
	return c.createToken(ctx, "CreateToken(refresh_token)", &ssooidc.CreateTokenInput{
		ClientId:     aws.String(reg.ClientID),
		ClientSecret: aws.String(reg.ClientSecret),
		GrantType:    aws.String(sso.GrantRefreshToken),
		RefreshToken: aws.String(refreshToken),
	}, now)
}

func (c *Client) createToken(ctx context.Context, op string, in *ssooidc.CreateTokenInput, now time.Time) (*sso.Token, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.CallTimeout)
	defer cancel()
	out, err := c.oidcClient().CreateToken(ctx, in)
	if err != nil {
		return nil, c.wrap(op, err, c.oidcEndpoint)
	}
	if out.ExpiresIn <= 0 {
		return nil, &sso.Error{Op: op, Code: sso.CodeMalformed, Message: "answer has no expiresIn"}
	}
	if err := checkFields(op, "accessToken", aws.ToString(out.AccessToken)); err != nil {
		return nil, err
	}
	if len(aws.ToString(out.RefreshToken)) > maxField {
		return nil, checkFields(op, "refreshToken", aws.ToString(out.RefreshToken))
	}
	lifetime := min(time.Duration(out.ExpiresIn)*time.Second, sso.MaxTokenLifetime)
	return &sso.Token{
		AccessToken:  aws.ToString(out.AccessToken),
		RefreshToken: aws.ToString(out.RefreshToken),
		ExpiresAt:    now.Add(lifetime).UTC(),
	}, nil
}

// RoleCredentials calls sso:GetRoleCredentials.
func (c *Client) RoleCredentials(ctx context.Context, accessToken, accountID, roleName string) (*sso.RoleCredentials, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.CallTimeout)
	defer cancel()
	out, err := c.portalClient().GetRoleCredentials(ctx, &awssso.GetRoleCredentialsInput{
		AccessToken: aws.String(accessToken),
		AccountId:   aws.String(accountID),
		RoleName:    aws.String(roleName),
	})
	if err != nil {
		return nil, c.wrap("GetRoleCredentials", err, c.portalEndpoint)
	}
	rc := out.RoleCredentials
	if rc == nil || rc.Expiration <= 0 {
		return nil, &sso.Error{Op: "GetRoleCredentials", Code: sso.CodeMalformed, Message: "answer lacks roleCredentials fields"}
	}
	if err := checkFields("GetRoleCredentials", "accessKeyId", aws.ToString(rc.AccessKeyId),
		"secretAccessKey", aws.ToString(rc.SecretAccessKey), "sessionToken", aws.ToString(rc.SessionToken)); err != nil {
		return nil, err
	}
	exp, now := time.UnixMilli(rc.Expiration).UTC(), time.Now()
	switch {
	case !exp.After(now):
		return nil, &sso.Error{Op: "GetRoleCredentials", Code: sso.CodeMalformed, Message: "answer has an expiration in the past"}
	case exp.After(now.Add(sso.MaxRoleSession)):
		return nil, &sso.Error{Op: "GetRoleCredentials", Code: sso.CodeMalformed, Message: "answer has an expiration more than 12 hours away"}
	}
	return &sso.RoleCredentials{
		AccessKeyID:     aws.ToString(rc.AccessKeyId),
		SecretAccessKey: aws.ToString(rc.SecretAccessKey),
		SessionToken:    aws.ToString(rc.SessionToken),
		Expiration:      exp,
	}, nil
}

// wrap turns an SDK error into an *sso.Error; endpoint names the endpoint
// called, for errors that got no answer.
func (c *Client) wrap(op string, err error, endpoint func() string) error {
	e := &sso.Error{Op: op, Err: err}
	var ae smithy.APIError
	var de *smithy.DeserializationError
	var ue *url.Error
	switch {
	case errors.As(err, &de):
		// The SDK's text may quote the body; keep it out of messages.
		e.Code, e.Message, e.Err = sso.CodeMalformed, "the answer could not be read", nil
		var re *smithyhttp.ResponseError
		if errors.As(err, &re) {
			e.Message += fmt.Sprintf(" (HTTP %d)", re.HTTPStatusCode())
		}
	case errors.As(err, &ae):
		e.Code = sso.Clip(ae.ErrorCode(), maxCode)
		e.Message = ae.ErrorMessage()
		if e.Message == "" {
			e.Message = oauthDescription(ae)
		}
		e.Message = sso.Clip(e.Message, maxMessage)
	case errors.As(err, &ue):
		// No answer: name the endpoint and the cause, not the SDK's retry
		// narrative.
		e.Err = nil
		if ue.Timeout() || errors.Is(err, context.DeadlineExceeded) {
			e.Code, e.Message = sso.CodeTimeout, fmt.Sprintf("no answer from %s within %s", endpointOf(ue.URL), c.cfg.CallTimeout)
		} else {
			e.Code, e.Message = sso.CodeUnreachable, "cannot reach "+endpointOf(ue.URL)+": "+netCause(ue.Err)
		}
	case errors.Is(err, context.DeadlineExceeded):
		e.Code = sso.CodeTimeout
		e.Message = fmt.Sprintf("no answer from %s within %s", endpoint(), c.cfg.CallTimeout)
	}
	return e
}

// endpointOf returns scheme://host of a request URL (no path or query).
func endpointOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "the endpoint"
	}
	return u.Scheme + "://" + u.Host
}

// netCause says in a few words why a connection failed.
func netCause(err error) string {
	var (
		dns   *net.DNSError
		op    *net.OpError
		cert  *tls.CertificateVerificationError
		unkCA x509.UnknownAuthorityError
		host  x509.HostnameError
	)
	switch {
	case errors.As(err, &dns):
		if dns.IsNotFound {
			return fmt.Sprintf("the host name %s does not resolve", dns.Name)
		}
		return fmt.Sprintf("looking up %s failed: %s", dns.Name, dns.Err)
	case errors.As(err, &op) && op.Op == "proxyconnect":
		return fmt.Sprintf("the proxy %s: %s", op.Addr, causeText(op.Err))
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.As(err, &unkCA), errors.As(err, &host), errors.As(err, &cert):
		return "its TLS certificate is not trusted here (" + causeText(err) + ")"
	}
	return causeText(err)
}

// causeText is the innermost message of err.
func causeText(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

// oauthDescription returns the OAuth error_description that SSO OIDC
// exceptions carry instead of a message ("" when there is none).
func oauthDescription(err error) string {
	v := reflect.ValueOf(err)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return ""
	}
	f := v.Elem().FieldByName("Error_description")
	if f.Kind() != reflect.Pointer || f.IsNil() || f.Elem().Kind() != reflect.String {
		return ""
	}
	return f.Elem().String()
}
