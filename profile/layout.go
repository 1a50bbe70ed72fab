package profile

// This file is for programs that edit the config file (internal/configedit):
// where each section lies in the bytes, what a resolved profile holds, and
// the value checks of policy.go as exported functions. It reuses the reader
// of configparser.go, so an editor sees the file exactly as botocore does.

import (
	"fmt"
	"net/url"
	"strings"
)

// Section kinds, as botocore's build_profile_map sorts sections.
const (
	KindProfile    = "profile"     // [profile NAME], and [default] as profile "default"
	KindSSOSession = "sso-session" // [sso-session NAME]
	KindServices   = "services"    // [services NAME]
)

// Section is one [header] section of a config file and where it lies.
type Section struct {
	// Header is the text between the brackets, as written.
	Header string
	// Kind is KindProfile, KindSSOSession or KindServices, or "" for a
	// section botocore ignores ([DEFAULT], whose keys configparser merges
	// into every section, a header with more or fewer than two
	// shell-split words such as [profile a b], or any other header).
	Kind string
	// Name is the profile, sso-session or services name botocore gives
	// the section: the second word of the header split like a shell
	// would (botocore's _parse_section), or "default" for [default].
	Name string
	// Line is the 1-based line number of the header.
	Line int
	// Start is the byte offset of the header line. End is the offset just
	// past the line terminator of the section's last key or value line
	// (the header's when it has none): comment and blank lines after it
	// are not part of the section, since they usually introduce what
	// follows. Next is the offset of the next header line, or len(data).
	Start, End, Next int
}

// Sections lists the sections of data, the contents of the config file at
// path (path is only used in errors), in file order. It fails with the
// *Error that Load would return when botocore cannot read the file
// (configparser's ParsingError, DuplicateSectionError and the like): such a
// file is not to be edited by a program. Lines end at "\n", "\r\n" or "\r"
// (Python's universal newlines), as the reader splits them.
func Sections(path string, data []byte) ([]Section, error) {
	if _, err := parseConfig(path, data); err != nil {
		return nil, err
	}
	var (
		out    []Section
		cur    *Section
		inOpt  bool // a key has been read in the current section
		indent int
	)
	text := string(data)
	lineno := 0
	for off := 0; off < len(text); {
		lineno++
		end := off
		for end < len(text) && text[end] != '\n' && text[end] != '\r' {
			end++
		}
		line := text[off:end]
		next := end
		if next < len(text) {
			if text[next] == '\r' && next+1 < len(text) && text[next+1] == '\n' {
				next++
			}
			next++
		}
		start := off
		off = next

		// The same decisions as parseConfig, in the same order.
		stripped := pyStrip(line)
		if stripped == "" || strings.HasPrefix(stripped, "#") || strings.HasPrefix(stripped, ";") {
			continue
		}
		lineIndent := leadingSpace(line)
		if cur != nil && inOpt && lineIndent > indent {
			cur.End = next // a continuation line of the value
			continue
		}
		indent = lineIndent
		if header, ok := matchSectionHeader(stripped); ok {
			if cur != nil {
				cur.Next = start
			}
			out = append(out, Section{Header: header, Line: lineno, Start: start, End: next, Next: len(text)})
			cur = &out[len(out)-1]
			cur.Kind, cur.Name = sectionKind(header)
			inOpt = false
			continue
		}
		// parseConfig accepted the file: this is a key = value line.
		inOpt = true
		cur.End = next
	}
	return out, nil
}

// sectionKind sorts a header as parseConfig does.
func sectionKind(header string) (kind, name string) {
	var ok bool
	switch {
	case strings.HasPrefix(header, "profile"):
		kind = KindProfile
		name, ok = sectionName(header)
	case strings.HasPrefix(header, "sso-session"):
		kind = KindSSOSession
		name, ok = sectionName(header)
	case strings.HasPrefix(header, "services"):
		kind = KindServices
		name, ok = sectionName(header)
	case header == "default":
		return KindProfile, "default"
	}
	if !ok {
		return "", ""
	}
	return kind, name
}

// LoadData is Load on data, the contents of the config file at path,
// without overrides and without reading the file: it lets an editor check
// what the file it is about to write will mean. env is used as in Load.
func LoadData(path string, data []byte, name string, env func(string) string) (*Profile, error) {
	cfg, err := parseConfig(path, data)
	if err != nil {
		return nil, err
	}
	sect := cfg.profiles[name]
	if sect == nil {
		return nil, notFound(path, cfg, name)
	}
	return resolve(cfg, sect, name, Overrides{}, env, false)
}

// Settings returns the keys of profile name in data as botocore's
// load_config gives them: lower-cased key to value, with the keys of
// [DEFAULT] merged in; a nested value (an indented block) is left out. The
// error wraps ErrProfileNotFound when there is no such profile.
func Settings(path string, data []byte, name string) (map[string]string, error) {
	cfg, err := parseConfig(path, data)
	if err != nil {
		return nil, err
	}
	sect := cfg.profiles[name]
	if sect == nil {
		return nil, notFound(path, cfg, name)
	}
	out := map[string]string{}
	for k, v := range sect.keys {
		if v.nested == nil {
			out[k] = v.text
		}
	}
	return out, nil
}

// SplitCommand splits a credential_process value into words as botocore
// does on POSIX (shlex.split, see shellSplit).
func SplitCommand(s string) ([]string, error) { return shellSplit(s) }

// SSOKeys lists the keys that make the SDKs use their built-in SSO support
// for a profile instead of its credential_process (see
// Profile.CredentialProcessBypassed).
func SSOKeys() []string { return append([]string(nil), sdkSSOKeys...) }

// CheckAccountID, CheckRegion and CheckRoleName apply Load's checks of
// sso_account_id, sso_region (and region names in general) and
// sso_role_name to v. The error is an *Error with only Msg set, e.g.
// `"12" is not an AWS account id: 12 digits, e.g. 111122223333`.
func CheckAccountID(v string) error { return checkError(checkAccountID, v) }

// CheckRegion: see CheckAccountID.
func CheckRegion(v string) error { return checkError(checkRegion, v) }

// CheckRoleName: see CheckAccountID.
func CheckRoleName(v string) error { return checkError(checkRoleName, v) }

// CheckStartURL applies Load's check of sso_start_url: an absolute http or
// https URL. The error is an *Error with Msg and Hint set.
func CheckStartURL(v string) error {
	if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return &Error{Msg: fmt.Sprintf("%q is not an absolute https URL", v),
			Hint: "the start URL is the AWS access portal URL, e.g. https://d-1234567890.awsapps.com/start"}
	}
	return nil
}

func checkError(check func(string) string, v string) error {
	if msg := check(v); msg != "" {
		return &Error{Msg: fmt.Sprintf("%q %s", v, msg)}
	}
	return nil
}
