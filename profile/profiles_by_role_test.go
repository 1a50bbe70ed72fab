package profile

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

const byRoleConfig = `
[sso-session corp]
sso_start_url = https://my-org.awsapps.com/start
sso_region = eu-west-1

[profile dev-sso]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Developer

[profile dev]
credential_process = sso-credproc --profile dev-sso
region = eu-west-1

[profile dev-quoted]
credential_process = "/usr/local/bin/sso-credproc" --profile=dev-sso --debug --login-timeout 90s

[default]
credential_process = sso-credproc.exe -profile dev-sso --use-device-code --no-browser

[profile admin-flags]
credential_process = sso-credproc --sso-session corp --account-id 111122223333 --role-name Admin

[profile override]
credential_process = sso-credproc --profile dev-sso --role-name ReadOnly

[profile legacy]
sso_start_url = https://d-abc123.awsapps.com/start
sso_region = us-east-1
sso_account_id = 444455556666
sso_role_name = Ops

[profile legacy-flags]
credential_process = sso-credproc --start-url https://d-abc123.awsapps.com/start --region us-east-1 --account-id 444455556666 --role-name Ops

# aws-sso-util writes profiles that point at themselves
[profile self]
sso_session = corp
sso_account_id = 777788889999
sso_role_name = Developer
credential_process = sso-credproc --profile self

# What sso-credproc would not serve is left out:
[profile chain]
credential_process = sso-credproc --profile dev
[profile missing-target]
credential_process = sso-credproc --profile nope
[profile bad-session]
sso_session = nope
sso_account_id = 111122223333
sso_role_name = Developer
[profile bad-account]
sso_session = corp
sso_account_id = 1234
sso_role_name = Developer
[profile bad-role-flag]
credential_process = sso-credproc --profile dev-sso --role-name "no spaces"
[profile bad-flag]
credential_process = sso-credproc --profile dev-sso --bogus
[profile bad-duration]
credential_process = sso-credproc --profile dev-sso --login-timeout soon
[profile extra-arg]
credential_process = sso-credproc --profile dev-sso extra
[profile help]
credential_process = sso-credproc --profile dev-sso --help
[profile after-dashes]
credential_process = sso-credproc -- --profile dev-sso
[profile other-tool]
credential_process = aws-vault export --format=json dev-sso
[profile other-tool-same-flags]
credential_process = sso-credproc-wrapper --profile dev-sso
[profile static]
aws_access_key_id = AKIAEXAMPLE
aws_secret_access_key = example
[profile unclosed]
credential_process = sso-credproc --profile 'dev-sso
[profile no-role]
sso_session = corp
sso_account_id = 111122223333
[profile nothing]
credential_process = sso-credproc --debug
[profile bad-policy]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Developer
sso_credproc_login_timeout = soon
[profile inconsistent]
sso_session = corp
sso_region = us-west-2
sso_account_id = 111122223333
sso_role_name = Developer
[profile nested-role]
sso_session = corp
sso_account_id = 111122223333
sso_role_name =
  x = y
`

func writeByRole(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestProfilesByRole(t *testing.T) {
	path := writeByRole(t, byRoleConfig)
	got, err := ProfilesByRole(path, envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := map[[2]string][]string{
		{"111122223333", "Developer"}: {"default", "dev", "dev-quoted", "dev-sso"},
		{"111122223333", "Admin"}:     {"admin-flags"},
		{"111122223333", "ReadOnly"}:  {"override"},
		{"444455556666", "Ops"}:       {"legacy", "legacy-flags"},
		{"777788889999", "Developer"}: {"self"},
	}
	if !maps.EqualFunc(got, want, slices.Equal) {
		t.Errorf("ProfilesByRole =\n%v\nwant\n%v", got, want)
	}

	// Each profile counted directly is one Load resolves to the same
	// account and role.
	for k, names := range got {
		for _, n := range names {
			p, err := Load(path, n, Overrides{}, envMap(nil))
			if err == nil && (p.AccountID != k[0] || p.RoleName != k[1]) {
				t.Errorf("profile %s: Load gives %s/%s, ProfilesByRole %s/%s", n, p.AccountID, p.RoleName, k[0], k[1])
			}
		}
	}
}

func TestProfilesByRoleFiles(t *testing.T) {
	dir := t.TempDir()
	// No file, or no path: no profiles, no error.
	for _, path := range []string{"", filepath.Join(dir, "missing"), dir} {
		got, err := ProfilesByRole(path, envMap(nil))
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("%q: %v, %v; want an empty map", path, got, err)
		}
	}
	// The path is expanded as Load expands it.
	cfg := writeByRole(t, "[profile p]\nsso_start_url = https://x.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = 111122223333\nsso_role_name = R\n")
	got, err := ProfilesByRole("$CFGDIR/config", envMap(map[string]string{"CFGDIR": filepath.Dir(cfg)}))
	if err != nil || !slices.Equal(got[[2]string{"111122223333", "R"}], []string{"p"}) {
		t.Errorf("$CFGDIR/config: %v, %v", got, err)
	}
	// A file botocore cannot parse is an error, as for Load.
	for _, body := range []string{"key_before_any_section = 1\n[profile p]\n", "[profile p]\n[profile p]\n", "[profile p]\nsso_role_name = \xff\n"} {
		_, err := ProfilesByRole(writeByRole(t, body), envMap(nil))
		var pe *Error
		if !errors.As(err, &pe) || pe.File == "" {
			t.Errorf("%q: err = %v, want a *profile.Error naming the file", body, err)
		}
	}
}

// The environment counts where it counts for Load: a setting that makes
// every profile invalid leaves every profile out.
func TestProfilesByRoleEnvironment(t *testing.T) {
	path := writeByRole(t, byRoleConfig)
	got, err := ProfilesByRole(path, envMap(map[string]string{"AWS_USE_FIPS_ENDPOINT": "yes"}))
	if err != nil || len(got) != 0 {
		t.Errorf("with AWS_USE_FIPS_ENDPOINT=yes: %v, %v; want no profiles and no error", got, err)
	}
	got, err = ProfilesByRole(path, envMap(map[string]string{"AWS_USE_FIPS_ENDPOINT": "true"}))
	if err != nil || len(got) != 5 {
		t.Errorf("with AWS_USE_FIPS_ENDPOINT=true: %v, %v; want the 5 roles", got, err)
	}
}

func TestCredprocCommand(t *testing.T) {
	for _, tc := range []struct {
		cmd    string
		target string
		ov     Overrides
		ok     bool
	}{
		{"sso-credproc --profile a", "a", Overrides{}, true},
		{"sso-credproc -profile=a --account-id 111122223333 -role-name=R", "a", Overrides{AccountID: "111122223333", RoleName: "R"}, true},
		{`'C:\tools\SSO-CREDPROC.EXE' --sso-session corp --region eu-west-1`, "", Overrides{SSOSession: "corp", Region: "eu-west-1"}, true},
		{"sso-credproc --use-device-code=false --profile a", "a", Overrides{UseDeviceCode: ptr("false")}, true},
		{"sso-credproc --profile a --clock-skew 2m", "a", Overrides{ClockSkew: ptr("2m")}, true},
		{"sso-credproc --profile", "", Overrides{}, false},
		{"sso-credproc --profile a b", "", Overrides{}, false},
		{"sso-credproc --nope", "", Overrides{}, false},
		{"other --profile a", "", Overrides{}, false},
		{"", "", Overrides{}, false},
	} {
		target, ov, ok := credprocCommand(tc.cmd)
		if target != tc.target || ok != tc.ok || !sameOverrides(ov, tc.ov) {
			t.Errorf("credprocCommand(%q) = %q, %+v, %v; want %q, %+v, %v", tc.cmd, target, ov, ok, tc.target, tc.ov, tc.ok)
		}
	}
}

func ptr(s string) *string { return &s }

func sameOverrides(a, b Overrides) bool {
	eq := func(x, y *string) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	return a.SSOSession == b.SSOSession && a.StartURL == b.StartURL && a.Region == b.Region &&
		a.AccountID == b.AccountID && a.RoleName == b.RoleName &&
		eq(a.UseDeviceCode, b.UseDeviceCode) && eq(a.LoginTimeout, b.LoginTimeout) && eq(a.RefreshWindow, b.RefreshWindow) &&
		eq(a.MinCredentialTTL, b.MinCredentialTTL) && eq(a.ClockSkew, b.ClockSkew)
}
