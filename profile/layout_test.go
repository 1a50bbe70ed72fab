package profile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSectionsPositions(t *testing.T) {
	data := "# top\n[default]\nregion = eu-west-1\n\n; about dev\n[profile dev]\r\ns3 =\r\n  [profile not-a-header] = 1\r\n\r\n  max = 1\r\n# trailing\r\n[DEFAULT]\rk = v\r[profilex odd]\n[profile a b]\n[sso-session corp]\nsso_region = eu-west-1"
	got, err := Sections("f", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	type want struct{ header, kind, name, body, tail string }
	wants := []want{
		{"default", KindProfile, "default", "[default]\nregion = eu-west-1\n", "\n; about dev\n"},
		{"profile dev", KindProfile, "dev", "[profile dev]\r\ns3 =\r\n  [profile not-a-header] = 1\r\n\r\n  max = 1\r\n", "# trailing\r\n"},
		{"DEFAULT", "", "", "[DEFAULT]\rk = v\r", ""},
		{"profilex odd", KindProfile, "odd", "[profilex odd]\n", ""},
		{"profile a b", "", "", "[profile a b]\n", ""},
		{"sso-session corp", KindSSOSession, "corp", "[sso-session corp]\nsso_region = eu-west-1", ""},
	}
	if len(got) != len(wants) {
		t.Fatalf("got %d sections: %+v", len(got), got)
	}
	for i, w := range wants {
		s := got[i]
		if s.Header != w.header || s.Kind != w.kind || s.Name != w.name {
			t.Errorf("%d: got %q %q %q, want %q %q %q", i, s.Header, s.Kind, s.Name, w.header, w.kind, w.name)
		}
		if body := data[s.Start:s.End]; body != w.body {
			t.Errorf("%d: body %q, want %q", i, body, w.body)
		}
		if tail := data[s.End:s.Next]; tail != w.tail {
			t.Errorf("%d: tail %q, want %q", i, tail, w.tail)
		}
	}
	if got[0].Line != 2 || got[1].Line != 6 {
		t.Errorf("lines %d, %d", got[0].Line, got[1].Line)
	}
}

// Sections finds the same profiles, sso-sessions and services as the reader
// on every fixture and generated file the reader accepts.
func TestSectionsAgreeWithReader(t *testing.T) {
	fixtures, _ := filepath.Glob(filepath.Join("testdata", "*.ini"))
	var contents []string
	for _, f := range fixtures {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		contents = append(contents, string(b))
	}
	contents = append(contents, generatedConfigs(600)...)
	checked := 0
	for _, c := range contents {
		cfg, perr := parseConfig("f", []byte(c))
		secs, err := Sections("f", []byte(c))
		if (perr == nil) != (err == nil) {
			t.Fatalf("%q: reader %v, Sections %v", c, perr, err)
		}
		if err != nil {
			continue
		}
		checked++
		found := map[string]map[string]bool{KindProfile: {}, KindSSOSession: {}, KindServices: {}}
		prev := 0
		for _, s := range secs {
			if s.Start < prev || s.End < s.Start || s.Next < s.End || !strings.HasPrefix(pyStrip(c[s.Start:s.End]), "[") {
				t.Errorf("%q: bad span %+v", c, s)
			}
			prev = s.Next
			if s.Kind != "" {
				found[s.Kind][s.Name] = true
			}
		}
		for kind, m := range map[string]map[string]*section{KindProfile: cfg.profiles, KindSSOSession: cfg.sessions, KindServices: cfg.services} {
			if len(m) != len(found[kind]) {
				t.Errorf("%q: %s: reader %d, Sections %v", c, kind, len(m), found[kind])
			}
			for n := range m {
				if !found[kind][n] {
					t.Errorf("%q: %s %q missing", c, kind, n)
				}
			}
		}
	}
	if checked < 50 {
		t.Errorf("only %d readable files checked", checked)
	}
}

func TestExportedChecks(t *testing.T) {
	for _, c := range []struct {
		check func(string) error
		good  string
		bad   []string
	}{
		{CheckAccountID, "111122223333", []string{"", "11112222333", "1111222233334", "11112222333a"}},
		{CheckRegion, "eu-west-1", []string{"", "eu", "EU-west-1", "eu-west-1\n", "eu-west-1 "}},
		{CheckRoleName, "Dev+ops@x", []string{"", "a b", "a\nb", strings.Repeat("a", 65)}},
		{CheckStartURL, "https://d-1.awsapps.com/start", []string{"", "d-1.awsapps.com", "ftp://x/y", "https://"}},
	} {
		if err := c.check(c.good); err != nil {
			t.Errorf("%q: %v", c.good, err)
		}
		for _, b := range c.bad {
			if err := c.check(b); err == nil {
				t.Errorf("%q accepted", b)
			}
		}
	}
}
