package main_test

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sso-credproc/sso-credproc/internal/ssofake"
	"github.com/sso-credproc/sso-credproc/keychain/kernelkeyring"
)

// fastWorld is a world with the fast cache on (the default outside these
// tests), whose kernel keys are removed when the test ends.
func fastWorld(t *testing.T) (*world, *kernelkeyring.Keyring) {
	t.Helper()
	w := newWorld(t, ssofake.Options{})
	w.setenv("SSO_CREDPROC_FAST_CACHE=1")
	kr, _ := kernelkeyring.Open()
	if _, err := kr.Keys("probe"); errors.Is(err, errors.ErrUnsupported) {
		if os.Getenv("CI") != "" {
			t.Fatalf("the kernel keyring is needed under CI: %v", err)
		}
		t.Skipf("the kernel keyring cannot be used here: %v", err)
	}
	t.Cleanup(func() {
		keys, _ := kr.Keys("sso-session:" + w.session + "|")
		for _, k := range keys {
			kr.Delete(k)
		}
	})
	return w, kr
}

func TestFastCache(t *testing.T) {
	w, kr := fastWorld(t)
	key := w.credentialsKey("111122223333", "Developer")
	first := w.ok(w.run("--profile", "dev-sso"))
	w.wantCalls(map[string]int{"GetRoleCredentials": 1})

	// sso-credproc-renew wrote the kernel key: this user's only, with the
	// credentials' remaining life as its timeout, the keychain's JSON.
	d, err := kr.Describe(key)
	if err != nil || d == nil {
		t.Fatalf("no kernel key %q: %v", key, err)
	}
	if d.Type != "user" || d.UID != os.Getuid() || d.Perm != 0x2f2f0000 || d.Description != kernelkeyring.Prefix+key {
		t.Errorf("kernel key: %+v", d)
	}
	v, err := kr.Get(key)
	if err != nil || string(v) == "" {
		t.Fatalf("kernel key: %q, %v", v, err)
	}
	var item struct{ AccessKeyId, SecretAccessKey, SessionToken string }
	if err := json.Unmarshal(v, &item); err != nil || item.AccessKeyId != first.AccessKeyId || item.SecretAccessKey != first.SecretAccessKey {
		t.Fatalf("kernel key value: %v", err)
	}
	if kc := secretItem(t, key); kc != string(v) {
		t.Errorf("the kernel key holds other JSON than the keychain item")
	}

	// Only role credentials are in the kernel keyring.
	keys, err := kr.Keys("")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if !strings.Contains(k, w.session) {
			continue
		}
		if !strings.HasSuffix(k, "|credentials") {
			t.Errorf("kernel key %q is not role credentials", k)
		}
		v, _ := kr.Get(k)
		for _, s := range w.srv.Secrets() {
			if strings.Contains(string(v), s) && s != first.AccessKeyId && s != first.SecretAccessKey && s != first.SessionToken {
				t.Errorf("a token or client secret is in the kernel keyring under %q", k)
			}
		}
	}

	// The warm path reads the kernel key alone: with the keychain item
	// gone it still answers, with no request.
	exec.Command("secret-tool", "clear", "service", "sso-credproc", "username", itemName(t, key)).Run()
	r := w.run("--profile", "dev-sso", "--debug")
	if c := w.ok(r); c != first || !strings.Contains(r.stderr, "from the fast cache (kernel keyring)") {
		t.Fatalf("warm call: same credentials %t; stderr:\n%s", c == first, r.stderr)
	}
	w.wantCalls(map[string]int{"GetRoleCredentials": 1})

	// Turned off, the keychain alone is read, as before: a miss renews.
	off := w.env
	w.env = append(append([]string(nil), off...), "SSO_CREDPROC_FAST_CACHE=0")
	w.ok(w.run("--profile", "dev-sso"))
	w.wantCalls(map[string]int{"GetRoleCredentials": 2})
	w.env = off

	// A damaged kernel key is a miss, and is replaced from the keychain.
	if err := kr.Set(key, []byte(`{"version":1,"accessKeyId":`), time.Hour); err != nil {
		t.Fatal(err)
	}
	second := w.ok(w.run("--profile", "dev-sso"))
	if v, _ := kr.Get(key); !strings.Contains(string(v), second.SecretAccessKey) {
		t.Errorf("the damaged kernel key was not replaced")
	}
	w.wantCalls(map[string]int{"GetRoleCredentials": 2})

	// logout removes the kernel key.
	r = w.run("logout", "--profile", "dev-sso")
	if r.code != 0 || !strings.Contains(r.stderr, "role credentials 111122223333/Developer") {
		t.Fatalf("logout: exit %d: %s", r.code, r.stderr)
	}
	if d, err := kr.Describe(key); d != nil || err != nil {
		t.Errorf("after logout the kernel key is still there: %+v, %v", d, err)
	}
}

// 32 copies on a cold cache with the fast cache on: one sign-in, one role
// call, the same credentials; then every copy is served from the kernel.
func TestFastCacheParallel(t *testing.T) {
	w, _ := fastWorld(t)
	dev := func(int) []string { return []string{"--profile", "dev-sso"} }
	first := sameOutput(t, w, w.runParallel(copies, dev))
	w.wantCalls(map[string]int{"Authorize": 1, "RegisterClient": 1, "CreateToken": 1, "GetRoleCredentials": 1})
	if again := sameOutput(t, w, w.runParallel(copies, dev)); again != first {
		t.Error("the warm copies printed other credentials")
	}
	w.wantCalls(map[string]int{"GetRoleCredentials": 1})
}
