package ssofake_test

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/aws/aws-sdk-go-v2/service/sso/types"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	ssooidctypes "github.com/aws/aws-sdk-go-v2/service/ssooidc/types"
	"github.com/aws/smithy-go"

	"github.com/sso-credproc/sso-credproc/internal/ssofake"
)

func getRole(pc *sso.Client, token *string) (*sso.GetRoleCredentialsOutput, error) {
	return pc.GetRoleCredentials(context.Background(), &sso.GetRoleCredentialsInput{
		AccessToken: token,
		AccountId:   aws.String("111122223333"),
		RoleName:    aws.String("Admin"),
	})
}

func TestGetRoleCredentials(t *testing.T) {
	clk := newClock()
	srv, oc, pc := newServer(t, ssofake.Options{Now: clk.Now, RoleCredentialsTTL: 2 * time.Hour})
	tok := loginDevice(t, oc, register(t, oc))

	first, err := getRole(pc, tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	rc := first.RoleCredentials
	if want := clk.Now().Add(2 * time.Hour).UnixMilli(); rc.Expiration != want {
		t.Errorf("expiration = %d, want %d (epoch ms)", rc.Expiration, want)
	}
	if id := aws.ToString(rc.AccessKeyId); !strings.HasPrefix(id, "ASIA") || len(id) != 20 {
		t.Errorf("accessKeyId = %q", id)
	}
	if aws.ToString(rc.SecretAccessKey) == "" || aws.ToString(rc.SessionToken) == "" {
		t.Error("empty secret access key or session token")
	}
	second, err := getRole(pc, tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if *second.RoleCredentials.AccessKeyId == *rc.AccessKeyId || *second.RoleCredentials.SessionToken == *rc.SessionToken {
		t.Error("two calls returned the same credentials")
	}
	if got := srv.Count("GetRoleCredentials"); got != 2 {
		t.Errorf("Count(GetRoleCredentials) = %d, want 2", got)
	}
}

func TestGetRoleCredentialsUnauthorized(t *testing.T) {
	tests := []struct {
		name string
		act  func(srv *ssofake.Server, clk *clock)
	}{
		{"revoked", func(srv *ssofake.Server, _ *clock) { srv.RevokeAll() }},
		{"expired", func(srv *ssofake.Server, _ *clock) { srv.ExpireAccessTokens() }},
		{"timed out", func(_ *ssofake.Server, clk *clock) { clk.Add(time.Hour) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			srv, oc, pc := newServer(t, ssofake.Options{Now: clk.Now})
			tok := loginDevice(t, oc, register(t, oc))
			if _, err := getRole(pc, tok.AccessToken); err != nil {
				t.Fatal(err)
			}
			tt.act(srv, clk)
			_, err := getRole(pc, tok.AccessToken)
			e := wantErr[*types.UnauthorizedException](t, err)
			if e.ErrorMessage() != "Session token not found or invalid" {
				t.Errorf("message = %q", e.ErrorMessage())
			}
			if code := httpStatus(err); code != http.StatusUnauthorized {
				t.Errorf("status = %d, want 401", code)
			}
		})
	}
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func TestExpiredAccessTokenRefreshes(t *testing.T) {
	srv, oc, pc := newServer(t, ssofake.Options{})
	reg := register(t, oc, grantDevice, grantRefresh)
	tok := loginDevice(t, oc, reg)
	srv.ExpireAccessTokens()
	fresh, err := oc.CreateToken(context.Background(), &ssooidc.CreateTokenInput{
		ClientId:     reg.ClientId,
		ClientSecret: reg.ClientSecret,
		GrantType:    aws.String(grantRefresh),
		RefreshToken: tok.RefreshToken,
	})
	if err != nil {
		t.Fatalf("refresh after ExpireAccessTokens: %v", err)
	}
	if _, err := getRole(pc, fresh.AccessToken); err != nil {
		t.Errorf("fresh token: %v", err)
	}
}

func TestAssignments(t *testing.T) {
	srv, oc, pc := newServer(t, ssofake.Options{Assignments: map[string][]string{
		"111122223333": {"Admin", "ReadOnly"},
		"444455556666": {"ReadOnly"},
	}})
	tok := loginDevice(t, oc, register(t, oc))
	tests := []struct {
		account, role string
		ok            bool
	}{
		{"111122223333", "Admin", true},
		{"444455556666", "ReadOnly", true},
		{"444455556666", "Admin", false},
		{"999999999999", "Admin", false},
	}
	for _, tt := range tests {
		_, err := pc.GetRoleCredentials(context.Background(), &sso.GetRoleCredentialsInput{
			AccessToken: tok.AccessToken, AccountId: &tt.account, RoleName: &tt.role,
		})
		if tt.ok {
			if err != nil {
				t.Errorf("%s/%s: %v", tt.account, tt.role, err)
			}
			continue
		}
		// ForbiddenException is not in the SSO model: the SDK sees a
		// generic API error.
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "ForbiddenException" || httpStatus(err) != http.StatusForbidden {
			t.Errorf("%s/%s: %v, want 403 ForbiddenException", tt.account, tt.role, err)
		}
	}
	if got := srv.Count("GetRoleCredentials"); got != len(tests) {
		t.Errorf("Count(GetRoleCredentials) = %d, want %d", got, len(tests))
	}
}

func TestListAccounts(t *testing.T) {
	assignments := map[string][]string{
		"000000000005": {"A"}, "000000000001": {"A", "B", "C"}, "000000000003": {"A"},
		"000000000002": {"A"}, "000000000004": {"A"},
	}
	srv, oc, pc := newServer(t, ssofake.Options{Assignments: assignments})
	tok := loginDevice(t, oc, register(t, oc))

	var ids []string
	p := sso.NewListAccountsPaginator(pc, &sso.ListAccountsInput{AccessToken: tok.AccessToken, MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(out.AccountList) > 2 {
			t.Errorf("page of %d accounts, want at most 2", len(out.AccountList))
		}
		for _, a := range out.AccountList {
			ids = append(ids, *a.AccountId)
			if aws.ToString(a.AccountName) == "" || aws.ToString(a.EmailAddress) == "" {
				t.Errorf("account %s without name or email", *a.AccountId)
			}
		}
	}
	want := []string{"000000000001", "000000000002", "000000000003", "000000000004", "000000000005"}
	if !slices.Equal(ids, want) {
		t.Errorf("accounts = %v, want %v", ids, want)
	}
	if got := srv.Count("ListAccounts"); got != 3 {
		t.Errorf("Count(ListAccounts) = %d, want 3", got)
	}

	var roles []string
	rp := sso.NewListAccountRolesPaginator(pc, &sso.ListAccountRolesInput{
		AccessToken: tok.AccessToken, AccountId: aws.String("000000000001"), MaxResults: aws.Int32(2),
	})
	for rp.HasMorePages() {
		out, err := rp.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out.RoleList {
			if *r.AccountId != "000000000001" {
				t.Errorf("role %s of account %s", *r.RoleName, *r.AccountId)
			}
			roles = append(roles, *r.RoleName)
		}
	}
	if !slices.Equal(roles, []string{"A", "B", "C"}) {
		t.Errorf("roles = %v", roles)
	}
	if got := srv.Count("ListAccountRoles"); got != 2 {
		t.Errorf("Count(ListAccountRoles) = %d, want 2", got)
	}

	_, err := pc.ListAccounts(context.Background(), &sso.ListAccountsInput{AccessToken: tok.AccessToken, NextToken: aws.String("bogus")})
	wantErr[*types.InvalidRequestException](t, err)
	_, err = pc.ListAccounts(context.Background(), &sso.ListAccountsInput{AccessToken: aws.String("bogus")})
	wantErr[*types.UnauthorizedException](t, err)
}

func TestListWithoutAssignments(t *testing.T) {
	_, oc, pc := newServer(t, ssofake.Options{})
	tok := loginDevice(t, oc, register(t, oc))
	out, err := pc.ListAccounts(context.Background(), &sso.ListAccountsInput{AccessToken: tok.AccessToken})
	if err != nil || len(out.AccountList) != 0 || out.NextToken != nil {
		t.Errorf("ListAccounts = %+v, %v; want an empty list", out, err)
	}
	if _, err := getRole(pc, tok.AccessToken); err != nil {
		t.Errorf("GetRoleCredentials: %v", err)
	}
}

func TestLogout(t *testing.T) {
	srv, oc, pc := newServer(t, ssofake.Options{})
	reg := register(t, oc, grantDevice, grantRefresh)
	tok := loginDevice(t, oc, reg)
	other := loginDevice(t, oc, reg)

	if _, err := pc.Logout(context.Background(), &sso.LogoutInput{AccessToken: tok.AccessToken}); err != nil {
		t.Fatal(err)
	}
	_, err := getRole(pc, tok.AccessToken)
	wantErr[*types.UnauthorizedException](t, err)
	_, err = oc.CreateToken(context.Background(), &ssooidc.CreateTokenInput{
		ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
		GrantType: aws.String(grantRefresh), RefreshToken: tok.RefreshToken,
	})
	if err == nil {
		t.Error("refresh token still valid after Logout")
	}
	if _, err := getRole(pc, other.AccessToken); err != nil {
		t.Errorf("other session after Logout: %v", err)
	}
	if srv.Count("Logout") != 1 {
		t.Errorf("Count(Logout) = %d", srv.Count("Logout"))
	}
	if _, err := pc.Logout(context.Background(), &sso.LogoutInput{AccessToken: tok.AccessToken}); err == nil {
		t.Error("a second Logout with the same token succeeded")
	}
}

// Logout ends the sign-in, not one token: every access and refresh token
// that came from it through refreshes stops working, rotating or not.
func TestLogoutEndsTheSignIn(t *testing.T) {
	for _, rotate := range []bool{false, true} {
		t.Run(fmt.Sprintf("rotate=%v", rotate), func(t *testing.T) {
			_, oc, pc := newServer(t, ssofake.Options{RotateRefreshTokens: rotate})
			reg := register(t, oc, grantDevice, grantRefresh)
			first := loginDevice(t, oc, reg)
			other := loginDevice(t, oc, reg)
			refreshed, err := oc.CreateToken(context.Background(), &ssooidc.CreateTokenInput{
				ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
				GrantType: aws.String(grantRefresh), RefreshToken: first.RefreshToken,
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := getRole(pc, first.AccessToken); err != nil {
				t.Fatalf("the first access token before Logout: %v", err)
			}
			if _, err := pc.Logout(context.Background(), &sso.LogoutInput{AccessToken: refreshed.AccessToken}); err != nil {
				t.Fatal(err)
			}
			for _, tok := range []*string{refreshed.AccessToken, first.AccessToken} {
				_, err := getRole(pc, tok)
				wantErr[*types.UnauthorizedException](t, err)
			}
			for _, rt := range []*string{first.RefreshToken, refreshed.RefreshToken} {
				_, err := oc.CreateToken(context.Background(), &ssooidc.CreateTokenInput{
					ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
					GrantType: aws.String(grantRefresh), RefreshToken: rt,
				})
				wantErr[*ssooidctypes.InvalidGrantException](t, err)
			}
			if _, err := getRole(pc, other.AccessToken); err != nil {
				t.Errorf("another sign-in after Logout: %v", err)
			}
		})
	}
}

func TestListAccountNamesAndPageSizes(t *testing.T) {
	assignments := map[string][]string{}
	for i := range 45 {
		assignments[fmt.Sprintf("%012d", i+1)] = []string{"R"}
	}
	srv, oc, pc := newServer(t, ssofake.Options{
		Assignments:    assignments,
		AccountNames:   map[string]string{"000000000001": "Prod \x1b[31mred"},
		EmailAddresses: map[string]string{"000000000001": "prod@example.org"},
	})
	tok := loginDevice(t, oc, register(t, oc))
	ctx := context.Background()

	out, err := pc.ListAccounts(ctx, &sso.ListAccountsInput{AccessToken: tok.AccessToken})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.AccountList) != 20 || out.NextToken == nil {
		t.Fatalf("without max_result: %d accounts, next token %v; want a page of 20 and a next token", len(out.AccountList), out.NextToken)
	}
	a := out.AccountList[0]
	if *a.AccountId != "000000000001" || *a.AccountName != "Prod \x1b[31mred" || *a.EmailAddress != "prod@example.org" {
		t.Errorf("account %s: name %q, email %q", *a.AccountId, *a.AccountName, *a.EmailAddress)
	}
	if b := out.AccountList[1]; *b.AccountName != "account-000000000002" || *b.EmailAddress != "aws+000000000002@example.com" {
		t.Errorf("account %s: name %q, email %q; want the defaults", *b.AccountId, *b.AccountName, *b.EmailAddress)
	}
	out, err = pc.ListAccounts(ctx, &sso.ListAccountsInput{AccessToken: tok.AccessToken, MaxResults: aws.Int32(100)})
	if err != nil || len(out.AccountList) != 45 || out.NextToken != nil {
		t.Errorf("max_result 100: %d accounts, next token %v, %v; want all 45 in one page", len(out.AccountList), out.NextToken, err)
	}
	for _, n := range []int32{0, 101, 1000} {
		_, err := pc.ListAccounts(ctx, &sso.ListAccountsInput{AccessToken: tok.AccessToken, MaxResults: aws.Int32(n)})
		wantErr[*types.InvalidRequestException](t, err)
		_, err = pc.ListAccountRoles(ctx, &sso.ListAccountRolesInput{AccessToken: tok.AccessToken, AccountId: aws.String("000000000001"), MaxResults: aws.Int32(n)})
		wantErr[*types.InvalidRequestException](t, err)
	}
	if srv.Count("ListAccounts") != 5 {
		t.Errorf("Count(ListAccounts) = %d", srv.Count("ListAccounts"))
	}
}

// MaxInFlight counts the calls that overlap, delayed ones included.
func TestMaxInFlight(t *testing.T) {
	srv, oc, pc := newServer(t, ssofake.Options{Assignments: map[string][]string{"111122223333": {"A"}}})
	tok := loginDevice(t, oc, register(t, oc))
	for range 3 {
		srv.Inject("ListAccountRoles", ssofake.Fault{Delay: 300 * time.Millisecond})
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if _, err := pc.ListAccountRoles(context.Background(), &sso.ListAccountRolesInput{AccessToken: tok.AccessToken, AccountId: aws.String("111122223333")}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := srv.MaxInFlight("ListAccountRoles"); got != 3 {
		t.Errorf("MaxInFlight(ListAccountRoles) = %d after 3 overlapping calls, want 3", got)
	}
	for range 2 {
		pc.ListAccountRoles(context.Background(), &sso.ListAccountRolesInput{AccessToken: tok.AccessToken, AccountId: aws.String("111122223333")})
	}
	if got, n := srv.MaxInFlight("ListAccounts"), srv.Count("ListAccountRoles"); got != 0 || n != 5 {
		t.Errorf("MaxInFlight(ListAccounts) = %d, Count(ListAccountRoles) = %d; want 0 and 5", got, n)
	}
	if got := srv.MaxInFlight("ListAccountRoles"); got != 3 {
		t.Errorf("MaxInFlight(ListAccountRoles) = %d after calls one at a time, want still 3", got)
	}
}

func TestSecretsEndpoint(t *testing.T) {
	srv, oc, pc := newServer(t, ssofake.Options{})
	tok := loginDevice(t, oc, register(t, oc, grantDevice, grantRefresh))
	creds, err := getRole(pc, tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(srv.URL + "/_fake/secrets")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got []string
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{*tok.AccessToken, *tok.RefreshToken, *creds.RoleCredentials.SecretAccessKey, *creds.RoleCredentials.SessionToken} {
		if !slices.Contains(got, want) {
			t.Errorf("GET /_fake/secrets lacks an issued secret (%d listed)", len(got))
		}
	}
	if !slices.Equal(got, srv.Secrets()) {
		t.Errorf("GET /_fake/secrets and Secrets() differ")
	}
}

func TestPortalFaults(t *testing.T) {
	tests := []struct {
		name      string
		faults    []ssofake.Fault
		attempts  int
		wantCalls int
		check     func(*testing.T, error)
	}{
		{
			name:      "500 retried",
			faults:    []ssofake.Fault{{Status: 500, Message: "oops"}},
			wantCalls: 2,
			check:     noErr,
		},
		{
			name:      "429 retried",
			faults:    []ssofake.Fault{{Type: "TooManyRequestsException", Message: "slow"}},
			wantCalls: 2,
			check:     noErr,
		},
		{
			name:      "429",
			faults:    []ssofake.Fault{{Type: "TooManyRequestsException", Message: "slow"}},
			attempts:  1,
			wantCalls: 1,
			check: func(t *testing.T, err error) {
				e := wantErr[*types.TooManyRequestsException](t, err)
				if e.ErrorMessage() != "slow" || httpStatus(err) != http.StatusTooManyRequests {
					t.Errorf("got %v, status %d", err, httpStatus(err))
				}
			},
		},
		{
			name:      "not found",
			faults:    []ssofake.Fault{{Type: "ResourceNotFoundException"}},
			wantCalls: 1,
			check:     func(t *testing.T, err error) { wantErr[*types.ResourceNotFoundException](t, err) },
		},
		{
			name:      "truncated",
			faults:    []ssofake.Fault{{RawBody: `{"roleCredentials":{"accessKeyId":`}},
			wantCalls: 1,
			check:     func(t *testing.T, err error) { wantErr[*smithy.DeserializationError](t, err) },
		},
		{
			name:      "expiration as string",
			faults:    []ssofake.Fault{{RawBody: `{"roleCredentials":{"expiration":"2026-05-01T13:00:00Z"}}`}},
			wantCalls: 1,
			check:     func(t *testing.T, err error) { wantErr[*smithy.DeserializationError](t, err) },
		},
		{
			name:      "delay only",
			faults:    []ssofake.Fault{{Delay: 10 * time.Millisecond}},
			wantCalls: 1,
			check:     noErr,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, oc, _ := newServer(t, ssofake.Options{})
			pc := sso.New(sso.Options{
				Region:           "us-east-1",
				BaseEndpoint:     aws.String(srv.URL),
				Retryer:          fastRetryer(),
				RetryMaxAttempts: tt.attempts,
			})
			tok := loginDevice(t, oc, register(t, oc))
			srv.Inject("GetRoleCredentials", tt.faults...)
			_, err := getRole(pc, tok.AccessToken)
			tt.check(t, err)
			if got := srv.Count("GetRoleCredentials"); got != tt.wantCalls {
				t.Errorf("Count(GetRoleCredentials) = %d, want %d", got, tt.wantCalls)
			}
		})
	}
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Errorf("unexpected error: %v", err)
	}
}

func TestFaultDelayHonoursContext(t *testing.T) {
	logged := make(chan string, 100)
	srv, oc, pc := newServer(t, ssofake.Options{Logf: func(format string, args ...any) {
		logged <- fmt.Sprintf(format, args...)
	}})
	tok := loginDevice(t, oc, register(t, oc))
	srv.Inject("GetRoleCredentials", ssofake.Fault{Delay: time.Minute, Type: "UnauthorizedException"})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := pc.GetRoleCredentials(ctx, &sso.GetRoleCredentialsInput{
		AccessToken: tok.AccessToken, AccountId: aws.String("1"), RoleName: aws.String("r"),
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want a deadline error", err)
	}
	// The handler gives up once the client has gone.
	timeout := time.After(10 * time.Second)
	for {
		select {
		case line := <-logged:
			if strings.Contains(line, "GetRoleCredentials") {
				return
			}
		case <-timeout:
			t.Fatal("the delayed handler did not return after the client left")
		}
	}
}

func TestCountsEndpoint(t *testing.T) {
	srv, oc, pc := newServer(t, ssofake.Options{})
	tok := loginDevice(t, oc, register(t, oc))
	srv.Inject("GetRoleCredentials", ssofake.Fault{Type: "ResourceNotFoundException"})
	getRole(pc, tok.AccessToken)
	getRole(pc, tok.AccessToken)

	resp, err := http.Get(srv.URL + "/_fake/counts")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got map[string]int
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{
		"RegisterClient": 1, "StartDeviceAuthorization": 1, "Verify": 1,
		"CreateToken": 1, "CreateToken:device_code": 1, "GetRoleCredentials": 2,
	}
	if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(srv.Counts(), want) {
		t.Errorf("counts = %v (endpoint), %v (Counts); want %v", got, srv.Counts(), want)
	}
}

func TestLogf(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	srv, oc, pc := newServer(t, ssofake.Options{Logf: func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, strings.TrimSpace(fmt.Sprintf(format, args...)))
	}})
	reg := register(t, oc, grantDevice, grantRefresh)
	dev := startDevice(t, oc, reg)
	pollDevice(oc, reg, dev.DeviceCode)
	get(t, *dev.VerificationUriComplete)
	tok, _ := pollDevice(oc, reg, dev.DeviceCode)
	creds, _ := getRole(pc, tok.AccessToken)
	srv.Close()

	mu.Lock()
	defer mu.Unlock()
	log := strings.Join(lines, "\n")
	for _, want := range []string{"CreateToken:device_code 400", "CreateToken:device_code 200", "Verify 200", "GetRoleCredentials 200"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	for _, secret := range []string{*reg.ClientSecret, *dev.DeviceCode, *dev.UserCode, *tok.AccessToken, *tok.RefreshToken, *creds.RoleCredentials.SecretAccessKey} {
		if strings.Contains(log, secret) {
			t.Errorf("log contains a secret: %s", log)
		}
	}
}

func TestNewHandler(t *testing.T) {
	for _, base := range []string{"", "http://fake.example"} {
		s := ssofake.NewHandler(ssofake.Options{})
		s.URL = base
		hs := httptest.NewServer(s)
		defer hs.Close()
		oc := ssooidc.New(ssooidc.Options{Region: "us-east-1", BaseEndpoint: aws.String(hs.URL)})
		dev := startDevice(t, oc, register(t, oc))
		if want := cmp.Or(base, hs.URL) + "/device"; *dev.VerificationUri != want {
			t.Errorf("URL %q: verificationUri = %q, want %q", base, *dev.VerificationUri, want)
		}
	}
}
