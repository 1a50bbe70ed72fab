// Package configedit adds a profile pair for sso-credproc to the AWS config
// file without disturbing anything else in it.
//
// The pair is the one the README describes: a profile NAME whose only
// credential source is `credential_process = <sso-credproc> --profile
// NAME-sso`, and the profile NAME-sso that holds sso_session, sso_account_id
// and sso_role_name (the SDKs use their own SSO support for a profile with
// those keys and would bypass credential_process, so they live apart),
// plus the [sso-session S] when the file has none.
//
// The file is read as botocore reads it (profile.Sections, which follows
// CPython's RawConfigParser and botocore's build_profile_map): a file
// botocore cannot read is not edited. New sections are appended at the end;
// with force, existing sections of the two profiles are replaced where they
// are. Every other byte stays as it was: comments, blank lines, key case,
// indentation, line endings, a missing final newline. New text uses the
// file's line ending. The result is read back with the profile package
// before anything is written, and must resolve to the pair asked for.
package configedit

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	udiff "github.com/aymanbagabas/go-udiff"

	"github.com/sso-credproc/sso-credproc/profile"
)

// Pair is what configure writes.
type Pair struct {
	// Name is the profile that the AWS CLI and SDKs are pointed at
	// (`aws --profile NAME`); it gets credential_process and, with
	// ProfileRegion, region. "default" is written as [default].
	Name string
	// SSOProfile is the profile that holds the SSO settings and that
	// credential_process names; "" means Name+"-sso".
	SSOProfile string
	// Session is the sso-session the SSO profile uses.
	Session string
	// AccountID (12 digits) and RoleName (permission set) go on the SSO
	// profile as sso_account_id and sso_role_name.
	AccountID, RoleName string
	// ProfileRegion, when not "", is written as region on profile Name
	// (most AWS CLI commands need one).
	ProfileRegion string
	// NewSession describes the sso-session to add when the file has none
	// named Session; nil when it is expected to exist. When one exists,
	// its start URL, region and (if given) scopes must equal these.
	NewSession *Session
	// Command is the start of the credential_process command: the
	// absolute path of sso-credproc, then any flags. Plan appends
	// "--profile" and SSOProfile and quotes each word for botocore's
	// shlex split (see CommandLine).
	Command []string
}

// Session is an [sso-session NAME] section.
type Session struct {
	Name, StartURL, Region string
	// Scopes are written as sso_registration_scopes; empty means
	// sso:account:access, the AWS CLI's default, written out.
	Scopes []string
}

// Edit is a planned change of one config file.
type Edit struct {
	// Path is the config file, as given to Plan.
	Path string
	// Old is the file's content when planned, nil when it did not exist;
	// New is what is to be written.
	Old, New []byte
	// Replaced and Added list the headers of the sections replaced in
	// place (only with force) and appended, e.g. "[profile dev]".
	Replaced, Added []string
}

// Sentinel errors, wrapped in *Error.
var (
	// ErrInvalid: a name or value of the Pair cannot be written.
	ErrInvalid = errors.New("invalid value")
	// ErrUnreadable: botocore cannot read the file as it is (the
	// *profile.Error is wrapped too).
	ErrUnreadable = errors.New("config file unreadable")
	// ErrExists: one of the two profiles exists and force is off.
	ErrExists = errors.New("profile exists")
	// ErrAmbiguous: several sections define the same profile (e.g.
	// [default] and [profile default]); which to replace is not clear.
	ErrAmbiguous = errors.New("profile defined more than once")
	// ErrNoSession: the sso-session does not exist and NewSession is nil.
	ErrNoSession = errors.New("sso-session does not exist")
	// ErrSessionDiffers: the sso-session exists with other settings than
	// NewSession. An existing sso-session is never changed: other
	// profiles may use it.
	ErrSessionDiffers = errors.New("sso-session exists with other settings")
	// ErrVerify: the planned file does not mean what was asked for when
	// read back (e.g. a [DEFAULT] section adds SSO keys to every profile).
	ErrVerify = errors.New("planned file does not resolve to the pair")
	// ErrChanged: Apply found the file changed since Plan read it.
	ErrChanged = errors.New("config file changed since it was read")
)

// Error is a refusal of Plan or Apply: Msg for an error line, Hint for what
// to do, Err the sentinel (and any cause) for errors.Is and errors.As.
type Error struct {
	Msg, Hint string
	Err       error
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Err }

func fail(sentinel error, hint, format string, args ...any) error {
	return &Error{Msg: fmt.Sprintf(format, args...), Hint: hint, Err: sentinel}
}

// Plan works out the edit of the config file at path, whose content is data
// (nil: the file does not exist). force allows replacing the sections of
// existing profiles Name and SSOProfile, in place. The planned content is
// read back with the profile package and must resolve to p. Errors are
// *Error wrapping one of the sentinels above.
func Plan(path string, data []byte, p Pair, force bool) (*Edit, error) {
	if p.SSOProfile == "" {
		p.SSOProfile = p.Name + "-sso"
	}
	cp, err := p.check()
	if err != nil {
		return nil, err
	}
	var secs []profile.Section
	if data != nil {
		if secs, err = profile.Sections(path, data); err != nil {
			hint := "fix the file first; the AWS CLI cannot read it either"
			var pe *profile.Error
			if errors.As(err, &pe) && pe.Hint != "" {
				hint = pe.Hint
			}
			return nil, &Error{Msg: err.Error(), Hint: hint, Err: errors.Join(ErrUnreadable, err)}
		}
	}
	eol := lineEnding(data)

	type replacement struct {
		start, end int
		text       string
	}
	var (
		repl []replacement
		add  []string
		e    = &Edit{Path: path, Old: data}
	)
	for _, s := range []struct{ name, text string }{
		{p.Name, profileText(p.Name, eol, "credential_process", cp, "region", p.ProfileRegion)},
		{p.SSOProfile, profileText(p.SSOProfile, eol, "sso_session", p.Session, "sso_account_id", p.AccountID, "sso_role_name", p.RoleName)},
	} {
		found := find(secs, profile.KindProfile, s.name)
		switch {
		case len(found) > 1:
			return nil, fail(ErrAmbiguous, "merge them into one section by hand, then run the command again",
				"%s: profile %q is defined by %d sections (%s)", path, s.name, len(found), lines(found))
		case len(found) == 1 && !force:
			return nil, fail(ErrExists, "replace it (force), or choose another name",
				"%s: profile %q exists ([%s] at line %d)", path, s.name, found[0].Header, found[0].Line)
		case len(found) == 1:
			repl = append(repl, replacement{found[0].Start, found[0].End, s.text})
			e.Replaced = append(e.Replaced, "["+found[0].Header+"]")
		default:
			add = append(add, s.text)
			e.Added = append(e.Added, header(profile.KindProfile, s.name))
		}
	}
	sessions := find(secs, profile.KindSSOSession, p.Session)
	switch {
	case len(sessions) == 0 && p.NewSession == nil:
		return nil, fail(ErrNoSession, "give its start URL and region to add it",
			"%s: sso-session %q does not exist", path, p.Session)
	case len(sessions) == 0:
		s := p.NewSession
		scopes := s.Scopes
		if len(scopes) == 0 {
			scopes = []string{"sso:account:access"}
		}
		add = append(add, sectionText(header(profile.KindSSOSession, p.Session), eol,
			"sso_start_url", s.StartURL, "sso_region", s.Region, "sso_registration_scopes", strings.Join(scopes, ", ")))
		e.Added = append(e.Added, header(profile.KindSSOSession, p.Session))
	}

	// Build the new content: replacements in file order, then the
	// appended sections, each after a blank line.
	slices.SortFunc(repl, func(a, b replacement) int { return a.start - b.start })
	var b bytes.Buffer
	at := 0
	for _, r := range repl {
		b.Write(data[at:r.start])
		b.WriteString(r.text)
		at = r.end
	}
	b.Write(data[at:])
	for _, text := range add {
		if b.Len() > 0 {
			if !endsLine(b.Bytes()) {
				b.WriteString(eol)
			}
			if !endsBlank(b.Bytes()) {
				b.WriteString(eol)
			}
		}
		b.WriteString(text)
	}
	e.New = b.Bytes()
	if err := verify(path, e.New, p, cp); err != nil {
		return nil, err
	}
	return e, nil
}

// Changed reports whether applying the edit changes the file.
func (e *Edit) Changed() bool { return e.Old == nil || !bytes.Equal(e.Old, e.New) }

// Diff returns a unified diff (3 lines of context) from the old content to
// the new, labelled with Path ("/dev/null" as the old label for a new
// file), or "" when nothing changes. Lines keep their own terminators, so
// a CRLF file's lines end in "\r\n"; a last line without one is marked
// `\ No newline at end of file`.
func (e *Edit) Diff() string {
	if !e.Changed() {
		return ""
	}
	from := e.Path
	if e.Old == nil {
		from = "/dev/null"
	}
	old := string(e.Old)
	d, err := udiff.ToUnified(from, e.Path, old, udiff.Lines(old, string(e.New)), udiff.DefaultContextLines)
	if err != nil {
		// Lines' edits always apply to old; say so rather than hide it.
		return fmt.Sprintf("(no diff: %v)\n", err)
	}
	return d
}

func find(secs []profile.Section, kind, name string) []profile.Section {
	var out []profile.Section
	for _, s := range secs {
		if s.Kind == kind && s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

func lines(secs []profile.Section) string {
	var parts []string
	for _, s := range secs {
		parts = append(parts, fmt.Sprintf("[%s] at line %d", s.Header, s.Line))
	}
	return strings.Join(parts, ", ")
}

// header is the section header botocore reads as profile or sso-session
// name: [default] for the profile "default" (botocore reads [profile
// default] too, but [default] is what the AWS CLI writes).
func header(kind, name string) string {
	if kind == profile.KindProfile && name == "default" {
		return "[default]"
	}
	return "[" + kind + " " + name + "]"
}

func profileText(name, eol string, kv ...string) string {
	return sectionText(header(profile.KindProfile, name), eol, kv...)
}

// sectionText writes a header and its key = value lines, leaving out
// pairs whose value is "".
func sectionText(hdr, eol string, kv ...string) string {
	var b strings.Builder
	b.WriteString(hdr + eol)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			b.WriteString(kv[i] + " = " + kv[i+1] + eol)
		}
	}
	return b.String()
}

// lineEnding is the terminator of the file's first line: "\r\n", "\r" or
// "\n"; "\n" for a file without any.
func lineEnding(data []byte) string {
	i := bytes.IndexAny(data, "\r\n")
	switch {
	case i < 0:
		return "\n"
	case data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n':
		return "\r\n"
	case data[i] == '\r':
		return "\r"
	}
	return "\n"
}

func endsLine(b []byte) bool {
	return len(b) == 0 || b[len(b)-1] == '\n' || b[len(b)-1] == '\r'
}

// endsBlank reports whether the last line of b (which ends a line) is
// blank, i.e. b ends in two line terminators.
func endsBlank(b []byte) bool {
	t := b
	switch {
	case bytes.HasSuffix(t, []byte("\r\n")):
		t = t[:len(t)-2]
	case len(t) > 0:
		t = t[:len(t)-1]
	}
	if len(t) == 0 {
		return true
	}
	i := bytes.LastIndexAny(t, "\r\n")
	return strings.TrimFunc(string(t[i+1:]), unicode.IsSpace) == ""
}
