package cli

// Rendering of the accounts and roles a user can reach, for the list
// command. Account names, email addresses and role names come from the
// service, where an administrator typed them, and profile names from the
// user's config file: any of them may hold control characters, and what is
// printed here may go to a terminal. So both forms escape them.

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"unicode"
	"unicode/utf8"

	"github.com/sso-credproc/sso-credproc/sso"
)

// writeAssignments writes as to w, in the order given: with asJSON a JSON
// array of objects with exactly accountId, accountName, roleName and
// emailAddress ("[]" for none), indented by two spaces; otherwise a table
// aligned with spaces, columns ACCOUNT ID, ACCOUNT NAME, ROLE and PROFILE,
// one line per assignment after the header. profiles maps {account ID,
// role name} to the names of the config's profiles for that account and
// role (profile.ProfilesByRole); the PROFILE column lists them sorted and
// comma-separated, "-" when there are none (as for an empty account name).
//
// Nothing printed can move the cursor, change colours or reorder text: in
// the table, control characters (C0, DEL, C1), line and paragraph
// separators, bidirectional formatting characters and bytes that are not
// UTF-8 are shown escaped (\x1b, \u202e, \xff), so a tab or newline in a
// name cannot break the columns either; in JSON those characters are
// \u escapes, which decode to the same strings. The error is w's.
func writeAssignments(w io.Writer, as []sso.Assignment, profiles map[[2]string][]string, asJSON bool) error {
	if asJSON {
		if as == nil {
			as = []sso.Assignment{}
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(as); err != nil {
			return err
		}
		_, err := io.WriteString(w, jsonEscapeUnsafe(buf.String()))
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT ID\tACCOUNT NAME\tROLE\tPROFILE")
	for _, a := range as {
		names := slices.Clone(profiles[[2]string{a.AccountID, a.RoleName}])
		slices.Sort(names)
		for i, n := range names {
			names[i] = terminalSafe(n)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n",
			cmp.Or(terminalSafe(a.AccountID), "-"), cmp.Or(terminalSafe(a.AccountName), "-"),
			cmp.Or(terminalSafe(a.RoleName), "-"), cmp.Or(strings.Join(names, ","), "-"))
	}
	return tw.Flush()
}

// unsafeRune reports whether r must not reach a terminal as it is: a
// control character (C0, DEL, C1, which start escape sequences and move
// the cursor), a line or paragraph separator, or a bidirectional
// formatting character (which reorders what follows it on the line).
func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || unicode.In(r, unicode.Zl, unicode.Zp, unicode.Bidi_Control)
}

// terminalSafe returns s with every unsafe rune escaped as Go writes it in
// a string literal (\t, \n, \x1b, \u202e) and every byte that is not
// UTF-8 as \xNN. Other text, backslashes included, is unchanged.
func terminalSafe(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unsafeRune(r):
			b.WriteString(escapeRune(r))
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// escapeRune is the escape of one unsafe rune: \t, \n, \r as such,
// others below U+0100 as \xNN, the rest as \uNNNN.
func escapeRune(r rune) string {
	switch r {
	case '\t':
		return `\t`
	case '\n':
		return `\n`
	case '\r':
		return `\r`
	}
	if r < 0x100 {
		return fmt.Sprintf(`\x%02x`, r)
	}
	return fmt.Sprintf(`\u%04x`, r)
}

// jsonEscapeUnsafe replaces the unsafe runes that encoding/json leaves as
// they are (DEL, C1 controls, bidirectional formatting characters) by \u
// escapes, and U+FFFD, which stands for bytes that are not UTF-8 (Go 1.26
// wrote it as \ufffd, Go 1.27 as it is), so that the output is the same
// with either. They can only be inside strings, where the escape means the
// same rune.
func jsonEscapeUnsafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unsafeRune(r) && r != '\n' || r == utf8.RuneError { // \n: the encoder's own newlines
			fmt.Fprintf(&b, `\u%04x`, r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
