package main_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

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

// SIGTERM while a rotating refresh is under way: the process waits for the
// answer and stores it, then exits; the next run refreshes with the new
// refresh token instead of sending the user to the browser.
func TestSignalDuringRefreshKeepsRotatedToken(t *testing.T) {
	w := newWorld(t, ssofake.Options{RotateRefreshTokens: true})
	w.ok(w.run("--profile", "dev-sso"))
	w.srv.Inject("CreateToken:refresh_token", ssofake.Fault{Delay: 1500 * time.Millisecond})
	stale := []string{"--profile", "dev-sso", "--min-credential-ttl", "59m", "--refresh-window", "59m"}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := w.command(ctx, stale...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for w.srv.Count("CreateToken:refresh_token") == 0 {
		if ctx.Err() != nil {
			t.Fatal("no refresh")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // the request is with the service
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if out.Len() != 0 && err != nil {
		t.Errorf("stdout %q with exit %v", out.String(), err)
	}
	if err != nil && !strings.Contains(errb.String(), "interrupted") {
		t.Errorf("exit %v, stderr %q", err, errb.String())
	}
	w.ok(w.run(stale...))
	w.wantCalls(map[string]int{"Authorize": 1, "CreateToken:refresh_token": 2})
}
