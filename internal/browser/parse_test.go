package browser

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const testURL = "https://device.sso.eu-west-1.amazonaws.com/?user_code=ABCD-EFGH"

func TestParseBrowser(t *testing.T) {
	const u = testURL
	type want struct {
		argv []string
		err  error
	}
	ok := func(argv ...string) want { return want{argv: argv} }
	fail := func(err error) want { return want{err: err} }
	for _, tc := range []struct {
		goos, value string
		want        []want
	}{
		{"linux", "", nil},
		{"linux", " : \t::", nil},
		{"linux", "firefox", []want{ok("firefox", u)}},
		{"linux", "firefox --new-tab %s", []want{ok("firefox", "--new-tab", u)}},
		// Quoted %s, as users write it for a shell: the URL, not "$1".
		{"linux", `firefox '%s'`, []want{ok("firefox", u)}},
		{"linux", `firefox "%s" --x`, []want{ok("firefox", u, "--x")}},
		// %% is a literal %, also before s.
		{"linux", `b 100%% %%s %d`, []want{ok("b", "100%", "%s", "%d", u)}},
		{"linux", `b --app=%s`, []want{fail(errPlaceholderAlone)}},
		{"linux", `b "x%s"`, []want{fail(errPlaceholderAlone)}},
		{"linux", `b %s %s`, []want{fail(errPlaceholderTwice)}},
		{"linux", `%s`, []want{fail(errNoProgram)}},
		{"linux", `'%s' x`, []want{fail(errNoProgram)}},
		// Quoting without a shell: nothing expanded or globbed.
		{"linux", `'/opt/My Browser/run' --flag="a b" $HOME * ~`, []want{ok("/opt/My Browser/run", "--flag=a b", "$HOME", "*", "~", u)}},
		{"linux", `/opt/My\ Browser/run`, []want{ok("/opt/My Browser/run", u)}},
		{"linux", `b "x\"y\\z\n" 'x\y' x\y`, []want{ok("b", `x"y\z\n`, `x\y`, "xy", u)}},
		{"linux", `b "" ''`, []want{ok("b", "", "", u)}},
		{"linux", `b 'open`, []want{fail(errUnterminated)}},
		{"linux", `b "open:c`, []want{fail(errUnterminated)}},
		{"linux", `b \`, []want{fail(errTrailingEscape)}},
		// Several entries; a separator inside quotes or escaped stays.
		{"linux", "a:b %s::c -x", []want{ok("a", u), ok("b", u), ok("c", "-x", u)}},
		{"linux", `b '--proxy=http://p:8080' %s:c`, []want{ok("b", "--proxy=http://p:8080", u), ok("c", u)}},
		{"linux", `b --proxy=http\://p\:8080`, []want{ok("b", "--proxy=http://p:8080", u)}},
		{"linux", `b 'x:c`, []want{fail(errUnterminated)}},
		{"linux", `a:b 'x:c`, []want{ok("a", u), fail(errUnterminated)}},
		{"linux", `a %s &`, []want{ok("a", u)}},
		{"linux", `a '&'`, []want{ok("a", "&", u)}},
		{"linux", `&`, []want{ok("&", u)}},
		{"darwin", `open -a Safari %s:firefox`, []want{ok("open", "-a", "Safari", u), ok("firefox", u)}},
		// Windows: ';' separates, ':' does not, a backslash is a backslash.
		{"windows", `C:\Program Files\Mozilla Firefox\firefox.exe`, []want{ok(`C:\Program Files\Mozilla Firefox\firefox.exe`, u)}},
		{"windows", `C:\Program Files\Mozilla Firefox\firefox.exe -new-tab %s`, []want{ok(`C:\Program Files\Mozilla Firefox\firefox.exe`, "-new-tab", u)}},
		{"windows", `C:/Program Files/App/App.EXE`, []want{ok(`C:/Program Files/App/App.EXE`, u)}},
		{"windows", `\\server\share\My Apps\b.exe --x`, []want{ok(`\\server\share\My Apps\b.exe`, "--x", u)}},
		{"windows", `"C:\Program Files\Google\Chrome\Application\chrome.exe" --new-window "%s"`, []want{ok(`C:\Program Files\Google\Chrome\Application\chrome.exe`, "--new-window", u)}},
		{"windows", `C:\Tools\b.exe --profile x.exe`, []want{ok(`C:\Tools\b.exe`, "--profile", "x.exe", u)}},
		{"windows", `firefox -P x.exe`, []want{ok("firefox", "-P", "x.exe", u)}},
		// Without the extension the path needs quotes.
		{"windows", `C:\Program Files\App\app -x`, []want{ok(`C:\Program`, `Files\App\app`, "-x", u)}},
		{"windows", `C:\Program "Files"\b.exe`, []want{ok(`C:\Program`, `Files\b.exe`, u)}},
		{"windows", `C:\Tools\b.exe;firefox %s ; ;"C:\a;b\c.exe"`, []want{ok(`C:\Tools\b.exe`, u), ok("firefox", u), ok(`C:\a;b\c.exe`, u)}},
		{"windows", `firefox -P 'my profile' C:\x`, []want{ok("firefox", "-P", "'my", "profile'", `C:\x`, u)}},
		{"windows", `b "a""b" ""`, []want{ok("b", "ab", "", u)}},
		{"windows", `b "C:\x\`, []want{fail(errUnterminated)}},
		{"windows", `b 100%% "%s"`, []want{ok("b", "100%", u)}},
	} {
		got := ParseBrowser(tc.goos, tc.value, u)
		if len(got) != len(tc.want) {
			t.Errorf("%s %q: %d entries %q, want %d", tc.goos, tc.value, len(got), got, len(tc.want))
			continue
		}
		for i, w := range tc.want {
			if !reflect.DeepEqual(got[i].Argv, w.argv) || !errors.Is(got[i].Err, w.err) {
				t.Errorf("%s %q entry %d: argv %q err %v, want %q %v", tc.goos, tc.value, i, got[i].Argv, got[i].Err, w.argv, w.err)
			}
		}
	}
}

// The URL is one argument whatever it holds: ParseBrowser never looks
// inside it.
func TestParseBrowserURLIsOneArgument(t *testing.T) {
	for _, url := range []string{`http://127.0.0.1:1/a b?c='x' "y" *`, "", "%s", "-x", `a\b;c:d`} {
		for _, goos := range []string{"linux", "windows"} {
			for value, want := range map[string][]string{"b": {"b", url}, "b %s": {"b", url}, `b "%s" x`: {"b", url, "x"}} {
				got := ParseBrowser(goos, value, url)
				if len(got) != 1 || got[0].Err != nil || !reflect.DeepEqual(got[0].Argv, want) {
					t.Errorf("%s %q with URL %q: %q, want %q", goos, value, url, got, want)
				}
			}
		}
	}
}

// FuzzParseBrowser checks, for any BROWSER value and URL, on Unix and on
// Windows: no panic; in every entry that parses, the URL is exactly one
// whole argument and never the program (parsing with another URL changes
// that one element and nothing else); and no argument is empty unless the
// entry holds an empty quoted string.
func FuzzParseBrowser(f *testing.F) {
	for _, seed := range []string{
		"firefox", "firefox --new-tab %s", `firefox '%s'`, `a:b %s::c`, `b "" ''`, `b %%s 100%%`,
		`C:\Program Files\Mozilla Firefox\firefox.exe -new-tab %s;firefox`, `"C:\a b\c.exe" "%s"`,
		`b 'x:c`, `b \`, `b %s &`, `/opt/My\ Browser/run "x\"y"`, `%s`, `b --app=%s`,
	} {
		f.Add(false, seed, testURL)
		f.Add(true, seed, `http://127.0.0.1:1/a b?"c"`)
	}
	f.Fuzz(func(t *testing.T, windows bool, value, url string) {
		goos, quotes := "linux", []string{`""`, `''`}
		if windows {
			goos, quotes = "windows", []string{`""`}
		}
		a := ParseBrowser(goos, value, url)
		b := ParseBrowser(goos, value, url+"\x00other")
		if len(a) != len(b) {
			t.Fatalf("the URL changed the entries: %q vs %q", a, b)
		}
		for i := range a {
			if a[i].Text != b[i].Text || (a[i].Err == nil) != (b[i].Err == nil) {
				t.Fatalf("the URL changed entry %d: %q vs %q", i, a[i], b[i])
			}
			if a[i].Err != nil {
				if a[i].Argv != nil {
					t.Fatalf("entry %d has an error and an argv: %q", i, a[i])
				}
				continue
			}
			if len(a[i].Argv) != len(b[i].Argv) {
				t.Fatalf("the URL changed the argv of entry %d: %q vs %q", i, a[i].Argv, b[i].Argv)
			}
			at := -1
			for j := range a[i].Argv {
				if a[i].Argv[j] == b[i].Argv[j] {
					if a[i].Argv[j] == "" && !containsAny(a[i].Text, quotes) {
						t.Fatalf("entry %q: empty argument %d without an empty quoted string: %q", a[i].Text, j, a[i].Argv)
					}
					continue
				}
				if at >= 0 || a[i].Argv[j] != url || b[i].Argv[j] != url+"\x00other" {
					t.Fatalf("entry %q: the URL is not exactly one whole argument: %q", a[i].Text, a[i].Argv)
				}
				at = j
			}
			if at < 1 {
				t.Fatalf("entry %q: the URL is missing or the program: %q", a[i].Text, a[i].Argv)
			}
		}
	})
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
