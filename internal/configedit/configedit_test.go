package configedit

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sso-credproc/sso-credproc/profile"
)

// testCommand has a space in the path, so credential_process needs quotes.
var testCommand = []string{"/opt/my tools/sso-credproc"}

func newPair() Pair {
	return Pair{
		Name: "newprof", Session: "cfgtest", AccountID: "111122223333", RoleName: "Developer",
		ProfileRegion: "eu-west-1",
		NewSession:    &Session{Name: "cfgtest", StartURL: "https://d-1234567890.awsapps.com/start", Region: "eu-west-1"},
		Command:       testCommand,
	}
}

type corpusFile struct {
	name string
	data []byte
}

func corpus(t *testing.T) []corpusFile {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "*.ini"))
	if err != nil || len(paths) < 10 {
		t.Fatalf("corpus: %d files, %v", len(paths), err)
	}
	var out []corpusFile
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, corpusFile{filepath.Base(p), b})
	}
	return out
}

// expectedAppend is what Plan appends for newPair, written out by hand.
func expectedAppend(eol string) string {
	s := `[profile newprof]
credential_process = "/opt/my tools/sso-credproc" --profile newprof-sso
region = eu-west-1

[profile newprof-sso]
sso_session = cfgtest
sso_account_id = 111122223333
sso_role_name = Developer

[sso-session cfgtest]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = eu-west-1
sso_registration_scopes = sso:account:access
`
	return strings.ReplaceAll(s, "\n", eol)
}

// checkResolves reads data back with the profile package: the SSO profile
// gives the account, role and session; the other profile's
// credential_process splits back to the command.
func checkResolves(t *testing.T, name string, data []byte, p Pair) {
	t.Helper()
	sso := p.SSOProfile
	if sso == "" {
		sso = p.Name + "-sso"
	}
	got, err := profile.LoadData("config", data, sso, func(string) string { return "" })
	if err != nil {
		t.Fatalf("%s: LoadData(%s): %v", name, sso, err)
	}
	if got.AccountID != p.AccountID || got.RoleName != p.RoleName || got.SessionName != p.Session {
		t.Errorf("%s: %s resolves to %q %q %q", name, sso, got.AccountID, got.RoleName, got.SessionName)
	}
	if p.NewSession != nil && (got.StartURL != p.NewSession.StartURL || got.Region != p.NewSession.Region) {
		t.Errorf("%s: session %q %q", name, got.StartURL, got.Region)
	}
	set, err := profile.Settings("config", data, p.Name)
	if err != nil {
		t.Fatalf("%s: Settings(%s): %v", name, p.Name, err)
	}
	words, err := profile.SplitCommand(set["credential_process"])
	if want := append(slices.Clone(p.Command), "--profile", sso); err != nil || !slices.Equal(words, want) {
		t.Errorf("%s: credential_process %q splits to %q, %v; want %q", name, set["credential_process"], words, err, want)
	}
	if p.ProfileRegion != "" && set["region"] != p.ProfileRegion {
		t.Errorf("%s: region %q", name, set["region"])
	}
}

// A new pair is appended: the old content is a byte-exact prefix, followed
// by at most a line ending and a blank line, then exactly the new sections
// in the file's line ending.
func TestCorpusAppendKeepsEveryByte(t *testing.T) {
	for _, f := range corpus(t) {
		t.Run(f.name, func(t *testing.T) {
			e, err := Plan("config", f.data, newPair(), false)
			if err != nil {
				t.Fatal(err)
			}
			eol := lineEnding(f.data)
			if !bytes.HasPrefix(e.New, f.data) {
				t.Fatalf("old content is not kept as a prefix")
			}
			tail := string(e.New[len(f.data):])
			var sep string
			switch {
			case len(f.data) == 0:
			case !endsLine(f.data):
				sep = eol + eol
			case !endsBlank(f.data):
				sep = eol
			}
			if want := sep + expectedAppend(eol); tail != want {
				t.Errorf("appended %q\nwant     %q", tail, want)
			}
			if strings.Contains(f.name, "crlf") && !strings.Contains(tail, "\r\n") {
				t.Errorf("CRLF file got other line endings: %q", tail)
			}
			checkResolves(t, f.name, e.New, newPair())
			if len(e.Replaced) != 0 || len(e.Added) != 3 {
				t.Errorf("replaced %v, added %v", e.Replaced, e.Added)
			}
		})
	}
}

// The first profile of each file is refused without force and replaced in
// place with it: every byte before and after its section is unchanged.
func TestCorpusForceReplacesInPlace(t *testing.T) {
	replaced := 0
	for _, f := range corpus(t) {
		secs, err := profile.Sections("config", f.data)
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		var target *profile.Section
		for i := range secs {
			if secs[i].Kind == profile.KindProfile && CheckName("profile", secs[i].Name) == nil && len(find(secs, profile.KindProfile, secs[i].Name)) == 1 {
				target = &secs[i]
				break
			}
		}
		if target == nil {
			continue
		}
		t.Run(f.name, func(t *testing.T) {
			p := newPair()
			p.Name = target.Name
			p.SSOProfile = target.Name + "-cfgsso"
			if _, err := Plan("config", f.data, p, false); !errors.Is(err, ErrExists) {
				t.Fatalf("without force: %v, want ErrExists", err)
			}
			e, err := Plan("config", f.data, p, true)
			if err != nil {
				t.Fatal(err)
			}
			replaced++
			eol := lineEnding(f.data)
			hdr := "[profile " + p.Name + "]"
			if p.Name == "default" {
				hdr = "[default]"
			}
			section := hdr + eol + `credential_process = "/opt/my tools/sso-credproc" --profile ` + p.SSOProfile + eol + "region = eu-west-1" + eol
			rest := string(f.data[target.End:])
			if !endsLine([]byte(section + rest)) {
				rest += eol
			}
			if !endsBlank([]byte(section + rest)) {
				rest += eol
			}
			want := string(f.data[:target.Start]) + section + rest +
				strings.Replace(expectedAppend(eol), "[profile newprof]"+eol+`credential_process = "/opt/my tools/sso-credproc" --profile newprof-sso`+eol+"region = eu-west-1"+eol+eol, "", 1)
			want = strings.ReplaceAll(want, "newprof-sso", p.SSOProfile)
			if string(e.New) != want {
				t.Errorf("got\n%q\nwant\n%q", e.New, want)
			}
			if len(e.Replaced) != 1 || e.Replaced[0] != "["+target.Header+"]" {
				t.Errorf("replaced %v", e.Replaced)
			}
			checkResolves(t, f.name, e.New, p)
		})
	}
	if replaced < 10 {
		t.Errorf("only %d files had a profile to replace", replaced)
	}
}

// Hand-written cases: what the file looks like afterwards, exactly.
func TestPlanGolden(t *testing.T) {
	p := Pair{Name: "dev", Session: "corp", AccountID: "111122223333", RoleName: "Dev", Command: []string{"/usr/bin/sso-credproc"}}
	const corp = "[sso-session corp]\nsso_start_url = https://x.awsapps.com/start\nsso_region = eu-west-1\n"
	for _, c := range []struct {
		name, old, want string
		force           bool
	}{
		{"append after session", corp,
			corp + "\n[profile dev]\ncredential_process = /usr/bin/sso-credproc --profile dev-sso\n\n[profile dev-sso]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Dev\n", false},
		{"no final newline", strings.TrimSuffix(corp, "\n"),
			corp + "\n[profile dev]\ncredential_process = /usr/bin/sso-credproc --profile dev-sso\n\n[profile dev-sso]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Dev\n", false},
		{"crlf", strings.ReplaceAll(corp, "\n", "\r\n"),
			strings.ReplaceAll(corp+"\n[profile dev]\ncredential_process = /usr/bin/sso-credproc --profile dev-sso\n\n[profile dev-sso]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Dev\n", "\n", "\r\n"), false},
		{"force keeps position and surroundings",
			"# mine\n[profile dev]\nregion = x\n  # inside\nregion2 = y\n# about dev-sso\n[profile dev-sso]\nsso_session = other\n\n; end\n" + corp,
			"# mine\n[profile dev]\ncredential_process = /usr/bin/sso-credproc --profile dev-sso\n# about dev-sso\n[profile dev-sso]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Dev\n\n; end\n" + corp, true},
		{"force on [profile dev] written oddly",
			"[profile \"dev\"]\nregion = x\n" + corp,
			"[profile dev]\ncredential_process = /usr/bin/sso-credproc --profile dev-sso\n" + corp + "\n[profile dev-sso]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Dev\n", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, err := Plan("config", []byte(c.old), p, c.force)
			if err != nil {
				t.Fatal(err)
			}
			if string(e.New) != c.want {
				t.Errorf("got\n%q\nwant\n%q", e.New, c.want)
			}
			checkResolves(t, c.name, e.New, p)
		})
	}
}

func TestPlanNewFileAndDefault(t *testing.T) {
	p := newPair()
	p.Name, p.SSOProfile, p.ProfileRegion = "default", "sso", ""
	e, err := Plan("/x/config", nil, p, false)
	if err != nil {
		t.Fatal(err)
	}
	want := "[default]\ncredential_process = \"/opt/my tools/sso-credproc\" --profile sso\n\n[profile sso]\nsso_session = cfgtest\n" +
		"sso_account_id = 111122223333\nsso_role_name = Developer\n\n[sso-session cfgtest]\nsso_start_url = https://d-1234567890.awsapps.com/start\n" +
		"sso_region = eu-west-1\nsso_registration_scopes = sso:account:access\n"
	if string(e.New) != want {
		t.Errorf("got\n%s", e.New)
	}
	d := e.Diff()
	if !strings.HasPrefix(d, "--- /dev/null\n+++ /x/config\n@@ -0,0 +1,12 @@\n+[default]\n") {
		t.Errorf("diff:\n%s", d)
	}
}

func TestDiff(t *testing.T) {
	old := []byte("[default]\nregion = us-east-1")
	p := newPair()
	e, err := Plan("/home/u/.aws/config", old, p, false)
	if err != nil {
		t.Fatal(err)
	}
	d := e.Diff()
	for _, s := range []string{"--- /home/u/.aws/config\n+++ /home/u/.aws/config\n", "-region = us-east-1\n\\ No newline at end of file\n+region = us-east-1\n", "+[profile newprof-sso]\n", " [default]\n"} {
		if !strings.Contains(d, s) {
			t.Errorf("diff lacks %q:\n%s", s, d)
		}
	}
	same := &Edit{Path: "p", Old: []byte("x"), New: []byte("x")}
	if same.Changed() || same.Diff() != "" {
		t.Errorf("unchanged edit: %v %q", same.Changed(), same.Diff())
	}
}

func TestPlanRefuses(t *testing.T) {
	const corp = "[sso-session corp]\nsso_start_url = https://x.awsapps.com/start\nsso_region = eu-west-1\n"
	base := Pair{Name: "dev", Session: "corp", AccountID: "111122223333", RoleName: "Dev", Command: []string{"/bin/sso-credproc"}}
	with := func(f func(*Pair)) Pair { p := base; f(&p); return p }
	for _, c := range []struct {
		name  string
		data  string
		p     Pair
		force bool
		want  error
	}{
		{"sso profile exists", corp + "[profile dev-sso]\nregion = x\n", base, false, ErrExists},
		{"profile exists as [default]", corp + "[default]\n", with(func(p *Pair) { p.Name = "default" }), false, ErrExists},
		{"profile exists as [profile default]", corp + "[profile default]\n", with(func(p *Pair) { p.Name = "default" }), false, ErrExists},
		{"both [default] and [profile default]", corp + "[default]\n[profile default]\n", with(func(p *Pair) { p.Name = "default" }), true, ErrAmbiguous},
		{"two spellings of one profile", corp + "[profile dev]\n[profile  dev]\n", base, true, ErrAmbiguous},
		{"unreadable file", corp + "no equals sign\n", base, false, ErrUnreadable},
		{"duplicate section", corp + corp, base, false, ErrUnreadable},
		{"missing session", "[default]\n", base, false, ErrNoSession},
		{"session differs", corp, with(func(p *Pair) {
			p.NewSession = &Session{StartURL: "https://other.awsapps.com/start", Region: "eu-west-1"}
		}), false, ErrSessionDiffers},
		{"DEFAULT gives SSO keys", corp + "[DEFAULT]\nsso_session = corp\n", base, false, ErrVerify},
		{"name with space", corp, with(func(p *Pair) { p.Name = "my dev" }), false, ErrInvalid},
		{"name with bracket", corp, with(func(p *Pair) { p.Name = "dev]" }), false, ErrInvalid},
		{"name with quote", corp, with(func(p *Pair) { p.Name = `dev"` }), false, ErrInvalid},
		{"name like a flag", corp, with(func(p *Pair) { p.Name = "-dev" }), false, ErrInvalid},
		{"session name with space", corp, with(func(p *Pair) { p.Session = "a b" }), false, ErrInvalid},
		{"same names", corp, with(func(p *Pair) { p.SSOProfile = "dev" }), false, ErrInvalid},
		{"account", corp, with(func(p *Pair) { p.AccountID = "1234" }), false, ErrInvalid},
		{"role", corp, with(func(p *Pair) { p.RoleName = "a b" }), false, ErrInvalid},
		{"profile region", corp, with(func(p *Pair) { p.ProfileRegion = "eu-west-1\n[x]" }), false, ErrInvalid},
		{"start url with newline", "", with(func(p *Pair) {
			p.NewSession = &Session{StartURL: "https://x/start\n[profile evil]", Region: "eu-west-1"}
		}), false, ErrInvalid},
		{"start url not https", "", with(func(p *Pair) { p.NewSession = &Session{StartURL: "x.awsapps.com", Region: "eu-west-1"} }), false, ErrInvalid},
		{"scope with comma", "", with(func(p *Pair) {
			p.NewSession = &Session{StartURL: "https://x/start", Region: "eu-west-1", Scopes: []string{"a,b"}}
		}), false, ErrInvalid},
		{"command with $", corp, with(func(p *Pair) { p.Command = []string{"/opt/$x/sso-credproc"} }), false, ErrInvalid},
		{"no command", corp, with(func(p *Pair) { p.Command = nil }), false, ErrInvalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			var data []byte
			if c.data != "" {
				data = []byte(c.data)
			}
			e, err := Plan("config", data, c.p, c.force)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, %v; want %v", e, err, c.want)
			}
			var ce *Error
			if !errors.As(err, &ce) || ce.Msg == "" {
				t.Errorf("not an *Error with a message: %#v", err)
			}
		})
	}
}

// An existing session with the same settings is used as it is.
func TestPlanSameSessionIsKept(t *testing.T) {
	const corp = "[sso-session corp]\nsso_start_url = https://x.awsapps.com/start\nsso_region = eu-west-1\n"
	p := Pair{Name: "dev", Session: "corp", AccountID: "111122223333", RoleName: "Dev", Command: []string{"/bin/sso-credproc"},
		NewSession: &Session{StartURL: "https://x.awsapps.com/start", Region: "eu-west-1"}}
	e, err := Plan("config", []byte(corp), p, false)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(e.New), "[sso-session corp]") != 1 || slices.Contains(e.Added, "[sso-session corp]") {
		t.Errorf("session written again: %q", e.New)
	}
}

func TestCommandLineRoundTrip(t *testing.T) {
	for _, c := range []struct {
		words []string
		want  string
	}{
		{[]string{"/usr/local/bin/sso-credproc", "--profile", "dev-sso"}, "/usr/local/bin/sso-credproc --profile dev-sso"},
		{[]string{"/home/a b/sso-credproc", "--profile", "x"}, `"/home/a b/sso-credproc" --profile x`},
		{[]string{`C:\Program Files\sso-credproc\sso-credproc.exe`, "--profile", "x"}, `"C:\Program Files\sso-credproc\sso-credproc.exe" --profile x`},
		{[]string{`C:\Tools\sso-credproc.exe`}, `"C:\Tools\sso-credproc.exe"`},
		{[]string{"/opt/it's/sso-credproc"}, `"/opt/it's/sso-credproc"`},
		{[]string{"/opt/ünï/sso-credproc", "--profile", "開発-sso"}, `/opt/ünï/sso-credproc --profile 開発-sso`},
		{[]string{"/opt/ünï dir/sso-credproc"}, `"/opt/ünï dir/sso-credproc"`},
		{[]string{"/opt/#1/sso-credproc"}, `"/opt/#1/sso-credproc"`},
	} {
		got, err := CommandLine(c.words)
		if err != nil || got != c.want {
			t.Errorf("CommandLine(%q) = %q, %v; want %q", c.words, got, err, c.want)
			continue
		}
		back, err := profile.SplitCommand(got)
		if err != nil || !slices.Equal(back, c.words) {
			t.Errorf("%q splits back to %q, %v", got, back, err)
		}
	}
	for _, bad := range [][]string{{`\\server\share\sso-credproc.exe`}, {`/a"b`}, {"/a`b`"}, {"/a$b"}, {"/a\nb"}, {`C:\dir\`}} {
		if got, err := CommandLine(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("CommandLine(%q) = %q, %v; want refusal", bad, got, err)
		}
	}
}
