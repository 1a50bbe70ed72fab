package console

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sso-credproc/sso-credproc/internal/ssofake"
	"github.com/sso-credproc/sso-credproc/tokencache"
)

func TestPartitionHosts(t *testing.T) {
	for region, want := range map[string]Partition{
		"us-east-1":      {"aws", "signin.aws.amazon.com", "console.aws.amazon.com"},
		"eu-west-1":      {"aws", "signin.aws.amazon.com", "console.aws.amazon.com"},
		"cn-north-1":     {"aws-cn", "signin.amazonaws.cn", "console.amazonaws.cn"},
		"cn-northwest-1": {"aws-cn", "signin.amazonaws.cn", "console.amazonaws.cn"},
		"us-gov-west-1":  {"aws-us-gov", "signin.amazonaws-us-gov.com", "console.amazonaws-us-gov.com"},
	} {
		if got := PartitionOf(region); got != want {
			t.Errorf("%s: %+v, want %+v", region, got, want)
		}
	}
}

func TestDestination(t *testing.T) {
	aws, cn := PartitionOf("us-east-1"), PartitionOf("cn-north-1")
	for _, tc := range []struct {
		part         Partition
		region, path string
		want         string
	}{
		{aws, "eu-west-1", "", "https://console.aws.amazon.com/?region=eu-west-1"},
		{aws, "eu-west-1", "/s3/", "https://console.aws.amazon.com/s3/?region=eu-west-1"},
		{aws, "eu-west-1", "/ec2/home?region=us-west-2#Instances:", "https://console.aws.amazon.com/ec2/home?region=us-west-2#Instances:"},
		{cn, "cn-north-1", "/", "https://console.amazonaws.cn/?region=cn-north-1"},
		{PartitionOf("us-gov-west-1"), "us-gov-west-1", "/iam/", "https://console.amazonaws-us-gov.com/iam/?region=us-gov-west-1"},
	} {
		got, err := destination(tc.part, tc.region, tc.path)
		if err != nil || got != tc.want {
			t.Errorf("%q: %q, %v; want %q", tc.path, got, err, tc.want)
		}
	}
	for _, bad := range []string{"s3", "https://evil.example/", "//evil.example/x", "/a b", "/x\ny", `/\evil`} {
		if got, err := destination(aws, "us-east-1", bad); err == nil {
			t.Errorf("%q: %q, want an error", bad, got)
		}
	}
}

func TestDurationBounds(t *testing.T) {
	for s, want := range map[string]time.Duration{"15m": 15 * time.Minute, "900": 15 * time.Minute, "12h": 12 * time.Hour, "43200": 12 * time.Hour, "1h30m": 90 * time.Minute} {
		var d time.Duration
		if err := (durationFlag{&d}).Set(s); err != nil || d != want {
			t.Errorf("%s: %v, %v; want %v", s, d, err, want)
		}
	}
	for _, s := range []string{"14m59s", "899", "12h0m1s", "43201", "0", "-1h", "1.5s", "soon", "15m0.5s"} {
		var d time.Duration
		if err := (durationFlag{&d}).Set(s); err == nil || d != 0 {
			t.Errorf("%s: accepted as %v", s, d)
		}
	}
}

// issue has the fake issue role credentials, as sso-credproc would get them.
func issue(t *testing.T, srv *ssofake.Server) *tokencache.Credentials {
	t.Helper()
	// Sign in by device code through the fake's own pages, then ask the
	// portal: the quickest honest way to credentials it issued.
	return issueCredentials(t, srv)
}

func TestSigninTokenAndLoginURL(t *testing.T) {
	srv := ssofake.New(ssofake.Options{})
	t.Cleanup(srv.Close)
	cr := issue(t, srv)
	tok, err := SigninToken(context.Background(), http.DefaultClient, srv.URL, cr, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := srv.Signin(tok)
	if !ok || got.Account != "111122223333" || got.Role != "Developer" || got.SessionDuration != 7200 {
		t.Fatalf("the fake recorded %+v, %v", got, ok)
	}
	dest := "https://console.aws.amazon.com/s3/?region=eu-west-1"
	login := LoginURL(srv.URL, dest, tok)
	u, err := url.Parse(login)
	if err != nil || u.Path != "/federation" {
		t.Fatalf("login URL %q", login)
	}
	q := u.Query()
	if q.Get("Action") != "login" || q.Get("Issuer") != "sso-credproc" || q.Get("Destination") != dest || q.Get("SigninToken") != tok || len(q) != 4 {
		t.Errorf("login URL query %v", q)
	}
	// The fake takes it and redirects to the destination.
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(login)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != dest {
		t.Errorf("login: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// Credentials the fake did not issue get no token.
	forged := *cr
	forged.SessionToken += "x"
	if _, err := SigninToken(context.Background(), http.DefaultClient, srv.URL, &forged, 0); err == nil || !strings.Contains(err.Error(), "HTTP 400") {
		t.Errorf("forged credentials: %v", err)
	}
}

// Every way the endpoint can fail is one error without a secret in it.
func TestSigninTokenErrors(t *testing.T) {
	cr := &tokencache.Credentials{AccessKeyID: "ASIAKEY", SecretAccessKey: "SECRET-KEY-xyz", SessionToken: "SESSION-TOKEN-xyz"}
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"400", func(w http.ResponseWriter, r *http.Request) { http.Error(w, r.URL.RawQuery, 400) }, "answered HTTP 400"},
		{"500", func(w http.ResponseWriter, r *http.Request) { http.Error(w, r.URL.RawQuery, 500) }, "answered HTTP 500: AWS Sign-In failed"},
		{"not JSON", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>" + r.URL.RawQuery)) }, "is not JSON"},
		{"no token", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"Other": "x"}`)) }, "is not JSON"},
		{"empty token", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"SigninToken": ""}`)) }, "is not JSON"},
		{"token with a line break", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"SigninToken": "a\nb"}`)) }, "is not JSON"},
		{"huge", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"SigninToken": "` + strings.Repeat("A", 1<<20) + `"}`))
		}, "larger than 64 KiB"},
		{"slow", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }, "no answer within"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			tok, err := SigninToken(ctx, http.DefaultClient, srv.URL, cr, 0)
			if err == nil || tok != "" || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("token %q, error %v; want %q", tok, err, tc.want)
			}
			for _, secret := range []string{"SECRET-KEY", "SESSION-TOKEN", "Session=", "federation?"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q holds %q", err, secret)
				}
			}
		})
	}
	// Nothing listening.
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close()
	_, err := SigninToken(context.Background(), http.DefaultClient, base, cr, 0)
	if err == nil || strings.Contains(err.Error(), "SECRET") || strings.Contains(err.Error(), "Session") {
		t.Errorf("unreachable: %v", err)
	}
}
