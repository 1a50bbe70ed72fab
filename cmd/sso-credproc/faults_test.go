package main_test

import (
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/sso-credproc/sso-credproc/internal/ssofake"
)

// restartFake replaces the fake IAM Identity Center by a new one on the
// same address: it has forgotten every client, token and refresh token.
func (w *world) restartFake(opts ssofake.Options) {
	w.t.Helper()
	url := w.srv.URL
	w.srv.Close()
	s := ssofake.NewHandler(opts)
	s.URL = url
	ln, err := net.Listen("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		w.t.Fatalf("listen again on %s: %v", url, err)
	}
	hs := &http.Server{Handler: s}
	go hs.Serve(ln)
	w.t.Cleanup(func() { hs.Close(); s.Close() })
	w.srv = s
}

// The service no longer knows the stored client registration: it is
// replaced before the browser or device step, in the same run, and the
// runs after it are normal again.
func TestServiceForgetsClient(t *testing.T) {
	t.Run("sso-session", func(t *testing.T) {
		w := newWorld(t, ssofake.Options{})
		w.ok(w.run("--profile", "dev-sso"))
		w.restartFake(ssofake.Options{})
		// Stale credentials and a token inside its refresh window.
		stale := []string{"--profile", "dev-sso", "--min-credential-ttl", "59m", "--refresh-window", "59m", "--login-timeout", "30s"}
		r := w.run(stale...)
		w.ok(r)
		w.wantCalls(map[string]int{"CreateToken:refresh_token": 1, "RegisterClient": 1, "Authorize": 1, "CreateToken:authorization_code": 1})
		w.ok(w.run(stale...))
		w.wantCalls(map[string]int{"RegisterClient": 1, "Authorize": 1, "CreateToken:refresh_token": 2})
	})
	t.Run("legacy", func(t *testing.T) {
		w := newWorld(t, ssofake.Options{})
		w.ok(w.run("--profile", "legacy"))
		w.restartFake(ssofake.Options{})
		r := w.run("--profile", "legacy", "--min-credential-ttl", "59m", "--login-timeout", "30s")
		w.ok(r)
		w.wantCalls(map[string]int{"RegisterClient": 1, "StartDeviceAuthorization": 2, "Verify": 1})
		w.ok(w.run("--profile", "legacy", "--min-credential-ttl", "59m"))
		w.wantCalls(map[string]int{"RegisterClient": 1, "StartDeviceAuthorization": 2, "GetRoleCredentials": 3})
	})
}
