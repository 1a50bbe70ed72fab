package main_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sso-credproc/sso-credproc/internal/ssofake"
)

// gatedBrowser writes a $BROWSER script that waits until the returned
// function is called, then visits the URL: a user who takes their time.
func gatedBrowser(t *testing.T, dir string) (browser string, open func()) {
	t.Helper()
	gate := filepath.Join(dir, "gate")
	script := filepath.Join(dir, "slow-browser")
	body := "#!/bin/sh\n" +
		"i=0\n" +
		"while [ ! -e '" + gate + "' ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done\n" +
		"exec '" + bin("ssofake") + "' browse \"$1\"\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return script, func() {
		if err := os.WriteFile(gate, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// The caller gives up during a first sign-in and kills the shell it ran
// sso-credproc through (the Go SDK does this after one minute): the
// caller's pipes close at once, the sign-in goes on in the background and
// is stored, and the next call uses it.
func TestCallerGoneDuringSignIn(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	w := newWorld(t, ssofake.Options{})
	browser, open := gatedBrowser(t, w.home)
	w.setenv("BROWSER=" + browser)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// "; :" keeps sh from exec-ing the command: sso-credproc is the
	// shell's child, as under `sh -c` from the Go SDK.
	shell := exec.CommandContext(ctx, "sh", "-c", "'"+bin("sso-credproc")+"' --profile dev-sso; :")
	shell.Env = w.env
	stdout, err := shell.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := shell.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := shell.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until the sign-in is under way: the browser has been started.
	var errOut bytes.Buffer
	errDone := make(chan struct{})
	signing := make(chan struct{})
	go func() {
		defer close(errDone)
		buf := make([]byte, 4096)
		seen := false
		for {
			n, err := stderr.Read(buf)
			errOut.Write(buf[:n])
			if !seen && strings.Contains(errOut.String(), "a browser was opened") {
				seen = true
				close(signing)
			}
			if err != nil {
				return
			}
		}
	}()
	select {
	case <-signing:
	case <-time.After(time.Minute):
		t.Fatalf("the sign-in did not start; stderr: %q", errOut.String())
	}

	killed := time.Now()
	if err := shell.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	outDone := make(chan []byte, 1)
	go func() { b, _ := io.ReadAll(stdout); outDone <- b }()
	select {
	case out := <-outDone:
		if len(out) != 0 {
			t.Errorf("stdout: %q", out)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("stdout still open 20 s after the caller was killed")
	}
	select {
	case <-errDone:
	case <-time.After(20 * time.Second):
		t.Fatal("stderr still open 20 s after the caller was killed")
	}
	t.Logf("pipes closed %s after the caller was killed", time.Since(killed).Round(time.Millisecond))
	_ = shell.Wait()

	// The user finishes the sign-in now; the orphan stores it.
	open()
	r := w.run("--profile", "dev-sso")
	w.ok(r)
	w.wantCalls(map[string]int{"RegisterClient": 1, "Authorize": 1, "CreateToken:authorization_code": 1, "GetRoleCredentials": 1})
	if strings.Contains(r.stderr, "signing in") {
		t.Errorf("the next call signed in again: %q", r.stderr)
	}
}
