package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
)

func TestBrowse(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/authorize", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/oauth/callback?code=secret&state=s", http.StatusFound)
	})
	mux.HandleFunc("/oauth/callback", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("code") != "secret" {
			http.Error(w, "no code", http.StatusBadRequest)
		}
	})
	// A consent page as the fake's /authorize shows a browser: browse
	// submits it with its first button.
	mux.HandleFunc("GET /consent", func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept"), "text/html") {
			http.Error(w, "not a browser", http.StatusNotAcceptable)
			return
		}
		io.WriteString(w, `<p>Allow?</p><form method="get" action="/nowhere"><input name="q"></form>
<form method="post" action="/consent"><input type="hidden" name="state" value="a&amp;b">
<button type="submit" name="decision" value="allow">Allow</button><button type="submit" name="decision" value="deny">Deny</button></form>`)
	})
	mux.HandleFunc("POST /consent", func(w http.ResponseWriter, r *http.Request) {
		if r.PostFormValue("decision") != "allow" || r.PostFormValue("state") != "a&b" {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, "/oauth/callback?code=secret&state=s", http.StatusFound)
	})
	mux.HandleFunc("GET /deny", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `<form method="post" action="/consent"><button name="decision" value="deny">Deny</button></form>`)
	})
	mux.HandleFunc("/broken", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/oauth/callback?code=wrong", http.StatusFound)
	})
	mux.HandleFunc("/away", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://example.com/", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	tests := []struct {
		url      string
		code     int
		inStderr string
	}{
		{srv.URL + "/authorize", 0, ""},
		{srv.URL + "/consent", 0, ""},
		{srv.URL + "/deny", 1, "POST " + srv.URL + "/consent: 400 Bad Request"},
		{srv.URL + "/broken", 1, "400 Bad Request"},
		{srv.URL + "/missing", 1, "404 Not Found"},
		{srv.URL + "/away", 1, "not a loopback"},
		{"https://example.com/", 1, "not a loopback"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"browse", tt.url}, &stdout, &stderr)
		if code != tt.code || !strings.Contains(stderr.String(), tt.inStderr) {
			t.Errorf("browse %s: exit %d, stderr %q; want exit %d, stderr with %q", tt.url, code, stderr.String(), tt.code, tt.inStderr)
		}
		if stdout.Len() != 0 {
			t.Errorf("browse %s wrote to stdout: %q", tt.url, stdout.String())
		}
		if strings.Contains(stderr.String(), "wrong") {
			t.Errorf("browse %s printed the query: %q", tt.url, stderr.String())
		}
	}
}

func TestServe(t *testing.T) {
	urlFile := filepath.Join(t.TempDir(), "url")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr bytes.Buffer
	done := make(chan int)
	go func() { done <- run(ctx, []string{"serve", "--url-file", urlFile}, &stdout, &stderr) }()

	var base string
	for deadline := time.Now().Add(10 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile(urlFile)
		base = strings.TrimSpace(string(b))
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("url file holds %q", base)
	}
	resp, err := http.Get(base + "/device?user_code=NOPE-NOPE")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = http.Get(base + "/_fake/counts")
	if err != nil {
		t.Fatal(err)
	}
	var counts map[string]int
	json.NewDecoder(resp.Body).Decode(&counts)
	resp.Body.Close()
	if counts["Verify"] != 1 {
		t.Errorf("counts = %v, want Verify 1", counts)
	}

	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"counts", base}, &out, &errOut); code != 0 {
		t.Errorf("counts: exit %d: %s", code, errOut.String())
	}
	if got := out.String(); got != `{"Verify":1}`+"\n" {
		t.Errorf("counts printed %q", got)
	}

	http.DefaultClient.CloseIdleConnections()
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("serve exited %d: %s", code, stderr.String())
	}
	if got := stdout.String(); got != base+"\n" {
		t.Errorf("stdout = %q, want %q", got, base+"\n")
	}
}

func TestServeRefusesRemote(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0", "example.com:0"} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"serve", "--addr", addr}, &stdout, &stderr)
		if code == 0 || stdout.Len() != 0 || !strings.Contains(stderr.String(), "loopback") {
			t.Errorf("serve --addr %s: exit %d, stdout %q, stderr %q", addr, code, stdout.String(), stderr.String())
		}
	}
}

// startServe runs serve with args and returns its base URL and a stop
// function that ends it and returns its exit status and output.
func startServe(t *testing.T, args ...string) (base string, stop func() (int, string, string)) {
	t.Helper()
	urlFile := filepath.Join(t.TempDir(), "url")
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--url-file", urlFile}, args...), &stdout, &stderr)
	}()
	for deadline := time.Now().Add(10 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		select {
		case code := <-done:
			cancel()
			t.Fatalf("serve %q exited %d: %s", args, code, stderr.String())
		default:
		}
		b, _ := os.ReadFile(urlFile)
		base = strings.TrimSpace(string(b))
	}
	if base == "" {
		cancel()
		t.Fatal("serve wrote no URL")
	}
	var once sync.Once
	var code int
	stop = func() (int, string, string) {
		once.Do(func() { cancel(); code = <-done })
		return code, stdout.String(), stderr.String()
	}
	t.Cleanup(func() { stop() })
	return base, stop
}

// signIn signs in to the fake at base with the device code, the browser
// step done by browse, and returns the SDK's portal client and the token.
func signIn(t *testing.T, base string) (*sso.Client, *ssooidc.CreateTokenOutput) {
	t.Helper()
	ctx := context.Background()
	oc := ssooidc.New(ssooidc.Options{Region: "us-east-1", BaseEndpoint: aws.String(base)})
	reg, err := oc.RegisterClient(ctx, &ssooidc.RegisterClientInput{ClientName: aws.String("test"), ClientType: aws.String("public")})
	if err != nil {
		t.Fatal(err)
	}
	dev, err := oc.StartDeviceAuthorization(ctx, &ssooidc.StartDeviceAuthorizationInput{ClientId: reg.ClientId, ClientSecret: reg.ClientSecret, StartUrl: aws.String("https://d-abc123.awsapps.com/start")})
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run(ctx, []string{"browse", *dev.VerificationUriComplete}, &stdout, &stderr); code != 0 {
		t.Fatalf("browse: exit %d: %s", code, stderr.String())
	}
	tok, err := oc.CreateToken(ctx, &ssooidc.CreateTokenInput{ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
		GrantType: aws.String("urn:ietf:params:oauth:grant-type:device_code"), DeviceCode: dev.DeviceCode})
	if err != nil {
		t.Fatal(err)
	}
	return sso.New(sso.Options{Region: "us-east-1", BaseEndpoint: aws.String(base)}), tok
}

type listed struct{ id, name, email, roles string }

func list(t *testing.T, pc *sso.Client, token *string) []listed {
	t.Helper()
	ctx := context.Background()
	var out []listed
	p := sso.NewListAccountsPaginator(pc, &sso.ListAccountsInput{AccessToken: token})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page.AccountList {
			var roles []string
			rp := sso.NewListAccountRolesPaginator(pc, &sso.ListAccountRolesInput{AccessToken: token, AccountId: a.AccountId})
			for rp.HasMorePages() {
				rpage, err := rp.NextPage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range rpage.RoleList {
					roles = append(roles, *r.RoleName)
				}
			}
			out = append(out, listed{*a.AccountId, *a.AccountName, *a.EmailAddress, strings.Join(roles, ",")})
		}
	}
	return out
}

func TestServeAssignments(t *testing.T) {
	file := filepath.Join(t.TempDir(), "assignments.json")
	os.WriteFile(file, []byte(`[
		{"accountId": "444455556666", "accountName": "Prod", "emailAddress": "prod@example.org", "roles": ["Admin"]},
		{"accountId": "111122223333", "roles": ["Auditor"]}
	]`), 0o600)
	base, stop := startServe(t,
		"--assign", "111122223333=Developer,ReadOnly",
		"--assign", "777788889999=Developer",
		"--account-name", "777788889999=Sandbox (team a)",
		"--assignments", file)
	pc, tok := signIn(t, base)
	got := list(t, pc, tok.AccessToken)
	want := []listed{
		{"111122223333", "account-111122223333", "aws+111122223333@example.com", "Developer,ReadOnly,Auditor"},
		{"444455556666", "Prod", "prod@example.org", "Admin"},
		{"777788889999", "Sandbox (team a)", "aws+777788889999@example.com", "Developer"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("listed %v, want %v", got, want)
	}
	// Only what is assigned may be used.
	_, err := pc.GetRoleCredentials(context.Background(), &sso.GetRoleCredentialsInput{AccessToken: tok.AccessToken, AccountId: aws.String("444455556666"), RoleName: aws.String("Developer")})
	if err == nil {
		t.Error("GetRoleCredentials for a role that is not assigned succeeded")
	}
	creds, err := pc.GetRoleCredentials(context.Background(), &sso.GetRoleCredentialsInput{AccessToken: tok.AccessToken, AccountId: aws.String("444455556666"), RoleName: aws.String("Admin")})
	if err != nil {
		t.Fatal(err)
	}

	// secrets lists what was issued, one per line, by argument or --url.
	for _, args := range [][]string{{"secrets", base}, {"secrets", "--url", base + "/"}} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
			t.Fatalf("%q: exit %d: %s", args, code, stderr.String())
		}
		lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
		for _, s := range []string{*tok.AccessToken, *creds.RoleCredentials.SecretAccessKey, *creds.RoleCredentials.SessionToken} {
			if !slices.Contains(lines, s) {
				t.Errorf("%q does not list an issued secret on a line of its own (%d lines)", args, len(lines))
			}
		}
	}
	if code, _, stderr := stop(); code != 0 {
		t.Errorf("serve exited %d: %s", code, stderr)
	}
}

// Without assignments every role is granted and the lists are empty.
func TestServeWithoutAssignments(t *testing.T) {
	base, _ := startServe(t)
	pc, tok := signIn(t, base)
	if got := list(t, pc, tok.AccessToken); len(got) != 0 {
		t.Errorf("listed %v, want nothing", got)
	}
	if _, err := pc.GetRoleCredentials(context.Background(), &sso.GetRoleCredentialsInput{AccessToken: tok.AccessToken, AccountId: aws.String("123456789012"), RoleName: aws.String("Any")}); err != nil {
		t.Error(err)
	}
}

func TestServeBadAssignments(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o600)
		return p
	}
	for _, args := range [][]string{
		{"--assign", "1111=Dev"},
		{"--assign", "111122223333"},
		{"--assign", "111122223333="},
		{"--assign", "111122223333=Dev,,Ops"},
		{"--account-name", "111122223333=Orphan"},
		{"--assignments", filepath.Join(dir, "missing.json")},
		{"--assignments", write("unknown.json", `[{"accountId": "111122223333", "role": ["Dev"]}]`)},
		{"--assignments", write("short.json", `[{"accountId": "1111", "roles": ["Dev"]}]`)},
		{"--assignments", write("broken.json", `[{`)},
		{"--bogus"},
		{"extra"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append([]string{"serve"}, args...), &stdout, &stderr)
		if code != 2 || stdout.Len() != 0 || !strings.Contains(stderr.String(), "usage: ssofake serve") {
			t.Errorf("serve %q: exit %d, stdout %q, stderr %q; want exit 2 and the usage on stderr", args, code, stdout.String(), stderr.String())
		}
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}, {"serve", "--help"}, {"serve", "-h"}, {"browse", "--help"}, {"counts", "--help"}, {"secrets", "-help"}} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), args, &stdout, &stderr)
		if code != 0 || !strings.HasPrefix(stdout.String(), "usage: ssofake") || stderr.Len() != 0 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 0 and the usage on stdout", args, code, stdout.String(), stderr.String())
		}
	}
	var stdout, stderr bytes.Buffer
	run(context.Background(), []string{"serve", "--help"}, &stdout, &stderr)
	for _, flag := range []string{"-addr", "-assign", "-account-name", "-assignments", "-url-file"} {
		if !strings.Contains(stdout.String(), flag) {
			t.Errorf("serve --help does not describe %s:\n%s", flag, stdout.String())
		}
	}
	for _, args := range [][]string{{}, {"bogus"}, {"counts"}, {"secrets", "a", "b"}} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, &stdout, &stderr); code != 2 || stdout.Len() != 0 || stderr.Len() == 0 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2, stderr only", args, code, stdout.String(), stderr.String())
		}
	}
}
