package ssofake_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"

	"github.com/sso-credproc/sso-credproc/internal/ssofake"
)

// browserGet fetches url as a browser does (Accept: text/html), without
// following redirects, and returns the response and its body.
func browserGet(t *testing.T, u string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

// consentForm returns the hidden fields of the consent page's form.
func consentForm(t *testing.T, page string) url.Values {
	t.Helper()
	if !strings.Contains(page, `<form method="post" action="/authorize">`) ||
		!strings.Contains(page, `name="decision" value="allow">Allow</button>`) ||
		!strings.Contains(page, `name="decision" value="deny">Deny</button>`) {
		t.Fatalf("no consent form with Allow and Deny:\n%s", page)
	}
	v := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(page, -1) {
		v.Set(m[1], strings.ReplaceAll(m[2], "&amp;", "&"))
	}
	return v
}

func post(t *testing.T, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(t, req)
}

func TestConsentPage(t *testing.T) {
	srv, oc, pc := newServer(t, ssofake.Options{})
	reg := register(t, oc, grantAuthCode, grantRefresh)
	verifier, challenge := pkce()
	redirect := "http://127.0.0.1:54321/oauth/callback"

	resp, body := browserGet(t, authorizeURL(reg, redirect, "st&te", challenge))
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /authorize from a browser: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	if !strings.Contains(body, `<strong id="client">sso-credproc-test</strong>`) {
		t.Errorf("the page does not name the client:\n%s", body)
	}
	form := consentForm(t, body)
	if form.Get("state") != "st&te" || form.Get("code_challenge") != challenge || form.Get("redirect_uri") != redirect {
		t.Errorf("form fields %v", form)
	}
	for _, sec := range srv.Secrets() {
		if strings.Contains(body, sec) {
			t.Error("the consent page holds a secret")
		}
	}
	if srv.Count("Authorize") != 1 || srv.Count("Consent") != 0 {
		t.Errorf("counts %v", srv.Counts())
	}

	// A form without a decision is refused.
	if resp, _ := post(t, srv.URL+"/authorize", form); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("POST without decision: %s", resp.Status)
	}
	// A tampered form is checked like the request.
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("redirect_uri", "http://evil.example/oauth/callback")
	bad.Set("decision", "allow")
	if resp, _ := post(t, srv.URL+"/authorize", bad); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("POST with a foreign redirect_uri: %s", resp.Status)
	}

	form.Set("decision", "allow")
	resp, _ = post(t, srv.URL+"/authorize", form)
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(loc.String(), redirect+"?") {
		t.Fatalf("Allow: %s to %q", resp.Status, resp.Header.Get("Location"))
	}
	q := loc.Query()
	if q.Get("state") != "st&te" || q.Get("code") == "" {
		t.Fatalf("Allow redirected with %v", q)
	}
	tok := redeem(t, oc, reg, q.Get("code"), verifier, redirect)
	if _, err := pc.GetRoleCredentials(context.Background(), &sso.GetRoleCredentialsInput{
		AccessToken: tok, AccountId: aws.String("111122223333"), RoleName: aws.String("Admin"),
	}); err != nil {
		t.Fatal(err)
	}
	if srv.Count("Consent") != 3 {
		t.Errorf("Consent calls = %d, want 3", srv.Count("Consent"))
	}

	form.Set("decision", "deny")
	resp, _ = post(t, srv.URL+"/authorize", form)
	loc, _ = url.Parse(resp.Header.Get("Location"))
	if q := loc.Query(); resp.StatusCode != http.StatusFound || q.Get("error") != "access_denied" || q.Has("code") || q.Get("state") != "st&te" {
		t.Errorf("Deny: %s to %q", resp.Status, resp.Header.Get("Location"))
	}

	// SetDeny wins over Allow.
	srv.SetDeny(true)
	form.Set("decision", "allow")
	resp, _ = post(t, srv.URL+"/authorize", form)
	loc, _ = url.Parse(resp.Header.Get("Location"))
	if q := loc.Query(); q.Get("error") != "access_denied" || q.Has("code") {
		t.Errorf("Allow under SetDeny: %s to %q", resp.Status, resp.Header.Get("Location"))
	}
}

func redeem(t *testing.T, oc interface {
	CreateToken(context.Context, *ssooidc.CreateTokenInput, ...func(*ssooidc.Options)) (*ssooidc.CreateTokenOutput, error)
}, reg *ssooidc.RegisterClientOutput, code, verifier, redirect string) *string {
	t.Helper()
	out, err := oc.CreateToken(context.Background(), &ssooidc.CreateTokenInput{
		ClientId: reg.ClientId, ClientSecret: reg.ClientSecret, GrantType: aws.String(grantAuthCode),
		Code: aws.String(code), CodeVerifier: aws.String(verifier), RedirectUri: aws.String(redirect),
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.AccessToken
}

func TestIssuedTo(t *testing.T) {
	srv, oc, pc := newServer(t, ssofake.Options{})
	tok := loginDevice(t, oc, register(t, oc))
	out, err := pc.GetRoleCredentials(context.Background(), &sso.GetRoleCredentialsInput{
		AccessToken: tok.AccessToken, AccountId: aws.String("444455556666"), RoleName: aws.String("Operator"),
	})
	if err != nil {
		t.Fatal(err)
	}
	acct, role, ok := srv.IssuedTo(*out.RoleCredentials.AccessKeyId)
	if !ok || acct != "444455556666" || role != "Operator" {
		t.Errorf("IssuedTo = %q, %q, %v", acct, role, ok)
	}
	if _, _, ok := srv.IssuedTo("ASIANOTISSUEDBYUS00"); ok {
		t.Error("IssuedTo knows a key it never issued")
	}
}
