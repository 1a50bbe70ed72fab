package profile

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// envMap returns an env lookup over m (nil: an empty environment).
func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func fixture(name string) string { return filepath.Join("testdata", name) }

func TestLoadResolvesProfiles(t *testing.T) {
	corpScopes := []string{"sso:account:access", "codewhisperer:completions"}
	tests := []struct {
		file, name string
		ov         Overrides
		want       Profile // File is filled in from file; Settings checked when non-nil
	}{
		{
			file: "sso.ini", name: "dev-sso",
			want: Profile{Name: "dev-sso", SessionName: "corp", StartURL: "https://d-1234567890.awsapps.com/start",
				Region: "eu-west-1", Scopes: corpScopes, AccountID: "111122223333", RoleName: "Developer",
				Settings: map[string]string{"sso_session": "corp", "sso_account_id": "111122223333", "sso_role_name": "Developer",
					"region": "us-west-2", "sso_credproc_login_timeout": "5m"}},
		},
		{
			file: "sso.ini", name: "legacy",
			want: Profile{Name: "legacy", StartURL: "https://legacy.awsapps.com/start", Region: "us-east-2",
				AccountID: "444455556666", RoleName: "ReadOnly"},
		},
		{
			file: "sso.ini", name: "plain-session",
			want: Profile{Name: "plain-session", SessionName: "noscopes", StartURL: "https://d-9999999999.awsapps.com/start",
				Region: "us-east-1", Scopes: []string{"sso:account:access"}, AccountID: "012345678901", RoleName: "R"},
		},
		{
			file: "sso.ini", name: "same-values",
			want: Profile{Name: "same-values", SessionName: "corp", StartURL: "https://d-1234567890.awsapps.com/start",
				Region: "eu-west-1", Scopes: corpScopes, AccountID: "111122223333", RoleName: "Developer"},
		},
		{
			// --account-id and --role-name override the profile's values.
			file: "sso.ini", name: "dev-sso", ov: Overrides{AccountID: "999988887777", RoleName: "Admin"},
			want: Profile{Name: "dev-sso", SessionName: "corp", StartURL: "https://d-1234567890.awsapps.com/start",
				Region: "eu-west-1", Scopes: corpScopes, AccountID: "999988887777", RoleName: "Admin"},
		},
		{
			// --sso-session replaces the profile's sso_session.
			file: "sso.ini", name: "dev-sso", ov: Overrides{SSOSession: "noscopes"},
			want: Profile{Name: "dev-sso", SessionName: "noscopes", StartURL: "https://d-9999999999.awsapps.com/start",
				Region: "us-east-1", Scopes: []string{"sso:account:access"}, AccountID: "111122223333", RoleName: "Developer"},
		},
		{
			// --start-url and --region override a legacy profile's values.
			file: "sso.ini", name: "legacy", ov: Overrides{StartURL: "https://other.awsapps.com/start", Region: "ap-south-1"},
			want: Profile{Name: "legacy", StartURL: "https://other.awsapps.com/start", Region: "ap-south-1",
				AccountID: "444455556666", RoleName: "ReadOnly"},
		},
		{
			// Quotes are kept, "#" and ";" are not comments, keys are
			// lower-cased, [DEFAULT] is merged, nested values are not settings.
			file: "syntax.ini", name: "spaced name",
			want: Profile{Name: "spaced name", SessionName: "corp eu", StartURL: "https://d-1234567890.awsapps.com/start",
				Region: "eu-west-1", Scopes: []string{"sso:account:access"}, AccountID: "111122223333",
				RoleName: "Admin",
				Settings: map[string]string{"cli_pager": "", "sso_session": "corp eu", "sso_account_id": "111122223333",
					"sso_role_name": "Admin", "note": "Admin#Ops ; not a comment", "description": "first line\nsecond line\n\nthird line, after a blank line",
					"mixed_case_key": "Value Keeps Case", "quoted": `'single' and "double"`}},
		},
		{
			file: "indented.ini", name: "indented",
			want: Profile{Name: "indented", SessionName: "corp", StartURL: "https://d-1234567890.awsapps.com/start",
				Region: "eu-west-1", Scopes: []string{"sso:account:access"}, AccountID: "222233334444", RoleName: "Indented"},
		},
		{
			// botocore: the later of [profile default] and [default] wins.
			file: "default-last.ini", name: "default",
			want: Profile{Name: "default", StartURL: "https://second.awsapps.com/start", Region: "us-east-2",
				AccountID: "222222222222", RoleName: "Second"},
		},
		{
			file: "profile-default-last.ini", name: "default",
			want: Profile{Name: "default", StartURL: "https://second.awsapps.com/start", Region: "us-east-2",
				AccountID: "222222222222", RoleName: "Second"},
		},
		{
			// Recursion guard, negative cases: these run something else.
			file: "recursion.ini", name: "other-profile",
			want: Profile{Name: "other-profile", SessionName: "corp", StartURL: "https://d-1234567890.awsapps.com/start",
				Region: "eu-west-1", Scopes: []string{"sso:account:access"}, AccountID: "111122223333", RoleName: "Developer",
				CredentialProcess: "sso-credproc --profile dev-sso"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.name, func(t *testing.T) {
			got, err := Load(fixture(tt.file), tt.name, tt.ov, envMap(nil))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			want := tt.want
			want.File = fixture(tt.file)
			if want.Policy == (Policy{}) {
				want.Policy = DefaultPolicy
			}
			if want.Settings == nil {
				want.Settings = got.Settings
			}
			if !reflect.DeepEqual(*got, want) {
				t.Errorf("got  %#v\nwant %#v", *got, want)
			}
			if got.Legacy() != (want.SessionName == "") {
				t.Errorf("Legacy() = %v", got.Legacy())
			}
		})
	}
}

// A profile whose credential_process runs sso-credproc for itself is
// served when it has SSO keys (the SDKs use the keys and never run the
// process; sso-credproc never runs one) and reported as bypassed; without
// SSO keys it is an error that names the loop.
func TestSelfPointingProfiles(t *testing.T) {
	for _, tc := range []struct {
		file, name string
		bypassed   bool
	}{
		{"self-pointing.ini", "aws-sso-util", true},
		{"self-pointing.ini", "with-session", true},
		{"self-pointing.ini", "elsewhere", true},
		{"self-pointing.ini", "other-tool", false},
		// [DEFAULT] gives every profile of recursion.ini its SSO keys.
		{"recursion.ini", "loop", true},
		{"recursion.ini", "loop-equals", true},
		{"recursion.ini", "loop spaced", true},
		{"recursion.ini", "loop-exe", true},
		{"recursion.ini", "loop-last", true},
		{"recursion.ini", "loop-multiline", true},
		{"recursion.ini", "other-profile", true},
		{"recursion.ini", "after-dashdash", true},
		{"recursion.ini", "flags-only", true},
		{"recursion.ini", "other-tool", false},
		{"recursion.ini", "bad-quotes", false},
		{"sso.ini", "dev-sso", false},
	} {
		t.Run(tc.file+"/"+tc.name, func(t *testing.T) {
			p, err := Load(fixture(tc.file), tc.name, Overrides{}, envMap(nil))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := p.CredentialProcessBypassed(); got != tc.bypassed {
				t.Errorf("CredentialProcessBypassed() = %v, want %v (credential_process %q)", got, tc.bypassed, p.CredentialProcess)
			}
		})
	}
	// A profile without SSO keys (sso-credproc's own keys are none) is
	// only a pointer back to itself.
	for name, header := range map[string]string{
		"no-keys":        "profile no-keys",
		"no keys spaced": `profile "no keys spaced"`,
		"policy-only":    "profile policy-only",
		"default":        "default",
	} {
		t.Run("loop/"+name, func(t *testing.T) {
			_, err := Load(fixture("self-pointing.ini"), name, Overrides{}, envMap(nil))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Load = %v, want *Error", err)
			}
			if e.File != fixture("self-pointing.ini") || e.Section != header || e.Key != "credential_process" ||
				!strings.Contains(e.Msg, "this same profile, which has no SSO settings") ||
				!strings.Contains(e.Hint, "credential_process = sso-credproc --profile") || !strings.Contains(e.Hint, "-sso") {
				t.Errorf("got %#v", e)
			}
		})
	}
	// Flags that complete the SSO settings serve such a profile.
	p, err := Load(fixture("self-pointing.ini"), "no-keys", Overrides{SSOSession: "corp", AccountID: "111122223333", RoleName: "R"}, envMap(nil))
	if err != nil || p.CredentialProcessBypassed() {
		t.Errorf("no-keys with flags: %v, bypassed %v", err, p != nil && p.CredentialProcessBypassed())
	}
	// A profile without SSO keys pointing at another profile is not
	// bypassed, and the missing-keys error suggests the target.
	if p, err := Load(fixture("sso.ini"), "dev", Overrides{SSOSession: "corp", AccountID: "111122223333", RoleName: "R"}, envMap(nil)); err != nil || p.CredentialProcessBypassed() {
		t.Errorf("dev: %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	errorsIni := fixture("errors.ini")
	tests := []struct {
		name    string
		file    string // fixture; "" = no file
		profile string
		ov      Overrides
		env     map[string]string

		wantFile, section, key string
		msg, hint              string // substrings
		notFound               bool
	}{
		{name: "missing sso-session", file: "errors.ini", profile: "no-session",
			wantFile: errorsIni, section: "profile no-session", key: "sso_session",
			msg: `the specified sso-session does not exist: "nope"`, hint: "available sso-sessions: corp, partial"},
		{name: "region differs from session", file: "errors.ini", profile: "inconsistent-region",
			wantFile: errorsIni, section: "profile inconsistent-region", key: "sso_region",
			msg: `the value for sso_region is inconsistent between profile ("us-east-1") and [sso-session corp] ("eu-west-1")`},
		{name: "start URL differs from session", file: "errors.ini", profile: "inconsistent-url",
			wantFile: errorsIni, section: "profile inconsistent-url", key: "sso_start_url",
			msg: "the value for sso_start_url is inconsistent between profile"},
		{name: "any key differing from the session (botocore checks them all)", file: "errors.ini", profile: "inconsistent-scopes",
			wantFile: errorsIni, section: "profile inconsistent-scopes", key: "sso_registration_scopes", msg: "is inconsistent"},
		{name: "legacy without account", file: "errors.ini", profile: "missing-account",
			wantFile: errorsIni, section: "profile missing-account", key: "sso_account_id",
			msg: "missing the following required SSO configuration values: sso_account_id", hint: "sso_account_id in [profile missing-account]"},
		{name: "legacy without region", file: "errors.ini", profile: "missing-region",
			wantFile: errorsIni, section: "profile missing-region", key: "sso_region",
			msg: "missing the following required SSO configuration values: sso_region"},
		{name: "session without start URL", file: "errors.ini", profile: "session-missing-url",
			wantFile: errorsIni, section: "sso-session partial", key: "sso_start_url",
			msg: "values: sso_start_url", hint: "sso_start_url in [sso-session partial]"},
		{name: "start URL without scheme", file: "errors.ini", profile: "bad-url",
			wantFile: errorsIni, section: "profile bad-url", key: "sso_start_url", msg: "is not an absolute https URL"},
		{name: "start URL with another scheme", file: "errors.ini", profile: "ftp-url",
			wantFile: errorsIni, section: "profile ftp-url", key: "sso_start_url", msg: "is not an absolute https URL"},
		{name: "empty role name", file: "errors.ini", profile: "empty-role",
			wantFile: errorsIni, section: "profile empty-role", key: "sso_role_name", msg: "values: sso_role_name"},
		{name: "nested value for a single-valued key", file: "errors.ini", profile: "nested-region",
			wantFile: errorsIni, section: "profile nested-region", key: "sso_region", msg: "must be a single value"},
		{name: "profile without SSO settings", file: "errors.ini", profile: "not-sso",
			wantFile: errorsIni, section: "profile not-sso", key: "sso_role_name",
			msg:  "values: sso_role_name, sso_account_id, sso_start_url, sso_region",
			hint: "has no SSO settings; set them with: aws configure sso --profile not-sso"},
		{name: "profile that points at another one", file: "errors.ini", profile: "pointer",
			wantFile: errorsIni, section: "profile pointer", key: "sso_role_name", hint: "did you mean --profile dev-sso?"},
		{name: "unknown profile", file: "errors.ini", profile: "nope",
			wantFile: errorsIni, msg: `profile "nope" not found`, notFound: true,
			hint: "available profiles: bad-url, empty-role, ftp-url"},
		{name: "header with extra words is no profile", file: "syntax.ini", profile: "too many words",
			wantFile: fixture("syntax.ini"), notFound: true, hint: `"spaced name"`},
		{name: "indented header inside a value is no profile", file: "syntax.ini", profile: "indented",
			wantFile: fixture("syntax.ini"), notFound: true},
		{name: "many profiles are listed up to 10", file: "recursion.ini", profile: "nope",
			wantFile: fixture("recursion.ini"), notFound: true, hint: "(and 1 more)"},
		{name: "flag --region differs from session", file: "sso.ini", profile: "dev-sso", ov: Overrides{Region: "us-east-1"},
			wantFile: fixture("sso.ini"), key: "--region",
			msg: `the value for sso_region is inconsistent between --region ("us-east-1") and [sso-session corp] ("eu-west-1")`},
		{name: "flag --sso-session names no session", file: "sso.ini", ov: Overrides{SSOSession: "nope", AccountID: "111122223333", RoleName: "R"},
			wantFile: fixture("sso.ini"), key: "--sso-session", msg: `the specified sso-session does not exist: "nope"`,
			hint: "available sso-sessions: corp, noscopes"},
		{name: "flag --sso-session without account and role", file: "sso.ini", ov: Overrides{SSOSession: "corp"},
			msg: "values: sso_role_name, sso_account_id", hint: "set --role-name, --account-id"},
		{name: "flags without account", ov: Overrides{StartURL: "https://x.awsapps.com/start", Region: "us-east-1", RoleName: "R"},
			msg: "values: sso_account_id", hint: "set --account-id"},
		{name: "flag --start-url that is no URL", ov: Overrides{StartURL: "x.awsapps.com", Region: "us-east-1", AccountID: "111122223333", RoleName: "R"},
			key: "--start-url", msg: `"x.awsapps.com" is not an absolute https URL`},
		{name: "no profile and no flags", msg: "no profile given", hint: "--profile NAME"},
		{name: "a services section that does not exist", file: "endpoints.ini", profile: "missing-services",
			wantFile: fixture("endpoints.ini"), section: "profile missing-services", key: "services",
			msg: `the "nope" services configuration does not exist`, hint: "available services sections: empty, flat, local, oidc-only"},
		{name: "an empty services section counts as missing", file: "endpoints.ini", profile: "empty-services",
			wantFile: fixture("endpoints.ini"), section: "profile empty-services", key: "services", msg: `the "empty" services configuration does not exist`},
		{name: "a services entry that is not nested", file: "endpoints.ini", profile: "flat-services",
			wantFile: fixture("endpoints.ini"), section: "services flat", key: "sso_oidc", msg: "must be an indented block"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.file != "" {
				path = fixture(tt.file)
			}
			p, err := Load(path, tt.profile, tt.ov, envMap(tt.env))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Load = %+v, %v; want *Error", p, err)
			}
			if p != nil {
				t.Errorf("Load returned a profile with an error")
			}
			if e.File != tt.wantFile || e.Section != tt.section || e.Key != tt.key {
				t.Errorf("file %q section %q key %q; want %q %q %q (%v)", e.File, e.Section, e.Key, tt.wantFile, tt.section, tt.key, e)
			}
			if !strings.Contains(e.Msg, tt.msg) || !strings.Contains(e.Hint, tt.hint) {
				t.Errorf("msg %q hint %q; want them to contain %q and %q", e.Msg, e.Hint, tt.msg, tt.hint)
			}
			if errors.Is(err, ErrProfileNotFound) != tt.notFound {
				t.Errorf("errors.Is(err, ErrProfileNotFound) = %v, want %v", !tt.notFound, tt.notFound)
			}
			if s := err.Error(); strings.Contains(s, "\n") || strings.HasSuffix(s, ".") {
				t.Errorf("Error() is not one line without a trailing period: %q", s)
			}
		})
	}
}

func TestLoadParseErrors(t *testing.T) {
	tests := []struct {
		file, section, key, msg string
	}{
		{"dup-section.ini", "profile a", "", "line 7: duplicate section (first at line 1)"},
		{"dup-key.ini", "profile a", "region", "line 4: duplicate key (first at line 2)"},
		{"no-header.ini", "", "", `line 2: "region = x" comes before the first [section] header`},
		{"bad-line.ini", "profile a", "", `line 3: "this line has no delimiter" has no "=": a setting is written key = value`},
		{"bad-nested.ini", "profile a", "s3", `line 3: nested value line "addressing_style : path" has no "="`},
		{"bom.ini", "", "", "line 1: the file starts with a UTF-8 byte order mark"},
		{"unclosed-header.ini", "profile a", "", `line 3: "[profile x" is not a section header: missing "]"`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			// The profile exists in each file: the parse error must come first.
			_, err := Load(fixture(tt.file), "a", Overrides{}, envMap(nil))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Load = %v, want *Error", err)
			}
			if e.File != fixture(tt.file) || e.Section != tt.section || e.Key != tt.key || !strings.Contains(e.Msg, tt.msg) {
				t.Errorf("got %q (section %q key %q), want section %q key %q msg %q", e.Error(), e.Section, e.Key, tt.section, tt.key, tt.msg)
			}
			if errors.Is(err, ErrProfileNotFound) {
				t.Errorf("a parse error is not ErrProfileNotFound")
			}
		})
	}
}

func TestLineEndings(t *testing.T) {
	data, err := os.ReadFile(fixture("sso.ini"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := Load(fixture("sso.ini"), "dev-sso", Overrides{}, envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	for name, eol := range map[string]string{"crlf": "\r\n", "cr": "\r"} {
		path := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(data), "\n", eol)), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := Load(path, "dev-sso", Overrides{}, envMap(nil))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got.File = want.File
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %+v, want %+v", name, got, want)
		}
	}
}

func TestEndpoints(t *testing.T) {
	const (
		svcOIDC   = "http://127.0.0.1:4000/oidc"
		svcPortal = "http://127.0.0.1:4000/portal"
		global    = "http://global.local"
	)
	tests := []struct {
		name, profile        string
		env                  map[string]string
		wantOIDC, wantPortal string
	}{
		{"nothing configured", "none", nil, "", ""},
		{"AWS_ENDPOINT_URL", "none", map[string]string{"AWS_ENDPOINT_URL": "http://env"}, "http://env", "http://env"},
		{"service variables beat AWS_ENDPOINT_URL", "none",
			map[string]string{"AWS_ENDPOINT_URL_SSO_OIDC": "http://env-oidc", "AWS_ENDPOINT_URL": "http://env"}, "http://env-oidc", "http://env"},
		{"AWS_ENDPOINT_URL_SSO is the portal's", "none", map[string]string{"AWS_ENDPOINT_URL_SSO": "http://env-portal"}, "", "http://env-portal"},
		{"services section beats endpoint_url", "svc", nil, svcOIDC, svcPortal},
		{"environment beats the services section", "svc",
			map[string]string{"AWS_ENDPOINT_URL_SSO": "http://env-portal"}, svcOIDC, "http://env-portal"},
		{"AWS_ENDPOINT_URL beats the services section", "svc", map[string]string{"AWS_ENDPOINT_URL": "http://env"}, "http://env", "http://env"},
		{"services section for one service, endpoint_url for the other; nested keys are case-sensitive", "svc-partial", nil,
			"http://oidc-only.local", global},
		{"profile endpoint_url", "global", nil, global, global},
		{"ignore_configured_endpoint_urls in the profile (any case)", "ignored", nil, "", ""},
		{"the ignore switch also turns the environment off", "ignored", map[string]string{"AWS_ENDPOINT_URL": "http://env"}, "", ""},
		{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=false beats the profile's true", "ignored",
			map[string]string{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "false"}, svcOIDC, svcPortal},
		{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=True", "svc",
			map[string]string{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "True", "AWS_ENDPOINT_URL_SSO": "http://env"}, "", ""},
		{"ignore_configured_endpoint_urls = false in the profile", "not-ignored", nil, global, global},
		{"an empty variable is unset", "ignored", map[string]string{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": ""}, "", ""},
		{"a missing services section is not looked at when the environment answers", "missing-services",
			map[string]string{"AWS_ENDPOINT_URL": "http://env"}, "http://env", "http://env"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Load(fixture("endpoints.ini"), tt.profile, Overrides{}, envMap(tt.env))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if p.OIDCEndpoint != tt.wantOIDC || p.PortalEndpoint != tt.wantPortal {
				t.Errorf("OIDC %q portal %q, want %q %q", p.OIDCEndpoint, p.PortalEndpoint, tt.wantOIDC, tt.wantPortal)
			}
		})
	}
}

// The console's federation endpoint (AWS Sign-In, service id signin) is
// overridden as the SSO endpoints are.
func TestSigninEndpoint(t *testing.T) {
	tests := []struct {
		name, profile string
		env           map[string]string
		want          string
	}{
		{"nothing configured", "none", nil, ""},
		{"AWS_ENDPOINT_URL_SIGNIN", "none", map[string]string{"AWS_ENDPOINT_URL_SIGNIN": "http://env-signin", "AWS_ENDPOINT_URL_SSO": "http://env-portal"}, "http://env-signin"},
		{"AWS_ENDPOINT_URL", "none", map[string]string{"AWS_ENDPOINT_URL": "http://env"}, "http://env"},
		{"AWS_ENDPOINT_URL_SIGNIN beats AWS_ENDPOINT_URL", "svc",
			map[string]string{"AWS_ENDPOINT_URL_SIGNIN": "http://env-signin", "AWS_ENDPOINT_URL": "http://env"}, "http://env-signin"},
		{"the services section's signin key", "svc", nil, "http://127.0.0.1:4000/signin"},
		{"endpoint_url when the services section has no signin key", "svc-partial", nil, "http://global.local"},
		{"profile endpoint_url", "global", nil, "http://global.local"},
		{"ignored", "ignored", map[string]string{"AWS_ENDPOINT_URL_SIGNIN": "http://env-signin"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Load(fixture("endpoints.ini"), tt.profile, Overrides{}, envMap(tt.env))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if p.SigninEndpoint != tt.want {
				t.Errorf("SigninEndpoint %q, want %q", p.SigninEndpoint, tt.want)
			}
		})
	}
}

func TestFlagsOnly(t *testing.T) {
	full := Overrides{StartURL: "https://d-1234567890.awsapps.com/start", Region: "us-east-1", AccountID: "111122223333", RoleName: "Admin"}
	missing := filepath.Join(t.TempDir(), "nope", "config")
	for _, path := range []string{"", missing, fixture("sso.ini")} {
		p, err := Load(path, "", full, envMap(map[string]string{"AWS_ENDPOINT_URL_SSO_OIDC": "http://oidc"}))
		if err != nil {
			t.Fatalf("path %q: %v", path, err)
		}
		want := Profile{StartURL: full.StartURL, Region: full.Region, AccountID: full.AccountID, RoleName: full.RoleName,
			OIDCEndpoint: "http://oidc", Policy: DefaultPolicy, Settings: map[string]string{}}
		if !reflect.DeepEqual(*p, want) {
			t.Errorf("path %q: got %#v, want %#v", path, *p, want)
		}
		if !p.Legacy() {
			t.Errorf("a profile from --start-url and --region is legacy-style")
		}
	}

	// --sso-session without a profile reads the session from the file.
	p, err := Load(fixture("sso.ini"), "", Overrides{SSOSession: "corp", AccountID: "111122223333", RoleName: "R"}, envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := Profile{File: fixture("sso.ini"), SessionName: "corp", StartURL: "https://d-1234567890.awsapps.com/start",
		Region: "eu-west-1", Scopes: []string{"sso:account:access", "codewhisperer:completions"}, AccountID: "111122223333", RoleName: "R",
		Policy: DefaultPolicy, Settings: map[string]string{}}
	if !reflect.DeepEqual(*p, want) {
		t.Errorf("got %#v, want %#v", *p, want)
	}

	// ... and needs the file.
	_, err = Load(missing, "", Overrides{SSOSession: "corp", AccountID: "111122223333", RoleName: "R"}, envMap(nil))
	var e *Error
	if !errors.As(err, &e) || e.Key != "--sso-session" || !strings.Contains(e.Hint, "does not exist") {
		t.Errorf("--sso-session with a missing file: %v (%#v)", err, e)
	}
	if _, err := os.Stat(filepath.Dir(missing)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load created %s", filepath.Dir(missing))
	}
}

func TestMissingFile(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "aws", "config")
	for _, path := range []string{missing, dir, ""} {
		_, err := Load(path, "dev", Overrides{}, envMap(nil))
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, ErrProfileNotFound) {
			t.Fatalf("path %q: Load = %v, want *Error wrapping ErrProfileNotFound", path, err)
		}
		if path != "" && !strings.Contains(e.Hint, "does not exist") {
			t.Errorf("path %q: hint %q should say the file is missing", path, e.Hint)
		}
		if path == "" && !strings.Contains(e.Hint, "no config file") {
			t.Errorf("hint %q", e.Hint)
		}
	}
	if _, err := os.Stat(filepath.Dir(missing)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load created %s", filepath.Dir(missing))
	}
}

func TestUnreadableFile(t *testing.T) {
	dir := t.TempDir()
	// A path through a regular file cannot be read, even by root.
	notDir := filepath.Join(dir, "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	paths := []string{filepath.Join(notDir, "config")}
	if os.Geteuid() != 0 {
		locked := filepath.Join(dir, "locked")
		if err := os.WriteFile(locked, []byte("[profile a]\n"), 0o000); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, locked)
	}
	for _, path := range paths {
		_, err := Load(path, "a", Overrides{}, envMap(nil))
		var e *Error
		if !errors.As(err, &e) || e.File != path || e.Err == nil || errors.Is(err, ErrProfileNotFound) ||
			!strings.HasPrefix(e.Error(), path+": cannot read the config file: ") || strings.Count(e.Error(), path) != 1 {
			t.Errorf("Load(%q) = %v; want an *Error naming the file and wrapping the OS error", path, err)
		}
	}
}

func TestConfigPath(t *testing.T) {
	sep := string(filepath.Separator)
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"HOME": "/home/u"}, filepath.Join("/home/u", ".aws", "config")},
		{map[string]string{"HOME": "/home/u", "AWS_CONFIG_FILE": "/etc/aws"}, "/etc/aws"},
		{map[string]string{"HOME": "/home/u/", "AWS_CONFIG_FILE": "~/cfg"}, "/home/u/cfg"},
		{map[string]string{"HOME": "/home/u", "AWS_CONFIG_FILE": "~"}, "/home/u"},
		{map[string]string{"DIR": "/d", "AWS_CONFIG_FILE": "$DIR/config"}, "/d/config"},
		{map[string]string{"DIR": "/d", "AWS_CONFIG_FILE": "${DIR}x/$NOPE/${}/$"}, "/dx/$NOPE/${}/$"},
		{map[string]string{"HOME": "/h", "D": "~", "AWS_CONFIG_FILE": "$D/c"}, "/h/c"},
	}
	for _, tt := range tests {
		if got := ConfigPath(envMap(tt.env)); got != tt.want && got != strings.ReplaceAll(tt.want, "/", sep) {
			t.Errorf("ConfigPath(%v) = %q, want %q", tt.env, got, tt.want)
		}
	}
}

func TestLoadExpandsPath(t *testing.T) {
	home := t.TempDir()
	data, err := os.ReadFile(fixture("sso.ini"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "config"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := Load("~/config", "legacy", Overrides{}, envMap(map[string]string{"HOME": home}))
	if err != nil {
		t.Fatal(err)
	}
	if p.File != filepath.Join(home, "config") {
		t.Errorf("File = %q", p.File)
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		e    *Error
		want string
	}{
		{&Error{File: "~/.aws/config", Section: "profile dev-sso", Key: "sso_region", Msg: `value "us-east-1" differs from [sso-session corp] value "eu-west-1"`, Hint: "not shown"},
			`~/.aws/config: [profile dev-sso]: sso_region: value "us-east-1" differs from [sso-session corp] value "eu-west-1"`},
		{&Error{File: "f", Err: ErrProfileNotFound}, "f: profile not found"},
		{&Error{Key: "--region", Msg: "m"}, "--region: m"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
	var err error = &Error{Msg: "x", Err: ErrProfileNotFound}
	if !errors.Is(err, ErrProfileNotFound) {
		t.Errorf("Unwrap does not reach the sentinel")
	}
}

func TestListNames(t *testing.T) {
	m := map[string]*section{"b": nil, "a": nil, "my dev": nil}
	if got, want := listNames(m), `a, b, "my dev"`; got != want {
		t.Errorf("listNames = %q, want %q", got, want)
	}
}
