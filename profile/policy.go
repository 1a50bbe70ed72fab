package profile

// This file interprets every value that is not plain text: sso-credproc's
// own sso_credproc_* keys and their flags, the booleans of the config file
// and the environment, and the shape of account ids, region and role names.

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/sso-credproc/sso-credproc/internal/browser"
)

// Policy is how sso-credproc signs in and when what it cached still counts
// as fresh: DefaultPolicy, overridden by the sso_credproc_* keys of the
// sso-session, then by those of the profile, then by the flags.
type Policy struct {
	// UseDeviceCode: sign in with the device code instead of the browser
	// redirect (sso_credproc_use_device_code, --use-device-code).
	UseDeviceCode bool
	// LoginTimeout bounds the wait for the sign-in, 1s to 1h
	// (sso_credproc_login_timeout, --login-timeout).
	LoginTimeout time.Duration
	// RefreshWindow: the SSO token is refreshed this long before it
	// expires, 0 to 24h (sso_credproc_refresh_window, --refresh-window).
	RefreshWindow time.Duration
	// MinCredentialTTL: cached role credentials are reused while more than
	// this remains, 0 to 12h, the longest permission-set session
	// (sso_credproc_min_credential_ttl, --min-credential-ttl).
	MinCredentialTTL time.Duration
	// ClockSkew is added to every expiry check, 0 to 1h
	// (sso_credproc_clock_skew, --clock-skew).
	ClockSkew time.Duration
	// NoLogin: a call that needs a sign-in fails instead of starting one
	// (sso_credproc_login = never; --no-login; SSO_CREDPROC_NO_LOGIN=1,
	// which the command line turns into the flag). A refresh is allowed.
	NoLogin bool
	// ExportAWSCLICache: also write the SSO token to the AWS CLI's cache
	// (~/.aws/sso/cache) for tools that read only that file
	// (sso_credproc_export_aws_cli_cache; login --export-aws-cli-cache).
	ExportAWSCLICache bool
	// Browser is the command that opens sign-in pages, read as a $BROWSER
	// value is (browser.ParseBrowser: "%s" stands for the URL, else it is
	// appended); "" means $BROWSER or the platform's opener
	// (sso_credproc_browser, --browser).
	Browser string
	// FileStore: keep tokens and credentials in the age-encrypted file
	// store (package filestore) instead of the OS keychain
	// (sso_credproc_store = file or keychain; --store; SSO_CREDPROC_STORE,
	// which wins over the config file and loses to the flag).
	FileStore bool
}

// DefaultPolicy applies where neither the config nor a flag says otherwise.
// It equals tokencache.DefaultPolicy. botocore re-runs credential_process
// when less than 15 minutes remain, hence the 15-minute MinCredentialTTL.
var DefaultPolicy = Policy{
	LoginTimeout:     5 * time.Minute,
	RefreshWindow:    15 * time.Minute,
	MinCredentialTTL: 15 * time.Minute,
	ClockSkew:        time.Minute,
}

// policySetting is one sso_credproc_* key and its flag.
type policySetting struct {
	key, flag string
	flagValue func(*Overrides) *string
	// dur selects the duration the setting holds; nil for the others.
	dur      func(*Policy) *time.Duration
	min, max time.Duration
	// parse, when set, reads a setting that is neither the boolean
	// UseDeviceCode nor a duration: it sets pol, or returns what is wrong
	// with text and a hint.
	parse func(pol *Policy, text string) (msg, hint string)
	// env, when set, is an environment variable that overrides the config
	// file (not the flag).
	env string
}

var policySettings = []policySetting{
	{key: "sso_credproc_use_device_code", flag: "--use-device-code",
		flagValue: func(o *Overrides) *string { return o.UseDeviceCode }},
	{key: "sso_credproc_login_timeout", flag: "--login-timeout", min: time.Second, max: time.Hour,
		flagValue: func(o *Overrides) *string { return o.LoginTimeout },
		dur:       func(p *Policy) *time.Duration { return &p.LoginTimeout }},
	{key: "sso_credproc_refresh_window", flag: "--refresh-window", max: 24 * time.Hour,
		flagValue: func(o *Overrides) *string { return o.RefreshWindow },
		dur:       func(p *Policy) *time.Duration { return &p.RefreshWindow }},
	{key: "sso_credproc_min_credential_ttl", flag: "--min-credential-ttl", max: 12 * time.Hour,
		flagValue: func(o *Overrides) *string { return o.MinCredentialTTL },
		dur:       func(p *Policy) *time.Duration { return &p.MinCredentialTTL }},
	{key: "sso_credproc_clock_skew", flag: "--clock-skew", max: time.Hour,
		flagValue: func(o *Overrides) *string { return o.ClockSkew },
		dur:       func(p *Policy) *time.Duration { return &p.ClockSkew }},
	{key: "sso_credproc_export_aws_cli_cache", flag: "--export-aws-cli-cache",
		flagValue: func(o *Overrides) *string { return o.ExportAWSCLICache },
		parse: func(p *Policy, text string) (string, string) {
			b, ok := parseBool(text)
			if !ok {
				return "is not true or false", "use true or false (any case)"
			}
			p.ExportAWSCLICache = b
			return "", ""
		}},
	{key: "sso_credproc_login", flag: "--no-login",
		flagValue: func(o *Overrides) *string { return o.Login },
		parse: func(p *Policy, text string) (string, string) {
			switch strings.ToLower(text) {
			case "never":
				p.NoLogin = true
			case "auto":
				p.NoLogin = false
			default:
				return "is not never or auto", "never: fail instead of starting a sign-in (a refresh is allowed); auto: sign in when needed (the default)"
			}
			return "", ""
		}},
	{key: "sso_credproc_browser", flag: "--browser",
		flagValue: func(o *Overrides) *string { return o.Browser },
		parse: func(p *Policy, text string) (string, string) {
			const hint = `a command such as firefox or "open -a Safari %s" ("%s" stands for the URL)`
			if strings.TrimSpace(text) == "" || strings.ContainsAny(text, "\x00\n\r") {
				return "is not a command", hint
			}
			// Read as the browser will read it, on this OS (any URL will do).
			for _, e := range browser.ParseBrowser(runtime.GOOS, text, "https://example.com/") {
				switch {
				case e.Err == nil:
				case e.Text == strings.TrimSpace(text):
					return fmt.Sprintf("is not a command: %v", e.Err), hint
				default:
					return fmt.Sprintf("is not a command: its entry %q: %v", e.Text, e.Err), hint
				}
			}
			p.Browser = text
			return "", ""
		}},
	{key: "sso_credproc_store", flag: "--store", env: "SSO_CREDPROC_STORE",
		flagValue: func(o *Overrides) *string { return o.Store },
		parse: func(p *Policy, text string) (string, string) {
			switch strings.ToLower(text) {
			case "file":
				p.FileStore = true
			case "keychain":
				p.FileStore = false
			default:
				return "is not keychain or file", "keychain: the OS keychain (the default); file: files encrypted with age, for machines without a keychain (see \"Headless machines\" in the README)"
			}
			return "", ""
		}},
}

const policyPrefix = "sso_credproc_"

// PolicyKeys lists the sso_credproc_* keys sso-credproc knows.
func PolicyKeys() []string {
	keys := make([]string, len(policySettings))
	for i, s := range policySettings {
		keys[i] = s.key
	}
	return keys
}

// Check checks the values given as flags, as Load does before it reads the
// file: the policy flags and --region, --account-id, --role-name. It
// returns an *Error whose Key is the flag, with a Hint.
func (ov *Overrides) Check() error {
	for _, s := range policySettings {
		if v := s.flagValue(ov); v != nil {
			if err := s.apply(&Policy{}, *v, origin{flag: s.flag}, ""); err != nil {
				return err
			}
		}
	}
	for _, c := range []struct {
		flag, val string
		check     func(string) string
	}{
		{"--region", ov.Region, checkRegion},
		{"--account-id", ov.AccountID, checkAccountID},
		{"--role-name", ov.RoleName, checkRoleName},
	} {
		if c.val != "" {
			if err := checkValue(c.check, c.val, origin{flag: c.flag}, "", ""); err != nil {
				return err
			}
		}
	}
	return nil
}

// resolvePolicy lays the sso-session's sso_credproc_* keys, then the
// profile's, then a setting's environment variable (env), then the flags
// over DefaultPolicy. Every value given is
// checked, also one that a later source overrides, and an
// sso_credproc_* key that sso-credproc does not know is an error.
//
// botocore calls a key that the profile and its sso-session both hold with
// different values inconsistent; for sso_credproc_* keys, which botocore
// never reads, the profile's value wins instead.
func resolvePolicy(file string, sect, session *section, ov *Overrides, env func(string) string) (Policy, error) {
	pol := DefaultPolicy
	for _, s := range []*section{session, sect} {
		if s == nil {
			continue
		}
		for _, k := range s.order {
			if strings.HasPrefix(k, policyPrefix) && findSetting(k) == nil {
				return pol, unknownKeyError(file, s, k)
			}
		}
	}
	for _, st := range policySettings {
		for _, s := range []*section{session, sect} {
			if s == nil {
				continue
			}
			v, ok := s.keys[st.key]
			if !ok {
				continue
			}
			o := origin{v: v, section: sectionOf(v, s)}
			if v.nested != nil {
				return pol, nestedError(file, o, st.key)
			}
			if err := st.apply(&pol, v.text, o, file); err != nil {
				return pol, err
			}
		}
		if v := st.flagValue(ov); v != nil {
			if err := st.apply(&pol, *v, origin{flag: st.flag}, ""); err != nil {
				return pol, err
			}
		} else if v := envValue(env, st.env); v != "" {
			if err := st.apply(&pol, v, origin{flag: st.env}, ""); err != nil {
				return pol, err
			}
		}
	}
	return pol, nil
}

// FileStoreChosen reports whether --store (ov.Store) or, without it,
// SSO_CREDPROC_STORE choose the file store, for commands that resolve no
// profile (status). An invalid value is an *Error naming the flag or the
// variable.
func FileStoreChosen(ov *Overrides, env func(string) string) (bool, error) {
	pol, err := resolvePolicy("", nil, nil, &Overrides{Store: ov.Store}, env)
	return pol.FileStore, err
}

// envValue is the value of the environment variable name ("" when name is
// "" or the variable is unset or empty).
func envValue(env func(string) string, name string) string {
	if name == "" || env == nil {
		return ""
	}
	return env(name)
}

func findSetting(key string) *policySetting {
	for i := range policySettings {
		if policySettings[i].key == key {
			return &policySettings[i]
		}
	}
	return nil
}

// apply checks text, written in the file (o.flag == "") or given as the
// flag, and sets it in pol. An empty value in the file counts as not set.
func (s *policySetting) apply(pol *Policy, text string, o origin, file string) error {
	if text == "" && o.flag == "" {
		return nil
	}
	fail := func(msg string) error {
		e := &Error{File: fileOf(file, o), Section: o.section, Key: o.key(s.key), Msg: fmt.Sprintf("%q %s", text, msg)}
		if s.dur == nil {
			e.Hint = "use true or false (any case)"
		} else {
			e.Hint = fmt.Sprintf("use a Go duration such as 90s or 15m, or whole seconds, from %s to %s",
				shortDuration(s.min), shortDuration(s.max))
		}
		if o.flag != "" {
			if s.dur == nil {
				e.Hint = s.flag + " alone means true; " + s.flag + "=false turns it off"
			} else {
				e.Hint += ", e.g. " + s.flag + " " + shortDuration(*s.dur(&DefaultPolicy))
			}
		} else {
			e.Hint += inlineHint(text)
		}
		return e
	}
	if s.parse != nil {
		msg, hint := s.parse(pol, text)
		if msg == "" {
			return nil
		}
		e := &Error{File: fileOf(file, o), Section: o.section, Key: o.key(s.key), Msg: fmt.Sprintf("%q %s", text, msg), Hint: hint}
		if o.flag == "" {
			e.Hint += inlineHint(text)
		}
		return e
	}
	if s.dur == nil {
		b, ok := parseBool(text)
		if !ok {
			return fail("is not true or false")
		}
		pol.UseDeviceCode = b
		return nil
	}
	d, err := parseDuration(text)
	switch {
	case err != nil:
		return fail("is not a duration such as 90s or 15m, or whole seconds")
	case d < 0:
		return fail("is negative")
	case d < s.min:
		return fail("is less than " + shortDuration(s.min))
	case d > s.max:
		return fail("is more than " + shortDuration(s.max))
	}
	*s.dur(pol) = d
	return nil
}

func unknownKeyError(file string, s *section, key string) error {
	v := s.keys[key]
	e := &Error{File: file, Section: sectionOf(v, s), Key: key, Msg: "is not a setting of sso-credproc",
		Hint: "known keys: " + strings.Join(PolicyKeys(), ", ")}
	best, bestDist := "", 4 // suggest only close matches
	for _, k := range PolicyKeys() {
		if d := editDistance(key, k); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best != "" {
		e.Hint = "did you mean " + best + "? " + e.Hint
	}
	return e
}

// sectionOf names the section a key of s is written in: s itself, or
// [DEFAULT], whose keys configparser merges into every section.
func sectionOf(v value, s *section) string {
	if v.section != "" {
		return v.section
	}
	return s.header
}

// editDistance is the Levenshtein distance between a and b (bytes).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// parseDuration reads a Go duration ("90s", "15m", "1h30m") or whole
// seconds ("900").
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		const limit = int64(1<<63-1) / int64(time.Second)
		if n > limit || n < -limit {
			return 0, fmt.Errorf("%q: out of range", s)
		}
		return time.Duration(n) * time.Second, nil
	}
	return time.ParseDuration(s)
}

// ShortDuration writes d as "5m" or "1h30m" rather than "5m0s".
func ShortDuration(d time.Duration) string { return shortDuration(d) }

func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// parseBool reads a boolean as the AWS CLI and SDKs write it: true or
// false in any case. botocore's ensure_boolean reads every other string as
// false, and aws-sdk-go-v2 rejects other values of AWS_USE_FIPS_ENDPOINT and
// the like; sso-credproc rejects them too, so that "yes" does not silently
// mean no.
func parseBool(s string) (b, ok bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

// boolSetting reads a boolean from the environment variable envVar, else
// from the profile's key (both unset or empty: false). A value that is not
// true or false is an error wherever it is, even where the other one wins.
func boolSetting(file string, sect *section, env func(string) string, envVar, key string) (bool, error) {
	fromEnv, fromFile := env(envVar), ""
	b, set := false, false
	if fromEnv != "" {
		v, ok := parseBool(fromEnv)
		if !ok {
			return false, &Error{Key: envVar, Msg: fmt.Sprintf("%q is not true or false", fromEnv),
				Hint: fmt.Sprintf("set %s=true or %s=false (any case), or unset it", envVar, envVar)}
		}
		b, set = v, true
	}
	if sect != nil {
		if v, ok := sect.keys[key]; ok {
			o := origin{v: v, section: sectionOf(v, sect)}
			if v.nested != nil {
				return false, nestedError(file, o, key)
			}
			fromFile = v.text
		}
	}
	if fromFile != "" {
		v, ok := parseBool(fromFile)
		if !ok {
			v := sect.keys[key]
			return false, &Error{File: file, Section: sectionOf(v, sect), Key: key,
				Msg:  fmt.Sprintf("%q is not true or false", fromFile),
				Hint: fmt.Sprintf("write %s = true or false (any case); the AWS CLI would read %q as false", key, fromFile) + inlineHint(fromFile)}
		}
		if !set {
			b = v
		}
	}
	return b, nil
}

// The checks below are written out rather than as regular expressions:
// the regexp package would add its initialisation to every warm call.

// checkAccountID: an AWS account id is 12 digits.
func checkAccountID(v string) string {
	if len(v) == 12 && strings.Trim(v, "0123456789") == "" {
		return ""
	}
	return "is not an AWS account id: 12 digits, e.g. 111122223333"
}

// checkRegion: region names are lowercase words joined by hyphens, at
// least two letters in the first, and a number of 1 to 3 digits last:
// us-east-1, us-gov-west-1, cn-north-1, eu-isoe-west-1, eusc-de-east-1
// (in effect ^[a-z]{2,}(-[a-z]+)+-[0-9]{1,3}$). No list of regions is kept.
func checkRegion(v string) string {
	const msg = "is not an AWS region name such as us-east-1 or eu-west-1"
	words := strings.Split(v, "-")
	if len(words) < 3 || len(words[0]) < 2 {
		return msg
	}
	for _, w := range words[:len(words)-1] {
		if w == "" || strings.Trim(w, "abcdefghijklmnopqrstuvwxyz") != "" {
			return msg
		}
	}
	if n := words[len(words)-1]; n == "" || len(n) > 3 || strings.Trim(n, "0123456789") != "" {
		return msg
	}
	return ""
}

// checkRoleName: IAM role and permission-set names are 1 to 64 of
// [\w+=,.@-] with ASCII \w (IAM API reference, RoleName; an IAM Identity
// Center permission set name is [\w+=,.@-]{1,32}).
func checkRoleName(v string) string {
	if len(v) >= 1 && len(v) <= 64 && strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+=,.@-") == "" {
		return ""
	}
	return "is not a permission set (role) name: 1 to 64 letters, digits and any of _+=,.@-"
}

// checkValue runs check on v, the value of key from o, and turns a
// complaint into an *Error naming where the value came from.
func checkValue(check func(string) string, v string, o origin, key, file string) error {
	msg := check(v)
	if msg == "" {
		return nil
	}
	e := &Error{File: fileOf(file, o), Section: o.section, Key: o.key(key), Msg: fmt.Sprintf("%q %s", v, msg)}
	if o.flag != "" {
		e.Hint = "correct the value of " + o.flag
	} else {
		e.Hint = "correct the value of " + key + " in [" + o.section + "]" + inlineHint(v)
	}
	return e
}

// inlineHint explains the likeliest cause of a bad value read from the
// file: botocore keeps quotes and any text after the value, comments
// included.
func inlineHint(v string) string {
	switch {
	case strings.Contains(v, " #") || strings.Contains(v, " ;") || strings.Contains(v, "\t#") || strings.Contains(v, "\t;"):
		return "; the AWS CLI reads everything after \"=\" as the value, comments included: put the comment on a line of its own"
	case len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0]:
		return "; the AWS CLI keeps quotes as part of the value: remove them"
	}
	return ""
}
