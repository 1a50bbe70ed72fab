package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode"

	"github.com/sso-credproc/sso-credproc/sso"
)

var listed = []sso.Assignment{
	{AccountID: "111122223333", AccountName: "Development", RoleName: "Developer", EmailAddress: "dev@example.com"},
	{AccountID: "111122223333", AccountName: "Development", RoleName: "ReadOnly", EmailAddress: "dev@example.com"},
	{AccountID: "444455556666", AccountName: "Prod", RoleName: "AdministratorAccess", EmailAddress: "prod@example.com"},
	{AccountID: "777788889999", AccountName: "", RoleName: "R", EmailAddress: ""},
}

func TestWriteAssignmentsTable(t *testing.T) {
	profiles := map[[2]string][]string{
		{"111122223333", "Developer"}: {"dev", "dev-sso", "a-first"},
		{"444455556666", "ReadOnly"}:  {"not-this-role"},
		{"999999999999", "Developer"}: {"not-this-account"},
	}
	var out bytes.Buffer
	if err := writeAssignments(&out, listed, profiles, false); err != nil {
		t.Fatal(err)
	}
	want := `ACCOUNT ID    ACCOUNT NAME  ROLE                 PROFILE
111122223333  Development   Developer            a-first,dev,dev-sso
111122223333  Development   ReadOnly             -
444455556666  Prod          AdministratorAccess  -
777788889999  -             R                    -
`
	if out.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", out.String(), want)
	}
	if got := profiles[[2]string{"111122223333", "Developer"}]; got[0] != "dev" {
		t.Errorf("the caller's profile list was sorted in place: %q", got)
	}

	out.Reset()
	if err := writeAssignments(&out, nil, nil, false); err != nil {
		t.Fatal(err)
	}
	if out.String() != "ACCOUNT ID  ACCOUNT NAME  ROLE  PROFILE\n" {
		t.Errorf("empty table %q", out.String())
	}
}

func TestWriteAssignmentsJSON(t *testing.T) {
	var out bytes.Buffer
	if err := writeAssignments(&out, listed, map[[2]string][]string{{"111122223333", "Developer"}: {"dev"}}, true); err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out.String())
	}
	if len(got) != len(listed) {
		t.Fatalf("%d objects, want %d", len(got), len(listed))
	}
	for i, o := range got {
		want := map[string]any{"accountId": listed[i].AccountID, "accountName": listed[i].AccountName,
			"roleName": listed[i].RoleName, "emailAddress": listed[i].EmailAddress}
		if len(o) != len(want) {
			t.Errorf("object %d has keys %v, want exactly accountId, accountName, roleName, emailAddress", i, o)
		}
		for k, v := range want {
			if o[k] != v {
				t.Errorf("object %d: %s = %v, want %q", i, k, o[k], v)
			}
		}
	}
	if !strings.HasSuffix(out.String(), "]\n") {
		t.Errorf("output does not end with a newline: %q", out.String())
	}

	for _, as := range [][]sso.Assignment{nil, {}} {
		out.Reset()
		if err := writeAssignments(&out, as, nil, true); err != nil {
			t.Fatal(err)
		}
		if out.String() != "[]\n" {
			t.Errorf("no assignments (%#v): %q, want []", as, out.String())
		}
	}
}

// hostile holds every kind of character that must not reach a terminal
// as it is.
var hostile = []string{
	"\x1b[2J\x1b[31mred",     // ESC: clear screen, colours
	"a\x07bell",              // C0
	"tab\there",              // would split a column
	"new\nline\r",            // would split a row, return the cursor
	"del\x7f",                // DEL
	"csi\u009b31m",           // C1 CSI, 8-bit escape sequence
	"osc\u009d0;title\u009c", // C1 OSC ... ST: sets the window title
	"\u202eevil",             // right-to-left override
	"iso\u2066late\u2069",    // bidi isolates
	"line\u2028sep\u2029",    // line and paragraph separators
	"bad\xffutf8\xc3",        // not UTF-8 (0xff is text/tabwriter's Escape)
}

// unsafeIn reports a rune of s that may not be printed as it is.
func unsafeIn(s string) (rune, bool) {
	for _, r := range s {
		if r == '\n' {
			continue // the writer's own line ends, checked by counting lines
		}
		if unicode.IsControl(r) || unicode.In(r, unicode.Zl, unicode.Zp, unicode.Bidi_Control) || r == '\uFFFD' {
			return r, true
		}
	}
	return 0, !utf8Valid(s)
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "?") == s }

func TestWriteAssignmentsEscapes(t *testing.T) {
	var as []sso.Assignment
	profiles := map[[2]string][]string{}
	for i, h := range hostile {
		a := sso.Assignment{AccountID: "11112222333" + string(rune('0'+i%10)), AccountName: h, RoleName: h, EmailAddress: h}
		as = append(as, a)
		profiles[[2]string{a.AccountID, a.RoleName}] = []string{"p-" + h}
	}

	var table bytes.Buffer
	if err := writeAssignments(&table, as, profiles, false); err != nil {
		t.Fatal(err)
	}
	if r, bad := unsafeIn(table.String()); bad {
		t.Errorf("the table holds %U:\n%q", r, table.String())
	}
	lines := strings.Split(strings.TrimSuffix(table.String(), "\n"), "\n")
	if len(lines) != len(as)+1 {
		t.Fatalf("%d lines for %d assignments and a header", len(lines), len(as))
	}
	for _, l := range lines[1:] {
		if f := strings.Fields(l); len(f) != 4 {
			t.Errorf("row %q has %d columns, want 4", l, len(f))
		}
	}
	for _, want := range []string{`\x1b[2J\x1b[31mred`, `tab\there`, `new\nline\r`, `csi\x9b31m`, `\u202eevil`, `bad\xffutf8\xc3`, `p-\x1b[2J`} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("the table lacks the escaped %s:\n%s", want, table.String())
		}
	}

	var js bytes.Buffer
	if err := writeAssignments(&js, as, profiles, true); err != nil {
		t.Fatal(err)
	}
	if r, bad := unsafeIn(js.String()); bad {
		t.Errorf("the JSON holds %U:\n%q", r, js.String())
	}
	var back []sso.Assignment
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	for i, a := range back {
		// JSON keeps every string exactly, but for bytes that are not
		// UTF-8, which encoding/json replaces with U+FFFD.
		if want := strings.ToValidUTF8(hostile[i], "\uFFFD"); a.AccountName != want || a.RoleName != want || a.EmailAddress != want {
			t.Errorf("JSON object %d decodes to %+q, want %q", i, a, want)
		}
	}
}

func TestTerminalSafeKeepsText(t *testing.T) {
	for _, s := range []string{"", "Prod", "Entwicklung – Zürich", "開発", "back\\slash", "emoji 👩‍💻", "a b"} {
		if got := terminalSafe(s); got != s {
			t.Errorf("terminalSafe(%q) = %q, want it unchanged", s, got)
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteAssignmentsWriteError(t *testing.T) {
	for _, asJSON := range []bool{false, true} {
		if err := writeAssignments(failWriter{}, listed, nil, asJSON); err == nil {
			t.Errorf("asJSON %v: a failing writer gave no error", asJSON)
		}
	}
}
