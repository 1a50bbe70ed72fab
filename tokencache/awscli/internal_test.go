package awscli

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A file replaced between Remove's read and its removal (the AWS CLI
// signing in again just then) is left alone.
func TestRemoveReplacedMeanwhile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "t.json")
	ours := &Token{StartURL: "u", Region: "r", AccessToken: "ours", ExpiresAt: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	theirs := *ours
	theirs.AccessToken = "theirs"
	for name, replace := range map[string]func(){
		"renamed over": func() { // botocore 1.43, the Go SDK, Write
			if err := Write(p, &theirs); err != nil {
				t.Fatal(err)
			}
		},
		"rewritten in place": func() { // botocore 1.29, the AWS CLI 2.9: os.open + truncate
			b, _, _ := theirs.encode()
			b = append(b, ' ')
			if err := os.WriteFile(p, b, 0o600); err != nil {
				t.Fatal(err)
			}
		},
	} {
		if err := Write(p, ours); err != nil {
			t.Fatal(err)
		}
		testHookBeforeRemove = replace
		ok, err := Remove(p, "ours")
		testHookBeforeRemove = nil
		if ok || err != nil {
			t.Errorf("%s: Remove = %v, %v; want false, nil", name, ok, err)
		}
		if got, err := Read(p); err != nil || got.AccessToken != "theirs" {
			t.Errorf("%s: the replacement is gone: %v", name, err)
		}
	}
}

// FuzzDecode: decode never panics, its errors name no more than the field,
// and what it accepts Write reproduces.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"d033e22ae348aeb5660fc2140aec35850c4da997.json", "40a89917e3175433e361b710a9d43528d7f1890a.json", "utc-suffix.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", "botocore", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"accessToken": "a", "expiresAt": "2030-01-02T03:04:05.5+01:00", "x": [1, {"y": null}]}`))
	f.Add([]byte(`{"accessToken": 1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		tok, field, err := decode(b)
		if err != nil {
			if tok != nil {
				t.Fatal("a token and an error")
			}
			if field != "" && !isField(field) {
				t.Fatalf("error names field %q", field)
			}
			return
		}
		if tok.AccessToken == "" || tok.ExpiresAt.IsZero() {
			t.Fatalf("accepted without accessToken or expiresAt: %v", tok)
		}
		if tok.StartURL == "" || tok.Region == "" || (tok.ClientID != "" && tok.ClientSecret == "") ||
			tok.ExpiresAt.Year() < 1 || tok.ExpiresAt.Year() > 9999 || tok.RegistrationExpiresAt.Year() > 9999 {
			return // Write needs these
		}
		if tok.ClientID == "" { // not written without a client
			tok.ClientSecret, tok.RegistrationExpiresAt = "", time.Time{}
		}
		out, _, err := tok.encode()
		if err != nil {
			t.Fatal(err)
		}
		again, _, err := decode(out)
		if err != nil {
			t.Fatalf("decode(encode(%v)): %v", tok, err)
		}
		want := *tok
		want.ExpiresAt = want.ExpiresAt.Truncate(time.Second)
		want.RegistrationExpiresAt = want.RegistrationExpiresAt.Truncate(time.Second)
		if *again != want {
			t.Fatalf("round trip:\n got %#v\nwant %#v", again, want)
		}
	})
}

func isField(f string) bool {
	switch f {
	case fieldStartURL, fieldRegion, fieldAccessToken, fieldExpiresAt, fieldClientID, fieldClientSecret, fieldRegistrationExpiresAt, fieldRefreshToken:
		return true
	}
	return false
}
