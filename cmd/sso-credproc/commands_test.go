package main_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sso-credproc/sso-credproc/internal/callers"
	"github.com/sso-credproc/sso-credproc/internal/ssofake"
)

// login, status and logout through the built programs and the real Secret
// Service.
func TestLoginStatusLogout(t *testing.T) {
	w := newWorld(t, ssofake.Options{})
	r := w.run("login", "--profile", "dev-sso")
	if r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "signed in to "+w.srv.URL+"/start (sso-session "+w.session+", us-east-1); the session token is valid until ") || strings.Count(r.stderr, "signed in to") != 1 {
		t.Fatalf("login: %+v", r)
	}
	// The credential call needs no sign-in now, even where none may start.
	w.ok(w.run("--profile", "dev-sso", "--no-login"))
	w.ok(w.run("--profile", "ops-sso", "--no-login"))
	w.wantCalls(map[string]int{"Authorize": 1, "GetRoleCredentials": 2})

	r = w.run("status", "--json")
	var rep struct {
		OK       bool
		Sessions []struct {
			Name        string
			Token       *struct{ RefreshToken bool }
			Credentials []struct{ AccountID, RoleName string }
		}
		Findings []struct{ Problem string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("status --json: %v: %q %q", err, r.stdout, r.stderr)
	}
	found := false
	for _, s := range rep.Sessions {
		if s.Name == w.session {
			found = true
			if s.Token == nil || !s.Token.RefreshToken || len(s.Credentials) != 2 {
				t.Errorf("status of the session: %+v", s)
			}
		}
	}
	if !found {
		t.Errorf("status does not list sso-session %s: %s", w.session, r.stdout)
	}
	w.noSecretsIn("status", r.stdout)

	r = w.run("logout", "--profile", "dev-sso")
	if r.code != 0 || !strings.Contains(r.stderr, "signed out; removed role credentials") || !strings.Contains(r.stderr, "token, client registration") {
		t.Fatalf("logout: %+v", r)
	}
	w.noSecretsIn("logout", r.stderr)
	if items := w.keychainItemsBy(w.session); len(items) != 0 {
		t.Errorf("left in the keychain after logout: %q", items)
	}
	w.wantCalls(map[string]int{"Logout": 1})
	// The next call signs in again.
	w.ok(w.run("--profile", "dev-sso"))
	w.wantCalls(map[string]int{"Authorize": 2})
}

// Both programs report the same build; a sso-credproc-renew of another
// build is named on stderr.
func TestVersions(t *testing.T) {
	w := newWorld(t, ssofake.Options{})
	a := w.run("version")
	cmd := exec.Command(bin("sso-credproc-renew"), "version")
	b, err := cmd.Output()
	if a.code != 0 || err != nil || !strings.HasPrefix(a.stdout, "sso-credproc ") || strings.TrimPrefix(a.stdout, "sso-credproc ") != strings.TrimPrefix(string(b), "sso-credproc ") {
		t.Fatalf("versions: %q / %q (%v)", a.stdout, b, err)
	}
	dir := t.TempDir()
	src, err := os.ReadFile(bin("sso-credproc"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sso-credproc"), src, 0o755); err != nil {
		t.Fatal(err)
	}
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-X github.com/sso-credproc/sso-credproc/internal/cli.Version=v0.0.0-other", "-o", filepath.Join(dir, "sso-credproc-renew"), "../sso-credproc-renew")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v %s", err, out)
	}
	c := exec.Command(filepath.Join(dir, "sso-credproc"), "--profile", "dev-sso")
	c.Env = w.env
	var errb strings.Builder
	c.Stderr = &errb
	out, err := c.Output()
	if err != nil {
		t.Fatalf("%v: %s", err, errb.String())
	}
	w.ok(result{stdout: string(out)})
	if !strings.Contains(errb.String(), "warning: sso-credproc-renew is v0.0.0-other") {
		t.Errorf("no version warning: %q", errb.String())
	}
}

// A profile written by configure works for the AWS CLI v2 through
// sso-credproc, and the rest of the config file is unchanged.
func TestConfigureThenAWSCLI(t *testing.T) {
	aws, version := callers.AWSCLIv2(t)
	t.Logf("caller version: %s", version)
	w := newWorld(t, ssofake.Options{})
	cfgPath := filepath.Join(w.home, ".aws", "config")
	before, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	r := w.run("configure", "--profile", "made", "--sso-session", w.session, "--account-id", "111122223333", "--role-name", "Developer", "--profile-region", "eu-west-1", "--yes")
	if r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "+[profile made]") {
		t.Fatalf("configure: %+v", r)
	}
	after, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(after), string(before)) {
		t.Errorf("configure changed the existing text:\n%s", after)
	}
	if bak, err := os.ReadFile(cfgPath + ".bak"); err != nil || string(bak) != string(before) {
		t.Errorf("backup: %v", err)
	}
	// Again without --force: refused, nothing changed.
	if r := w.run("configure", "--profile", "made", "--sso-session", w.session, "--account-id", "111122223333", "--role-name", "Developer", "--yes"); r.code == 0 {
		t.Errorf("configure over an existing profile without --force: %+v", r)
	}
	env := append(w.callerEnv(), "AWS_PROFILE=made")
	run := runCaller(2*time.Minute, env, aws, "configure", "export-credentials", "--profile", "made", "--format", "process")
	if run.err != nil {
		t.Fatalf("aws: %v\n%s", run.err, run.stderr)
	}
	var c struct {
		Version                                                int
		AccessKeyId, SecretAccessKey, SessionToken, Expiration string
	}
	decodeJSON(t, "aws", run.stdout, &c)
	if acct, role, ok := w.srv.IssuedTo(c.AccessKeyId); !ok || acct != "111122223333" || role != "Developer" {
		t.Errorf("the AWS CLI got %q: issued %v to %s/%s", c.AccessKeyId, ok, acct, role)
	}
}

// list through the built programs.
func TestListCommand(t *testing.T) {
	w := newWorld(t, ssofake.Options{Assignments: map[string][]string{"111122223333": {"Developer"}, "444455556666": {"Operator", "ReadOnly"}}})
	r := w.run("list", "--profile", "dev-sso", "--json")
	var got []struct{ AccountID, RoleName string }
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || r.code != 0 || len(got) != 3 {
		t.Fatalf("list --json: %v %+v", err, r)
	}
	r = w.run("list", "--profile", "dev-sso")
	if r.code != 0 || !strings.Contains(r.stdout, "dev,dev-sso") || !strings.Contains(r.stdout, "ops-sso") {
		t.Errorf("list: %+v", r)
	}
	w.wantCalls(map[string]int{"Authorize": 1})
}
