package configedit

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/sso-credproc/sso-credproc/profile"
)

// CheckName checks a profile or sso-session name. botocore splits a
// section header like a shell would and keeps it only when it has exactly
// two words, configparser ends a header at its last "]", and the name is
// also written as a word of credential_process, which botocore splits with
// shlex and the Go and JS SDKs run through sh -c or cmd.exe /C. Rather than
// quote for all of these, names are limited to letters, digits (any
// script) and _ . @ + - : / and may not start with "-" (it would read as a
// flag). what names the name in the error ("profile", "sso-session").
func CheckName(what, name string) error {
	hint := "use letters, digits and any of _ . @ + - : / (no spaces, quotes or brackets), not starting with -"
	if name == "" {
		return fail(ErrInvalid, hint, "the %s name is empty", what)
	}
	if strings.HasPrefix(name, "-") {
		return fail(ErrInvalid, hint, "%s name %q starts with \"-\"", what, name)
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("_.@+-:/", r) {
			return fail(ErrInvalid, hint, "%s name %q contains %q, which botocore or a shell would misread", what, name, r)
		}
	}
	return nil
}

// CommandLine joins words into a credential_process value that botocore's
// shlex split (profile.SplitCommand) turns back into exactly these words.
// A word of letters and digits (any script) and _ @ % + = : , . / - is
// written as it is;
// any other is put in double quotes, which also keep it one word for sh -c
// (the Go and JS SDKs) and for Windows' command-line rules. A word that
// double quotes cannot carry unchanged through all of these (one with ",
// $, `, a control character, or a backslash that shlex would eat, such as
// the "\\" of a UNC path) is refused.
func CommandLine(words []string) (string, error) {
	hint := "install sso-credproc in a directory whose path has no quotes, $, ` or control characters"
	if len(words) == 0 {
		return "", fail(ErrInvalid, hint, "no command")
	}
	out := make([]string, len(words))
	for i, w := range words {
		if w != "" && !strings.ContainsFunc(w, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("_@%+=:,./-", r)
		}) {
			out[i] = w
			continue
		}
		q := `"` + w + `"`
		split, err := profile.SplitCommand(q)
		if strings.ContainsAny(w, "\"$`") || strings.ContainsFunc(w, unicode.IsControl) || err != nil || len(split) != 1 || split[0] != w {
			return "", fail(ErrInvalid, hint, "%q cannot be written in credential_process so that botocore and a shell read it back unchanged", w)
		}
		out[i] = q
	}
	return strings.Join(out, " "), nil
}

// check validates p (with SSOProfile filled in) and returns the
// credential_process value.
func (p *Pair) check() (string, error) {
	for _, n := range []struct{ what, name string }{{"profile", p.Name}, {"SSO profile", p.SSOProfile}, {"sso-session", p.Session}} {
		if err := CheckName(n.what, n.name); err != nil {
			return "", err
		}
	}
	if p.Name == p.SSOProfile {
		return "", fail(ErrInvalid, "the SDKs would use the SSO settings and never run credential_process; choose another SSO profile name",
			"the profile and the SSO profile are both %q", p.Name)
	}
	type valueCheck struct {
		what, v string
		check   func(string) error
	}
	values := []valueCheck{
		{"account id", p.AccountID, profile.CheckAccountID},
		{"role name", p.RoleName, profile.CheckRoleName},
	}
	if p.ProfileRegion != "" {
		values = append(values, valueCheck{"profile region", p.ProfileRegion, profile.CheckRegion})
	}
	if s := p.NewSession; s != nil {
		if s.Name != "" && s.Name != p.Session {
			return "", fail(ErrInvalid, "", "the new sso-session is named %q, the profile uses %q", s.Name, p.Session)
		}
		values = append(values, valueCheck{"start URL", s.StartURL, checkStartURL}, valueCheck{"SSO region", s.Region, profile.CheckRegion})
		for _, sc := range s.Scopes {
			values = append(values, valueCheck{"scope", sc, checkScope})
		}
	}
	for _, v := range values {
		if err := v.check(v.v); err != nil {
			hint := ""
			var pe *profile.Error
			if errors.As(err, &pe) {
				hint = pe.Hint
			}
			return "", &Error{Msg: v.what + ": " + err.Error(), Hint: hint, Err: ErrInvalid}
		}
	}
	if len(p.Command) == 0 {
		return "", fail(ErrInvalid, "", "no command for credential_process")
	}
	return CommandLine(append(slices.Clip(p.Command), "--profile", p.SSOProfile))
}

// checkStartURL is profile.CheckStartURL, and no whitespace or control
// characters: botocore keeps a value as written after "=", so these would
// end up in the URL or break the line.
func checkStartURL(v string) error {
	if strings.ContainsFunc(v, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return &profile.Error{Msg: fmt.Sprintf("%q contains spaces or control characters", v)}
	}
	return profile.CheckStartURL(v)
}

// checkScope: the AWS CLI splits sso_registration_scopes at ",".
func checkScope(v string) error {
	if v == "" || strings.ContainsAny(v, ",") || strings.ContainsFunc(v, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return &profile.Error{Msg: fmt.Sprintf("%q is not a scope such as sso:account:access", v)}
	}
	return nil
}

// verify reads the planned content back as botocore would and checks that
// it holds the pair: the SSO profile resolves to the account, role and
// sso-session (with NewSession's settings, when given), and profile Name
// carries the credential_process (which splits back to the command), the
// region, and none of the keys that would make the SDKs bypass it.
func verify(path string, data []byte, p Pair, cp string) error {
	bad := func(format string, args ...any) error {
		return fail(ErrVerify, "edit the file by hand, or report this as a bug of sso-credproc", "%s: after the edit, "+format, append([]any{path}, args...)...)
	}
	noEnv := func(string) string { return "" }
	sp, err := profile.LoadData(path, data, p.SSOProfile, noEnv)
	if err != nil {
		var pe *profile.Error
		hint := ""
		if errors.As(err, &pe) {
			hint = pe.Hint
		}
		return &Error{Msg: "after the edit: " + err.Error(), Hint: hint, Err: errors.Join(ErrVerify, err)}
	}
	if sp.AccountID != p.AccountID || sp.RoleName != p.RoleName || sp.SessionName != p.Session {
		return bad("profile %q resolves to account %q, role %q, sso-session %q", p.SSOProfile, sp.AccountID, sp.RoleName, sp.SessionName)
	}
	if s := p.NewSession; s != nil {
		want := s.Scopes
		if len(want) == 0 {
			want = []string{"sso:account:access"}
		}
		if sp.StartURL != s.StartURL || sp.Region != s.Region || (len(s.Scopes) > 0 && !slices.Equal(sp.Scopes, want)) {
			return fail(ErrSessionDiffers, "use the sso-session as it is (give no start URL or region), or name another sso-session",
				"%s: sso-session %q exists with start URL %q, region %q, scopes %q", path, p.Session, sp.StartURL, sp.Region, strings.Join(sp.Scopes, ","))
		}
	}
	set, err := profile.Settings(path, data, p.Name)
	if err != nil {
		return bad("%v", err)
	}
	if set["credential_process"] != cp {
		return bad("profile %q has credential_process %q", p.Name, set["credential_process"])
	}
	words, err := profile.SplitCommand(cp)
	if want := append(slices.Clip(p.Command), "--profile", p.SSOProfile); err != nil || !slices.Equal(words, want) {
		return bad("credential_process splits into %q, want %q", words, want)
	}
	if p.ProfileRegion != "" && set["region"] != p.ProfileRegion {
		return bad("profile %q has region %q", p.Name, set["region"])
	}
	for _, k := range profile.SSOKeys() {
		if _, ok := set[k]; ok {
			return fail(ErrVerify, "remove "+k+" from [DEFAULT], whose keys configparser gives every section",
				"%s: after the edit, profile %q would hold %s, and the SDKs would use their own SSO support instead of credential_process", path, p.Name, k)
		}
	}
	return nil
}
