package main_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sso-credproc/sso-credproc/internal/ssofake"
)

// login, status and logout through the built programs and the real Secret
// Service.
func TestLoginStatusLogout(t *testing.T) {
	w := newWorld(t, ssofake.Options{})
	r := w.run("login", "--profile", "dev-sso")
	if r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "signed in to "+w.srv.URL+"/start (sso-session "+w.session+"), until ") {
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
