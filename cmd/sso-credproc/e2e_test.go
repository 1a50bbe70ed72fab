package main_test

// End-to-end tests: the built binary, run as a subprocess with a throwaway
// HOME and AWS config, against the fake IAM Identity Center, with $BROWSER
// set to `ssofake browse` and the real Secret Service of the session bus
// (scripts/test.sh starts one). Without a Secret Service these tests skip,
// except under CI, where they fail.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sso-credproc/sso-credproc/internal/ssofake"
	"github.com/sso-credproc/sso-credproc/keychain"
)

var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sso-credproc-e2e-")
	if err != nil {
		panic(err)
	}
	binDir = dir
	build := exec.Command("go", "build", "-trimpath", "-o", dir+string(filepath.Separator), ".", "../sso-credproc-renew", "../../internal/cmd/ssofake")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func bin(name string) string { return filepath.Join(binDir, name) }

// needSecretService skips (or, under CI, fails) without a session bus.
func needSecretService(t *testing.T) {
	t.Helper()
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		if _, err := exec.LookPath("secret-tool"); err == nil {
			return
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("CI needs a Secret Service and secret-tool: run the tests with scripts/test.sh")
	}
	t.Skip("no Secret Service (DBUS_SESSION_BUS_ADDRESS unset or secret-tool missing); run scripts/test.sh")
}

// world is one throwaway user: HOME, AWS config, XDG dirs, a fake IAM
// Identity Center and a unique sso-session name (the Secret Service is
// shared by all tests).
type world struct {
	t       *testing.T
	srv     *ssofake.Server
	home    string
	session string
	env     []string
}

const configTemplate = `# a comment
[profile dev]
credential_process = {{bin}} --profile dev-sso
region = us-east-1

[profile dev-sso]
sso_session = {{session}}
sso_account_id = 111122223333
sso_role_name = Developer

[profile ops-sso]
sso_session = {{session}}
sso_account_id = 444455556666
sso_role_name = Operator

[profile legacy]
sso_start_url = {{url}}/legacy-start
sso_region = us-east-1
sso_account_id = 111122223333
sso_role_name = Developer

[profile loop]
credential_process = sso-credproc --profile loop
sso_session = {{session}}
sso_account_id = 111122223333
sso_role_name = Developer

[sso-session {{session}}]
sso_start_url = {{url}}/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access
`

func newWorld(t *testing.T, opts ssofake.Options) *world {
	t.Helper()
	needSecretService(t)
	return newWorldAnyStore(t, opts)
}

// newWorldAnyStore is newWorld for tests that need no Secret Service.
func newWorldAnyStore(t *testing.T, opts ssofake.Options) *world {
	t.Helper()
	srv := ssofake.New(opts)
	t.Cleanup(srv.Close)
	home := t.TempDir()
	runtime := filepath.Join(home, "run")
	if err := os.MkdirAll(filepath.Join(home, ".aws"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(runtime, 0o700); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	w := &world{t: t, srv: srv, home: home, session: "e2e-" + hex.EncodeToString(b)}
	cfg := strings.NewReplacer("{{bin}}", bin("sso-credproc"), "{{session}}", w.session, "{{url}}", srv.URL).Replace(configTemplate)
	if err := os.WriteFile(filepath.Join(home, ".aws", "config"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	w.env = []string{
		"HOME=" + home,
		"PATH=" + os.Getenv("PATH"),
		"DBUS_SESSION_BUS_ADDRESS=" + os.Getenv("DBUS_SESSION_BUS_ADDRESS"),
		"AWS_CONFIG_FILE=" + filepath.Join(home, ".aws", "config"),
		"AWS_ENDPOINT_URL_SSO_OIDC=" + srv.URL,
		"AWS_ENDPOINT_URL_SSO=" + srv.URL,
		"BROWSER=" + bin("ssofake") + " browse",
		"XDG_RUNTIME_DIR=" + runtime,
		"XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_DATA_HOME=" + filepath.Join(home, ".local", "share"),
	}
	t.Cleanup(w.clearKeychain)
	return w
}

func (w *world) setenv(kv ...string) { w.env = append(w.env, kv...) }

type result struct {
	stdout, stderr string
	code           int
}

func (w *world) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin("sso-credproc"), args...)
	cmd.Env = w.env
	cmd.Dir = w.home
	return cmd
}

func (w *world) run(args ...string) result {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := w.command(ctx, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			w.t.Errorf("run %v: %v", args, err) // not Fatal: may run in a goroutine
			return result{code: -1}
		}
		code = ee.ExitCode()
	}
	return result{out.String(), errb.String(), code}
}

// creds checks that r is a success with exactly one credential JSON object
// on stdout and returns it.
type creds struct {
	Version         int
	AccessKeyId     string
	SecretAccessKey string
	SessionToken    string
	Expiration      string
	AccountId       string
}

func (w *world) ok(r result) creds {
	w.t.Helper()
	if r.code != 0 {
		w.t.Fatalf("exit %d\nstderr:\n%s\ncalls: %v", r.code, r.stderr, w.srv.Counts())
	}
	if strings.Count(r.stdout, "\n") != 1 || !strings.HasSuffix(r.stdout, "}\n") {
		w.t.Fatalf("stdout is not one JSON line: %q", r.stdout)
	}
	var c creds
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		w.t.Fatalf("stdout: %v: %q", err, r.stdout)
	}
	exp, err := time.Parse(time.RFC3339, c.Expiration)
	if err != nil || !strings.HasSuffix(c.Expiration, "Z") {
		w.t.Fatalf("Expiration %q is not RFC 3339 UTC", c.Expiration)
	}
	if c.Version != 1 || !strings.HasPrefix(c.AccessKeyId, "ASIA") || c.SecretAccessKey == "" || c.SessionToken == "" || c.AccountId == "" {
		w.t.Fatalf("incomplete credentials: %+v", c)
	}
	if d := time.Until(exp); d < 30*time.Minute || d > 2*time.Hour {
		w.t.Fatalf("Expiration %s is %s away", c.Expiration, d)
	}
	return c
}

// wantCalls compares the fake's counters for the named ops.
func (w *world) wantCalls(want map[string]int) {
	w.t.Helper()
	got := w.srv.Counts()
	for op, n := range want {
		if got[op] != n {
			w.t.Errorf("%s calls = %d, want %d (all: %v)", op, got[op], n, got)
		}
	}
}

func (w *world) clearKeychain() {
	for _, part := range []string{w.session, w.srv.URL} {
		for _, k := range w.keychainItemsBy(part) {
			exec.Command("secret-tool", "clear", "service", "sso-credproc", "username", k).Run()
		}
	}
}

// keychainItemsBy lists the usernames (item names, see keychain.ItemName)
// of items of service sso-credproc in the Secret Service whose key
// contains part.
func (w *world) keychainItemsBy(part string) []string {
	w.t.Helper()
	part = itemName(w.t, part) // the encoding maps each byte on its own
	out, err := exec.Command("secret-tool", "search", "--all", "--unlock", "service", "sso-credproc").CombinedOutput()
	if err != nil && len(out) > 0 && !bytes.Contains(out, []byte("attribute")) {
		w.t.Logf("secret-tool search: %v: %s", err, out)
	}
	var keys []string
	for _, line := range strings.Split(string(out), "\n") {
		if k, ok := strings.CutPrefix(line, "attribute.username = "); ok && strings.Contains(k, part) {
			keys = append(keys, k)
		}
	}
	return keys
}

// itemName is the username of key's item.
func itemName(t *testing.T, key string) string {
	t.Helper()
	name, err := keychain.ItemName(key)
	if err != nil {
		t.Fatal(err)
	}
	return name
}

// secretItem reads one keychain item with secret-tool.
func secretItem(t *testing.T, key string) string {
	t.Helper()
	out, err := exec.Command("secret-tool", "lookup", "service", "sso-credproc", "username", itemName(t, key)).Output()
	if err != nil {
		t.Fatalf("secret-tool lookup %q: %v", key, err)
	}
	return string(out)
}

func storeItem(t *testing.T, key, value string) {
	t.Helper()
	cmd := exec.Command("secret-tool", "store", "--label=test", "service", "sso-credproc", "username", itemName(t, key))
	cmd.Stdin = strings.NewReader(value)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("secret-tool store: %v: %s", err, out)
	}
}

// noSecretsOnDisk fails if any secret the fake handed out is in a file
// under HOME (config, caches, locks, runtime dir).
func (w *world) noSecretsOnDisk() {
	w.t.Helper()
	secrets := w.srv.Secrets()
	if len(secrets) == 0 {
		w.t.Fatal("the fake issued no secrets; the check would prove nothing")
	}
	files := 0
	filepath.WalkDir(w.home, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		files++
		for _, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				w.t.Errorf("a secret is in %s", path)
			}
		}
		return nil
	})
	if files == 0 {
		w.t.Fatal("no files under HOME; the check would prove nothing")
	}
}

func (w *world) noSecretsIn(what, s string) {
	w.t.Helper()
	for _, sec := range w.srv.Secrets() {
		if strings.Contains(s, sec) {
			w.t.Errorf("a secret appears in %s", what)
		}
	}
}

func TestSessionProfilePKCE(t *testing.T) {
	w := newWorld(t, ssofake.Options{})
	first := w.ok(w.run("--profile", "dev-sso"))
	w.wantCalls(map[string]int{"RegisterClient": 1, "Authorize": 1, "CreateToken:authorization_code": 1, "CreateToken": 1, "GetRoleCredentials": 1, "Verify": 0})
	if first.AccountId != "111122223333" {
		t.Errorf("AccountId %q", first.AccountId)
	}

	r := w.run("--profile", "dev-sso")
	second := w.ok(r)
	w.wantCalls(map[string]int{"RegisterClient": 1, "Authorize": 1, "CreateToken": 1, "GetRoleCredentials": 1})
	if second != first {
		t.Error("the warm call printed other credentials")
	}
	if r.stderr != "" {
		t.Errorf("the warm call wrote to stderr: %q", r.stderr)
	}
	items := w.keychainItemsBy(w.session)
	if len(items) != 4 {
		t.Errorf("keychain items %q, want registration, token, credentials and the index of credentials", items)
	}
	for _, k := range items {
		if !strings.Contains(k, "us-east-1") {
			t.Errorf("key %q does not name the region", k)
		}
	}
	w.noSecretsOnDisk()
}

func TestLegacyProfileDeviceCode(t *testing.T) {
	w := newWorld(t, ssofake.Options{})
	r := w.run("--profile", "legacy")
	w.ok(r)
	w.wantCalls(map[string]int{"RegisterClient": 1, "StartDeviceAuthorization": 1, "Verify": 1, "Authorize": 0, "GetRoleCredentials": 1})
	if !strings.Contains(r.stderr, "sign-in code:") {
		t.Errorf("the user code was not shown on stderr: %q", r.stderr)
	}
	w.ok(w.run("--profile", "legacy"))
	w.wantCalls(map[string]int{"StartDeviceAuthorization": 1, "GetRoleCredentials": 1})
	if len(w.keychainItemsBy(w.srv.URL+"/legacy-start")) != 4 {
		t.Errorf("legacy items: %q", w.keychainItemsBy(w.srv.URL+"/legacy-start"))
	}
	w.noSecretsOnDisk()
}

func TestUseDeviceCodeFlag(t *testing.T) {
	w := newWorld(t, ssofake.Options{})
	w.ok(w.run("--profile", "dev-sso", "--use-device-code"))
	w.wantCalls(map[string]int{"StartDeviceAuthorization": 1, "Verify": 1, "Authorize": 0, "CreateToken:device_code": 1})
}

func TestFlagsOnly(t *testing.T) {
	w := newWorld(t, ssofake.Options{})
	c := w.ok(w.run("--sso-session", w.session, "--account-id", "999988887777", "--role-name", "Auditor"))
	if c.AccountId != "999988887777" {
		t.Errorf("AccountId %q", c.AccountId)
	}
	// --role-name overrides the profile's role: a second role, same login.
	w.ok(w.run("--profile", "dev-sso", "--role-name", "ReadOnly"))
	w.wantCalls(map[string]int{"Authorize": 1, "GetRoleCredentials": 2})
}

func TestNoBrowser(t *testing.T) {
	w := newWorld(t, ssofake.Options{})
	marker := filepath.Join(w.home, "browser-ran")
	w.setenv("BROWSER=touch " + marker)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := w.command(ctx, "--profile", "dev-sso", "--no-browser")
	var out bytes.Buffer
	cmd.Stdout = &out
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Read stderr until the URL shows, then be the user's browser.
	var seen strings.Builder
	buf := make([]byte, 4096)
	url := ""
	for url == "" {
		n, err := stderr.Read(buf)
		seen.Write(buf[:n])
		if i := strings.Index(seen.String(), w.srv.URL+"/authorize?"); i >= 0 && strings.Contains(seen.String()[i:], "\n") {
			url = strings.Fields(seen.String()[i:])[0]
		}
		if err != nil {
			break
		}
	}
	if url == "" {
		t.Fatalf("no sign-in URL on stderr: %q", seen.String())
	}
	if out, err := exec.Command(bin("ssofake"), "browse", url).CombinedOutput(); err != nil {
		t.Fatalf("visit: %v %s", err, out)
	}
	go func() { _, _ = bytes.NewBuffer(nil).ReadFrom(stderr) }()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v", err)
	}
	w.ok(result{stdout: out.String()})
	if _, err := os.Stat(marker); err == nil {
		t.Error("--no-browser opened a browser")
	}
}

func TestErrors(t *testing.T) {
	w := newWorld(t, ssofake.Options{})
	for _, tc := range []struct {
		name    string
		args    []string
		env     []string
		errPart string
		hint    string
	}{
		{"unknown profile", []string{"--profile", "nosuch"}, nil, `"nosuch"`, "dev-sso"},
		{"no profile", nil, nil, "no profile", "--profile"},
		{"bad flag", []string{"--profiel", "x"}, nil, "profiel", "--help"},
		{"missing config", []string{"--profile", "dev-sso"}, []string{"AWS_CONFIG_FILE=/nonexistent/config"}, "/nonexistent/config", ""},
		{"no keychain", []string{"--profile", "dev-sso"}, []string{"DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/bus"}, "keychain", "Secret Service"},
		{"bad duration", []string{"--profile", "dev-sso", "--login-timeout", "soon"}, nil, "--login-timeout", "e.g. --login-timeout 5m"},
		{"negative duration", []string{"--profile", "dev-sso", "--clock-skew", "-5m"}, nil, `--clock-skew: "-5m" is negative`, "--clock-skew 1m"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ww := *w
			ww.t = t
			ww.env = append(append([]string(nil), w.env...), tc.env...)
			r := ww.run(tc.args...)
			if r.code == 0 {
				t.Fatalf("exit 0; stdout %q", r.stdout)
			}
			if r.stdout != "" {
				t.Errorf("stdout not empty: %q", r.stdout)
			}
			lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
			if !strings.HasPrefix(lines[0], "sso-credproc: error: ") || !strings.Contains(lines[0], tc.errPart) {
				t.Errorf("first stderr line %q, want sso-credproc: error: …%s…", lines[0], tc.errPart)
			}
			if tc.hint != "" && (len(lines) < 2 || !strings.HasPrefix(lines[len(lines)-1], "sso-credproc: hint: ") || !strings.Contains(lines[len(lines)-1], tc.hint)) {
				t.Errorf("last stderr line should be a hint naming %q: %q", tc.hint, r.stderr)
			}
			if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine") {
				t.Errorf("panic: %s", r.stderr)
			}
		})
	}
	w.wantCalls(map[string]int{"RegisterClient": 0, "GetRoleCredentials": 0})
}

// A profile with SSO keys whose credential_process runs sso-credproc for
// itself, as aws-sso-util writes them, is served: the SDKs use its SSO keys
// and sso-credproc runs no credential_process, so nothing loops.
func TestSelfPointingProfile(t *testing.T) {
	w := newWorld(t, ssofake.Options{})
	r := w.run("--profile", "loop")
	if c := w.ok(r); c.AccountId != "111122223333" {
		t.Errorf("AccountId %q", c.AccountId)
	}
	w.wantCalls(map[string]int{"GetRoleCredentials": 1})
}

func TestDebugRedactsSecrets(t *testing.T) {
	w := newWorld(t, ssofake.Options{RotateRefreshTokens: true})
	r := w.run("--profile", "dev-sso", "--debug")
	w.ok(r)
	if !strings.Contains(r.stderr, "sso-credproc: debug: ") {
		t.Fatalf("no debug output: %q", r.stderr)
	}
	w.noSecretsIn("--debug output", r.stderr)
	w.noSecretsIn("stderr", w.run("--profile", "ops-sso", "--debug", "--refresh-window", "59m").stderr)
}

func TestLoginTimeout(t *testing.T) {
	w := newWorld(t, ssofake.Options{})
	w.setenv("BROWSER=true") // a browser that never signs in
	start := time.Now()
	r := w.run("--profile", "dev-sso", "--login-timeout", "1s")
	if r.code == 0 || !strings.Contains(r.stderr, "login timeout of 1s") || !strings.Contains(r.stderr, "--login-timeout") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	if time.Since(start) > 30*time.Second {
		t.Errorf("took %s", time.Since(start))
	}
}

// runParallel starts n copies at once and returns their results.
func (w *world) runParallel(n int, args func(i int) []string) []result {
	w.t.Helper()
	results := make([]result, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i] = w.run(args(i)...)
		}()
	}
	close(start)
	wg.Wait()
	return results
}

// sso-credproc without sso-credproc-renew beside it says what is missing.
func TestRenewMissing(t *testing.T) {
	w := newWorld(t, ssofake.Options{})
	lone := filepath.Join(t.TempDir(), "sso-credproc")
	b, err := os.ReadFile(bin("sso-credproc"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lone, b, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(lone, "--profile", "dev-sso")
	cmd.Env = w.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err == nil || out.Len() != 0 {
		t.Fatalf("err %v, stdout %q", err, out.String())
	}
	if !strings.Contains(errb.String(), "sso-credproc-renew is missing") || !strings.Contains(errb.String(), "hint: install both programs side by side: ./install.sh") || !strings.Contains(errb.String(), "go install") {
		t.Errorf("stderr %q", errb.String())
	}
	w.wantCalls(map[string]int{"RegisterClient": 0})
}
