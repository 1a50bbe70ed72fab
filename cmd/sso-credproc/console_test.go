package main_test

// export and console through the built programs.

import (
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sso-credproc/sso-credproc/internal/callers"
	"github.com/sso-credproc/sso-credproc/internal/ssofake"
)

// consoleProfiles are profiles in the other partitions (legacy, so that
// each has its own sign-in; the SSO endpoints are the fake anyway).
const consoleProfiles = `
[profile cn]
sso_start_url = %s/cn-start
sso_region = cn-north-1
sso_account_id = 111122223333
sso_role_name = Developer

[profile gov]
sso_start_url = %s/gov-start
sso_region = us-gov-west-1
sso_account_id = 111122223333
sso_role_name = Developer
region = us-gov-east-1
`

func (w *world) appendConfig(text string) {
	w.t.Helper()
	f, err := os.OpenFile(filepath.Join(w.home, ".aws", "config"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		w.t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		w.t.Fatal(err)
	}
}

// loginURL checks that out is exactly one console sign-in URL line at the
// fake's federation endpoint with a token the fake issued for
// 111122223333/Developer, and returns its Destination and the token.
func (w *world) loginURL(out string) (dest, token string) {
	w.t.Helper()
	if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
		w.t.Fatalf("stdout is not one line: %q", out)
	}
	u, err := url.Parse(strings.TrimSuffix(out, "\n"))
	if err != nil || u.Scheme+"://"+u.Host != w.srv.URL || u.Path != "/federation" {
		w.t.Fatalf("stdout %q is not a URL at the fake's federation endpoint", out)
	}
	q := u.Query()
	if q.Get("Action") != "login" || q.Get("Issuer") != "sso-credproc" || len(q) != 4 {
		w.t.Fatalf("login URL query %v", q)
	}
	t, ok := w.srv.Signin(q.Get("SigninToken"))
	if !ok || t.Account != "111122223333" || t.Role != "Developer" {
		w.t.Fatalf("the sign-in token was not issued by the fake for the role: %+v %v", t, ok)
	}
	return q.Get("Destination"), q.Get("SigninToken")
}

func TestConsole(t *testing.T) {
	w := newWorld(t, ssofake.Options{})
	w.appendConfig(strings.ReplaceAll(consoleProfiles, "%s", w.srv.URL))
	w.setenv("AWS_ENDPOINT_URL_SIGNIN=" + w.srv.URL)

	// --print: one URL line on stdout, for each partition's console.
	for _, tc := range []struct{ profile, dest string }{
		{"dev", "https://console.aws.amazon.com/?region=us-east-1"},
		{"cn", "https://console.amazonaws.cn/?region=cn-north-1"},
		{"gov", "https://console.amazonaws-us-gov.com/?region=us-gov-east-1"},
	} {
		r := w.run("console", "--profile", tc.profile, "--print")
		if r.code != 0 {
			t.Fatalf("console --profile %s --print: exit %d, stderr %q", tc.profile, r.code, r.stderr)
		}
		if dest, _ := w.loginURL(r.stdout); dest != tc.dest {
			t.Errorf("%s: Destination %q, want %q", tc.profile, dest, tc.dest)
		}
		w.noSecretsIn("stderr of console --print", r.stderr)
	}

	// --destination and --duration reach the federation endpoint.
	r := w.run("console", "--profile", "dev", "--print", "--destination", "/s3/buckets", "--duration", "2h")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	dest, tok := w.loginURL(r.stdout)
	if st, _ := w.srv.Signin(tok); dest != "https://console.aws.amazon.com/s3/buckets?region=us-east-1" || st.SessionDuration != 7200 {
		t.Errorf("Destination %q, SessionDuration %d", dest, st.SessionDuration)
	}

	// --debug says what it does but shows no secret, the sign-in token
	// included (the fake counts it among its secrets).
	r = w.run("console", "--profile", "dev", "--print", "--debug")
	if r.code != 0 || !strings.Contains(r.stderr, "debug: console: partition aws, region us-east-1") {
		t.Fatalf("--debug: exit %d, stderr %q", r.code, r.stderr)
	}
	_, tok = w.loginURL(r.stdout)
	w.noSecretsIn("--debug output", r.stderr)
	if strings.Contains(r.stderr, tok) || strings.Contains(r.stderr, "SigninToken") {
		t.Errorf("the sign-in token is on stderr: %q", r.stderr)
	}

	// Without --print, the browser gets the URL; stdout stays empty.
	urls := filepath.Join(w.home, "urls")
	w.setenv("BROWSER=" + urlRecorder(t, w.home, urls))
	r = w.run("console", "--profile", "dev", "--destination", "/ec2/")
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("console: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	opened := waitURL(t, urls, 5*time.Second)
	if dest, _ := w.loginURL(opened + "\n"); dest != "https://console.aws.amazon.com/ec2/?region=us-east-1" {
		t.Errorf("the browser got Destination %q", dest)
	}
	w.noSecretsIn("stderr of console", r.stderr)
}

func TestConsoleErrors(t *testing.T) {
	w := newWorld(t, ssofake.Options{})
	w.setenv("AWS_ENDPOINT_URL_SIGNIN=" + w.srv.URL)
	w.ok(w.run("--profile", "dev-sso")) // signed in, credentials cached

	oneError := func(what string, r result, want string) {
		t.Helper()
		_, errLine, _ := strings.Cut(r.stderr, "sso-credproc: error: ")
		errLine, _, _ = strings.Cut(errLine, "\n")
		if r.code == 0 || r.stdout != "" || !strings.Contains(errLine, want) || strings.Count(r.stderr, "sso-credproc: error:") != 1 {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want one error with %q", what, r.code, r.stdout, r.stderr, want)
		}
		w.noSecretsIn(what, r.stderr)
		for _, s := range []string{"SigninToken=", "sessionKey", "Session="} {
			if strings.Contains(r.stderr, s) {
				t.Errorf("%s: stderr holds %q: %q", what, s, r.stderr)
			}
		}
	}
	for _, tc := range []struct {
		name  string
		fault ssofake.Fault
		want  string
	}{
		{"HTTP 400", ssofake.Fault{Status: 400, Message: "bad"}, "answered HTTP 400"},
		{"HTTP 500", ssofake.Fault{Status: 500}, "answered HTTP 500"},
		{"malformed JSON", ssofake.Fault{RawBody: `{"SigninToken": `}, `is not JSON {"SigninToken": "…"}`},
		{"huge body", ssofake.Fault{RawBody: `{"SigninToken": "` + strings.Repeat("x", 1<<20) + `"}`}, "larger than 64 KiB"},
	} {
		w.srv.Inject("GetSigninToken", tc.fault)
		oneError(tc.name, w.run("console", "--profile", "dev", "--print", "--debug"), tc.want)
	}
	if n := w.srv.Count("GetSigninToken"); n != 4 {
		t.Errorf("GetSigninToken called %d times, want 4", n)
	}
	for _, d := range []string{"14m", "13h", "0", "x"} {
		r := w.run("console", "--profile", "dev", "--print", "--duration", d)
		oneError("--duration "+d, r, "invalid value")
		if r.code != 2 || !strings.Contains(r.stderr, "15m to 12h") && d != "x" {
			t.Errorf("--duration %s: exit %d, stderr %q", d, r.code, r.stderr)
		}
	}
	r := w.run("console", "--profile", "dev", "--print", "--destination", "https://evil.example/")
	oneError("--destination URL", r, "not a path on the console host")
	if n := w.srv.Count("GetSigninToken"); n != 4 {
		t.Errorf("a usage error still called GetSigninToken (%d calls)", n)
	}
	// An override in plain http to another machine: refused before the
	// role's credentials leave.
	before := w.srv.Count("GetSigninToken")
	ww := *w
	ww.env = append(append([]string(nil), w.env...), "AWS_ENDPOINT_URL_SIGNIN=http://signin.example.com")
	oneError("http override", ww.run("console", "--profile", "dev", "--print"), "not an https URL")
	if n := w.srv.Count("GetSigninToken"); n != before {
		t.Errorf("GetSigninToken calls %d, want %d", n, before)
	}
	// A browser that fails: an error without the URL.
	w.setenv("BROWSER=false")
	oneError("failing browser", w.run("console", "--profile", "dev"), "open the browser")
}

func TestExportEvaluatedByShells(t *testing.T) {
	w := newWorld(t, ssofake.Options{})
	exp := time.Now().Add(time.Hour).Truncate(time.Second).UTC()
	key, secret, token := `ASIA'q"$HOME`+"`id`", "s%PATH%!x! $(false) ; & | ^", "t1\nt2 'a'' \"b\" \u2018c\u2019 \\"
	w.srv.Inject("GetRoleCredentials", ssofake.Fault{RawBody: `{"roleCredentials":{"accessKeyId":` + jsonString(key) + `,"secretAccessKey":` + jsonString(secret) +
		`,"sessionToken":` + jsonString(token) + `,"expiration":` + itoa(exp.UnixMilli()) + `}}`})
	r := w.run("export", "--profile", "dev", "--format", "env")
	if r.code != 0 {
		t.Fatalf("export: exit %d, stderr %q", r.code, r.stderr)
	}
	for _, shell := range []string{"sh", "bash"} {
		vars := evalExport(t, shell, r.stdout)
		want := map[string]string{"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret, "AWS_SESSION_TOKEN": token, "AWS_CREDENTIAL_EXPIRATION": exp.Format(time.RFC3339)}
		for k, v := range want {
			if vars[k] != v {
				t.Errorf("%s: %s = %q, want %q", shell, k, vars[k], v)
			}
		}
	}
}

// The AWS CLI v2 prints the same lines for the same credentials (it
// runs sso-credproc through credential_process); only the expiration is
// written differently (+00:00 there, Z here), for the same instant.
func TestExportMatchesAWSCLI(t *testing.T) {
	aws, version := callers.AWSCLIv2(t)
	t.Logf("caller version: %s", version)
	w := newWorld(t, ssofake.Options{})
	ours := w.run("export", "--profile", "dev", "--format", "env")
	if ours.code != 0 {
		t.Fatalf("export: exit %d, stderr %q", ours.code, ours.stderr)
	}
	theirs := runCaller(time.Minute, w.callerEnv(), aws, "configure", "export-credentials", "--profile", "dev", "--format", "env")
	if theirs.err != nil {
		t.Fatalf("aws: %v\n%s", theirs.err, theirs.stderr)
	}
	ol, tl := strings.Split(strings.TrimSpace(ours.stdout), "\n"), strings.Split(strings.TrimSpace(theirs.stdout), "\n")
	if len(ol) != 4 || len(tl) != 4 {
		t.Fatalf("ours %q, the AWS CLI's %q", ours.stdout, theirs.stdout)
	}
	for i := 0; i < 3; i++ {
		if ol[i] != tl[i] {
			t.Errorf("line %d: ours %q, the AWS CLI's %q", i+1, ol[i], tl[i])
		}
	}
	oe, _ := strings.CutPrefix(ol[3], "export AWS_CREDENTIAL_EXPIRATION=")
	te, _ := strings.CutPrefix(tl[3], "export AWS_CREDENTIAL_EXPIRATION=")
	if !parseTime(t, "sso-credproc", oe).Equal(parseTime(t, "aws", te)) {
		t.Errorf("expiration: ours %q, the AWS CLI's %q", oe, te)
	}
	w.checkIssued("export", callerCreds{AccessKeyId: strings.TrimPrefix(ol[0], "export AWS_ACCESS_KEY_ID="),
		SecretAccessKey: strings.TrimPrefix(ol[1], "export AWS_SECRET_ACCESS_KEY="), SessionToken: strings.TrimPrefix(ol[2], "export AWS_SESSION_TOKEN=")})
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// evalExport evaluates export's env output in shell and returns the AWS_*
// variables the shell then passes to a child (env -0).
func evalExport(t *testing.T, shell, text string) map[string]string {
	t.Helper()
	path, err := exec.LookPath(shell)
	if err != nil {
		callers.Missing(t, shell, "to evaluate export's output", "apt-get install "+shell)
	}
	cmd := exec.Command(path, "-c", text+"\nexec env -0\n")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=/nonexistent"}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", shell, err)
	}
	vars := map[string]string{}
	for _, kv := range strings.Split(string(out), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "AWS_") {
			vars[k] = v
		}
	}
	return vars
}
