package main_test

// Callers nobody here wrote read credentials from the built programs
// through credential_process: the AWS CLI v2, boto3, the AWS SDK for Go v2
// and the AWS SDK for JavaScript v3. Each first call signs in through the
// fake (with $BROWSER set to `ssofake browse`); each second call must be
// served from the keychain without a request. Under CI a missing caller
// fails its test (internal/callers).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sso-credproc/sso-credproc/internal/callers"
	"github.com/sso-credproc/sso-credproc/internal/ssofake"
)

// callerEnv is the environment of a caller: the world's, with the profile
// that runs sso-credproc and nothing that an SDK would use before
// credential_process (no credentials file, no instance metadata).
func (w *world) callerEnv(kv ...string) []string {
	return append(append(slices.Clone(w.env),
		"AWS_PROFILE=dev",
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(w.home, "no-credentials-file"),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=",
	), kv...)
}

// callerRun is one run of a caller program.
type callerRun struct {
	stdout, stderr string
	err            error
	elapsed        time.Duration
}

// runCaller runs a caller program with env and a deadline; it never waits
// longer than d for the program or for its output pipes.
func runCaller(d time.Duration, env []string, name string, args ...string) callerRun {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	cmd.WaitDelay = 2 * time.Second
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("still running after %s: %w", d, err)
	}
	return callerRun{out.String(), errb.String(), err, time.Since(start)}
}

// callerCreds are the credentials as a caller saw them.
type callerCreds struct {
	AccessKeyId, SecretAccessKey, SessionToken string
	Expiration                                 time.Time // zero when the caller does not show it
}

// checkIssued fails unless c are the role credentials the fake issued for
// the dev profile's account and role, as sso-credproc serves them.
func (w *world) checkIssued(caller string, c callerCreds) {
	w.t.Helper()
	acct, role, ok := w.srv.IssuedTo(c.AccessKeyId)
	if !ok || acct != "111122223333" || role != "Developer" {
		w.t.Fatalf("%s got access key %q: issued by the fake %v, to %q/%q; want 111122223333/Developer", caller, c.AccessKeyId, ok, acct, role)
	}
	secrets := w.srv.Secrets()
	if !slices.Contains(secrets, c.SecretAccessKey) || !slices.Contains(secrets, c.SessionToken) {
		w.t.Fatalf("%s got a secret key or session token the fake never issued", caller)
	}
	// The warm path (no request) prints what the keychain holds.
	direct := w.ok(w.run("--profile", "dev-sso"))
	if direct.AccessKeyId != c.AccessKeyId || direct.SecretAccessKey != c.SecretAccessKey || direct.SessionToken != c.SessionToken {
		w.t.Errorf("%s got other credentials than sso-credproc serves", caller)
	}
	if !c.Expiration.IsZero() {
		if exp, _ := time.Parse(time.RFC3339, direct.Expiration); !exp.Equal(c.Expiration) {
			w.t.Errorf("%s: Expiration %s, sso-credproc printed %s", caller, c.Expiration, direct.Expiration)
		}
	}
}

// twice runs a caller twice: the first run signs in (one authorization,
// one GetRoleCredentials), the second gets the same credentials without a
// request to the fake.
func (w *world) twice(caller string, call func() callerCreds) {
	w.t.Helper()
	first := call()
	w.checkIssued(caller, first)
	w.wantCalls(map[string]int{"RegisterClient": 1, "Authorize": 1, "Consent": 1, "CreateToken": 1, "GetRoleCredentials": 1})
	before := w.srv.Counts()
	second := call()
	if second != first {
		w.t.Errorf("%s: the second run got other credentials", caller)
	}
	if after := w.srv.Counts(); !maps.Equal(after, before) {
		w.t.Errorf("%s: the second run made requests: %v, then %v", caller, before, after)
	}
}

func decodeJSON(t *testing.T, caller, s string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s printed %q: %v", caller, s, err)
	}
}

func parseTime(t *testing.T, caller, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("%s: expiration %q: %v", caller, s, err)
	}
	return tm
}

func TestCallerAWSCLI(t *testing.T) {
	aws, version := callers.AWSCLIv2(t)
	t.Logf("caller version: %s", version)
	w := newWorld(t, ssofake.Options{})
	env := w.callerEnv()
	w.twice("aws configure export-credentials --format process", func() callerCreds {
		r := runCaller(2*time.Minute, env, aws, "configure", "export-credentials", "--profile", "dev", "--format", "process")
		if r.err != nil {
			t.Fatalf("aws: %v\n%s", r.err, r.stderr)
		}
		var c struct {
			Version                                                int
			AccessKeyId, SecretAccessKey, SessionToken, Expiration string
		}
		decodeJSON(t, "aws", r.stdout, &c)
		if c.Version != 1 {
			t.Errorf("Version %d", c.Version)
		}
		return callerCreds{c.AccessKeyId, c.SecretAccessKey, c.SessionToken, parseTime(t, "aws", c.Expiration)}
	})

	before := w.srv.Counts()
	r := runCaller(time.Minute, env, aws, "configure", "export-credentials", "--profile", "dev", "--format", "env")
	if r.err != nil {
		t.Fatalf("aws --format env: %v\n%s", r.err, r.stderr)
	}
	vars := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		if !ok || !strings.HasPrefix(line, "export AWS_") {
			t.Fatalf("aws --format env printed %q", line)
		}
		vars[k] = v
	}
	w.checkIssued("aws --format env", callerCreds{vars["AWS_ACCESS_KEY_ID"], vars["AWS_SECRET_ACCESS_KEY"], vars["AWS_SESSION_TOKEN"],
		parseTime(t, "aws --format env", vars["AWS_CREDENTIAL_EXPIRATION"])})
	if after := w.srv.Counts(); !maps.Equal(after, before) {
		t.Errorf("aws --format env made requests: %v, then %v", before, after)
	}
}

const boto3Script = `import boto3, json, sys
c = boto3.Session(profile_name=sys.argv[1]).get_credentials()
f = c.get_frozen_credentials()
print(json.dumps({"Method": c.method, "AccessKeyId": f.access_key, "SecretAccessKey": f.secret_key, "SessionToken": f.token}))
`

func TestCallerBoto3(t *testing.T) {
	py, version := callers.Python(t, "boto3", "botocore")
	t.Logf("caller version: python %s", version)
	w := newWorld(t, ssofake.Options{})
	env := w.callerEnv("AWS_PROFILE=", "PYTHONNOUSERSITE=1")
	w.twice("boto3", func() callerCreds {
		r := runCaller(2*time.Minute, env, py, "-c", boto3Script, "dev")
		if r.err != nil {
			t.Fatalf("boto3: %v\n%s", r.err, r.stderr)
		}
		var c struct{ Method, AccessKeyId, SecretAccessKey, SessionToken string }
		decodeJSON(t, "boto3", r.stdout, &c)
		if c.Method != "custom-process" {
			t.Errorf("boto3 credential method %q, want custom-process", c.Method)
		}
		return callerCreds{c.AccessKeyId, c.SecretAccessKey, c.SessionToken, time.Time{}}
	})
}

var (
	goCallerOnce sync.Once
	goCallerErr  error
)

// goCaller builds internal/callers/gosdk (the AWS SDK for Go v2 caller).
func goCaller(t *testing.T) string {
	t.Helper()
	goCallerOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "build", "-o", bin("gosdk"), "../../internal/callers/gosdk")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			goCallerErr = fmt.Errorf("build the Go SDK caller: %v\n%s", err, out)
			return
		}
		out, err := exec.Command("go", "list", "-m", "-f", "{{.Path}} {{.Version}}", "github.com/aws/aws-sdk-go-v2/config", "github.com/aws/aws-sdk-go-v2/credentials").Output()
		if err == nil {
			t.Logf("caller version: %s", strings.Join(strings.Fields(string(out)), " "))
		}
	})
	if goCallerErr != nil {
		t.Fatal(goCallerErr)
	}
	return bin("gosdk")
}

type goCreds struct {
	AccessKeyId, SecretAccessKey, SessionToken, Expiration, AccountId, Source string
}

func (w *world) goSDK(caller string, d time.Duration, args ...string) (goCreds, callerRun) {
	w.t.Helper()
	r := runCaller(d, w.callerEnv(), goCaller(w.t), args...)
	var c goCreds
	if r.err == nil {
		decodeJSON(w.t, caller, r.stdout, &c)
	}
	return c, r
}

func TestCallerGoSDK(t *testing.T) {
	goCaller(t)
	w := newWorld(t, ssofake.Options{})
	w.twice("Go SDK LoadDefaultConfig", func() callerCreds {
		c, r := w.goSDK("Go SDK", 2*time.Minute, "-profile", "dev")
		if r.err != nil {
			t.Fatalf("Go SDK: %v\n%s", r.err, r.stderr)
		}
		if c.Source != "ProcessProvider" || c.AccountId != "111122223333" {
			t.Errorf("Go SDK: source %q, account %q; want ProcessProvider, 111122223333", c.Source, c.AccountId)
		}
		return callerCreds{c.AccessKeyId, c.SecretAccessKey, c.SessionToken, parseTime(t, "Go SDK", c.Expiration)}
	})
}

// The Go SDK runs credential_process with `sh -c` and, when its timeout
// ends, kills the shell only. sso-credproc, waiting for a sign-in, must
// then let go of the SDK's stdout and stderr pipes at once (so that the
// SDK answers), finish the sign-in in the background and store it, so that
// the next call succeeds without another sign-in.
func TestCallerGoSDKGivesUpDuringSignIn(t *testing.T) {
	goCaller(t)
	w := newWorld(t, ssofake.Options{})
	urls := filepath.Join(w.home, "browser-urls")
	w.setenv("BROWSER=" + urlRecorder(t, w.home, urls)) // a browser the user has not yet clicked through
	process := bin("sso-credproc") + " --profile dev-sso --login-timeout 90s"

	const timeout = 3 * time.Second
	_, r := w.goSDK("Go SDK", 15*time.Second, "-process", process, "-timeout", timeout.String())
	if r.err == nil || !strings.Contains(r.stderr, "credential process timed out") {
		t.Fatalf("the Go SDK's timeout did not end the call: %v\nstderr:\n%s", r.err, r.stderr)
	}
	if r.elapsed > timeout+2*time.Second {
		t.Fatalf("the Go SDK gave up after %s but answered only after %s: the orphaned sign-in held its pipes", timeout, r.elapsed)
	}
	url := waitURL(t, urls, 10*time.Second)

	// The user signs in late; the orphaned sign-in stores it.
	if out, err := exec.Command(bin("ssofake"), "browse", url).CombinedOutput(); err != nil {
		t.Fatalf("the late sign-in found no listener: %v: %s", err, out)
	}
	for deadline := time.Now().Add(30 * time.Second); w.srv.Count("GetRoleCredentials") == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the sign-in finished in the background made no GetRoleCredentials: %v", w.srv.Counts())
		}
	}
	c, r := w.goSDK("Go SDK", 60*time.Second, "-process", process, "-timeout", "30s")
	if r.err != nil {
		t.Fatalf("the next call failed: %v\n%s", r.err, r.stderr)
	}
	w.checkIssued("Go SDK", callerCreds{c.AccessKeyId, c.SecretAccessKey, c.SessionToken, parseTime(t, "Go SDK", c.Expiration)})
	w.wantCalls(map[string]int{"RegisterClient": 1, "Authorize": 1, "CreateToken": 1, "GetRoleCredentials": 1})
	if n := len(readURLs(urls)); n != 1 {
		t.Errorf("the browser was opened %d times, want 1", n)
	}
}

// urlRecorder writes a $BROWSER script that appends the URL it is given to
// file, as a browser would show it to a user who has not acted yet.
func urlRecorder(t *testing.T, dir, file string) string {
	t.Helper()
	script := filepath.Join(dir, "record-url")
	body := fmt.Sprintf("#!/bin/sh\nprintf '%%s\\n' \"$1\" >> '%s'\n", file)
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return script
}

func readURLs(file string) []string {
	b, _ := os.ReadFile(file)
	return strings.Fields(string(b))
}

// waitURL waits until the recorder got a URL and returns the first.
func waitURL(t *testing.T, file string, d time.Duration) string {
	t.Helper()
	for deadline := time.Now().Add(d); ; time.Sleep(20 * time.Millisecond) {
		if u := readURLs(file); len(u) > 0 {
			return u[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no browser was opened within %s", d)
		}
	}
}

func TestCallerJavaScriptSDK(t *testing.T) {
	node, script, version := callers.JSCaller(t)
	if out, err := exec.Command(node, "--version").Output(); err == nil {
		t.Logf("caller version: %s on node %s", version, strings.TrimSpace(string(out)))
	}
	for _, how := range []string{"fromIni", "fromProcess", "fromNodeProviderChain"} {
		t.Run(how, func(t *testing.T) {
			w := newWorld(t, ssofake.Options{})
			args := []string{script, how}
			if how != "fromNodeProviderChain" {
				args = append(args, "dev") // the chain takes AWS_PROFILE
			}
			env := w.callerEnv()
			w.twice("JS SDK "+how, func() callerCreds {
				r := runCaller(2*time.Minute, env, node, args...)
				if r.err != nil {
					t.Fatalf("node: %v\n%s", r.err, r.stderr)
				}
				var c struct{ AccessKeyId, SecretAccessKey, SessionToken, Expiration, AccountId string }
				var raw map[string]string
				decodeJSON(t, how, r.stdout, &raw)
				c.AccessKeyId, c.SecretAccessKey, c.SessionToken = raw["accessKeyId"], raw["secretAccessKey"], raw["sessionToken"]
				if raw["accountId"] != "" && raw["accountId"] != "111122223333" {
					t.Errorf("accountId %q", raw["accountId"])
				}
				return callerCreds{c.AccessKeyId, c.SecretAccessKey, c.SessionToken, parseTime(t, how, raw["expiration"])}
			})
		})
	}
}
