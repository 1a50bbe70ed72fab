package main_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/sso-credproc/sso-credproc/internal/ssofake"
)

// fileStoreWorld is a world without a D-Bus session bus, where the user
// opted in to the file store.
func fileStoreWorld(t *testing.T, opts ssofake.Options, secret ...string) (*world, string) {
	w := newWorldAnyStore(t, opts)
	w.setenv("DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/bus", "SSO_CREDPROC_STORE=file")
	w.setenv(secret...)
	return w, filepath.Join(w.home, ".local", "share", "sso-credproc", "store")
}

func storeFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("the file store: %v", err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// noKeychainItems checks, where a Secret Service is there to ask, that
// none of the world's items went to it.
func (w *world) noKeychainItems() {
	w.t.Helper()
	if _, err := exec.LookPath("secret-tool"); err != nil || os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		w.t.Log("no Secret Service to check for items")
		return
	}
	for _, part := range []string{w.session, w.srv.URL} {
		if items := w.keychainItemsBy(part); len(items) != 0 {
			w.t.Errorf("items in the Secret Service: %q", items)
		}
	}
}

// With no session bus and SSO_CREDPROC_STORE=file: the sign-in, the warm
// call, status and logout work through the built programs, nothing goes
// to the Secret Service, and no secret is on disk in clear text.
func TestFileStoreWithoutSessionBus(t *testing.T) {
	w, dir := fileStoreWorld(t, ssofake.Options{RotateRefreshTokens: true}, "SSO_CREDPROC_FILE_PASSPHRASE=e2e passphrase")

	// Without the opt-in, the keychain is missing, and the hint says what
	// can replace it.
	r := w.run("--profile", "dev-sso", "--store", "keychain")
	if r.code != 1 || !strings.Contains(r.stderr, "SSO_CREDPROC_STORE=file") {
		t.Errorf("keychain without a bus: exit %d %q", r.code, r.stderr)
	}

	r = w.run("--profile", "dev-sso")
	first := w.ok(r)
	w.wantCalls(map[string]int{"RegisterClient": 1, "Authorize": 1, "GetRoleCredentials": 1})
	if strings.Count(r.stderr, "created the file store "+dir) != 1 {
		t.Errorf("first-use notice: %q", r.stderr)
	}
	r = w.run("--profile", "dev-sso")
	if second := w.ok(r); second != first || r.stderr != "" {
		t.Errorf("the warm call: other credentials, or stderr %q", r.stderr)
	}
	w.wantCalls(map[string]int{"GetRoleCredentials": 1})
	if files := storeFiles(t, dir); len(files) != 5 {
		t.Errorf("store files %q, want the key and 4 items", files)
	}
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if st, err := os.Stat(d); err != nil || st.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v %v, want 0700", d, st.Mode().Perm(), err)
		}
	}

	// Cached credentials that no longer satisfy the caller are replaced.
	w.ok(w.run("--profile", "dev-sso", "--min-credential-ttl", "12h"))
	w.wantCalls(map[string]int{"GetRoleCredentials": 2})
	// 32 copies at once for a role not cached yet: one role call, all
	// print the same; then warm copies at once (each derives the
	// passphrase's key: 8 keep the test short).
	sameOutput(t, w, w.runParallel(copies, func(int) []string { return []string{"--profile", "ops-sso"} }))
	w.wantCalls(map[string]int{"Authorize": 1, "GetRoleCredentials": 3})
	sameOutput(t, w, w.runParallel(8, func(int) []string { return []string{"--profile", "ops-sso"} }))
	w.wantCalls(map[string]int{"Authorize": 1, "GetRoleCredentials": 3})

	r = w.run("status", "--json")
	var rep struct {
		OK        bool
		Keychain  *struct{}
		FileStore *struct {
			Dir    string
			Usable bool
		}
		Sessions []struct {
			Name, Store string
			Credentials []struct{ AccountID, RoleName string }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || rep.Keychain != nil || rep.FileStore == nil || rep.FileStore.Dir != dir || !rep.FileStore.Usable {
		t.Fatalf("status --json: %v: %s %s", err, r.stdout, r.stderr)
	}
	for _, s := range rep.Sessions {
		if s.Name == w.session && (s.Store != "file" || len(s.Credentials) != 2) {
			t.Errorf("status of the session: %+v", s)
		}
	}
	w.noSecretsIn("status", r.stdout)

	r = w.run("logout", "--profile", "dev-sso")
	if r.code != 0 || !strings.Contains(r.stderr, "signed out; removed role credentials") {
		t.Fatalf("logout: %+v", r)
	}
	if files := storeFiles(t, dir); len(files) != 1 || files[0] != "key" {
		t.Errorf("after logout: %q, want the key alone", files)
	}
	w.noSecretsOnDisk()
	w.noKeychainItems()
	w.ok(w.run("--profile", "dev-sso"))
	w.wantCalls(map[string]int{"Authorize": 2})
}

// An age identity file instead of a passphrase; a wrong passphrase is an
// error with a hint, and no sign-in.
func TestFileStoreIdentityFileAndWrongPassphrase(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	idFile := filepath.Join(t.TempDir(), "identity.txt")
	os.WriteFile(idFile, []byte("# public key: "+id.Recipient().String()+"\n"+id.String()+"\n"), 0o600)
	w, dir := fileStoreWorld(t, ssofake.Options{}, "SSO_CREDPROC_AGE_IDENTITY="+idFile)
	first := w.ok(w.run("--profile", "dev-sso"))
	if second := w.ok(w.run("--profile", "dev-sso")); second != first {
		t.Error("the warm call printed other credentials")
	}
	w.wantCalls(map[string]int{"Authorize": 1, "GetRoleCredentials": 1})
	w.noSecretsOnDisk()
	w.noKeychainItems()

	// The same store without the identity file: it says which key it
	// needs, and nothing signs in.
	w.setenv("SSO_CREDPROC_AGE_IDENTITY=", "SSO_CREDPROC_FILE_PASSPHRASE=guess")
	r := w.run("--profile", "dev-sso")
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if r.code != 1 || r.stdout != "" || len(lines) != 2 || !strings.Contains(lines[0], "set up with another key") ||
		!strings.Contains(lines[0], id.Recipient().String()) || !strings.Contains(lines[1], "SSO_CREDPROC_AGE_IDENTITY") || !strings.Contains(lines[1], "rm -r "+dir) {
		t.Errorf("without the identity file: exit %d %q", r.code, r.stderr)
	}
	w.wantCalls(map[string]int{"Authorize": 1})

	// A passphrase store, opened with the wrong passphrase.
	os.RemoveAll(dir)
	w.setenv("SSO_CREDPROC_FILE_PASSPHRASE=right")
	w.ok(w.run("--profile", "dev-sso"))
	w.setenv("SSO_CREDPROC_FILE_PASSPHRASE=wrong")
	r = w.run("--profile", "dev-sso")
	if r.code != 1 || !strings.Contains(r.stderr, "the passphrase does not open the file store's key") || !strings.Contains(r.stderr, "hint: set SSO_CREDPROC_FILE_PASSPHRASE") {
		t.Errorf("a wrong passphrase: exit %d %q", r.code, r.stderr)
	}
	// No passphrase and no terminal: one line naming the variable.
	w.setenv("SSO_CREDPROC_FILE_PASSPHRASE=")
	r = w.run("--profile", "dev-sso")
	if r.code != 1 || !strings.Contains(r.stderr, "no passphrase for the file store") || !strings.Contains(r.stderr, "hint: set SSO_CREDPROC_FILE_PASSPHRASE") {
		t.Errorf("no passphrase: exit %d %q", r.code, r.stderr)
	}
	w.wantCalls(map[string]int{"Authorize": 2})
}
