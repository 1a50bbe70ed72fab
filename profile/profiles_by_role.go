package profile

import (
	"flag"
	"io"
	"os"
	"slices"
)

// ProfilesByRole reads the config file at path (as Load does: "~" and
// $VARS expanded; a missing file has no profiles) and returns, for every
// {account ID, role name} that some profile gets credentials for, the names
// of those profiles, sorted. A profile counts when
//
//   - its own SSO settings resolve (with its sso-session) to an account and
//     role, as Load resolves them: the SDKs use those before any
//     credential_process; or else
//   - its credential_process runs sso-credproc, and the profile that command
//     names with --profile (or the command's own --sso-session,
//     --start-url, --region, --account-id and --role-name flags, which also
//     override that profile's settings) resolves as sso-credproc would
//     resolve it when run with that command line.
//
// A profile that resolves to nothing, or whose settings or command line
// sso-credproc would reject, is left out, not an error. env looks up
// environment variables (os.Getenv when nil); they matter where they
// matter to Load (endpoint and FIPS settings that can make a profile
// invalid). The error is a *Error when the file cannot be read or parsed.
func ProfilesByRole(path string, env func(string) string) (map[[2]string][]string, error) {
	if env == nil {
		env = os.Getenv
	}
	cfg, _, err := readConfigAt(path, env)
	if err != nil {
		return nil, err
	}
	out := map[[2]string][]string{}
	if cfg == nil {
		return out, nil
	}
	for name, sect := range cfg.profiles {
		p := profileFor(cfg, name, sect, env)
		if p == nil || p.AccountID == "" || p.RoleName == "" {
			continue
		}
		k := [2]string{p.AccountID, p.RoleName}
		out[k] = append(out[k], name)
	}
	for _, names := range out {
		slices.Sort(names)
	}
	return out, nil
}

// profileFor resolves profile name as ProfilesByRole describes, or
// returns nil.
func profileFor(cfg *config, name string, sect *section, env func(string) string) *Profile {
	if hasSSOKeys(sect) {
		if p, err := resolve(cfg, sect, name, Overrides{}, env, false); err == nil {
			return p
		}
	}
	cp, ok := sect.plain("credential_process")
	if !ok {
		return nil
	}
	target, ov, ok := credprocCommand(cp)
	if !ok || (target == "" && !ov.Selects()) || ov.Check() != nil {
		return nil
	}
	if target == "" && ov.SSOSession == "" {
		p, err := resolve(nil, nil, "", ov, env, false) // flags alone, as Load does
		if err != nil {
			return nil
		}
		return p
	}
	var ts *section
	if target != "" {
		if ts = cfg.profiles[target]; ts == nil {
			return nil
		}
	}
	p, err := resolve(cfg, ts, target, ov, env, false)
	if err != nil {
		return nil
	}
	return p
}

// credprocCommand reads a credential_process command line that runs
// sso-credproc (see credprocTarget) as sso-credproc reads its arguments
// (Go's flag package: -flag or --flag, "=value" or the next word, parsing
// ends at "--"; a word that is no flag or an unknown flag is an error):
// the --profile it names and the flags that override the profile. ok is
// false when cmd does not run sso-credproc or sso-credproc would refuse
// the command line.
func credprocCommand(cmd string) (target string, ov Overrides, ok bool) {
	if _, runs := credprocTarget(cmd); !runs {
		return "", ov, false
	}
	words, err := shellSplit(cmd)
	if err != nil {
		return "", ov, false
	}
	fs := flag.NewFlagSet("sso-credproc", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&target, "profile", "", "")
	fs.StringVar(&ov.SSOSession, "sso-session", "", "")
	fs.StringVar(&ov.StartURL, "start-url", "", "")
	fs.StringVar(&ov.Region, "region", "", "")
	fs.StringVar(&ov.AccountID, "account-id", "", "")
	fs.StringVar(&ov.RoleName, "role-name", "", "")
	fs.Var(optionalFlag{&ov.UseDeviceCode, true}, "use-device-code", "")
	for _, f := range []struct {
		name string
		dst  **string
	}{
		{"login-timeout", &ov.LoginTimeout},
		{"refresh-window", &ov.RefreshWindow},
		{"min-credential-ttl", &ov.MinCredentialTTL},
		{"clock-skew", &ov.ClockSkew},
	} {
		fs.Var(optionalFlag{f.dst, false}, f.name, "")
	}
	for _, b := range []string{"no-browser", "debug", "version"} {
		fs.Bool(b, false, "")
	}
	if err := fs.Parse(words[1:]); err != nil || fs.NArg() > 0 {
		return "", Overrides{}, false
	}
	return target, ov, true
}

// optionalFlag is a flag whose value is kept as typed, for Overrides.Check.
type optionalFlag struct {
	dst    **string
	isBool bool
}

func (f optionalFlag) String() string {
	if f.dst == nil || *f.dst == nil {
		return ""
	}
	return **f.dst
}

func (f optionalFlag) Set(v string) error { *f.dst = &v; return nil }

func (f optionalFlag) IsBoolFlag() bool { return f.isBool }
