package execserve

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestChildEnv(t *testing.T) {
	environ := []string{"PATH=/bin", "AWS_PROFILE=dev", "aws_profile=lower", "AWS_ACCESS_KEY_ID=old", "AWS_CONFIG_FILE=/c", "AWS_REGION=eu-north-1", "SSO_CREDPROC_PROFILE=x", "NOVALUE"}
	got := childEnv(environ, false, "AWS_ACCESS_KEY_ID", "new", "AWS_REGION", "us-east-1")
	want := []string{"PATH=/bin", "aws_profile=lower", "AWS_CONFIG_FILE=/c", "NOVALUE", "AWS_ACCESS_KEY_ID=new", "AWS_REGION=us-east-1"}
	if !slices.Equal(got, want) {
		t.Errorf("childEnv = %q, want %q", got, want)
	}
	// Windows: names in any case are the same variable.
	got = childEnv(environ, true, "AWS_ACCESS_KEY_ID", "new")
	want = []string{"PATH=/bin", "AWS_CONFIG_FILE=/c", "AWS_REGION=eu-north-1", "NOVALUE", "AWS_ACCESS_KEY_ID=new"}
	if !slices.Equal(got, want) {
		t.Errorf("childEnv on Windows = %q, want %q", got, want)
	}
}

// The older names of the key variables, which the Go and Java SDKs read,
// are removed too: with --server they would beat the endpoint.
func TestChildEnvRemovesOlderKeyNames(t *testing.T) {
	got := childEnv([]string{"AWS_ACCESS_KEY=a", "AWS_SECRET_KEY=b", "PATH=/bin"}, false, "AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/")
	want := []string{"PATH=/bin", "AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:1/"}
	if !slices.Equal(got, want) {
		t.Errorf("childEnv = %q, want %q", got, want)
	}
}

// With --server, a [default] profile with credentials of its own would win
// over the endpoint: the user is warned.
func TestDefaultProfileWarning(t *testing.T) {
	dir := t.TempDir()
	cfg, creds := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	vars := map[string]string{"HOME": dir, "AWS_CONFIG_FILE": cfg, "AWS_SHARED_CREDENTIALS_FILE": creds}
	if w := defaultProfileWarning(env(vars)); w != "" {
		t.Errorf("no files: %q", w)
	}
	os.WriteFile(cfg, []byte("[default]\nregion = eu-west-1\n[profile x]\ncredential_process = y\n"), 0o600)
	if w := defaultProfileWarning(env(vars)); w != "" {
		t.Errorf("a [default] without credentials: %q", w)
	}
	os.WriteFile(creds, []byte("[default]\naws_access_key_id = AKIA\naws_secret_access_key = s\n"), 0o600)
	if w := defaultProfileWarning(env(vars)); !strings.Contains(w, creds) || !strings.Contains(w, "aws_access_key_id") {
		t.Errorf("credentials file: %q", w)
	}
	os.Remove(creds)
	os.WriteFile(cfg, []byte("[default]\ncredential_process = sso-credproc --profile dev-sso\n"), 0o600)
	if w := defaultProfileWarning(env(vars)); !strings.Contains(w, "credential_process") {
		t.Errorf("config file: %q", w)
	}
}
