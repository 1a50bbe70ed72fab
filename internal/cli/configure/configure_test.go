package configure

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/sso-credproc/sso-credproc/internal/cli"
	"github.com/sso-credproc/sso-credproc/internal/configedit"
	"github.com/sso-credproc/sso-credproc/profile"
	"github.com/sso-credproc/sso-credproc/sso"
)

const corpSession = "[sso-session corp]\nsso_start_url = https://d-1234567890.awsapps.com/start\nsso_region = eu-west-1\n"

// configureRun is one run of the configure command: stdin holds the
// answers typed, interactive says whether stdin is a terminal, and the
// terminal (prompts, menus) is a buffer of its own.
type configureRun struct {
	t           *testing.T
	env         map[string]string
	stdin       string
	interactive bool
	list        func(ctx context.Context, e cli.Env, s configedit.Session) ([]sso.Assignment, error)
	exe         string

	stdout, stderr, tty string
}

func newConfigureRun(t *testing.T, config string) *configureRun {
	dir := t.TempDir()
	r := &configureRun{t: t, env: map[string]string{"HOME": dir}, exe: "/opt/sso-credproc/bin/sso-credproc"}
	if config != "" {
		path := filepath.Join(dir, "config")
		if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
			t.Fatal(err)
		}
		r.env["AWS_CONFIG_FILE"] = path
	}
	return r
}

func (r *configureRun) path() string {
	return profile.ConfigPath(func(k string) string { return r.env[k] })
}

func (r *configureRun) run(args ...string) int {
	origStdin, origList, origExe := configureStdin, listAssignments, configureExecutable
	defer func() { configureStdin, listAssignments, configureExecutable = origStdin, origList, origExe }()
	configureStdin = func() (io.Reader, bool) { return strings.NewReader(r.stdin), r.interactive }
	listAssignments = r.list
	configureExecutable = func() (string, error) { return r.exe, nil }
	var out, errb, tty bytes.Buffer
	e := cli.Env{
		Getenv: func(k string) string { return r.env[k] },
		Stdout: &out,
		Stderr: &errb,
		TTY:    func() io.Writer { return &tty },
	}
	code := Command(context.Background(), e, args)
	r.stdout, r.stderr, r.tty = out.String(), errb.String(), tty.String()
	if r.stdout != "" && !slices.Contains(args, "--help") && !slices.Contains(args, "-h") {
		r.t.Errorf("stdout is not empty: %q", r.stdout)
	}
	return code
}

func (r *configureRun) read() string {
	b, err := os.ReadFile(r.path())
	if err != nil {
		r.t.Fatal(err)
	}
	return string(b)
}

// checkPair reads the file with the profile package: the pair resolves and
// credential_process runs r.exe for the SSO profile.
func (r *configureRun) checkPair(name, ssoProfile, account, role string) {
	r.t.Helper()
	p, err := profile.Load(r.path(), ssoProfile, profile.Overrides{}, func(string) string { return "" })
	if err != nil {
		r.t.Fatalf("Load(%s): %v", ssoProfile, err)
	}
	if p.AccountID != account || p.RoleName != role || p.SessionName != "corp" {
		r.t.Errorf("%s: %s %s %s", ssoProfile, p.AccountID, p.RoleName, p.SessionName)
	}
	set, err := profile.Settings(r.path(), []byte(r.read()), name)
	if err != nil {
		r.t.Fatal(err)
	}
	words, err := profile.SplitCommand(set["credential_process"])
	if err != nil || !slices.Equal(words, []string{r.exe, "--profile", ssoProfile}) {
		r.t.Errorf("credential_process %q", set["credential_process"])
	}
}

func TestConfigureHelp(t *testing.T) {
	for _, flag := range []string{"--help", "-h"} {
		r := newConfigureRun(t, "")
		if code := r.run(flag); code != 0 {
			t.Fatalf("%s: exit %d", flag, code)
		}
		for _, s := range []string{"usage: sso-credproc configure", "-profile-region", "-force", "-yes", "-sso-profile", "-start-url"} {
			if !strings.Contains(r.stdout, s) {
				t.Errorf("%s: help lacks %q", flag, s)
			}
		}
		if r.stderr != "" {
			t.Errorf("%s: stderr %q", flag, r.stderr)
		}
	}
}

func TestConfigureBadFlags(t *testing.T) {
	for _, args := range [][]string{{"--nope"}, {"--profile", "dev", "extra"}, {"--profile"}} {
		r := newConfigureRun(t, corpSession)
		if code := r.run(args...); code != 2 {
			t.Errorf("%q: exit %d", args, code)
		}
		if !strings.HasPrefix(r.stderr, "sso-credproc: error: ") || !strings.Contains(r.stderr, "\nsso-credproc: hint: ") {
			t.Errorf("%q: stderr %q", args, r.stderr)
		}
	}
}

// Non-interactive with flags: a new file in a new ~/.aws, new sso-session.
func TestConfigureNewFile(t *testing.T) {
	r := newConfigureRun(t, "")
	r.exe = "/opt/my tools/sso-credproc"
	code := r.run("--profile", "dev", "--sso-session", "corp", "--account-id", "111122223333", "--role-name", "Dev",
		"--start-url", "https://d-1234567890.awsapps.com/start", "--region", "eu-west-1", "--profile-region", "eu-central-1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, r.stderr)
	}
	path := filepath.Join(r.env["HOME"], ".aws", "config")
	if r.path() != path {
		t.Fatalf("path %s", r.path())
	}
	r.checkPair("dev", "dev-sso", "111122223333", "Dev")
	for _, s := range []string{"--- /dev/null\n+++ " + path + "\n", "+[profile dev]\n", `+credential_process = "/opt/my tools/sso-credproc" --profile dev-sso` + "\n",
		"+region = eu-central-1\n", "+[sso-session corp]\n", "sso-credproc: wrote " + path + "\n", "aws sts get-caller-identity --profile dev"} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
		}
	}
	if r.tty != "" {
		t.Errorf("prompted without a terminal: %q", r.tty)
	}
	if runtime.GOOS != "windows" {
		st, _ := os.Stat(path)
		dst, _ := os.Stat(filepath.Dir(path))
		if st.Mode().Perm() != 0o600 || dst.Mode().Perm() != 0o700 {
			t.Errorf("modes %v %v", st.Mode().Perm(), dst.Mode().Perm())
		}
	}
}

func TestConfigureRefusesExistingWithoutForce(t *testing.T) {
	old := "# keep me\n[profile dev]\nregion = us-east-1\n\n" + corpSession
	r := newConfigureRun(t, old)
	args := []string{"--profile", "dev", "--sso-session", "corp", "--account-id", "111122223333", "--role-name", "Dev"}
	if code := r.run(args...); code != 1 {
		t.Fatalf("exit %d: %s", code, r.stderr)
	}
	if !strings.Contains(r.stderr, `error: `) || !strings.Contains(r.stderr, `profile "dev" exists`) || !strings.Contains(r.stderr, "hint: pass --force") {
		t.Errorf("stderr %q", r.stderr)
	}
	if got := r.read(); got != old {
		t.Errorf("file changed: %q", got)
	}

	if code := r.run(append(args, "--force")...); code != 0 {
		t.Fatalf("--force: exit %d: %s", code, r.stderr)
	}
	want := "# keep me\n[profile dev]\ncredential_process = /opt/sso-credproc/bin/sso-credproc --profile dev-sso\n\n" + corpSession +
		"\n[profile dev-sso]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Dev\n"
	if got := r.read(); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
	if bak, _ := os.ReadFile(r.path() + ".bak"); string(bak) != old {
		t.Errorf("backup %q", bak)
	}
	if !strings.Contains(r.stderr, "previous version is in "+r.path()+".bak") {
		t.Errorf("stderr %q", r.stderr)
	}

	// The same again: nothing to write.
	if code := r.run(append(args, "--force")...); code != 0 || !strings.Contains(r.stderr, "nothing to write") {
		t.Errorf("again: exit %d: %s", code, r.stderr)
	}
}

func TestConfigureMissingFlagsWithoutTerminal(t *testing.T) {
	for _, c := range []struct {
		config string
		args   []string
		want   string
	}{
		{corpSession, []string{"--profile", "dev", "--sso-session", "corp"}, "missing --account-id, --role-name"},
		{corpSession, []string{"--sso-session", "corp", "--account-id", "111122223333", "--role-name", "Dev"}, "missing --profile"},
		{"", []string{"--profile", "dev", "--sso-session", "new", "--account-id", "111122223333", "--role-name", "Dev"}, "missing --start-url, --region"},
		{corpSession, []string{"--profile", "dev"}, "missing --sso-session, --account-id, --role-name"},
	} {
		r := newConfigureRun(t, c.config)
		r.list = func(context.Context, cli.Env, configedit.Session) ([]sso.Assignment, error) {
			t.Error("listed assignments without a terminal")
			return nil, nil
		}
		if code := r.run(c.args...); code != 2 {
			t.Errorf("%q: exit %d", c.args, code)
		}
		if !strings.Contains(r.stderr, "sso-credproc: error: "+c.want+"\n") || !strings.Contains(r.stderr, "sso-credproc: hint: sso-credproc configure --profile NAME") {
			t.Errorf("%q: stderr %q", c.args, r.stderr)
		}
	}
}

func TestConfigureBadValues(t *testing.T) {
	for _, args := range [][]string{
		{"--profile", "my dev", "--sso-session", "corp", "--account-id", "111122223333", "--role-name", "Dev"},
		{"--profile", "dev", "--sso-session", "corp", "--account-id", "1234", "--role-name", "Dev"},
		{"--profile", "dev", "--sso-session", "corp", "--account-id", "111122223333", "--role-name", "Dev", "--profile-region", "Europe"},
	} {
		r := newConfigureRun(t, corpSession)
		if code := r.run(args...); code != 2 {
			t.Errorf("%q: exit %d: %s", args, code, r.stderr)
		}
		if got := r.read(); got != corpSession {
			t.Errorf("file changed")
		}
	}
}

func TestConfigureSessionConflicts(t *testing.T) {
	r := newConfigureRun(t, corpSession)
	code := r.run("--profile", "dev", "--sso-session", "corp", "--account-id", "111122223333", "--role-name", "Dev",
		"--start-url", "https://other.awsapps.com/start", "--region", "eu-west-1")
	if code != 1 || !strings.Contains(r.stderr, "hint: leave out --start-url and --region") {
		t.Errorf("exit %d: %s", code, r.stderr)
	}
}

func testAssignments() []sso.Assignment {
	return []sso.Assignment{
		{AccountID: "111122223333", AccountName: "Prod", RoleName: "ReadOnly"},
		{AccountID: "111122223333", AccountName: "Prod", RoleName: "Admin"},
		{AccountID: "444455556666", AccountName: "Dev\x1b[2J", RoleName: "Admin"},
	}
}

// On a terminal without --account-id and --role-name: a menu of what the
// user can reach, then the diff and a confirmation, all on the terminal.
func TestConfigureInteractiveMenu(t *testing.T) {
	r := newConfigureRun(t, corpSession)
	r.interactive = true
	r.stdin = "7\n2\ny\n"
	var listed configedit.Session
	r.list = func(_ context.Context, _ cli.Env, s configedit.Session) ([]sso.Assignment, error) {
		listed = s
		return testAssignments(), nil
	}
	if code := r.run("--profile", "prod"); code != 0 {
		t.Fatalf("exit %d: %s", code, r.stderr)
	}
	if listed.Name != "corp" || listed.StartURL != "https://d-1234567890.awsapps.com/start" || listed.Region != "eu-west-1" || !slices.Equal(listed.Scopes, []string{"sso:account:access"}) {
		t.Errorf("listed for %+v", listed)
	}
	r.checkPair("prod", "prod-sso", "111122223333", "Admin")
	for _, s := range []string{"sso-credproc: sso-session: corp\n", "   1) 111122223333 (Prod)  ReadOnly\n", "   3) 444455556666 (Dev[2J)  Admin\n",
		"type a number from 1 to 3", "+[profile prod-sso]\n", "write these changes to " + r.path() + "? [y/N] "} {
		if !strings.Contains(r.tty, s) {
			t.Errorf("terminal lacks %q:\n%s", s, r.tty)
		}
	}
	if strings.Contains(r.tty, "\x1b") {
		t.Errorf("a control character from the service reached the terminal")
	}
	if strings.Contains(r.stderr, "choose the") {
		t.Errorf("menu on stderr: %q", r.stderr)
	}
}

// Only the matching assignments are offered; a single one is taken.
func TestConfigureInteractiveNarrowsByFlag(t *testing.T) {
	r := newConfigureRun(t, corpSession)
	r.interactive = true
	r.stdin = "y\n"
	r.list = func(context.Context, cli.Env, configedit.Session) ([]sso.Assignment, error) {
		return testAssignments(), nil
	}
	if code := r.run("--profile", "dev", "--sso-session", "corp", "--account-id", "444455556666"); code != 0 {
		t.Fatalf("exit %d: %s", code, r.stderr)
	}
	r.checkPair("dev", "dev-sso", "444455556666", "Admin")

	r = newConfigureRun(t, corpSession)
	r.interactive = true
	r.list = func(context.Context, cli.Env, configedit.Session) ([]sso.Assignment, error) {
		return testAssignments(), nil
	}
	if code := r.run("--profile", "dev", "--sso-session", "corp", "--role-name", "Nope"); code != 1 || !strings.Contains(r.stderr, "no account and role matching") {
		t.Errorf("exit %d: %s", code, r.stderr)
	}

	r = newConfigureRun(t, corpSession)
	r.interactive = true
	r.list = func(context.Context, cli.Env, configedit.Session) ([]sso.Assignment, error) {
		return nil, errors.New("signed out")
	}
	if code := r.run("--profile", "dev", "--sso-session", "corp"); code != 1 || !strings.Contains(r.stderr, "signed out") {
		t.Errorf("exit %d: %s", code, r.stderr)
	}
}

func TestConfigureInteractiveDeclineAndYes(t *testing.T) {
	args := []string{"--profile", "dev", "--sso-session", "corp", "--account-id", "111122223333", "--role-name", "Dev"}
	for _, answer := range []string{"n\n", "\n", ""} {
		r := newConfigureRun(t, corpSession)
		r.interactive = true
		r.stdin = answer
		if code := r.run(args...); code != 1 {
			t.Errorf("answer %q: exit %d", answer, code)
		}
		if !strings.Contains(r.stderr, "nothing was written") || r.read() != corpSession {
			t.Errorf("answer %q: %s", answer, r.stderr)
		}
		if _, err := os.Stat(r.path() + ".bak"); err == nil {
			t.Errorf("answer %q: backup written", answer)
		}
	}
	r := newConfigureRun(t, corpSession)
	r.interactive = true
	if code := r.run(append(args, "--yes")...); code != 0 || strings.Contains(r.tty, "[y/N]") {
		t.Errorf("--yes: exit %d, terminal %q", code, r.tty)
	}
}

// Without --sso-session on a terminal, the sessions of the file are offered.
func TestConfigureInteractivePicksSession(t *testing.T) {
	r := newConfigureRun(t, corpSession+"\n[sso-session other]\nsso_start_url = https://o.awsapps.com/start\nsso_region = us-east-1\n")
	r.interactive = true
	r.stdin = "1\ny\n"
	if code := r.run("--profile", "dev", "--account-id", "111122223333", "--role-name", "Dev"); code != 0 {
		t.Fatalf("exit %d: %s", code, r.stderr)
	}
	if !strings.Contains(r.tty, "   2) other\n") {
		t.Errorf("terminal %q", r.tty)
	}
	r.checkPair("dev", "dev-sso", "111122223333", "Dev")
}

// Without a way to list assignments, the flags are required even on a
// terminal.
func TestConfigureInteractiveWithoutLister(t *testing.T) {
	r := newConfigureRun(t, corpSession)
	r.interactive = true
	if code := r.run("--profile", "dev", "--sso-session", "corp"); code != 2 || !strings.Contains(r.stderr, "cannot list your accounts and roles") {
		t.Errorf("exit %d: %s", code, r.stderr)
	}
}

func TestConfigureUnreadableConfig(t *testing.T) {
	bad := corpSession + "this line has no equals sign\n"
	r := newConfigureRun(t, bad)
	if code := r.run("--profile", "dev", "--sso-session", "corp", "--account-id", "111122223333", "--role-name", "Dev"); code != 1 {
		t.Errorf("exit %d", code)
	}
	if !strings.Contains(r.stderr, "has no \"=\"") || r.read() != bad {
		t.Errorf("stderr %q", r.stderr)
	}
}

func TestCredprocPath(t *testing.T) {
	dir := t.TempDir()
	renew := filepath.Join(dir, "sso-credproc-renew")
	if got := credprocPath(renew); got != renew {
		t.Errorf("without a sibling: %s", got)
	}
	sibling := filepath.Join(dir, "sso-credproc")
	if err := os.WriteFile(sibling, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := credprocPath(renew); got != sibling {
		t.Errorf("renew: %s, want %s", got, sibling)
	}
	if got := credprocPath(sibling); got != sibling {
		t.Errorf("sso-credproc: %s", got)
	}
}
