// Package profile turns the AWS config file and command-line flags into one
// resolved IAM Identity Center (SSO) profile.
//
// The file means here what it means to the AWS CLI: it is read the way
// botocore reads it (see configparser.go), profiles and sso-sessions are
// resolved and validated as botocore's SSO credential provider does, and
// endpoint overrides follow botocore's ConfiguredEndpointProvider. The file is
// only ever read, never created or written.
package profile

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"strings"
)

// Profile is one resolved SSO profile. Load checks every value it holds.
type Profile struct {
	Name              string   // profile name ("" when built from flags alone)
	File              string   // config file path that was read ("" if none)
	SessionName       string   // sso-session name; "" for a legacy profile
	StartURL          string   // AWS access portal URL, http or https
	Region            string   // SSO region, a region name such as eu-west-1
	Scopes            []string // sso_registration_scopes; default {"sso:account:access"} for sso-session profiles; nil for legacy profiles
	AccountID         string   // sso_account_id, 12 digits
	RoleName          string   // sso_role_name, 1 to 64 of [A-Za-z0-9_+=,.@-]
	CredentialProcess string   // the profile's own credential_process, if any
	OIDCEndpoint      string   // resolved endpoint override for SSO OIDC, "" = use the SDK's resolver
	PortalEndpoint    string   // resolved endpoint override for the SSO portal, "" = SDK default
	SigninEndpoint    string   // resolved endpoint override for AWS Sign-In (the console federation endpoint), "" = the partition's
	// UseFIPS and UseDualStack select the FIPS and dual-stack endpoints:
	// AWS_USE_FIPS_ENDPOINT / AWS_USE_DUALSTACK_ENDPOINT when set, else the
	// profile's use_fips_endpoint / use_dualstack_endpoint, as in the SDKs.
	UseFIPS, UseDualStack bool
	// Policy is the sso_credproc_* settings merged with the flags.
	Policy   Policy
	Settings map[string]string // every plain key of the profile section, lower-cased
}

// Legacy reports whether the profile carries its own start URL and region
// instead of naming an sso-session.
func (p *Profile) Legacy() bool { return p.SessionName == "" }

// sdkSSOKeys are the keys that make the SDKs use their built-in SSO support
// for a profile, before credential_process: aws-sdk-go-v2 and the JS SDK
// take any of them; botocore takes sso_account_id or sso_role_name.
var sdkSSOKeys = []string{"sso_session", "sso_start_url", "sso_region", "sso_account_id", "sso_role_name"}

// CredentialProcessBypassed reports whether the profile both holds SSO keys
// (any of sso_session, sso_start_url, sso_region, sso_account_id,
// sso_role_name) and a credential_process that runs sso-credproc. The SDKs
// use their own SSO support for such a profile and never run its
// credential_process, so sso-credproc's cache and sign-in are bypassed when
// an SDK uses the profile. aws-sso-util writes profiles like this. It is no
// error: sso-credproc itself serves the profile.
func (p *Profile) CredentialProcessBypassed() bool {
	if _, ok := credprocTarget(p.CredentialProcess); !ok {
		return false
	}
	for _, k := range sdkSSOKeys {
		if _, ok := p.Settings[k]; ok {
			return true
		}
	}
	return false
}

// Overrides are command-line flags that stand in for (or override) config
// values. An empty string is a flag not given.
type Overrides struct {
	SSOSession, StartURL, Region, AccountID, RoleName string
	// The policy flags as typed, nil when not given: --use-device-code
	// ("true" or "false", any case), --login-timeout, --refresh-window,
	// --min-credential-ttl, --clock-skew (durations). Load checks them
	// and merges them into Profile.Policy.
	UseDeviceCode, LoginTimeout, RefreshWindow, MinCredentialTTL, ClockSkew *string
	// Login is "never" or "auto" (--no-login gives "never"); Browser is
	// the command of --browser.
	Login, Browser *string
	// ExportAWSCLICache is --export-aws-cli-cache ("true" or "false").
	ExportAWSCLICache *string
	// Store is --store ("keychain" or "file").
	Store *string
}

// Selects reports whether the overrides name something to sign in to
// (an sso-session, start URL, region, account or role), as opposed to
// only policy flags.
func (ov *Overrides) Selects() bool {
	return ov.SSOSession != "" || ov.StartURL != "" || ov.Region != "" || ov.AccountID != "" || ov.RoleName != ""
}

// ErrProfileNotFound is wrapped in *Error when the named profile does not exist.
var ErrProfileNotFound = errors.New("profile not found")

// Error is a configuration error naming the file, section and key.
type Error struct {
	File    string // config file path; "" when the problem is in a flag or the environment
	Section string // section header as written between the brackets, e.g. "profile dev", "default", "DEFAULT"
	Key     string // option name, or the flag (e.g. "--region") or environment variable the value came from
	Msg     string
	Hint    string // what to do about it, for a "hint:" line; not part of Error()
	Err     error
}

// Error returns one line: "file: [section]: key: message", leaving out the
// parts that are empty.
func (e *Error) Error() string {
	var parts []string
	if e.File != "" {
		parts = append(parts, e.File)
	}
	if e.Section != "" {
		parts = append(parts, "["+e.Section+"]")
	}
	if e.Key != "" {
		parts = append(parts, e.Key)
	}
	msg := e.Msg
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	if msg != "" {
		parts = append(parts, msg)
	}
	return strings.Join(parts, ": ")
}

func (e *Error) Unwrap() error { return e.Err }

const defaultScope = "sso:account:access"

// Load reads the config file at path (path "" or missing file: only allowed
// when name == "" and overrides are complete) and resolves profile name with
// the overrides. env looks up environment variables (os.Getenv in production;
// tests pass a map). Load does not look at AWS_PROFILE: choosing the name is
// the caller's job.
//
// Every error is an *Error naming the file, the section header as written
// and the key, or the flag or environment variable, with a Hint. The flags
// are checked first, before the file is read.
func Load(path, name string, ov Overrides, env func(string) string) (*Profile, error) {
	return load(path, name, ov, env, false)
}

// LoadSession is Load for commands that need only the sign-in part of a
// profile (login, logout, list): the start URL and region, from the
// profile's sso-session, its own legacy keys, or the flags. sso_account_id
// and sso_role_name are checked when present but not required. A profile
// without SSO keys whose credential_process runs sso-credproc --profile X
// stands for X, so that `login --profile dev` works on the profile the SDKs
// use.
func LoadSession(path, name string, ov Overrides, env func(string) string) (*Profile, error) {
	p, err := load(path, name, ov, env, true)
	if err == nil || name == "" {
		return p, err
	}
	var pe *Error
	if !errors.As(err, &pe) || !strings.HasPrefix(pe.Msg, "missing the following required SSO") {
		return nil, err
	}
	cfg, _, rerr := readConfigAt(path, env)
	if rerr != nil || cfg == nil || cfg.profiles[name] == nil {
		return nil, err
	}
	sect := cfg.profiles[name]
	if hasSSOKeys(sect) {
		return nil, err
	}
	cp, _ := sect.plain("credential_process")
	if target, ok := credprocTarget(cp); ok && target != "" && target != name && cfg.profiles[target] != nil {
		return load(path, target, ov, env, true)
	}
	return nil, err
}

func load(path, name string, ov Overrides, env func(string) string, sessionOnly bool) (*Profile, error) {
	if env == nil {
		env = os.Getenv
	}
	if err := ov.Check(); err != nil {
		return nil, err
	}
	if name == "" && ov.SSOSession == "" {
		return resolve(nil, nil, "", ov, env, sessionOnly)
	}
	cfg, file, err := readConfigAt(path, env)
	if err != nil {
		return nil, err
	}
	var sect *section
	if name != "" {
		if cfg != nil {
			sect = cfg.profiles[name]
		}
		if sect == nil {
			return nil, notFound(file, cfg, name)
		}
	}
	return resolve(cfg, sect, name, ov, env, sessionOnly)
}

// readConfigAt reads the config file at path after expanding it as
// botocore does (~ and $VARS); file is the expanded path.
func readConfigAt(path string, env func(string) string) (cfg *config, file string, err error) {
	if path != "" {
		file = expandPath(path, env)
	}
	cfg, err = readConfig(file)
	return cfg, file, err
}

// readConfig returns nil, nil when there is no file to read. Like botocore, a
// path that is not a regular file counts as no file; unlike botocore (which
// then reads nothing), a file that cannot be read is an error.
func readConfig(file string) (*config, error) {
	if file == "" {
		return nil, nil
	}
	st, err := os.Stat(file)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && !st.Mode().IsRegular()) {
		return nil, nil
	}
	var data []byte
	if err == nil {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		reason := err
		var pe *fs.PathError
		if errors.As(err, &pe) {
			reason = pe.Err // the path is already in File
		}
		return nil, &Error{File: file, Msg: "cannot read the config file: " + reason.Error(), Err: err}
	}
	return parseConfig(file, data)
}

func notFound(file string, cfg *config, name string) error {
	e := &Error{File: file, Msg: fmt.Sprintf("profile %q not found", name), Err: ErrProfileNotFound}
	switch {
	case file == "":
		e.Hint = "no config file was given"
	case cfg == nil:
		e.Hint = "the config file does not exist; create the profile with: aws configure sso --profile " + shellQuote(name)
	case len(cfg.profiles) == 0:
		e.Hint = "the config file has no profiles"
	default:
		e.Hint = "available profiles: " + listNames(cfg.profiles)
	}
	return e
}

// listNames lists at most 10 sorted names, quoting those with spaces.
func listNames(m map[string]*section) string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	const max = 10
	more := 0
	if len(names) > max {
		more = len(names) - max
		names = names[:max]
	}
	for i, n := range names {
		if n == "" || strings.ContainsAny(n, " \t\"'") {
			names[i] = fmt.Sprintf("%q", n)
		}
	}
	s := strings.Join(names, ", ")
	if more > 0 {
		s += fmt.Sprintf(" (and %d more)", more)
	}
	return s
}

// origin is where a resolved value came from: a section of the file or a flag.
type origin struct {
	v       value
	section string // section header; "" for a flag
	flag    string // e.g. "--region"; "" for the file
}

func (o origin) key(k string) string {
	if o.flag != "" {
		return o.flag
	}
	return k
}

var requiredKeys = []struct{ key, flag string }{
	// botocore SSOProvider's order: _PROFILE_REQUIRED_CONFIG_VARS, then
	// _SSO_REQUIRED_CONFIG_VARS.
	{"sso_role_name", "--role-name"},
	{"sso_account_id", "--account-id"},
	{"sso_start_url", "--start-url"},
	{"sso_region", "--region"},
}

// resolve builds the profile from the profile section sect (nil: none), the
// flags and cfg (nil: no file), following botocore's
// SSOProvider._load_sso_config and _resolve_sso_session_reference.
//
// With sessionOnly, sso_account_id and sso_role_name are not required.
func resolve(cfg *config, sect *section, name string, ov Overrides, env func(string) string, sessionOnly bool) (*Profile, error) {
	p := &Profile{Name: name, Settings: map[string]string{}}
	file := ""
	if cfg != nil {
		file = cfg.path
		p.File = cfg.path
	}
	if sect != nil {
		for k, v := range sect.keys {
			if v.nested == nil {
				p.Settings[k] = v.text
			}
		}
		p.CredentialProcess = p.Settings["credential_process"]
	}

	// The profile as botocore sees it, with the flags laid over it.
	resolved := map[string]origin{}
	if sect != nil {
		for _, k := range sect.order {
			resolved[k] = origin{v: sect.keys[k], section: sectionOf(sect.keys[k], sect)}
		}
	}
	for _, f := range []struct{ key, flag, val string }{
		{"sso_session", "--sso-session", ov.SSOSession},
		{"sso_start_url", "--start-url", ov.StartURL},
		{"sso_region", "--region", ov.Region},
		{"sso_account_id", "--account-id", ov.AccountID},
		{"sso_role_name", "--role-name", ov.RoleName},
	} {
		if f.val != "" {
			resolved[f.key] = origin{v: value{text: f.val}, flag: f.flag}
		}
	}

	var session *section
	if ref, ok := resolved["sso_session"]; ok {
		if ref.v.nested != nil {
			return nil, nestedError(file, ref, "sso_session")
		}
		p.SessionName = ref.v.text
		if cfg != nil {
			session = cfg.sessions[ref.v.text]
		}
		if session == nil {
			e := &Error{File: file, Section: ref.section, Key: ref.key("sso_session"),
				Msg: fmt.Sprintf("the specified sso-session does not exist: %q", ref.v.text)}
			switch {
			case cfg == nil:
				e.Hint = "the config file does not exist; create the sso-session with: aws configure sso-session"
			case len(cfg.sessions) == 0:
				e.Hint = "the config file has no [sso-session NAME] sections; create one with: aws configure sso-session"
			default:
				e.Hint = "available sso-sessions: " + listNames(cfg.sessions)
			}
			return nil, e
		}
		for _, k := range session.order {
			sv := session.keys[k]
			if strings.HasPrefix(k, policyPrefix) {
				continue // resolvePolicy: the profile's value wins
			}
			if pv, ok := resolved[k]; ok && !sameValue(pv.v, sv) {
				label := "profile"
				if pv.flag != "" {
					label = pv.flag
				}
				return nil, &Error{File: file, Section: pv.section, Key: pv.key(k),
					Msg: fmt.Sprintf("the value for %s is inconsistent between %s (%s) and [%s] (%s)",
						k, label, showValue(pv.v), session.header, showValue(sv)),
					Hint: fmt.Sprintf("use the same value in both places, or leave %s to the sso-session", k)}
			}
			resolved[k] = origin{v: sv, section: sectionOf(sv, session)}
		}
	}

	var missing, where []string
	for _, r := range requiredKeys {
		o, ok := resolved[r.key]
		if ok && o.v.nested != nil {
			return nil, nestedError(file, o, r.key)
		}
		if ok && o.v.text != "" || sessionOnly && (r.key == "sso_account_id" || r.key == "sso_role_name") {
			continue
		}
		missing = append(missing, r.key)
		switch {
		case session != nil && (r.key == "sso_start_url" || r.key == "sso_region"):
			where = append(where, fmt.Sprintf("%s in [%s]", r.key, session.header))
		case sect != nil:
			where = append(where, fmt.Sprintf("%s in [%s]", r.key, sect.header))
		default:
			where = append(where, r.flag)
		}
	}
	if len(missing) > 0 {
		if err := selfPointing(file, sect, name); err != nil {
			return nil, err
		}
		return nil, missingError(file, sect, session, name, missing, where, len(missing) == len(requiredKeys) && sect == nil && session == nil)
	}

	get := func(k string) string { return resolved[k].v.text }
	p.StartURL, p.Region = get("sso_start_url"), get("sso_region")
	p.AccountID, p.RoleName = get("sso_account_id"), get("sso_role_name")
	if u, err := url.Parse(p.StartURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		o := resolved["sso_start_url"]
		return nil, &Error{File: fileOf(file, o), Section: o.section, Key: o.key("sso_start_url"),
			Msg:  fmt.Sprintf("%q is not an absolute https URL", p.StartURL),
			Hint: "the start URL is the AWS access portal URL, e.g. https://d-1234567890.awsapps.com/start" + inlineHint(p.StartURL)}
	}
	for _, c := range []struct {
		key   string
		check func(string) string
	}{
		{"sso_region", checkRegion},
		{"sso_account_id", checkAccountID},
		{"sso_role_name", checkRoleName},
	} {
		o := resolved[c.key]
		if sessionOnly && o.v.text == "" {
			continue
		}
		if err := checkValue(c.check, o.v.text, o, c.key, file); err != nil {
			return nil, err
		}
	}
	if session != nil {
		p.Scopes = []string{defaultScope}
		if raw, ok := session.plain("sso_registration_scopes"); ok {
			if scopes := parseScopes(raw); len(scopes) > 0 {
				p.Scopes = scopes
			}
		}
	}

	var err error
	if p.Policy, err = resolvePolicy(file, sect, session, &ov, env); err != nil {
		return nil, err
	}
	if p.UseFIPS, err = boolSetting(file, sect, env, "AWS_USE_FIPS_ENDPOINT", "use_fips_endpoint"); err != nil {
		return nil, err
	}
	if p.UseDualStack, err = boolSetting(file, sect, env, "AWS_USE_DUALSTACK_ENDPOINT", "use_dualstack_endpoint"); err != nil {
		return nil, err
	}
	if p.OIDCEndpoint, p.PortalEndpoint, p.SigninEndpoint, err = resolveEndpoints(cfg, sect, env); err != nil {
		return nil, err
	}
	return p, nil
}

// selfPointing returns the error for a profile without SSO keys whose
// credential_process runs sso-credproc --profile with its own name: the
// SDKs run sso-credproc for it, which finds nothing to sign in with but a
// pointer back to the same profile. A profile with SSO keys may point at
// itself (aws-sso-util writes such profiles): the SDKs use the keys and never
// run credential_process, and sso-credproc never runs one, so nothing loops
// (see CredentialProcessBypassed).
func selfPointing(file string, sect *section, name string) error {
	cp, ok := sect.plain("credential_process")
	if !ok || hasSSOKeys(sect) {
		return nil
	}
	if target, ok := credprocTarget(cp); !ok || target != name {
		return nil
	}
	return &Error{File: file, Section: sectionOf(sect.keys["credential_process"], sect), Key: "credential_process",
		Msg: fmt.Sprintf("runs sso-credproc --profile %s, this same profile, which has no SSO settings to sign in with", shellQuote(name)),
		Hint: fmt.Sprintf("put the SSO settings on a separate profile and point credential_process at it: a [profile %s] with sso_session, sso_account_id and sso_role_name, and in [%s]: credential_process = sso-credproc --profile %s",
			shellQuote(name+"-sso"), sect.header, shellQuote(name+"-sso"))}
}

func fileOf(file string, o origin) string {
	if o.flag != "" {
		return ""
	}
	return file
}

func nestedError(file string, o origin, key string) error {
	return &Error{File: fileOf(file, o), Section: o.section, Key: key,
		Msg:  "must be a single value, not an indented block of key = value lines",
		Hint: "write it on one line as " + key + " = VALUE, and indent no line below it deeper than the key"}
}

func missingError(file string, sect, session *section, name string, missing, where []string, nothing bool) error {
	e := &Error{Key: missing[0],
		Msg: "missing the following required SSO configuration values: " + strings.Join(missing, ", ")}
	switch {
	case nothing:
		e.Key = ""
		e.Msg = "no profile given"
		e.Hint = "pass --profile NAME, or --start-url, --region, --account-id and --role-name (or --sso-session with --account-id and --role-name)"
		return e
	case session != nil && (missing[0] == "sso_start_url" || missing[0] == "sso_region"):
		e.File, e.Section = file, session.header
	case sect != nil:
		e.File, e.Section = file, sect.header
	default:
		e.Key = ""
	}
	e.Hint = "set " + strings.Join(where, ", ")
	if sect != nil && !hasSSOKeys(sect) {
		e.Hint = fmt.Sprintf("[%s] has no SSO settings; set them with: aws configure sso --profile %s", sect.header, shellQuote(name))
		if cp, ok := sect.plain("credential_process"); ok {
			if target, ok := credprocTarget(cp); ok && target != "" {
				e.Hint = fmt.Sprintf("[%s] gets its credentials from sso-credproc --profile %s; did you mean --profile %s?", sect.header, shellQuote(target), shellQuote(target))
			}
		}
	}
	return e
}

// ShellQuote quotes s for a POSIX shell command line when it needs
// quoting (in single quotes), for hints that name a command.
func ShellQuote(s string) string { return shellQuote(s) }

// shellQuote quotes s for a command line when it needs quoting.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n\"'\\$`;&|<>()*?[]#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// hasSSOKeys reports whether s holds any of sdkSSOKeys.
func hasSSOKeys(s *section) bool {
	for _, k := range sdkSSOKeys {
		if _, ok := s.keys[k]; ok {
			return true
		}
	}
	return false
}

// sameValue is Python's == on the parsed values (strings or dicts).
func sameValue(a, b value) bool {
	if (a.nested == nil) != (b.nested == nil) {
		return false
	}
	if a.nested == nil {
		return a.text == b.text
	}
	if len(a.nested) != len(b.nested) {
		return false
	}
	for k, v := range a.nested {
		if w, ok := b.nested[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func showValue(v value) string {
	if v.nested != nil {
		return "an indented block"
	}
	return fmt.Sprintf("%q", v.text)
}

// parseScopes is the AWS CLI's parse_sso_registration_scopes: split on ",",
// trim, drop empty entries.
func parseScopes(raw string) []string {
	var out []string
	for _, s := range strings.Split(raw, ",") {
		if s = pyStrip(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// credprocTarget reports whether cmd runs sso-credproc (the first word's base
// name is sso-credproc or sso-credproc.exe) and which profile its --profile
// flag names ("" when none). cmd is split with shlex rules, as botocore does.
func credprocTarget(cmd string) (string, bool) {
	words, err := shellSplit(cmd)
	if err != nil || len(words) == 0 {
		return "", false
	}
	base := words[0]
	if i := strings.LastIndexAny(base, `/\`); i >= 0 {
		base = base[i+1:]
	}
	if !strings.EqualFold(base, "sso-credproc") && !strings.EqualFold(base, "sso-credproc.exe") {
		return "", false
	}
	target := ""
	for i := 1; i < len(words); i++ {
		w := words[i]
		if w == "--" {
			break
		}
		for _, f := range []string{"--profile", "-profile"} {
			switch {
			case w == f && i+1 < len(words):
				i++
				target = words[i]
			case strings.HasPrefix(w, f+"="):
				target = w[len(f)+1:]
			}
		}
	}
	return target, true
}

// resolveEndpoints follows botocore's ConfiguredEndpointProvider for the
// "sso-oidc" and "sso" clients, and for AWS Sign-In (service id "signin":
// AWS_ENDPOINT_URL_SIGNIN, the services section's signin key), whose
// federation endpoint the console command calls: the service's
// AWS_ENDPOINT_URL_* variable,
// AWS_ENDPOINT_URL, the [services NAME] section's nested endpoint_url, the
// profile's endpoint_url. ignore_configured_endpoint_urls turns all of them
// off; the environment variable, when set, wins over the profile's key (as
// in botocore's config chain and aws-sdk-go-v2's env-then-shared-config
// order), so AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=false re-enables them.
// Either must be true or false (any case), see parseBool.
func resolveEndpoints(cfg *config, sect *section, env func(string) string) (oidc, portal, signin string, err error) {
	file := ""
	if cfg != nil {
		file = cfg.path
	}
	ignore, err := boolSetting(file, sect, env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "ignore_configured_endpoint_urls")
	if err != nil || ignore {
		return "", "", "", err
	}
	if oidc, err = endpointFor(cfg, sect, env, "AWS_ENDPOINT_URL_SSO_OIDC", "sso_oidc"); err != nil {
		return "", "", "", err
	}
	if portal, err = endpointFor(cfg, sect, env, "AWS_ENDPOINT_URL_SSO", "sso"); err != nil {
		return "", "", "", err
	}
	if signin, err = endpointFor(cfg, sect, env, "AWS_ENDPOINT_URL_SIGNIN", "signin"); err != nil {
		return "", "", "", err
	}
	return oidc, portal, signin, nil
}

func endpointFor(cfg *config, sect *section, env func(string) string, envVar, service string) (string, error) {
	if v := env(envVar); v != "" {
		return v, nil
	}
	if v := env("AWS_ENDPOINT_URL"); v != "" {
		return v, nil
	}
	if sect == nil {
		return "", nil
	}
	file := cfg.path
	if ref, ok := sect.keys["services"]; ok {
		if ref.nested != nil {
			return "", nestedError(file, origin{v: ref, section: sect.header}, "services")
		}
		svc := cfg.services[ref.text]
		if svc == nil || len(svc.keys) == 0 {
			e := &Error{File: file, Section: sect.header, Key: "services",
				Msg: fmt.Sprintf("the profile is configured to use the services section but the %q services configuration does not exist", ref.text)}
			if len(cfg.services) > 0 {
				e.Hint = "available services sections: " + listNames(cfg.services)
			} else {
				e.Hint = fmt.Sprintf("add a [services %s] section, or remove the services key", ref.text)
			}
			return "", e
		}
		if v, ok := svc.keys[service]; ok {
			if v.nested == nil {
				return "", &Error{File: file, Section: svc.header, Key: service,
					Msg:  "must be an indented block of key = value lines",
					Hint: fmt.Sprintf("write it as %q followed by an indented %q line", service+" =", "endpoint_url = https://..."),
				}
			}
			if u := v.nested["endpoint_url"]; u != "" {
				return u, nil
			}
		}
	}
	if v, ok := sect.keys["endpoint_url"]; ok {
		if v.nested != nil {
			return "", nestedError(file, origin{v: v, section: sect.header}, "endpoint_url")
		}
		return v.text, nil
	}
	return "", nil
}
