package awssdk_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sso-credproc/sso-credproc/internal/ssofake"
	"github.com/sso-credproc/sso-credproc/sso"
	"github.com/sso-credproc/sso-credproc/sso/awssdk"
)

// signIn signs in to srv with the authorization code grant and returns
// the token.
func signIn(t *testing.T, srv *ssofake.Server, c *awssdk.Client) *sso.Token {
	t.Helper()
	ctx := context.Background()
	reg, err := c.Register(ctx, []string{"sso:account:access"}, true, startURL)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.LoginPKCE(ctx, reg, sso.LoginOptions{StartURL: startURL, Scopes: reg.Scopes, Browser: &visitor{t: t}})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// noToken fails if err's text holds the access token.
func noToken(t *testing.T, err error, tok string) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), tok) {
		t.Errorf("the error holds the access token: %v", err)
	}
}

func TestListAssignmentsExact(t *testing.T) {
	srv, c := newClient(t, ssofake.Options{
		Assignments: map[string][]string{
			"999999999999": {"ReadOnly", "Admin"},
			"111111111111": {"Developer"},
			"555555555555": {"Zeta", "Alpha"},
			"222222222222": {}, // an account with no roles adds nothing
		},
		AccountNames:   map[string]string{"999999999999": "Alpha", "111111111111": "Beta", "555555555555": "Alpha"},
		EmailAddresses: map[string]string{"999999999999": "a9@example.org"},
	})
	tok := signIn(t, srv, c)
	got, err := c.ListAssignments(context.Background(), tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	// By account name, then account ID, then role name.
	want := []sso.Assignment{
		{AccountID: "555555555555", AccountName: "Alpha", RoleName: "Alpha", EmailAddress: "aws+555555555555@example.com"},
		{AccountID: "555555555555", AccountName: "Alpha", RoleName: "Zeta", EmailAddress: "aws+555555555555@example.com"},
		{AccountID: "999999999999", AccountName: "Alpha", RoleName: "Admin", EmailAddress: "a9@example.org"},
		{AccountID: "999999999999", AccountName: "Alpha", RoleName: "ReadOnly", EmailAddress: "a9@example.org"},
		{AccountID: "111111111111", AccountName: "Beta", RoleName: "Developer", EmailAddress: "aws+111111111111@example.com"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("ListAssignments =\n%v\nwant\n%v", got, want)
	}
}

func TestListAssignmentsEmpty(t *testing.T) {
	srv, c := newClient(t, ssofake.Options{Assignments: map[string][]string{}})
	got, err := c.ListAssignments(context.Background(), signIn(t, srv, c).AccessToken)
	if err != nil || got == nil || len(got) != 0 {
		t.Errorf("ListAssignments = %#v, %v; want an empty, non-nil list", got, err)
	}
	if srv.Count("ListAccounts") != 1 || srv.Count("ListAccountRoles") != 0 {
		t.Errorf("counts %v", srv.Counts())
	}
}

// Several pages of accounts (100 a page, the most the service serves) and
// of one account's roles; at most ListRolesConcurrency accounts at once.
func TestListAssignmentsPagesAndConcurrency(t *testing.T) {
	const accounts = 230
	assignments := map[string][]string{}
	names := map[string]string{}
	for i := range accounts {
		id := fmt.Sprintf("%012d", 100000000000+i)
		assignments[id] = []string{"ReadOnly", "Admin"}
		names[id] = fmt.Sprintf("team-%03d", (i*7)%100) // names repeat and run against ID order
	}
	big := fmt.Sprintf("%012d", 100000000000+17)
	assignments[big] = nil
	for i := 250; i > 0; i-- {
		assignments[big] = append(assignments[big], fmt.Sprintf("Role%03d", i))
	}
	srv, c := newClient(t, ssofake.Options{Assignments: assignments, AccountNames: names})
	tok := signIn(t, srv, c)
	// The first calls answer slowly, so that unbounded calls would pile up.
	for range 12 {
		srv.Inject("ListAccountRoles", ssofake.Fault{Delay: 200 * time.Millisecond})
	}
	got, err := c.ListAssignments(context.Background(), tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}

	wantPairs := map[[2]string]bool{}
	for id, roles := range assignments {
		for _, r := range roles {
			wantPairs[[2]string{id, r}] = true
		}
	}
	gotPairs := map[[2]string]bool{}
	for _, a := range got {
		gotPairs[[2]string{a.AccountID, a.RoleName}] = true
		if a.AccountName != names[a.AccountID] || a.EmailAddress != "aws+"+a.AccountID+"@example.com" {
			t.Fatalf("assignment %+v: name or email address not the account's", a)
		}
	}
	if len(got) != len(wantPairs) || len(gotPairs) != len(wantPairs) {
		t.Fatalf("%d assignments (%d distinct), want %d", len(got), len(gotPairs), len(wantPairs))
	}
	for p := range wantPairs {
		if !gotPairs[p] {
			t.Fatalf("missing %v", p)
		}
	}
	for i := 1; i < len(got); i++ {
		a, b := got[i-1], got[i]
		if a.AccountName > b.AccountName || a.AccountName == b.AccountName && (a.AccountID > b.AccountID || a.AccountID == b.AccountID && a.RoleName >= b.RoleName) {
			t.Fatalf("out of order at %d: %+v before %+v", i, a, b)
		}
	}

	// 230 accounts are 3 pages; every account's roles 1 page, but the
	// big account's 250 roles are 3.
	if n := srv.Count("ListAccounts"); n != 3 {
		t.Errorf("ListAccounts calls = %d, want 3", n)
	}
	if n := srv.Count("ListAccountRoles"); n != accounts+2 {
		t.Errorf("ListAccountRoles calls = %d, want %d", n, accounts+2)
	}
	if awssdk.ListRolesConcurrency > 8 {
		t.Errorf("ListRolesConcurrency = %d: more calls at once than a user's portal session should make", awssdk.ListRolesConcurrency)
	}
	if n := srv.MaxInFlight("ListAccountRoles"); n > awssdk.ListRolesConcurrency || n < 2 {
		t.Errorf("at most %d ListAccountRoles calls were in flight at once, want 2 to %d", n, awssdk.ListRolesConcurrency)
	}
	if n := srv.MaxInFlight("ListAccounts"); n != 1 {
		t.Errorf("at most %d ListAccounts calls were in flight, want 1 (pages come one after the other)", n)
	}
}

// TooManyRequestsException is retried by the SDK's standard retryer.
func TestListAssignmentsThrottled(t *testing.T) {
	srv, c := newClient(t, ssofake.Options{Assignments: map[string][]string{
		"111111111111": {"A"}, "222222222222": {"B"}, "333333333333": {"C"},
	}})
	tok := signIn(t, srv, c)
	throttle := ssofake.Fault{Status: 429, Type: "TooManyRequestsException", Message: "Rate exceeded"}
	srv.Inject("ListAccounts", throttle)
	srv.Inject("ListAccountRoles", throttle, throttle)
	got, err := c.ListAssignments(context.Background(), tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Errorf("ListAssignments = %v, want 3 assignments", got)
	}
	if a, r := srv.Count("ListAccounts"), srv.Count("ListAccountRoles"); a != 2 || r != 5 {
		t.Errorf("calls: ListAccounts %d, ListAccountRoles %d; want 2 and 5 (each throttled call once more)", a, r)
	}
}

func TestListAssignmentsErrors(t *testing.T) {
	assignments := map[string][]string{}
	for i := range 40 {
		assignments[fmt.Sprintf("%012d", 100000000000+i)] = []string{"R"}
	}
	newList := func(t *testing.T, cfg awssdk.Config) (*ssofake.Server, *awssdk.Client, string) {
		srv, c := newClient(t, ssofake.Options{Assignments: assignments})
		tok := signIn(t, srv, c).AccessToken
		cfg.Region, cfg.PortalEndpoint = "eu-west-1", srv.URL
		cfg.CallTimeout = cmp.Or(cfg.CallTimeout, 10*time.Second)
		return srv, awssdk.New(cfg), tok
	}
	throttle := ssofake.Fault{Status: 429, Type: "TooManyRequestsException"}

	t.Run("persistent throttling", func(t *testing.T) {
		srv, c, tok := newList(t, awssdk.Config{MaxAttempts: 2})
		for range 2 * len(assignments) {
			srv.Inject("ListAccountRoles", throttle)
		}
		_, err := c.ListAssignments(context.Background(), tok)
		wantOpCode(t, err, "ListAccountRoles", "TooManyRequestsException")
		noToken(t, err, tok)
	})

	t.Run("an error ends the listing", func(t *testing.T) {
		srv, c, tok := newList(t, awssdk.Config{})
		// The first call fails at once; the calls beside it hang until
		// they are cancelled; no call starts after the failure.
		srv.Inject("ListAccountRoles", ssofake.Fault{Type: "ResourceNotFoundException", Message: "no such account"})
		for range 40 {
			srv.Inject("ListAccountRoles", ssofake.Fault{Delay: 10 * time.Second})
		}
		start := time.Now()
		_, err := c.ListAssignments(context.Background(), tok)
		wantOpCode(t, err, "ListAccountRoles", "ResourceNotFoundException")
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("ListAssignments took %s: the calls in flight were not cancelled", d)
		}
		if n := srv.Count("ListAccountRoles"); n > awssdk.ListRolesConcurrency {
			t.Errorf("%d ListAccountRoles calls after the first failed, want at most %d", n, awssdk.ListRolesConcurrency)
		}
	})

	t.Run("unauthorized", func(t *testing.T) {
		srv, c, _ := newList(t, awssdk.Config{})
		const bogus = "aoa-not-a-token-aoa"
		_, err := c.ListAssignments(context.Background(), bogus)
		wantOpCode(t, err, "ListAccounts", "UnauthorizedException")
		if !sso.IsUnauthorized(err) {
			t.Errorf("IsUnauthorized(%v) = false", err)
		}
		noToken(t, err, bogus)
		if srv.Count("ListAccounts") != 1 {
			t.Errorf("an unauthorized call was retried: %d calls", srv.Count("ListAccounts"))
		}
	})

	t.Run("call timeout", func(t *testing.T) {
		srv, c, tok := newList(t, awssdk.Config{CallTimeout: 300 * time.Millisecond, MaxAttempts: 1})
		srv.Inject("ListAccountRoles", ssofake.Fault{Delay: 5 * time.Second})
		start := time.Now()
		_, err := c.ListAssignments(context.Background(), tok)
		wantOpCode(t, err, "ListAccountRoles", sso.CodeTimeout)
		if d := time.Since(start); d > 4*time.Second {
			t.Errorf("a slow page ended after %s, not at the call timeout", d)
		}
	})

	t.Run("repeated nextToken", func(t *testing.T) {
		srv, c, tok := newList(t, awssdk.Config{})
		page := ssofake.Fault{RawBody: `{"accountList":[{"accountId":"111122223333","accountName":"a"}],"nextToken":"again"}`}
		srv.Inject("ListAccounts", page, page)
		_, err := c.ListAssignments(context.Background(), tok)
		wantOpCode(t, err, "ListAccounts", sso.CodeMalformed)
	})

	t.Run("answers without IDs", func(t *testing.T) {
		srv, c, tok := newList(t, awssdk.Config{})
		srv.Inject("ListAccounts", ssofake.Fault{RawBody: `{"accountList":[{"accountName":"a"}]}`})
		_, err := c.ListAssignments(context.Background(), tok)
		wantOpCode(t, err, "ListAccounts", sso.CodeMalformed)
		srv.Inject("ListAccountRoles", ssofake.Fault{RawBody: `{"roleList":[{"accountId":"100000000000"}]}`})
		_, err = c.ListAssignments(context.Background(), tok)
		wantOpCode(t, err, "ListAccountRoles", sso.CodeMalformed)
	})

	t.Run("context ends", func(t *testing.T) {
		srv, c, tok := newList(t, awssdk.Config{})
		for range 40 {
			srv.Inject("ListAccountRoles", ssofake.Fault{Delay: 10 * time.Second})
		}
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		_, err := c.ListAssignments(ctx, tok)
		if !errors.Is(err, context.DeadlineExceeded) || sso.HasCode(err, sso.CodeUnreachable) {
			t.Errorf("err = %v, want the context's end", err)
		}
	})
}

func wantOpCode(t *testing.T, err error, op, code string) {
	t.Helper()
	var e *sso.Error
	if !errors.As(err, &e) || e.Op != op || e.Code != code {
		t.Errorf("err = %v, want an *sso.Error of %s with code %s", err, op, code)
	}
}

// Logout ends the sign-in: the token, and the refresh token from the same
// sign-in, are refused afterwards.
func TestLogout(t *testing.T) {
	srv, c := newClient(t, ssofake.Options{Assignments: map[string][]string{"111122223333": {"Dev"}}})
	ctx := context.Background()
	reg, err := c.Register(ctx, []string{"sso:account:access"}, true, startURL)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.LoginPKCE(ctx, reg, sso.LoginOptions{StartURL: startURL, Scopes: reg.Scopes, Browser: &visitor{t: t}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListAssignments(ctx, tok.AccessToken); err != nil {
		t.Fatalf("before Logout: %v", err)
	}
	if err := c.Logout(ctx, tok.AccessToken); err != nil {
		t.Fatal(err)
	}
	_, err = c.ListAssignments(ctx, tok.AccessToken)
	wantOpCode(t, err, "ListAccounts", "UnauthorizedException")
	_, err = c.RoleCredentials(ctx, tok.AccessToken, "111122223333", "Dev")
	if !sso.IsUnauthorized(err) {
		t.Errorf("GetRoleCredentials after Logout: err = %v", err)
	}
	if _, err := c.Refresh(ctx, reg, tok.RefreshToken, time.Now()); !sso.IsSessionGone(err) {
		t.Errorf("refresh after Logout: err = %v, want InvalidGrant", err)
	}
	err = c.Logout(ctx, tok.AccessToken)
	wantOpCode(t, err, "Logout", "UnauthorizedException")
	noToken(t, err, tok.AccessToken)
	if n := srv.Count("Logout"); n != 2 {
		t.Errorf("Logout calls = %d, want 2", n)
	}
}

func TestLogoutTimeout(t *testing.T) {
	srv, _ := newClient(t, ssofake.Options{})
	srv.Inject("Logout", ssofake.Fault{Delay: 5 * time.Second})
	c := awssdk.New(awssdk.Config{Region: "eu-west-1", PortalEndpoint: srv.URL, CallTimeout: 200 * time.Millisecond, MaxAttempts: 1})
	start := time.Now()
	err := c.Logout(context.Background(), "x")
	wantOpCode(t, err, "Logout", sso.CodeTimeout)
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("Logout ended after %s, not at the call timeout", d)
	}
}
