//go:build unix

package main_test

// exec and serve through the built programs, the fake IAM Identity Center
// and the real Secret Service (Unix only: sh, env and signals), with the
// AWS CLI v2, boto3 and the Go SDK as the programs that read the
// credentials (under CI a missing one fails).

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sso-credproc/sso-credproc/internal/callers"
	"github.com/sso-credproc/sso-credproc/internal/ssofake"
)

// envOf parses the output of env(1).
func envOf(out string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			m[k] = v
		}
	}
	return m
}

func TestExecEnvironment(t *testing.T) {
	w := newWorld(t, ssofake.Options{})
	stale := []string{"AWS_ACCESS_KEY_ID=AKIAOLD", "AWS_SECRET_ACCESS_KEY=old", "AWS_SESSION_TOKEN=old", "AWS_CREDENTIAL_EXPIRATION=2000-01-01T00:00:00Z",
		"AWS_PROFILE=ops-sso", "AWS_DEFAULT_PROFILE=ops-sso", "AWS_SECURITY_TOKEN=old", "AWS_CREDENTIAL_FILE=/x", "AWS_SESSION_EXPIRATION=x", "AWS_ACCOUNT_ID=999988887777",
		"AWS_ROLE_ARN=arn:aws:iam::999988887777:role/x", "AWS_ROLE_SESSION_NAME=x", "AWS_WEB_IDENTITY_TOKEN_FILE=/x",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:9/", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/x",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN=x", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=/x",
		"AWS_REGION=eu-north-1", "AWS_DEFAULT_REGION=eu-north-1", "AWS_SHARED_CREDENTIALS_FILE=/kept", "KEEP_ME=1"}
	w.setenv(stale...)
	r := w.run("exec", "--profile", "dev", "--", "env")
	if r.code != 0 || !strings.Contains(r.stdout, "KEEP_ME=1\n") {
		t.Fatalf("exec env: %+v", r)
	}
	got := envOf(r.stdout)
	w.checkIssued("exec env", callerCreds{got["AWS_ACCESS_KEY_ID"], got["AWS_SECRET_ACCESS_KEY"], got["AWS_SESSION_TOKEN"], parseTime(t, "exec", got["AWS_CREDENTIAL_EXPIRATION"])})
	want := map[string]string{
		// dev's region (its SSO profile dev-sso has none)
		"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
		"SSO_CREDPROC_PROFILE":        "dev",
		"AWS_SHARED_CREDENTIALS_FILE": "/kept", "AWS_CONFIG_FILE": filepath.Join(w.home, ".aws", "config"), "KEEP_ME": "1",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s=%q, want %q", k, got[k], v)
		}
	}
	for _, kv := range stale {
		k, _, _ := strings.Cut(kv, "=")
		if _, set := got[k]; set && want[k] == "" && !strings.HasPrefix(k, "AWS_ACCESS_KEY_ID") && !slices.Contains([]string{"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION"}, k) {
			t.Errorf("%s is still set: %q", k, got[k])
		}
	}
	if n := strings.Count(r.stdout, "AWS_ACCESS_KEY_ID="); n != 1 {
		t.Errorf("AWS_ACCESS_KEY_ID appears %d times", n)
	}
	w.wantCalls(map[string]int{"GetRoleCredentials": 1})

	// A profile with no region anywhere leaves the caller's region alone.
	r = w.run("exec", "--profile", "dev-sso", "--", "env")
	if got := envOf(r.stdout); r.code != 0 || got["AWS_REGION"] != "eu-north-1" || got["SSO_CREDPROC_PROFILE"] != "dev-sso" {
		t.Errorf("exec --profile dev-sso: exit %d, AWS_REGION %q, marker %q", r.code, got["AWS_REGION"], got["SSO_CREDPROC_PROFILE"])
	}
	// The second and third runs were served from the keychain.
	w.wantCalls(map[string]int{"GetRoleCredentials": 1, "Authorize": 1})
	w.noSecretsIn("exec's stderr", r.stderr)
}

func TestExecStatusAndStreams(t *testing.T) {
	w := newWorld(t, ssofake.Options{})
	w.ok(w.run("--profile", "dev-sso")) // sign in first: then exec says nothing
	notExec := filepath.Join(w.home, "not-executable")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name           string
		args           []string
		code           int
		stdout, stderr string // stderr: a part of it
	}{
		{"success", []string{"printf", "out\\n"}, 0, "out\n", ""},
		{"stdout and stderr are COMMAND's", []string{"sh", "-c", "echo out; echo err >&2; exit 3"}, 3, "out\n", "err\n"},
		{"killed by a signal", []string{"sh", "-c", "kill -TERM $$"}, 128 + 15, "", ""},
		{"not found", []string{"no-such-command-xyz"}, 127, "", "sso-credproc: error: command not found: no-such-command-xyz\nsso-credproc: hint: "},
		{"not executable", []string{notExec}, 126, "", "sso-credproc: error: cannot run " + notExec},
	} {
		r := w.run(append([]string{"exec", "--profile", "dev", "--"}, tc.args...)...)
		if r.code != tc.code || r.stdout != tc.stdout || !strings.Contains(r.stderr, tc.stderr) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want %d, %q, %q", tc.name, r.code, r.stdout, r.stderr, tc.code, tc.stdout, tc.stderr)
		}
		if tc.code == 0 && r.stderr != "" {
			t.Errorf("%s: stderr %q, want nothing", tc.name, r.stderr)
		}
	}
	// Without "--" the first argument that is not a flag is COMMAND.
	if r := w.run("exec", "--profile", "dev", "sh", "-c", "echo $SSO_CREDPROC_PROFILE"); r.code != 0 || r.stdout != "dev\n" {
		t.Errorf("exec without --: %+v", r)
	}
	r := w.run("exec", "--profile", "dev")
	if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, "sso-credproc: error: no command given\nsso-credproc: hint: ") {
		t.Errorf("exec without COMMAND: %+v", r)
	}
	// Nested: the inner exec refuses.
	r = w.run("exec", "--profile", "dev", "--", bin("sso-credproc"), "exec", "--profile", "dev-sso", "--", "echo", "inner")
	if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, `sso-credproc: error: already inside sso-credproc exec for profile "dev"`) {
		t.Errorf("nested exec: %+v", r)
	}
	w.wantCalls(map[string]int{"GetRoleCredentials": 1})
}

// Signals sent to sso-credproc reach COMMAND, whose status is exec's.
func TestExecForwardsSignals(t *testing.T) {
	w := newWorld(t, ssofake.Options{})
	w.ok(w.run("--profile", "dev-sso")) // sign in first
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGUSR1} {
		t.Run(sig.String(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			script := fmt.Sprintf(`trap 'echo got %d; exit 7' %d; echo ready; i=0; while [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; exit 9`, int(sig), int(sig))
			cmd := w.command(ctx, "exec", "--profile", "dev", "--", "sh", "-c", script)
			cmd.WaitDelay = 5 * time.Second
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var errb strings.Builder
			cmd.Stderr = &errb
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			rd := bufio.NewReader(out)
			if line, err := rd.ReadString('\n'); line != "ready\n" {
				t.Fatalf("COMMAND said %q, %v; stderr %s", line, err, errb.String())
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			rest, _ := io.ReadAll(rd)
			cmd.Wait()
			if code := cmd.ProcessState.ExitCode(); code != 7 || string(rest) != fmt.Sprintf("got %d\n", int(sig)) {
				t.Errorf("after %s: exit %d, COMMAND printed %q; stderr %q", sig, code, rest, errb.String())
			}
		})
	}
}

func TestExecCallers(t *testing.T) {
	aws, version := callers.AWSCLIv2(t)
	t.Logf("caller version: %s", version)
	py, pyVersion := callers.Python(t, "boto3", "botocore")
	t.Logf("caller version: python %s", pyVersion)
	w := newWorld(t, ssofake.Options{})
	// AWS_PROFILE names a profile that would sign in elsewhere: exec
	// removes it, so the callers read the environment.
	w.setenv("AWS_PROFILE=ops-sso", "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(w.home, "no-credentials-file"), "AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=", "PYTHONNOUSERSITE=1")

	r := w.run("exec", "--profile", "dev", "--", aws, "configure", "export-credentials", "--format", "env")
	if r.code != 0 {
		t.Fatalf("aws under exec: %+v", r)
	}
	vars := envOf(strings.ReplaceAll(r.stdout, "export ", ""))
	w.checkIssued("aws under exec", callerCreds{vars["AWS_ACCESS_KEY_ID"], vars["AWS_SECRET_ACCESS_KEY"], vars["AWS_SESSION_TOKEN"], parseTime(t, "aws", vars["AWS_CREDENTIAL_EXPIRATION"])})
	r = w.run("exec", "--profile", "dev", "--", aws, "configure", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "env") || !strings.Contains(r.stdout, "us-east-1") {
		t.Errorf("aws configure list under exec: %+v", r)
	}

	const script = `import boto3, json
c = boto3.Session().get_credentials()
f = c.get_frozen_credentials()
print(json.dumps({"Method": c.method, "AccessKeyId": f.access_key, "SecretAccessKey": f.secret_key, "SessionToken": f.token}))
`
	for _, server := range []bool{false, true} {
		args := []string{"exec", "--profile", "dev"}
		want := "env"
		if server {
			args, want = append(args, "--server"), "container-role"
		}
		r := w.run(append(args, "--", py, "-c", script)...)
		if r.code != 0 {
			t.Fatalf("boto3 under %v: %+v", args, r)
		}
		var c struct{ Method, AccessKeyId, SecretAccessKey, SessionToken string }
		decodeJSON(t, "boto3", r.stdout, &c)
		if c.Method != want {
			t.Errorf("boto3 under %v: method %q, want %q", args, c.Method, want)
		}
		w.checkIssued("boto3", callerCreds{c.AccessKeyId, c.SecretAccessKey, c.SessionToken, time.Time{}})
	}

	// The Go SDK through exec --server's endpoint.
	r = w.run("exec", "--profile", "dev", "--server", "--", goCaller(t))
	if r.code != 0 {
		t.Fatalf("Go SDK under exec --server: %+v", r)
	}
	var c goCreds
	decodeJSON(t, "Go SDK", r.stdout, &c)
	if !strings.HasPrefix(c.Source, "CredentialsEndpoint") {
		t.Errorf("Go SDK source %q, want the credentials endpoint", c.Source)
	}
	// (The Go SDK shows Expiration 5 minutes early: its expiry window.)
	w.checkIssued("Go SDK", callerCreds{c.AccessKeyId, c.SecretAccessKey, c.SessionToken, time.Time{}})
	w.wantCalls(map[string]int{"Authorize": 1, "GetRoleCredentials": 1})
}

// serving is a running `sso-credproc serve`.
type serving struct {
	cmd          *exec.Cmd
	stdout       *strings.Builder
	url, token   string
	stderrLines  chan string
	stderrBefore string
}

func (w *world) serve(args ...string) *serving {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	w.t.Cleanup(cancel)
	cmd := w.command(ctx, append([]string{"serve"}, args...)...)
	cmd.WaitDelay = 5 * time.Second
	s := &serving{cmd: cmd, stdout: &strings.Builder{}, stderrLines: make(chan string, 100)}
	cmd.Stdout = s.stdout
	errp, err := cmd.StderrPipe()
	if err != nil {
		w.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	go func() {
		sc := bufio.NewScanner(errp)
		for sc.Scan() {
			s.stderrLines <- sc.Text()
		}
		close(s.stderrLines)
	}()
	deadline := time.After(time.Minute)
	for {
		select {
		case line, ok := <-s.stderrLines:
			if !ok {
				w.t.Fatalf("serve ended before it printed the export line: %s", s.stderrBefore)
			}
			s.stderrBefore += line + "\n"
			if rest, ok := strings.CutPrefix(line, "export AWS_CONTAINER_CREDENTIALS_FULL_URI="); ok {
				url, tok, _ := strings.Cut(rest, " AWS_CONTAINER_AUTHORIZATION_TOKEN=")
				s.url, s.token = url, tok
				return s
			}
		case <-deadline:
			w.t.Fatalf("no export line within a minute: %s", s.stderrBefore)
		}
	}
}

func (s *serving) get(t *testing.T, host, auth string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.url, nil)
	if host != "" {
		req.Host = host
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// stop sends SIGTERM and returns the exit status and the rest of stderr.
func (s *serving) stop(t *testing.T) (int, string) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	var rest strings.Builder
	for line := range s.stderrLines {
		rest.WriteString(line + "\n")
	}
	s.cmd.Wait()
	return s.cmd.ProcessState.ExitCode(), rest.String()
}

func TestServe(t *testing.T) {
	py, _ := callers.Python(t, "boto3", "botocore")
	w := newWorld(t, ssofake.Options{})
	s := w.serve("--profile", "dev")
	if !strings.HasPrefix(s.url, "http://127.0.0.1:") || len(s.token) != 43 {
		t.Fatalf("url %q, token of %d characters", s.url, len(s.token))
	}
	env := append(slices.Clone(w.env), "AWS_CONTAINER_CREDENTIALS_FULL_URI="+s.url, "AWS_CONTAINER_AUTHORIZATION_TOKEN="+s.token,
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(w.home, "no-credentials-file"), "AWS_EC2_METADATA_DISABLED=true", "PYTHONNOUSERSITE=1")

	// boto3 and the Go SDK read the endpoint.
	r := runCaller(time.Minute, env, py, "-c", `import boto3, json
c = boto3.Session().get_credentials()
f = c.get_frozen_credentials()
print(json.dumps({"Method": c.method, "AccessKeyId": f.access_key, "SecretAccessKey": f.secret_key, "SessionToken": f.token}))
`)
	if r.err != nil {
		t.Fatalf("boto3: %v\n%s", r.err, r.stderr)
	}
	var bc struct{ Method, AccessKeyId, SecretAccessKey, SessionToken string }
	decodeJSON(t, "boto3", r.stdout, &bc)
	if bc.Method != "container-role" {
		t.Errorf("boto3 method %q, want container-role", bc.Method)
	}
	w.checkIssued("boto3 via serve", callerCreds{bc.AccessKeyId, bc.SecretAccessKey, bc.SessionToken, time.Time{}})
	r = runCaller(time.Minute, env, goCaller(t))
	if r.err != nil {
		t.Fatalf("Go SDK: %v\n%s", r.err, r.stderr)
	}
	var gc goCreds
	decodeJSON(t, "Go SDK", r.stdout, &gc)
	w.checkIssued("Go SDK via serve", callerCreds{gc.AccessKeyId, gc.SecretAccessKey, gc.SessionToken, time.Time{}})
	if !strings.HasPrefix(gc.Source, "CredentialsEndpoint") {
		t.Errorf("Go SDK source %q, want the credentials endpoint", gc.Source)
	}

	// Refused: no token, a wrong one, a Host that is not loopback (DNS
	// rebinding), another path or method.
	for _, tc := range []struct {
		name, host, auth string
		want             int
	}{
		{"no token", "", "", 401},
		{"wrong token", "", s.token[1:] + "A", 403},
		{"rebinding Host", "attacker.example", s.token, 403},
	} {
		if code, b := s.get(t, tc.host, tc.auth); code != tc.want {
			t.Errorf("%s: %d, want %d: %s", tc.name, code, tc.want, b)
		}
	}
	for _, tc := range []struct {
		method, path string
		want         int
	}{{"GET", "other", 404}, {"POST", "", 405}} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		req, _ := http.NewRequestWithContext(ctx, tc.method, s.url+tc.path, nil)
		req.Header.Set("Authorization", s.token)
		resp, err := http.DefaultClient.Do(req)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s /%s: %d, want %d", tc.method, tc.path, resp.StatusCode, tc.want)
		}
	}

	// A hundred requests at once cost nothing more: one GetRoleCredentials
	// (at the start) in all.
	var wg sync.WaitGroup
	codes := make([]int, 100)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _ = s.get(t, "", s.token)
		}()
	}
	wg.Wait()
	for i, c := range codes {
		if c != 200 {
			t.Fatalf("request %d: %d", i, c)
		}
	}
	w.wantCalls(map[string]int{"Authorize": 1, "GetRoleCredentials": 1})

	code, rest := s.stop(t)
	if code != 0 || s.stdout.String() != "" {
		t.Errorf("after SIGTERM: exit %d, stdout %q, stderr %q", code, s.stdout.String(), rest)
	}
	// The token is printed once, on the export line, and nowhere else.
	if n := strings.Count(s.stderrBefore+rest, s.token); n != 1 {
		t.Errorf("the token appears %d times on stderr", n)
	}
	w.noSecretsIn("serve's stderr", s.stderrBefore+rest)
}

// Credentials that near expiry are renewed by the next request.
func TestServeRenews(t *testing.T) {
	w := newWorld(t, ssofake.Options{RoleCredentialsTTL: 20 * time.Minute})
	// Fresh while more than 19m52s remain: for about 8 s after issue.
	s := w.serve("--profile", "dev", "--min-credential-ttl", "19m52s", "--clock-skew", "0s")
	key := func() string {
		code, b := s.get(t, "", s.token)
		var c struct{ AccessKeyId, Expiration string }
		if code != 200 || json.Unmarshal([]byte(b), &c) != nil {
			t.Fatalf("%d %s", code, b)
		}
		return c.AccessKeyId
	}
	first := key()
	if again := key(); again != first {
		t.Fatalf("fresh credentials were renewed")
	}
	w.wantCalls(map[string]int{"GetRoleCredentials": 1})
	time.Sleep(9 * time.Second)
	if renewed := key(); renewed == first {
		t.Errorf("credentials with less than the minimum TTL left were served again")
	}
	w.wantCalls(map[string]int{"GetRoleCredentials": 2, "Authorize": 1})
	if code, rest := s.stop(t); code != 0 {
		t.Errorf("exit %d: %s", code, rest)
	}
}

func TestServeRefusesNonLoopback(t *testing.T) {
	w := newWorld(t, ssofake.Options{})
	for _, addr := range []string{"0.0.0.0:0", ":8080", "192.0.2.1:80"} {
		r := w.run("serve", "--profile", "dev", "--addr", addr)
		if r.code != 2 || !strings.Contains(r.stderr, "is not a loopback address") {
			t.Errorf("--addr %s: %+v", addr, r)
		}
	}
	w.wantCalls(map[string]int{"GetRoleCredentials": 0})
}
