package profile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary files, profile names and --sso-session values to
// Load: it must never panic, and it either returns an *Error on one line or a
// profile with everything needed to ask for credentials.
func FuzzLoad(f *testing.F) {
	fixtures, err := filepath.Glob(filepath.Join("testdata", "*.ini"))
	if err != nil || len(fixtures) == 0 {
		f.Fatalf("no fixtures: %v", err)
	}
	names := []string{"dev-sso", "default", "a", "legacy", "spaced name", "svc", "loop", "indented"}
	for _, fx := range fixtures {
		data, err := os.ReadFile(fx)
		if err != nil {
			f.Fatal(err)
		}
		for _, n := range names {
			f.Add(data, n, "")
		}
		f.Add(data, "", "corp")
	}
	f.Fuzz(func(t *testing.T, data []byte, name, session string) {
		path := filepath.Join(t.TempDir(), "config")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		env := envMap(map[string]string{"HOME": t.TempDir()})
		p, err := Load(path, name, Overrides{SSOSession: session}, env)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T) is not an *Error", err, err)
			}
			if p != nil {
				t.Fatalf("profile and error both returned")
			}
			if s := e.Error(); strings.ContainsAny(s, "\r\n") || s == "" {
				t.Fatalf("Error() is not one non-empty line: %q", s)
			}
			return
		}
		if p.StartURL == "" || p.Region == "" || p.AccountID == "" || p.RoleName == "" {
			t.Fatalf("incomplete profile: %+v", p)
		}
		if p.File != path || p.Name != name || (session != "" && p.SessionName != session) {
			t.Fatalf("profile does not say what it was loaded from: %+v", p)
		}
		if !p.Legacy() && len(p.Scopes) == 0 {
			t.Fatalf("sso-session profile without scopes: %+v", p)
		}
	})
}
