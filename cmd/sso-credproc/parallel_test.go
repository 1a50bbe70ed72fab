package main_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sso-credproc/sso-credproc/internal/ssofake"
)

const copies = 32

func (w *world) tokenKey() string { return "sso-session:" + w.session + "|us-east-1|token" }
func (w *world) credentialsKey(account, role string) string {
	return "sso-session:" + w.session + "|us-east-1|" + account + "|" + role + "|credentials"
}

// age rewrites the expiry field of a keychain item, as if time had passed.
func (w *world) age(key, field string, expiresIn time.Duration) {
	w.t.Helper()
	var item map[string]any
	if err := json.Unmarshal([]byte(secretItem(w.t, key)), &item); err != nil {
		w.t.Fatalf("item %q: %v", key, err)
	}
	if _, ok := item[field]; !ok {
		w.t.Fatalf("item %q has no %q", key, field)
	}
	item[field] = time.Now().Add(expiresIn).UTC().Format(time.RFC3339Nano)
	b, _ := json.Marshal(item)
	storeItem(w.t, key, string(b))
}

func sameOutput(t *testing.T, w *world, results []result) creds {
	t.Helper()
	first := w.ok(results[0])
	for i, r := range results[1:] {
		if c := w.ok(r); c != first {
			t.Fatalf("copy %d printed other credentials", i+1)
		}
	}
	return first
}

func TestParallelCopies(t *testing.T) {
	w := newWorld(t, ssofake.Options{RotateRefreshTokens: true})
	dev := func(int) []string { return []string{"--profile", "dev-sso"} }

	// Cold cache: one sign-in, one of each call.
	first := sameOutput(t, w, w.runParallel(copies, dev))
	w.wantCalls(map[string]int{"Authorize": 1, "RegisterClient": 1, "CreateToken": 1, "GetRoleCredentials": 1})

	// Expired access token and role credentials: one refresh, and the
	// rotated refresh token is not lost (a second refresh with the old one
	// would fail and force a new sign-in).
	w.age(w.tokenKey(), "expiresAt", -time.Minute)
	w.age(w.credentialsKey("111122223333", "Developer"), "expiration", -time.Minute)
	second := sameOutput(t, w, w.runParallel(copies, dev))
	w.wantCalls(map[string]int{"Authorize": 1, "RegisterClient": 1, "CreateToken:refresh_token": 1, "GetRoleCredentials": 2})
	if second == first {
		t.Error("expired credentials were printed again")
	}

	// Role credentials inside the 15-minute window, token fine: one role call.
	w.age(w.credentialsKey("111122223333", "Developer"), "expiration", 10*time.Minute)
	sameOutput(t, w, w.runParallel(copies, dev))
	w.wantCalls(map[string]int{"Authorize": 1, "CreateToken": 2, "GetRoleCredentials": 3})

	// And the refreshed state is intact: another refresh works (no InvalidGrant).
	w.age(w.tokenKey(), "expiresAt", 5*time.Minute)
	w.age(w.credentialsKey("111122223333", "Developer"), "expiration", -time.Minute)
	w.ok(w.run("--profile", "dev-sso"))
	w.wantCalls(map[string]int{"Authorize": 1, "CreateToken:refresh_token": 2, "GetRoleCredentials": 4})
}

func TestParallelTwoRoles(t *testing.T) {
	w := newWorld(t, ssofake.Options{})
	results := w.runParallel(copies, func(i int) []string {
		return []string{"--profile", []string{"dev-sso", "ops-sso"}[i%2]}
	})
	var byAccount = map[string]creds{}
	for i, r := range results {
		c := w.ok(r)
		if prev, ok := byAccount[c.AccountId]; ok && prev != c {
			t.Fatalf("copy %d: other credentials for the same role", i)
		}
		byAccount[c.AccountId] = c
	}
	if len(byAccount) != 2 {
		t.Fatalf("accounts %v", byAccount)
	}
	w.wantCalls(map[string]int{"Authorize": 1, "RegisterClient": 1, "CreateToken": 1, "GetRoleCredentials": 2})
}

func TestParallelDeviceCode(t *testing.T) {
	w := newWorld(t, ssofake.Options{})
	sameOutput(t, w, w.runParallel(copies, func(int) []string { return []string{"--profile", "legacy"} }))
	w.wantCalls(map[string]int{"StartDeviceAuthorization": 1, "Verify": 1, "RegisterClient": 1, "GetRoleCredentials": 1})
}

// A sign-in that fails is not retried by the copies that waited for it:
// no storm of browser tabs.
func TestParallelFailedSignIn(t *testing.T) {
	w := newWorld(t, ssofake.Options{DenyAuthorization: true})
	// The user takes a few seconds to click "Deny": every copy has started
	// by then, even on a loaded machine, so each waits for that sign-in.
	browser, open := gatedBrowser(t, w.home)
	w.setenv("BROWSER=" + browser)
	go func() {
		time.Sleep(3 * time.Second)
		open()
	}()
	results := w.runParallel(8, func(int) []string { return []string{"--profile", "dev-sso"} })
	for i, r := range results {
		if r.code == 0 || r.stdout != "" || !strings.HasPrefix(r.stderr, "sso-credproc") {
			t.Fatalf("copy %d: exit %d stdout %q stderr %q", i, r.code, r.stdout, r.stderr)
		}
	}
	w.wantCalls(map[string]int{"Authorize": 1})
}

func TestFaults(t *testing.T) {
	type step struct {
		prepare func(w *world)
		calls   map[string]int // after the step, cumulative
		errPart string
	}
	expireCreds := func(w *world) { w.age(w.credentialsKey("111122223333", "Developer"), "expiration", -time.Minute) }
	for _, tc := range []struct {
		name string
		step step
	}{
		{"5xx is retried", step{prepare: func(w *world) {
			expireCreds(w)
			w.srv.Inject("GetRoleCredentials", ssofake.Fault{Status: 503, Type: "ServiceUnavailableException"})
		}, calls: map[string]int{"GetRoleCredentials": 3}}},
		{"throttling is retried", step{prepare: func(w *world) {
			expireCreds(w)
			w.srv.Inject("GetRoleCredentials", ssofake.Fault{Status: 429, Type: "TooManyRequestsException"})
		}, calls: map[string]int{"GetRoleCredentials": 3}}},
		{"throttling that does not stop ends in an error", step{prepare: func(w *world) {
			expireCreds(w)
			f := ssofake.Fault{Status: 429, Type: "TooManyRequestsException"}
			w.srv.Inject("GetRoleCredentials", f, f, f)
		}, errPart: "TooManyRequests"}},
		{"portal 401 with a cached token: one refresh", step{prepare: func(w *world) {
			expireCreds(w)
			w.srv.ExpireAccessTokens()
		}, calls: map[string]int{"CreateToken:refresh_token": 1, "Authorize": 1, "GetRoleCredentials": 3}}},
		{"revoked refresh token: a new sign-in", step{prepare: func(w *world) {
			expireCreds(w)
			w.srv.RevokeAll()
		}, calls: map[string]int{"CreateToken:refresh_token": 1, "Authorize": 2, "GetRoleCredentials": 3}}},
		{"corrupt credentials item is a miss and is overwritten", step{prepare: func(w *world) {
			storeItem(w.t, w.credentialsKey("111122223333", "Developer"), `{"version":1,"accessKeyId":`)
		}, calls: map[string]int{"GetRoleCredentials": 2}}},
		{"partly written chunked item (parts missing) is a miss", step{prepare: func(w *world) {
			storeItem(w.t, w.credentialsKey("111122223333", "Developer"), "sso-credproc-chunks:v1:0badc0de:3:"+strings.Repeat("ab", 32))
		}, calls: map[string]int{"GetRoleCredentials": 2}}},
		{"corrupt token item is a miss", step{prepare: func(w *world) {
			expireCreds(w)
			storeItem(w.t, w.tokenKey(), "\x00garbage")
		}, calls: map[string]int{"Authorize": 2, "RegisterClient": 1, "GetRoleCredentials": 2}}},
		{"malformed server answer", step{prepare: func(w *world) {
			expireCreds(w)
			w.srv.Inject("GetRoleCredentials", ssofake.Fault{RawBody: `{"roleCredentials":{"accessKeyId":"ASIAX"`})
		}, errPart: "could not be read"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, ssofake.Options{})
			w.ok(w.run("--profile", "dev-sso"))
			tc.step.prepare(w)
			r := w.run("--profile", "dev-sso")
			if tc.step.errPart != "" {
				if r.code == 0 || r.stdout != "" || !strings.Contains(r.stderr, tc.step.errPart) {
					t.Fatalf("exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
				}
				return
			}
			w.ok(r)
			w.wantCalls(tc.step.calls)
			// The cache is whole again: the next call makes no request.
			before := fmt.Sprint(w.srv.Counts())
			w.ok(w.run("--profile", "dev-sso"))
			if after := fmt.Sprint(w.srv.Counts()); after != before {
				t.Errorf("the call after the fault made requests: %s -> %s", before, after)
			}
		})
	}
}
