package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sso-credproc/sso-credproc/filestore"
	"github.com/sso-credproc/sso-credproc/keychain"
	"github.com/sso-credproc/sso-credproc/tokencache"
)

// fileStoreHarness is a harness whose store is the file store, chosen as
// the user would, under a throwaway XDG_DATA_HOME.
func fileStoreHarness(t *testing.T, extraConfig string) (*harness, string) {
	h := newHarness(t, extraConfig)
	h.store = nil
	data := t.TempDir()
	h.env["XDG_DATA_HOME"] = data
	h.env[filestore.EnvPassphrase] = "a passphrase for " + t.Name()
	return h, filepath.Join(data, "sso-credproc", "store")
}

// storeFiles lists the store's files (nil when it does not exist).
func storeFiles(dir string) []string {
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// sso_credproc_store = file in the sso-session: the sign-in, the warm path,
// status and logout all use the file store, and the first use says so once.
func TestFileStoreFromConfig(t *testing.T) {
	h, dir := fileStoreHarness(t, "")
	cfg, _ := os.ReadFile(h.env["AWS_CONFIG_FILE"])
	os.WriteFile(h.env["AWS_CONFIG_FILE"], append(cfg, "sso_credproc_store = file\n"...), 0o600)

	code, first, stderr := h.run(true, "--profile", "dev-sso", "--no-browser")
	if code != 0 {
		t.Fatalf("sign-in: exit %d: %s", code, stderr)
	}
	if strings.Count(stderr, "created the file store "+dir) != 1 {
		t.Errorf("first-use notice: %q", stderr)
	}
	if files := storeFiles(dir); len(files) != 5 {
		t.Errorf("store files %q, want the key, token, registration, credentials and their index", files)
	}
	// sso-credproc hands calls that use the file store over to
	// sso-credproc-renew (age is not linked into it), which serves them
	// from the store.
	if code, stdout, stderr := h.run(false, "--profile", "dev-sso"); code != 99 || stdout != "" || stderr != "" {
		t.Errorf("warm path: exit %d stdout %q stderr %q, want the handoff", code, stdout, stderr)
	}
	if code, again, stderr := h.run(true, "--profile", "dev-sso"); code != 0 || again != first || stderr != "" || h.srv.Count("GetRoleCredentials") != 1 {
		t.Errorf("from the store: exit %d stdout %q stderr %q calls %v", code, again, stderr, h.srv.Counts())
	}

	code, stdout, _ := h.run(true, "status", "--json")
	var rep statusReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || code != 0 || !rep.OK || rep.Keychain != nil ||
		rep.FileStore == nil || rep.FileStore.Dir != dir || !rep.FileStore.Usable ||
		len(rep.Sessions) != 1 || rep.Sessions[0].Store != "file" || rep.Sessions[0].Token == nil || len(rep.Sessions[0].Credentials) != 1 {
		t.Errorf("status --json: exit %d, %v: %s", code, err, stdout)
	}
	_, stdout, _ = h.run(true, "status")
	if !strings.Contains(stdout, "file store:  "+dir+" — usable") || strings.Contains(stdout, "keychain:") || !strings.Contains(stdout, "kept in:             the file store") {
		t.Errorf("status:\n%s", stdout)
	}

	code, _, stderr = h.run(true, "logout", "--profile", "dev-sso")
	if code != 0 || !strings.Contains(stderr, "removed role credentials 111122223333/Dev, token, client registration") {
		t.Fatalf("logout: exit %d: %s", code, stderr)
	}
	if files := storeFiles(dir); len(files) != 1 || files[0] != "key" {
		t.Errorf("after logout: %q, want only the key", files)
	}
	if code, _, _ := h.run(true, "--profile", "dev-sso", "--no-login"); code != 1 {
		t.Errorf("credentials served after logout: exit %d", code)
	}
}

// SSO_CREDPROC_STORE=file and --store file choose it too; the flag wins
// over the variable, which wins over the config.
func TestFileStoreFromEnvAndFlag(t *testing.T) {
	h, dir := fileStoreHarness(t, "sso_credproc_store = keychain\n")
	h.env["SSO_CREDPROC_STORE"] = "file"
	if code, _, stderr := h.run(true, "login", "--profile", "dev-sso", "--no-browser"); code != 0 {
		t.Fatalf("login: exit %d: %s", code, stderr)
	}
	if len(storeFiles(dir)) != 3 { // key, token, registration
		t.Errorf("SSO_CREDPROC_STORE=file over the config: store files %q", storeFiles(dir))
	}
	h.env["SSO_CREDPROC_STORE"] = "keychain"
	if code, _, stderr := h.run(true, "--profile", "dev-sso", "--store", "file"); code != 0 {
		t.Fatalf("--store file: exit %d: %s", code, stderr)
	}
	if len(storeFiles(dir)) != 5 {
		t.Errorf("--store file over the variable: store files %q", storeFiles(dir))
	}
	if h.srv.Count("Authorize") != 1 {
		t.Errorf("signed in %d times, want 1", h.srv.Count("Authorize"))
	}
	h.env["SSO_CREDPROC_STORE"] = "disk"
	code, stdout, stderr := h.run(true, "--profile", "dev-sso")
	if code == 0 || stdout != "" || !strings.Contains(stderr, `SSO_CREDPROC_STORE: "disk" is not keychain or file`) || !strings.Contains(stderr, "hint: ") {
		t.Errorf("a bad SSO_CREDPROC_STORE: exit %d %q", code, stderr)
	}
	if code, _, stderr := h.run(true, "status", "--store", "disk"); code != 2 || !strings.Contains(stderr, "--store") {
		t.Errorf("status --store disk: exit %d %q", code, stderr)
	}
}

// A wrong passphrase is an error of its own with a hint, not a damaged
// item that a new sign-in would replace.
func TestFileStoreWrongPassphrase(t *testing.T) {
	h, dir := fileStoreHarness(t, "")
	h.env["SSO_CREDPROC_STORE"] = "file"
	if code, _, stderr := h.run(true, "--profile", "dev-sso", "--no-browser"); code != 0 {
		t.Fatalf("sign-in: exit %d: %s", code, stderr)
	}
	h.env[filestore.EnvPassphrase] = "not the passphrase"
	for _, args := range [][]string{{"--profile", "dev-sso", "--no-browser"}, {"login", "--profile", "dev-sso", "--no-browser"}} {
		code, stdout, stderr := h.run(true, args...)
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if code != 1 || stdout != "" || len(lines) != 2 || !strings.Contains(lines[0], "passphrase does not open the file store's key") ||
			!strings.Contains(lines[1], "hint: set "+filestore.EnvPassphrase) || !strings.Contains(lines[1], "rm -r "+dir) {
			t.Errorf("%q: exit %d stderr %q", args, code, stderr)
		}
		if strings.Contains(stderr, "not the passphrase") {
			t.Error("the passphrase is in the message")
		}
	}
	if h.srv.Count("Authorize") != 1 {
		t.Errorf("a wrong passphrase started a sign-in: %v", h.srv.Counts())
	}
	code, stdout, _ := h.run(true, "status")
	if code != 1 || !strings.Contains(stdout, "the file store cannot be used") || !strings.Contains(stdout, filestore.EnvPassphrase) {
		t.Errorf("status: exit %d\n%s", code, stdout)
	}
}

// Where no keychain can be had, the hint names the file store as the
// explicit alternative; a file store error has its own hint.
func TestStoreHint(t *testing.T) {
	for _, cause := range []error{keychain.ErrNoSessionBus, keychain.ErrNoSecretService} {
		h := storeHint(fmt.Errorf("%w: %w", keychain.ErrUnavailable, cause))
		if !strings.Contains(h, "SSO_CREDPROC_STORE=file") || !strings.HasPrefix(h, keychain.Hint(fmt.Errorf("%w: %w", keychain.ErrUnavailable, cause))) {
			t.Errorf("%v: hint %q", cause, h)
		}
	}
	if h := storeHint(fmt.Errorf("%w: %w", keychain.ErrUnavailable, keychain.ErrLocked)); strings.Contains(h, "SSO_CREDPROC_STORE") {
		t.Errorf("a locked keychain suggests the file store: %q", h)
	}
	err := filestore.New(filestore.Options{Dir: t.TempDir(), IdentityFile: "/nonexistent"}).Probe(context.Background())
	if err := (&tokencache.StoreError{Op: "probe", Err: err}); !strings.Contains(storeHint(err), filestore.EnvIdentity) || storeHint(err) != filestore.Hint(err) {
		t.Errorf("file store error %v: hint %q", err, storeHint(err))
	}
}

// A hint that repeats the command keeps --store, so that it runs against
// the same store.
func TestHintRepeatsStore(t *testing.T) {
	h, _ := fileStoreHarness(t, "")
	h.tty.base = "http://127.0.0.1:1" // nobody visits the sign-in page
	code, _, stderr := h.run(true, "login", "--profile", "dev-sso", "--store", "file", "--no-browser", "--login-timeout", "1s")
	if code != 1 || !strings.Contains(stderr, "sso-credproc login --profile dev-sso --store file --login-timeout 10m") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
