package profile

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sso-credproc/sso-credproc/internal/callers"
)

// botocoreScript reads a JSON request on stdin and answers, for each file,
// what botocore.configloader.load_config makes of it, and for each string,
// what shlex.split (botocore's compat_shell_split on POSIX) makes of it.
const botocoreScript = `
import json, shlex, sys
from botocore.configloader import load_config
req = json.load(sys.stdin)
files = []
for path in req["files"]:
    try:
        c = load_config(path)
        files.append({"profiles": c["profiles"], "sso_sessions": c["sso_sessions"], "services": c["services"]})
    except Exception as e:
        files.append({"error": type(e).__name__})
words = []
for s in req["words"]:
    try:
        words.append({"words": shlex.split(s)})
    except ValueError as e:
        words.append({"error": str(e)})
json.dump({"files": files, "words": words}, sys.stdout)
`

type botocoreFile struct {
	Profiles    map[string]map[string]any `json:"profiles"`
	SSOSessions map[string]map[string]any `json:"sso_sessions"`
	Services    map[string]map[string]any `json:"services"`
	Error       string                    `json:"error"`
}

type botocoreWords struct {
	Words []string `json:"words"`
	Error string   `json:"error"`
}

// runBotocore runs an installed botocore that reads [services] sections
// (see callers.PythonWithBotocore). Without one the test is skipped (the
// rest of the suite pins the same behaviour), except under CI, where it
// fails.
func runBotocore(t *testing.T, files, words []string) ([]botocoreFile, []botocoreWords) {
	t.Helper()
	py, version := callers.PythonWithBotocore(t, callers.BotocoreServices)
	t.Logf("caller version: %s with botocore %s", py, version)
	var resp struct {
		Files []botocoreFile  `json:"files"`
		Words []botocoreWords `json:"words"`
	}
	callers.RunPython(t, py, botocoreScript, nil, map[string][]string{"files": files, "words": words}, &resp)
	if len(resp.Files) != len(files) || len(resp.Words) != len(words) {
		t.Fatalf("botocore helper answered %d/%d, want %d/%d", len(resp.Files), len(resp.Words), len(files), len(words))
	}
	return resp.Files, resp.Words
}

// asBotocore renders our parse the way botocore's load_config returns it.
func asBotocore(cfg *config) botocoreFile {
	conv := func(m map[string]*section) map[string]map[string]any {
		out := map[string]map[string]any{}
		for name, s := range m {
			keys := map[string]any{}
			for k, v := range s.keys {
				if v.nested != nil {
					n := map[string]any{}
					for nk, nv := range v.nested {
						n[nk] = nv
					}
					keys[k] = n
				} else {
					keys[k] = v.text
				}
			}
			out[name] = keys
		}
		return out
	}
	return botocoreFile{Profiles: conv(cfg.profiles), SSOSessions: conv(cfg.sessions), Services: conv(cfg.services)}
}

// generatedConfigs builds files from fragments that exercise every branch of
// configparser's reader; the seed is fixed so a failure can be reproduced.
func generatedConfigs(n int) []string {
	r := rand.New(rand.NewSource(20260601))
	headers := []string{"[profile a]", "[profile b]", `[profile "c d"]`, "[profile 'e f' g]", "[default]", "[DEFAULT]",
		"[sso-session s]", "[services x]", "[ profile h ]", "[profilex i]", "[profile]", "[a]b]", "[]", "[x",
		`[profile "unterminated]`, "[Profile j]", "[profile default]", "[sso-session]", "[servicesy z]", "[profile a] ; c"}
	keys := []string{"region", "Region", "sso_region", "SSO_START_URL", "s3", "services", "endpoint_url", "k", "K", "-", `"q"`, "a b", "x.y", "İ"}
	delims := []string{"=", ":", " = ", " : ", "\t=\t", "==", "=:", " := "}
	values := []string{"", "v", "v # c", "v ; c", `"quoted"`, "'single'", `"""triple"""`, "`tick`", "a=b", "a:b", "\\", "x\\", "%(y)s", "ünï", " padded ", "http://h/p?a=b#f"}
	indents := []string{"", "", "", " ", "  ", "\t", "    ", "\u00a0", "\x1c"}
	var out []string
	for i := 0; i < n; i++ {
		var b strings.Builder
		if r.Intn(6) > 0 {
			b.WriteString(headers[r.Intn(len(headers))] + "\n")
		}
		lines := 1 + r.Intn(12)
		for j := 0; j < lines; j++ {
			ind := indents[r.Intn(len(indents))]
			switch r.Intn(12) {
			case 0:
				b.WriteString(ind + headers[r.Intn(len(headers))])
			case 1:
				b.WriteString(ind + []string{"# c", "; c", "#", ";", "  # indented", "rem"}[r.Intn(6)])
			case 2:
				b.WriteString([]string{"", "   ", "\t"}[r.Intn(3)])
			case 3:
				b.WriteString(ind + keys[r.Intn(len(keys))] + delims[r.Intn(len(delims))])
			case 4:
				b.WriteString("  " + ind + keys[r.Intn(len(keys))] + " = " + values[r.Intn(len(values))])
			case 5:
				b.WriteString("  " + ind + values[r.Intn(len(values))])
			default:
				b.WriteString(ind + keys[r.Intn(len(keys))] + delims[r.Intn(len(delims))] + values[r.Intn(len(values))])
			}
			b.WriteString([]string{"\n", "\n", "\n", "\r\n", "\r"}[r.Intn(5)])
		}
		out = append(out, b.String())
	}
	return out
}

func shellWordCases() []string {
	cases := []string{
		"", " ", "a", "a b", "  a   b  ", `"a b"`, `'a b'`, `a"b c"d`, `""`, `''`, `a ""`, `"" a`,
		`a\ b`, `\`, `a\`, `"a\"b"`, `"a\\b"`, `"a\nb"`, `'a\b'`, `"unterminated`, `'unterminated`,
		"a\tb\nc\rd", "a\vb", "a\fb", `"\"`, `\"`, `\'`, `"'"`, `'"'`, "#not-a-comment x", "a#b",
		`C:\Tools\sso-credproc.exe --profile x`, `"C:\Tools\sso-credproc.exe" --profile x`,
		`sso-credproc --profile "my dev"`, `sso-credproc --profile=my\ dev`, "ünï cödé", `$HOME "$HOME" '$HOME'`,
		"profile \"c d\"", "profile 'e f' g", "profile", "sso-session \"\"", "a\u00a0b",
	}
	r := rand.New(rand.NewSource(7))
	alphabet := []string{"a", "b", " ", "\t", "\n", `"`, `'`, `\`, "#", "=", "ü"}
	for i := 0; i < 300; i++ {
		var b strings.Builder
		for j := r.Intn(10); j >= 0; j-- {
			b.WriteString(alphabet[r.Intn(len(alphabet))])
		}
		cases = append(cases, b.String())
	}
	return cases
}

// TestMatchesBotocore compares the reader with the real botocore on the
// fixtures and on generated files, and the shell-word splitter with shlex.
func TestMatchesBotocore(t *testing.T) {
	fixtures, err := filepath.Glob(filepath.Join("testdata", "*.ini"))
	if err != nil || len(fixtures) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	dir := t.TempDir()
	var files, contents []string
	for _, f := range fixtures {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		contents = append(contents, string(data))
	}
	contents = append(contents, generatedConfigs(600)...)
	for i, c := range contents {
		p := filepath.Join(dir, fmt.Sprintf("%03d.ini", i))
		if err := os.WriteFile(p, []byte(c), 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	words := shellWordCases()
	want, wantWords := runBotocore(t, files, words)

	parseErrors := 0
	for i, p := range files {
		cfg, err := parseConfig(p, []byte(contents[i]))
		if want[i].Error != "" {
			parseErrors++
			if err == nil {
				t.Errorf("file %q: botocore fails with %s, we read it", contents[i], want[i].Error)
			}
			continue
		}
		if err != nil {
			t.Errorf("file %q: botocore reads it, we fail: %v", contents[i], err)
			continue
		}
		got := asBotocore(cfg)
		// Round-trip through JSON so both sides have the same types.
		var norm botocoreFile
		b, _ := json.Marshal(got)
		_ = json.Unmarshal(b, &norm)
		w := want[i]
		for _, m := range []*map[string]map[string]any{&norm.Profiles, &norm.SSOSessions, &norm.Services, &w.Profiles, &w.SSOSessions, &w.Services} {
			if *m == nil {
				*m = map[string]map[string]any{}
			}
		}
		if !reflect.DeepEqual(norm, w) {
			t.Errorf("file %q:\n got  %+v\n want %+v", contents[i], norm, w)
		}
	}
	// The generator must reach both outcomes, or this test proves little.
	if parseErrors == 0 || parseErrors == len(files) {
		t.Errorf("botocore failed to parse %d of %d files; the corpus should mix both", parseErrors, len(files))
	}

	for i, s := range words {
		got, err := shellSplit(s)
		w := wantWords[i]
		if w.Error != "" {
			if err == nil || err.Error() != strings.ToLower(w.Error) {
				t.Errorf("shellSplit(%q) = %q, %v; shlex: %s", s, got, err, w.Error)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, w.Words) && !(len(got) == 0 && len(w.Words) == 0) {
			t.Errorf("shellSplit(%q) = %q, %v; shlex: %q", s, got, err, w.Words)
		}
	}
}
