package ssofake_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc/types"
	"github.com/aws/smithy-go"

	"github.com/sso-credproc/sso-credproc/internal/ssofake"
)

func TestRegisterClient(t *testing.T) {
	clk := newClock()
	srv, oc, _ := newServer(t, ssofake.Options{Now: clk.Now})

	legacy := register(t, oc)
	if legacy.AuthorizationEndpoint != nil || legacy.TokenEndpoint != nil {
		t.Errorf("legacy registration has endpoints %v, %v", *legacy.AuthorizationEndpoint, *legacy.TokenEndpoint)
	}
	if legacy.ClientIdIssuedAt != clk.Now().Unix() {
		t.Errorf("clientIdIssuedAt = %d, want %d", legacy.ClientIdIssuedAt, clk.Now().Unix())
	}
	if want := clk.Now().Add(90 * 24 * time.Hour).Unix(); legacy.ClientSecretExpiresAt != want {
		t.Errorf("clientSecretExpiresAt = %d, want %d", legacy.ClientSecretExpiresAt, want)
	}

	pkce := register(t, oc, grantAuthCode, grantRefresh)
	if aws.ToString(pkce.AuthorizationEndpoint) != srv.URL+"/authorize" || aws.ToString(pkce.TokenEndpoint) != srv.URL+"/token" {
		t.Errorf("endpoints = %q, %q", aws.ToString(pkce.AuthorizationEndpoint), aws.ToString(pkce.TokenEndpoint))
	}
	if *pkce.ClientId == *legacy.ClientId || *pkce.ClientSecret == *legacy.ClientSecret {
		t.Error("two registrations share a client ID or secret")
	}
	if got := srv.Count("RegisterClient"); got != 2 {
		t.Errorf("Count(RegisterClient) = %d, want 2", got)
	}
}

func TestRegisterClientErrors(t *testing.T) {
	_, oc, _ := newServer(t, ssofake.Options{})
	tests := []struct {
		name string
		in   ssooidc.RegisterClientInput
		want func(*testing.T, error)
	}{
		{"confidential", ssooidc.RegisterClientInput{ClientType: aws.String("confidential")},
			func(t *testing.T, err error) { wantErr[*types.InvalidClientMetadataException](t, err) }},
		{"unknown grant", ssooidc.RegisterClientInput{GrantTypes: []string{"password"}},
			func(t *testing.T, err error) { wantErr[*types.InvalidClientMetadataException](t, err) }},
		{"no redirect", ssooidc.RegisterClientInput{GrantTypes: []string{grantAuthCode}},
			func(t *testing.T, err error) { wantErr[*types.InvalidRedirectUriException](t, err) }},
		{"remote redirect", ssooidc.RegisterClientInput{GrantTypes: []string{grantAuthCode}, RedirectUris: []string{"http://example.com/oauth/callback"}},
			func(t *testing.T, err error) { wantErr[*types.InvalidRedirectUriException](t, err) }},
		{"https redirect", ssooidc.RegisterClientInput{GrantTypes: []string{grantAuthCode}, RedirectUris: []string{"https://127.0.0.1/oauth/callback"}},
			func(t *testing.T, err error) { wantErr[*types.InvalidRedirectUriException](t, err) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.ClientName = aws.String("test")
			if in.ClientType == nil {
				in.ClientType = aws.String("public")
			}
			_, err := oc.RegisterClient(context.Background(), &in)
			tt.want(t, err)
		})
	}
}

func TestDeviceFlow(t *testing.T) {
	srv, oc, _ := newServer(t, ssofake.Options{})
	reg := register(t, oc, grantDevice, grantRefresh)
	dev := startDevice(t, oc, reg)

	if !regexp.MustCompile(`^[A-Z]{4}-[A-Z]{4}$`).MatchString(*dev.UserCode) {
		t.Errorf("userCode = %q", *dev.UserCode)
	}
	if *dev.VerificationUri != srv.URL+"/device" {
		t.Errorf("verificationUri = %q", *dev.VerificationUri)
	}
	if want := srv.URL + "/device?user_code=" + *dev.UserCode; *dev.VerificationUriComplete != want {
		t.Errorf("verificationUriComplete = %q, want %q", *dev.VerificationUriComplete, want)
	}
	if dev.ExpiresIn != 600 || dev.Interval != 1 {
		t.Errorf("expiresIn, interval = %d, %d, want 600, 1", dev.ExpiresIn, dev.Interval)
	}

	_, err := pollDevice(oc, reg, dev.DeviceCode)
	pending := wantErr[*types.AuthorizationPendingException](t, err)
	if aws.ToString(pending.Error_) != "authorization_pending" {
		t.Errorf("error = %q, want authorization_pending", aws.ToString(pending.Error_))
	}

	if resp := get(t, *dev.VerificationUriComplete); resp.StatusCode != http.StatusOK {
		t.Fatalf("verification page: %s", resp.Status)
	}
	tok, err := pollDevice(oc, reg, dev.DeviceCode)
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(tok.AccessToken) == "" || aws.ToString(tok.RefreshToken) == "" {
		t.Errorf("token = %q, refresh token = %q", aws.ToString(tok.AccessToken), aws.ToString(tok.RefreshToken))
	}
	if aws.ToString(tok.TokenType) != "Bearer" || tok.ExpiresIn != 3600 {
		t.Errorf("tokenType, expiresIn = %q, %d", aws.ToString(tok.TokenType), tok.ExpiresIn)
	}

	_, err = pollDevice(oc, reg, dev.DeviceCode)
	wantErr[*types.InvalidGrantException](t, err)

	for op, want := range map[string]int{
		"StartDeviceAuthorization": 1, "Verify": 1, "CreateToken": 3, "CreateToken:device_code": 3,
	} {
		if got := srv.Count(op); got != want {
			t.Errorf("Count(%s) = %d, want %d", op, got, want)
		}
	}
}

func TestDeviceFlowRefreshTokens(t *testing.T) {
	no := false
	tests := []struct {
		name   string
		opts   ssofake.Options
		grants []string
		want   bool
	}{
		{"legacy", ssofake.Options{}, nil, false},
		{"without refresh grant", ssofake.Options{}, []string{grantDevice}, false},
		{"with refresh grant", ssofake.Options{}, []string{grantDevice, grantRefresh}, true},
		{"not issued", ssofake.Options{IssueRefreshTokens: &no}, []string{grantDevice, grantRefresh}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, oc, _ := newServer(t, tt.opts)
			tok := loginDevice(t, oc, register(t, oc, tt.grants...))
			if got := tok.RefreshToken != nil; got != tt.want {
				t.Errorf("got refresh token %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDeviceFlowErrors(t *testing.T) {
	tests := []struct {
		name string
		opts ssofake.Options
		// act runs between StartDeviceAuthorization and the last poll.
		act  func(t *testing.T, srv *ssofake.Server, clk *clock, poll func() error, dev *ssooidc.StartDeviceAuthorizationOutput)
		want func(*testing.T, error)
	}{
		{
			name: "expired",
			act: func(t *testing.T, srv *ssofake.Server, clk *clock, poll func() error, dev *ssooidc.StartDeviceAuthorizationOutput) {
				clk.Add(600 * time.Second)
			},
			want: func(t *testing.T, err error) { wantErr[*types.ExpiredTokenException](t, err) },
		},
		{
			name: "approved but expired",
			act: func(t *testing.T, srv *ssofake.Server, clk *clock, poll func() error, dev *ssooidc.StartDeviceAuthorizationOutput) {
				get(t, *dev.VerificationUriComplete)
				clk.Add(11 * time.Minute)
			},
			want: func(t *testing.T, err error) { wantErr[*types.ExpiredTokenException](t, err) },
		},
		{
			name: "denied",
			act: func(t *testing.T, srv *ssofake.Server, clk *clock, poll func() error, dev *ssooidc.StartDeviceAuthorizationOutput) {
				srv.SetDeny(true)
				if resp := get(t, *dev.VerificationUriComplete); resp.StatusCode != http.StatusOK {
					t.Errorf("verification page: %s", resp.Status)
				}
			},
			want: func(t *testing.T, err error) { wantErr[*types.AccessDeniedException](t, err) },
		},
		{
			name: "denied by option",
			opts: ssofake.Options{DenyAuthorization: true},
			act: func(t *testing.T, srv *ssofake.Server, clk *clock, poll func() error, dev *ssooidc.StartDeviceAuthorizationOutput) {
				get(t, *dev.VerificationUriComplete)
			},
			want: func(t *testing.T, err error) { wantErr[*types.AccessDeniedException](t, err) },
		},
		{
			name: "injected slow down",
			act: func(t *testing.T, srv *ssofake.Server, clk *clock, poll func() error, dev *ssooidc.StartDeviceAuthorizationOutput) {
				srv.Inject("CreateToken:device_code", ssofake.Fault{Type: "SlowDownException"}, ssofake.Fault{Type: "SlowDownException"})
				for range 2 {
					e := wantErr[*types.SlowDownException](t, poll())
					if aws.ToString(e.Error_) != "slow_down" {
						t.Errorf("error = %q, want slow_down", aws.ToString(e.Error_))
					}
				}
				if srv.Count("CreateToken:device_code") != 2 {
					t.Errorf("Count(CreateToken:device_code) = %d, want 2", srv.Count("CreateToken:device_code"))
				}
			},
			want: func(t *testing.T, err error) { wantErr[*types.AuthorizationPendingException](t, err) },
		},
		{
			name: "polled too fast",
			opts: ssofake.Options{EnforceInterval: true},
			act: func(t *testing.T, srv *ssofake.Server, clk *clock, poll func() error, dev *ssooidc.StartDeviceAuthorizationOutput) {
				wantErr[*types.AuthorizationPendingException](t, poll())
				wantErr[*types.SlowDownException](t, poll()) // interval now 6 s
				clk.Add(5 * time.Second)
				wantErr[*types.SlowDownException](t, poll()) // interval now 11 s
				clk.Add(11 * time.Second)
			},
			want: func(t *testing.T, err error) { wantErr[*types.AuthorizationPendingException](t, err) },
		},
		{
			name: "interval not enforced",
			act: func(t *testing.T, srv *ssofake.Server, clk *clock, poll func() error, dev *ssooidc.StartDeviceAuthorizationOutput) {
				wantErr[*types.AuthorizationPendingException](t, poll())
			},
			want: func(t *testing.T, err error) { wantErr[*types.AuthorizationPendingException](t, err) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			tt.opts.Now = clk.Now
			srv, oc, _ := newServer(t, tt.opts)
			reg := register(t, oc)
			dev := startDevice(t, oc, reg)
			poll := func() error { _, err := pollDevice(oc, reg, dev.DeviceCode); return err }
			tt.act(t, srv, clk, poll, dev)
			tt.want(t, poll())
		})
	}
}

func TestClientErrors(t *testing.T) {
	clk := newClock()
	_, oc, _ := newServer(t, ssofake.Options{Now: clk.Now})
	reg := register(t, oc)
	other := register(t, oc)
	dev := startDevice(t, oc, reg)

	_, err := oc.StartDeviceAuthorization(context.Background(), &ssooidc.StartDeviceAuthorizationInput{
		ClientId: reg.ClientId, ClientSecret: other.ClientSecret, StartUrl: aws.String(startURL),
	})
	wantErr[*types.InvalidClientException](t, err)

	_, err = pollDevice(oc, other, dev.DeviceCode)
	wantErr[*types.InvalidGrantException](t, err) // another client's code

	_, err = oc.CreateToken(context.Background(), &ssooidc.CreateTokenInput{
		ClientId: reg.ClientId, ClientSecret: reg.ClientSecret, GrantType: aws.String("password"),
	})
	wantErr[*types.UnsupportedGrantTypeException](t, err)

	_, err = oc.CreateToken(context.Background(), &ssooidc.CreateTokenInput{
		ClientId: reg.ClientId, ClientSecret: reg.ClientSecret, GrantType: aws.String(grantRefresh), RefreshToken: aws.String("x"),
	})
	wantErr[*types.UnauthorizedClientException](t, err) // legacy clients have no refresh grant

	clk.Add(90 * 24 * time.Hour)
	_, err = oc.StartDeviceAuthorization(context.Background(), &ssooidc.StartDeviceAuthorizationInput{
		ClientId: reg.ClientId, ClientSecret: reg.ClientSecret, StartUrl: aws.String(startURL),
	})
	wantErr[*types.InvalidClientException](t, err)
}

func TestDeviceIntervalOmitted(t *testing.T) {
	_, oc, _ := newServer(t, ssofake.Options{DeviceInterval: -1})
	if dev := startDevice(t, oc, register(t, oc)); dev.Interval != 0 {
		t.Errorf("interval = %d, want absent", dev.Interval)
	}
}

// authorizeURL returns the /authorize URL for a client of reg.
func authorizeURL(reg *ssooidc.RegisterClientOutput, redirect, state, challenge string) string {
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {*reg.ClientId},
		"redirect_uri":          {redirect},
		"state":                 {state},
		"code_challenge_method": {"S256"},
		"scopes":                {"sso:account:access"},
		"code_challenge":        {challenge},
	}
	return *reg.AuthorizationEndpoint + "?" + q.Encode()
}

// authorize opens the /authorize page and returns the query of the redirect.
func authorize(t *testing.T, reg *ssooidc.RegisterClientOutput, redirect, state, challenge string) url.Values {
	t.Helper()
	resp := get(t, authorizeURL(reg, redirect, state, challenge))
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("GET /authorize: %s", resp.Status)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != strings.SplitN(redirect, "?", 2)[0] {
		t.Errorf("redirected to %s, want %s", got, redirect)
	}
	return loc.Query()
}

func TestPKCE(t *testing.T) {
	srv, oc, _ := newServer(t, ssofake.Options{})
	reg := register(t, oc, grantAuthCode, grantRefresh)
	verifier, challenge := pkce()
	redirect := "http://127.0.0.1:54321/oauth/callback"

	q := authorize(t, reg, redirect, "state-123", challenge)
	if q.Get("state") != "state-123" || q.Get("code") == "" {
		t.Fatalf("redirect query = %v", q)
	}
	in := &ssooidc.CreateTokenInput{
		ClientId:     reg.ClientId,
		ClientSecret: reg.ClientSecret,
		GrantType:    aws.String(grantAuthCode),
		Code:         aws.String(q.Get("code")),
		CodeVerifier: aws.String(verifier),
		RedirectUri:  aws.String(redirect),
	}
	tok, err := oc.CreateToken(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	_, err = oc.CreateToken(context.Background(), in)
	wantErr[*types.InvalidGrantException](t, err) // used once
	in.Code = aws.String("unknown")
	_, err = oc.CreateToken(context.Background(), in)
	wantErr[*types.InvalidGrantException](t, err)
	if aws.ToString(tok.AccessToken) == "" || aws.ToString(tok.RefreshToken) == "" {
		t.Errorf("token = %q, refresh token = %q", aws.ToString(tok.AccessToken), aws.ToString(tok.RefreshToken))
	}
	if srv.Count("Authorize") != 1 || srv.Count("CreateToken:authorization_code") != 3 {
		t.Errorf("counts = %v", srv.Counts())
	}
}

func TestPKCEErrors(t *testing.T) {
	const redirect = "http://127.0.0.1:54321/oauth/callback"
	tests := []struct {
		name string
		// edit changes the CreateToken input; it may use the server and clock.
		edit func(in *ssooidc.CreateTokenInput, clk *clock, reg2 *ssooidc.RegisterClientOutput)
	}{
		{"wrong verifier", func(in *ssooidc.CreateTokenInput, _ *clock, _ *ssooidc.RegisterClientOutput) {
			v, _ := pkce()
			in.CodeVerifier = &v
		}},
		{"no verifier", func(in *ssooidc.CreateTokenInput, _ *clock, _ *ssooidc.RegisterClientOutput) {
			in.CodeVerifier = nil
		}},
		{"other port", func(in *ssooidc.CreateTokenInput, _ *clock, _ *ssooidc.RegisterClientOutput) {
			in.RedirectUri = aws.String("http://127.0.0.1:54322/oauth/callback")
		}},
		{"expired code", func(in *ssooidc.CreateTokenInput, clk *clock, _ *ssooidc.RegisterClientOutput) {
			clk.Add(5 * time.Minute)
		}},
		{"other client", func(in *ssooidc.CreateTokenInput, _ *clock, reg2 *ssooidc.RegisterClientOutput) {
			in.ClientId, in.ClientSecret = reg2.ClientId, reg2.ClientSecret
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			_, oc, _ := newServer(t, ssofake.Options{Now: clk.Now})
			reg := register(t, oc, grantAuthCode, grantRefresh)
			reg2 := register(t, oc, grantAuthCode, grantRefresh)
			verifier, challenge := pkce()
			q := authorize(t, reg, redirect, "s", challenge)
			in := &ssooidc.CreateTokenInput{
				ClientId:     reg.ClientId,
				ClientSecret: reg.ClientSecret,
				GrantType:    aws.String(grantAuthCode),
				Code:         aws.String(q.Get("code")),
				CodeVerifier: aws.String(verifier),
				RedirectUri:  aws.String(redirect),
			}
			good := *in
			tt.edit(in, clk, reg2)
			_, err := oc.CreateToken(context.Background(), in)
			wantErr[*types.InvalidGrantException](t, err)
			// The code is spent even by a failed attempt.
			_, err = oc.CreateToken(context.Background(), &good)
			wantErr[*types.InvalidGrantException](t, err)
		})
	}
}

func TestAuthorizeDenied(t *testing.T) {
	srv, oc, _ := newServer(t, ssofake.Options{})
	reg := register(t, oc, grantAuthCode, grantRefresh)
	_, challenge := pkce()
	srv.SetDeny(true)
	q := authorize(t, reg, "http://127.0.0.1:8080/oauth/callback", "xyz", challenge)
	if q.Get("error") != "access_denied" || q.Get("state") != "xyz" || q.Has("code") {
		t.Errorf("redirect query = %v", q)
	}
}

func TestAuthorizeInvalid(t *testing.T) {
	srv, oc, _ := newServer(t, ssofake.Options{})
	reg := register(t, oc, grantAuthCode, grantRefresh)
	legacy := register(t, oc)
	legacy.AuthorizationEndpoint = reg.AuthorizationEndpoint
	_, challenge := pkce()
	good := authorizeURL(reg, "http://127.0.0.1:8080/oauth/callback", "s", challenge)

	tests := []struct {
		name string
		url  string
	}{
		{"unknown client", strings.Replace(good, "client_id=", "client_id=x", 1)},
		{"legacy client", authorizeURL(legacy, "http://127.0.0.1:8080/oauth/callback", "s", challenge)},
		{"remote redirect", authorizeURL(reg, "http://evil.example:8080/oauth/callback", "s", challenge)},
		{"https redirect", authorizeURL(reg, "https://127.0.0.1:8080/oauth/callback", "s", challenge)},
		{"other path", authorizeURL(reg, "http://127.0.0.1:8080/callback", "s", challenge)},
		{"plain method", strings.Replace(good, "code_challenge_method=S256", "code_challenge_method=plain", 1)},
		{"no challenge", authorizeURL(reg, "http://127.0.0.1:8080/oauth/callback", "s", "")},
		{"padded challenge", authorizeURL(reg, "http://127.0.0.1:8080/oauth/callback", "s", challenge+"=")},
		{"token response", strings.Replace(good, "response_type=code", "response_type=token", 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := get(t, tt.url)
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
				t.Errorf("GET: %s, Location %q; want 400 without redirect", resp.Status, resp.Header.Get("Location"))
			}
		})
	}
	if resp := get(t, good); resp.StatusCode != http.StatusFound {
		t.Errorf("valid request: %s", resp.Status)
	}

	// A registered redirect URI with a port matches that port only.
	withPort, err := oc.RegisterClient(context.Background(), &ssooidc.RegisterClientInput{
		ClientName:   aws.String("test"),
		ClientType:   aws.String("public"),
		GrantTypes:   []string{grantAuthCode},
		RedirectUris: []string{"http://127.0.0.1:9999/oauth/callback"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp := get(t, authorizeURL(withPort, "http://127.0.0.1:8080/oauth/callback", "s", challenge)); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("other port than registered: %s, want 400", resp.Status)
	}
	if resp := get(t, authorizeURL(withPort, "http://127.0.0.1:9999/oauth/callback", "s", challenge)); resp.StatusCode != http.StatusFound {
		t.Errorf("registered port: %s, want 302", resp.Status)
	}
	if got, want := srv.Count("Authorize"), len(tests)+3; got != want {
		t.Errorf("Count(Authorize) = %d, want %d", got, want)
	}
}

func TestVerifyUnknownCode(t *testing.T) {
	srv, _, _ := newServer(t, ssofake.Options{})
	if resp := get(t, srv.URL+"/device?user_code=ABCD-EFGH"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown code: %s, want 400", resp.Status)
	}
	if resp := get(t, srv.URL+"/device"); resp.StatusCode != http.StatusOK {
		t.Errorf("no code: %s, want 200", resp.Status)
	}
}

func TestRefresh(t *testing.T) {
	for _, rotate := range []bool{false, true} {
		t.Run(map[bool]string{false: "same", true: "rotated"}[rotate], func(t *testing.T) {
			srv, oc, _ := newServer(t, ssofake.Options{RotateRefreshTokens: rotate})
			reg := register(t, oc, grantDevice, grantRefresh)
			first := loginDevice(t, oc, reg)
			refresh := func(token *string) (*ssooidc.CreateTokenOutput, error) {
				return oc.CreateToken(context.Background(), &ssooidc.CreateTokenInput{
					ClientId:     reg.ClientId,
					ClientSecret: reg.ClientSecret,
					GrantType:    aws.String(grantRefresh),
					RefreshToken: token,
				})
			}
			second, err := refresh(first.RefreshToken)
			if err != nil {
				t.Fatal(err)
			}
			if *second.AccessToken == *first.AccessToken {
				t.Error("refresh returned the same access token")
			}
			if rotated := *second.RefreshToken != *first.RefreshToken; rotated != rotate {
				t.Errorf("refresh token rotated: %v, want %v", rotated, rotate)
			}
			_, err = refresh(first.RefreshToken)
			if rotate {
				wantErr[*types.InvalidGrantException](t, err)
			} else if err != nil {
				t.Errorf("reusing the refresh token: %v", err)
			}
			if _, err := refresh(second.RefreshToken); err != nil {
				t.Errorf("using the latest refresh token: %v", err)
			}
			if got := srv.Count("CreateToken:refresh_token"); got != 3 {
				t.Errorf("Count(CreateToken:refresh_token) = %d, want 3", got)
			}

			srv.RevokeAll()
			_, err = refresh(second.RefreshToken)
			wantErr[*types.InvalidGrantException](t, err)
		})
	}
}

func TestOIDCFaults(t *testing.T) {
	srv, oc, _ := newServer(t, ssofake.Options{})
	reg := register(t, oc, grantDevice, grantRefresh)
	dev := startDevice(t, oc, reg)
	get(t, *dev.VerificationUriComplete)

	// A 500 is retried by the SDK's standard retryer.
	srv.Inject("CreateToken", ssofake.Fault{Type: "InternalServerException", Message: "boom"})
	if _, err := pollDevice(oc, reg, dev.DeviceCode); err != nil {
		t.Fatal(err)
	}
	if got := srv.Count("CreateToken"); got != 2 {
		t.Errorf("Count(CreateToken) = %d, want 2", got)
	}

	// Three 500s exhaust it.
	ise := ssofake.Fault{Type: "InternalServerException"}
	srv.Inject("StartDeviceAuthorization", ise, ise, ise)
	_, err := oc.StartDeviceAuthorization(context.Background(), &ssooidc.StartDeviceAuthorizationInput{
		ClientId: reg.ClientId, ClientSecret: reg.ClientSecret, StartUrl: aws.String(startURL),
	})
	if e := wantErr[*types.InternalServerException](t, err); aws.ToString(e.Error_) != "server_error" {
		t.Errorf("error = %q", aws.ToString(e.Error_))
	}

	// A malformed answer is a deserialization error.
	srv.Inject("RegisterClient", ssofake.Fault{RawBody: `{"clientId": 7}`})
	_, err = oc.RegisterClient(context.Background(), &ssooidc.RegisterClientInput{
		ClientName: aws.String("x"), ClientType: aws.String("public"),
	})
	wantErr[*smithy.DeserializationError](t, err)
}
