package profile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// loadText writes text as a config file and loads profile name from it.
func loadText(t *testing.T, text, name string, ov Overrides, env map[string]string) (*Profile, string, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := Load(path, name, ov, envMap(env))
	return p, path, err
}

func str(s string) *string { return &s }

// ssoConfig is a working sso-session profile; extra lines go into the
// profile section, session lines into the sso-session.
func ssoConfig(extra, session string) string {
	return "[profile dev-sso]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Dev\n" + extra +
		"\n[sso-session corp]\nsso_start_url = https://d-1234567890.awsapps.com/start\nsso_region = eu-west-1\n" + session
}

func TestPolicy(t *testing.T) {
	def := DefaultPolicy
	with := func(f func(*Policy)) Policy { p := def; f(&p); return p }
	tests := []struct {
		name          string
		profile, sess string
		ov            Overrides
		want          Policy
	}{
		{name: "defaults", want: def},
		{name: "defaults equal the documented ones", want: Policy{LoginTimeout: 5 * time.Minute, RefreshWindow: 15 * time.Minute,
			MinCredentialTTL: 15 * time.Minute, ClockSkew: time.Minute}},
		{name: "every key in the profile", profile: "sso_credproc_use_device_code = true\nsso_credproc_login_timeout = 90s\n" +
			"sso_credproc_refresh_window = 1h\nsso_credproc_min_credential_ttl = 900\nsso_credproc_clock_skew = 0\n",
			want: Policy{UseDeviceCode: true, LoginTimeout: 90 * time.Second, RefreshWindow: time.Hour, MinCredentialTTL: 15 * time.Minute}},
		{name: "keys in the sso-session apply", sess: "sso_credproc_login_timeout = 10m\nsso_credproc_use_device_code = TRUE\n",
			want: with(func(p *Policy) { p.LoginTimeout, p.UseDeviceCode = 10*time.Minute, true })},
		{name: "the profile wins over the sso-session, no inconsistency",
			profile: "sso_credproc_login_timeout = 2m\nsso_credproc_use_device_code = false\n",
			sess:    "sso_credproc_login_timeout = 10m\nsso_credproc_use_device_code = true\n",
			want:    with(func(p *Policy) { p.LoginTimeout = 2 * time.Minute })},
		{name: "flags win over the profile", profile: "sso_credproc_login_timeout = 2m\nsso_credproc_use_device_code = True\n",
			ov:   Overrides{LoginTimeout: str("30s"), UseDeviceCode: str("false"), ClockSkew: str("0s"), RefreshWindow: str("20m"), MinCredentialTTL: str("3600")},
			want: Policy{LoginTimeout: 30 * time.Second, RefreshWindow: 20 * time.Minute, MinCredentialTTL: time.Hour}},
		{name: "--use-device-code alone", ov: Overrides{UseDeviceCode: str("true")}, want: with(func(p *Policy) { p.UseDeviceCode = true })},
		{name: "an empty value is not set", profile: "sso_credproc_login_timeout =\nsso_credproc_use_device_code =\n", want: def},
		{name: "bounds are inclusive", profile: "sso_credproc_login_timeout = 1s\nsso_credproc_clock_skew = 1h\n" +
			"sso_credproc_refresh_window = 24h\nsso_credproc_min_credential_ttl = 12h\n",
			want: Policy{LoginTimeout: time.Second, RefreshWindow: 24 * time.Hour, MinCredentialTTL: 12 * time.Hour, ClockSkew: time.Hour}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _, err := loadText(t, ssoConfig(tt.profile, tt.sess), "dev-sso", tt.ov, nil)
			if err != nil {
				t.Fatal(err)
			}
			if p.Policy != tt.want {
				t.Errorf("Policy = %+v, want %+v", p.Policy, tt.want)
			}
		})
	}
	// [DEFAULT] keys reach both sections.
	p, _, err := loadText(t, "[DEFAULT]\nsso_credproc_clock_skew = 5m\n"+ssoConfig("", ""), "dev-sso", Overrides{}, nil)
	if err != nil || p.Policy.ClockSkew != 5*time.Minute {
		t.Errorf("[DEFAULT]: %v, %+v", err, p)
	}
}

// wantErr checks an *Error: file ("" none, "config" the loaded file),
// section, key exactly; msg and hint as substrings.
type wantErr struct{ file, section, key, msg, hint string }

func (w wantErr) check(t *testing.T, err error, path string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v, want *Error", err)
	}
	file := ""
	if w.file == "config" {
		file = path
	}
	if e.File != file || e.Section != w.section || e.Key != w.key {
		t.Errorf("file %q section %q key %q, want %q %q %q (%v)", e.File, e.Section, e.Key, file, w.section, w.key, e)
	}
	if !strings.Contains(e.Msg, w.msg) || !strings.Contains(e.Hint, w.hint) || e.Hint == "" {
		t.Errorf("msg %q hint %q, want them to contain %q and %q", e.Msg, e.Hint, w.msg, w.hint)
	}
	if s := e.Error(); strings.ContainsAny(s, "\r\n") {
		t.Errorf("Error() is not one line: %q", s)
	}
}

func TestPolicyErrors(t *testing.T) {
	const prof = "profile dev-sso"
	tests := []struct {
		name          string
		text          string // the whole file; "" = ssoConfig(profile, sess)
		profile, sess string
		load          string // profile to load; "" = dev-sso
		ov            Overrides
		want          wantErr
	}{
		{name: "use_device_code = yes", profile: "sso_credproc_use_device_code = yes\n",
			want: wantErr{"config", prof, "sso_credproc_use_device_code", `"yes" is not true or false`, "true or false"}},
		{name: "use_device_code = banana in the sso-session", sess: "sso_credproc_use_device_code = banana\n",
			want: wantErr{"config", "sso-session corp", "sso_credproc_use_device_code", `"banana" is not true or false`, "any case"}},
		{name: "use_device_code = 1", profile: "sso_credproc_use_device_code = 1\n",
			want: wantErr{"config", prof, "sso_credproc_use_device_code", `"1" is not true or false`, "true or false"}},
		{name: "not a duration", profile: "sso_credproc_login_timeout = soon\n",
			want: wantErr{"config", prof, "sso_credproc_login_timeout", `"soon" is not a duration such as 90s or 15m, or whole seconds`, "from 1s to 1h"}},
		{name: "negative duration", profile: "sso_credproc_refresh_window = -1m\n",
			want: wantErr{"config", prof, "sso_credproc_refresh_window", `"-1m" is negative`, "from 0s to 24h"}},
		{name: "negative seconds", profile: "sso_credproc_min_credential_ttl = -60\n",
			want: wantErr{"config", prof, "sso_credproc_min_credential_ttl", `"-60" is negative`, "to 12h"}},
		{name: "clock skew negative in the sso-session", sess: "sso_credproc_clock_skew = -5m\n",
			want: wantErr{"config", "sso-session corp", "sso_credproc_clock_skew", `"-5m" is negative`, "to 1h"}},
		{name: "login timeout below 1s", profile: "sso_credproc_login_timeout = 0\n",
			want: wantErr{"config", prof, "sso_credproc_login_timeout", `"0" is less than 1s`, "from 1s"}},
		{name: "login timeout above 1h", profile: "sso_credproc_login_timeout = 2h\n",
			want: wantErr{"config", prof, "sso_credproc_login_timeout", `"2h" is more than 1h`, "to 1h"}},
		{name: "seconds that overflow a duration", profile: "sso_credproc_clock_skew = 99999999999999999\n",
			want: wantErr{"config", prof, "sso_credproc_clock_skew", "is not a duration", "to 1h"}},
		{name: "an inline comment is part of the value", profile: "sso_credproc_login_timeout = 5m # five minutes\n",
			want: wantErr{"config", prof, "sso_credproc_login_timeout", `"5m # five minutes" is not a duration`, "comments included"}},
		{name: "a bad value is an error even where a flag overrides it", profile: "sso_credproc_login_timeout = soon\n",
			ov:   Overrides{LoginTimeout: str("1m")},
			want: wantErr{"config", prof, "sso_credproc_login_timeout", `"soon"`, "1s to 1h"}},
		{name: "a nested value", profile: "sso_credproc_login_timeout =\n  a = b\n",
			want: wantErr{"config", prof, "sso_credproc_login_timeout", "must be a single value", ""}},
		{name: "a typo in the profile", profile: "sso_credproc_login_timout = 5m\n",
			want: wantErr{"config", prof, "sso_credproc_login_timout", "is not a setting of sso-credproc", "did you mean sso_credproc_login_timeout? known keys: sso_credproc_use_device_code, sso_credproc_login_timeout"}},
		{name: "a typo in the sso-session", sess: "sso_credproc_use_devicecode = true\n",
			want: wantErr{"config", "sso-session corp", "sso_credproc_use_devicecode", "is not a setting", "did you mean sso_credproc_use_device_code?"}},
		{name: "an unknown key far from any known one", profile: "sso_credproc_colour = blue\n",
			want: wantErr{"config", prof, "sso_credproc_colour", "is not a setting", "known keys: "}},
		{name: "the header as written: [default]",
			text: "[default]\nsso_start_url = https://x.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = 111122223333\nsso_role_name = R\nsso_credproc_clock_skew = -1s\n",
			load: "default", want: wantErr{"config", "default", "sso_credproc_clock_skew", "is negative", ""}},
		{name: "the header as written: [profile  \"my dev\"]",
			text: "[profile  \"my dev\"]\nsso_start_url = https://x.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = 111122223333\nsso_role_name = R\nsso_credproc_use_device_code = on\n",
			load: "my dev", want: wantErr{"config", `profile  "my dev"`, "sso_credproc_use_device_code", `"on"`, ""}},
		{name: "a key from [DEFAULT] names [DEFAULT]", text: "[DEFAULT]\nsso_credproc_login_timeout = forever\n" + ssoConfig("", ""),
			want: wantErr{"config", "DEFAULT", "sso_credproc_login_timeout", `"forever"`, ""}},

		{name: "--login-timeout -1s", ov: Overrides{LoginTimeout: str("-1s")},
			want: wantErr{"", "", "--login-timeout", `"-1s" is negative`, "e.g. --login-timeout 5m"}},
		{name: "--clock-skew -5m", ov: Overrides{ClockSkew: str("-5m")},
			want: wantErr{"", "", "--clock-skew", `"-5m" is negative`, "e.g. --clock-skew 1m"}},
		{name: "--login-timeout soon", ov: Overrides{LoginTimeout: str("soon")},
			want: wantErr{"", "", "--login-timeout", `"soon" is not a duration`, "90s"}},
		{name: "--login-timeout empty", ov: Overrides{LoginTimeout: str("")},
			want: wantErr{"", "", "--login-timeout", `"" is not a duration`, ""}},
		{name: "--refresh-window above 24h", ov: Overrides{RefreshWindow: str("25h")},
			want: wantErr{"", "", "--refresh-window", `"25h" is more than 24h`, ""}},
		{name: "--use-device-code=1", ov: Overrides{UseDeviceCode: str("1")},
			want: wantErr{"", "", "--use-device-code", `"1" is not true or false`, "--use-device-code=false"}},
		{name: "a browser command with an open quote", profile: "sso_credproc_browser = firefox '%s\n",
			want: wantErr{"config", prof, "sso_credproc_browser", `"firefox '%s" is not a command: a quote is not closed`, "open -a Safari %s"}},
		{name: "a browser list with a bad entry", profile: "sso_credproc_browser = firefox" + string(filepath.ListSeparator) + "b %s %s\n",
			want: wantErr{"config", prof, "sso_credproc_browser", `is not a command: its entry "b %s %s": "%s" appears more than once`, "open -a Safari %s"}},
		{name: "--browser with %s inside a word", ov: Overrides{Browser: str("chromium --app=%s")},
			want: wantErr{"", "", "--browser", `"%s" must be an argument of its own`, "open -a Safari %s"}},
		{name: "flags are checked before the file is read", text: "[profile x\n", ov: Overrides{MinCredentialTTL: str("-1s")},
			want: wantErr{"", "", "--min-credential-ttl", "is negative", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := tt.text
			if text == "" {
				text = ssoConfig(tt.profile, tt.sess)
			}
			name := tt.load
			if name == "" {
				name = "dev-sso"
			}
			p, path, err := loadText(t, text, name, tt.ov, nil)
			if p != nil {
				t.Fatalf("Load returned a profile: %+v", p.Policy)
			}
			tt.want.check(t, err, path)
		})
	}
}

func TestValueChecks(t *testing.T) {
	legacy := func(account, region, role string) string {
		return "[profile legacy]\nsso_start_url = https://x.awsapps.com/start\nsso_region = " + region +
			"\nsso_account_id = " + account + "\nsso_role_name = " + role + "\n"
	}
	role64 := strings.Repeat("a", 64)
	tests := []struct {
		name string
		text string
		ov   Overrides
		want wantErr // zero: no error
	}{
		{name: "valid values", text: legacy("012345678901", "us-gov-west-1", "Admin_Role+=,.@-1")},
		{name: "a 64-character role name", text: legacy("111122223333", "cn-north-1", role64)},
		{name: "account id of 4 digits", text: legacy("1234", "us-east-1", "R"),
			want: wantErr{"config", "profile legacy", "sso_account_id", `"1234" is not an AWS account id: 12 digits`, "correct the value of sso_account_id in [profile legacy]"}},
		{name: "account id of 13 digits", text: legacy("1111222233334", "us-east-1", "R"),
			want: wantErr{"config", "profile legacy", "sso_account_id", `"1111222233334" is not an AWS account id`, ""}},
		{name: "quoted account id", text: legacy(`"111122223333"`, "us-east-1", "R"),
			want: wantErr{"config", "profile legacy", "sso_account_id", `"\"111122223333\""`, "keeps quotes"}},
		{name: "region with an inline comment", text: legacy("111122223333", "us-east-1 ; N. Virginia", "R"),
			want: wantErr{"config", "profile legacy", "sso_region", `"us-east-1 ; N. Virginia" is not an AWS region name`, "comments included"}},
		{name: "region in capitals", text: legacy("111122223333", "US-EAST-1", "R"),
			want: wantErr{"config", "profile legacy", "sso_region", `"US-EAST-1" is not an AWS region name`, ""}},
		{name: "role name with a space", text: legacy("111122223333", "us-east-1", "Power User"),
			want: wantErr{"config", "profile legacy", "sso_role_name", `"Power User" is not a permission set (role) name`, ""}},
		{name: "role name of 65 characters", text: legacy("111122223333", "us-east-1", role64+"a"),
			want: wantErr{"config", "profile legacy", "sso_role_name", "is not a permission set", ""}},
		{name: "region from the sso-session names the sso-session", text: ssoConfig("", "")[:strings.Index(ssoConfig("", ""), "sso_region")] + "sso_region = eu-west-1 # Ireland\n",
			want: wantErr{"config", "sso-session corp", "sso_region", `"eu-west-1 # Ireland"`, "comments included"}},
		{name: "--account-id 1234", text: legacy("111122223333", "us-east-1", "R"), ov: Overrides{AccountID: "1234"},
			want: wantErr{"", "", "--account-id", `"1234" is not an AWS account id`, "correct the value of --account-id"}},
		{name: "--region us_east_1", text: legacy("111122223333", "us-east-1", "R"), ov: Overrides{Region: "us_east_1"},
			want: wantErr{"", "", "--region", `"us_east_1" is not an AWS region name`, "--region"}},
		{name: "--role-name with a slash", text: legacy("111122223333", "us-east-1", "R"), ov: Overrides{RoleName: "a/b"},
			want: wantErr{"", "", "--role-name", `"a/b" is not a permission set`, "--role-name"}},
		{name: "a valid flag replaces a bad file value", text: legacy("1234", "us-east-1", "R"), ov: Overrides{AccountID: "111122223333"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := "legacy"
			if strings.Contains(tt.text, "dev-sso") {
				name = "dev-sso"
			}
			p, path, err := loadText(t, tt.text, name, tt.ov, nil)
			if tt.want == (wantErr{}) {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if p != nil {
				t.Errorf("Load returned a profile with an error")
			}
			tt.want.check(t, err, path)
		})
	}
}

func TestRegionPattern(t *testing.T) {
	for _, r := range []string{"us-east-1", "eu-west-3", "us-gov-west-1", "cn-north-1", "cn-northwest-1", "eu-isoe-west-1",
		"us-iso-east-1", "us-isob-east-1", "ap-southeast-5", "il-central-1", "eusc-de-east-1"} {
		if msg := checkRegion(r); msg != "" {
			t.Errorf("checkRegion(%q) = %q", r, msg)
		}
	}
	for _, r := range []string{"", "us-east", "useast1", "us-east-1a", "US-EAST-1", "us_east_1", "us-east-1 ", "local", "-us-east-1", "us--east-1"} {
		if checkRegion(r) == "" {
			t.Errorf("checkRegion(%q) accepted it", r)
		}
	}
}

func TestBooleans(t *testing.T) {
	base := ssoConfig("", "")
	tests := []struct {
		name            string
		profile         string
		env             map[string]string
		fips, dualStack bool
		want            wantErr
	}{
		{name: "nothing set"},
		{name: "env true", env: map[string]string{"AWS_USE_FIPS_ENDPOINT": "true", "AWS_USE_DUALSTACK_ENDPOINT": "TRUE"}, fips: true, dualStack: true},
		{name: "profile True", profile: "use_fips_endpoint = True\nuse_dualstack_endpoint = true\n", fips: true, dualStack: true},
		{name: "env false wins over profile true", profile: "use_fips_endpoint = true\n",
			env: map[string]string{"AWS_USE_FIPS_ENDPOINT": "false"}},
		{name: "env true wins over profile false", profile: "use_dualstack_endpoint = false\n",
			env: map[string]string{"AWS_USE_DUALSTACK_ENDPOINT": "True"}, dualStack: true},
		{name: "AWS_USE_FIPS_ENDPOINT=1", env: map[string]string{"AWS_USE_FIPS_ENDPOINT": "1"},
			want: wantErr{"", "", "AWS_USE_FIPS_ENDPOINT", `"1" is not true or false`, "set AWS_USE_FIPS_ENDPOINT=true or AWS_USE_FIPS_ENDPOINT=false"}},
		{name: "AWS_USE_DUALSTACK_ENDPOINT with a space", env: map[string]string{"AWS_USE_DUALSTACK_ENDPOINT": "true "},
			want: wantErr{"", "", "AWS_USE_DUALSTACK_ENDPOINT", `"true " is not true or false`, ""}},
		{name: "use_fips_endpoint = yes", profile: "use_fips_endpoint = yes\n",
			want: wantErr{"config", "profile dev-sso", "use_fips_endpoint", `"yes" is not true or false`, `the AWS CLI would read "yes" as false`}},
		{name: "a bad profile value is an error even where the env wins", profile: "use_dualstack_endpoint = on\n",
			env:  map[string]string{"AWS_USE_DUALSTACK_ENDPOINT": "false"},
			want: wantErr{"config", "profile dev-sso", "use_dualstack_endpoint", `"on"`, ""}},
		{name: "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=1", env: map[string]string{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "1"},
			want: wantErr{"", "", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", `"1" is not true or false`, ""}},
		{name: "ignore_configured_endpoint_urls = yes", profile: "ignore_configured_endpoint_urls = yes\n",
			want: wantErr{"config", "profile dev-sso", "ignore_configured_endpoint_urls", `"yes" is not true or false`, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := strings.Replace(base, "sso_role_name = Dev\n", "sso_role_name = Dev\n"+tt.profile, 1)
			p, path, err := loadText(t, text, "dev-sso", Overrides{}, tt.env)
			if tt.want != (wantErr{}) {
				tt.want.check(t, err, path)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.UseFIPS != tt.fips || p.UseDualStack != tt.dualStack {
				t.Errorf("UseFIPS %v UseDualStack %v, want %v %v", p.UseFIPS, p.UseDualStack, tt.fips, tt.dualStack)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"900": 15 * time.Minute, "90s": 90 * time.Second, " 15m ": 15 * time.Minute,
		"1h30m": 90 * time.Minute, "0": 0, "-5": -5 * time.Second} {
		if d, err := parseDuration(in); err != nil || d != want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", in, d, err, want)
		}
	}
	for _, in := range []string{"soon", "", "1e3", "9223372037"} {
		if d, err := parseDuration(in); err == nil {
			t.Errorf("parseDuration(%q) = %v, want an error", in, d)
		}
	}
}

// sso_credproc_store: the profile over its sso-session, SSO_CREDPROC_STORE
// over both, --store over everything; bad values are errors wherever they
// are.
func TestStoreSetting(t *testing.T) {
	for _, tc := range []struct {
		name, profile, sess, env string
		flag                     *string
		want                     bool
	}{
		{name: "default: the keychain"},
		{name: "in the sso-session", sess: "sso_credproc_store = file\n", want: true},
		{name: "the profile over the sso-session", profile: "sso_credproc_store = keychain\n", sess: "sso_credproc_store = file\n"},
		{name: "any case", profile: "sso_credproc_store = File\n", want: true},
		{name: "the variable over the config", profile: "sso_credproc_store = keychain\n", env: "file", want: true},
		{name: "the variable over the config, back", profile: "sso_credproc_store = file\n", env: "keychain"},
		{name: "the flag over the variable", env: "file", flag: str("keychain")},
		{name: "the flag over the config", profile: "sso_credproc_store = keychain\n", flag: str("file"), want: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, _, err := loadText(t, ssoConfig(tc.profile, tc.sess), "dev-sso", Overrides{Store: tc.flag}, map[string]string{"SSO_CREDPROC_STORE": tc.env})
			if err != nil {
				t.Fatal(err)
			}
			if p.Policy.FileStore != tc.want {
				t.Errorf("FileStore = %v, want %v", p.Policy.FileStore, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		name, profile, env string
		flag               *string
		want               wantErr
	}{
		{name: "config", profile: "sso_credproc_store = disk\n",
			want: wantErr{"config", "profile dev-sso", "sso_credproc_store", `"disk" is not keychain or file`, "Headless machines"}},
		{name: "variable", env: "files",
			want: wantErr{"", "", "SSO_CREDPROC_STORE", `"files" is not keychain or file`, "keychain: the OS keychain"}},
		{name: "flag", flag: str("vault"),
			want: wantErr{"", "", "--store", `"vault" is not keychain or file`, "file: files encrypted with age"}},
		{name: "a bad config value under a good flag", profile: "sso_credproc_store = disk\n", flag: str("file"),
			want: wantErr{"config", "profile dev-sso", "sso_credproc_store", `"disk"`, ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, path, err := loadText(t, ssoConfig(tc.profile, ""), "dev-sso", Overrides{Store: tc.flag}, map[string]string{"SSO_CREDPROC_STORE": tc.env})
			if p != nil {
				t.Fatalf("Load returned a profile: %+v", p.Policy)
			}
			tc.want.check(t, err, path)
		})
	}
	if err := (&Overrides{Store: str("nope")}).Check(); err == nil {
		t.Error("Overrides.Check accepts --store nope")
	}
}
