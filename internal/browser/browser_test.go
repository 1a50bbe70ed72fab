package browser

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// recorder writes a script that records its arguments, one a line, in
// dir/name.out, and exits with code.
func recorder(t *testing.T, dir, name string, code int) (path, out string) {
	t.Helper()
	path, out = filepath.Join(dir, name), filepath.Join(dir, name+".out")
	script := "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"[$a]\"; done >'" + out + "'\nexit " + string(rune('0'+code)) + "\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path, out
}

func getenv(browser string) func(string) string {
	return func(k string) string {
		if k == "BROWSER" {
			return browser
		}
		return ""
	}
}

// argsOf returns what a recorder got, "" when it did not run.
func argsOf(out string) string {
	b, err := os.ReadFile(out)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func TestBrowserEnv(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses /bin/sh scripts")
	}
	dir := filepath.Join(t.TempDir(), "a dir")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	rec, out := recorder(t, dir, "rec", 0)
	// Shell metacharacters and a glob in the URL (it passes CheckURL)
	// must arrive as one argument, untouched; a shell would expand the
	// glob to the directory made here.
	url := "http://127.0.0.1:1/authorize*;$(x)&c='x'"
	t.Chdir(dir)
	if err := os.MkdirAll(filepath.Join("http:", "127.0.0.1:1", "authorize-glob;$(x)&c='x'"), 0o755); err != nil {
		t.Fatal(err)
	}
	q := "'" + rec + "'"
	for _, tc := range []struct{ name, browser, want string }{
		{"appended", q, "[" + url + "]"},
		{"percent-s", q + " --new-tab %s", "[--new-tab]\n[" + url + "]"},
		{"single-quoted percent-s", q + " '%s'", "[" + url + "]"},
		{"double-quoted percent-s", q + ` "%s" -x`, "[" + url + "]\n[-x]"},
		{"percent-percent", q + " 100%% %s", "[100%]\n[" + url + "]"},
		{"quoted argument", q + ` --flag="a b" 'c d' %s`, "[--flag=a b]\n[c d]\n[" + url + "]"},
		{"no expansion or glob", q + ` $HOME * %s`, "[$HOME]\n[*]\n[" + url + "]"},
		{"escaped space", strings.ReplaceAll(rec, " ", `\ `), "[" + url + "]"},
		{"first cannot start, second works", filepath.Join(dir, "missing") + ":" + q, "[" + url + "]"},
		{"several entries, the first works", q + " first:" + q + " second", "[first]\n[" + url + "]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.Remove(out)
			o := &Opener{Getenv: getenv(tc.browser), Settle: 5 * time.Second}
			if err := o.Open(url); err != nil {
				t.Fatal(err)
			}
			if got := argsOf(out); got != tc.want {
				t.Errorf("browser got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

// A browser that ran and failed may have shown the page: the URL is not
// opened again by the next entry, nor by the platform opener.
func TestFailedBrowserIsNotFollowed(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses /bin/sh scripts")
	}
	dir := t.TempDir()
	failing, failOut := recorder(t, dir, "failing", 3)
	second, secondOut := recorder(t, dir, "second", 0)
	_, xdgOut := recorder(t, dir, "xdg-open", 0)
	t.Setenv("PATH", dir+string(filepath.ListSeparator)+os.Getenv("PATH"))
	for _, browser := range []string{failing + ":" + second, failing} {
		for _, out := range []string{failOut, secondOut, xdgOut} {
			os.Remove(out)
		}
		o := &Opener{Getenv: getenv(browser), Settle: 5 * time.Second}
		err := o.Open(testURL)
		if err == nil || !strings.Contains(err.Error(), "exit status 3") {
			t.Errorf("BROWSER=%q: err = %v", browser, err)
		}
		if argsOf(failOut) == "" {
			t.Errorf("BROWSER=%q: the failing browser did not run", browser)
		}
		if got := argsOf(secondOut); got != "" {
			t.Errorf("BROWSER=%q: the next entry opened the URL again: %s", browser, got)
		}
		if got := argsOf(xdgOut); got != "" {
			t.Errorf("BROWSER=%q: xdg-open opened the URL again: %s", browser, got)
		}
	}
}

func TestBrowserAllFail(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses /bin/sh")
	}
	t.Setenv("PATH", t.TempDir()) // no platform opener either
	o := &Opener{Getenv: func(string) string { return "" }}
	err := o.Open("http://127.0.0.1/")
	if err == nil || !strings.Contains(err.Error(), "no browser opener") {
		t.Errorf("error does not name what failed: %v", err)
	}
}

// Each failed attempt is named once, on one line: not "exit status 1 exit
// status 1".
func TestBrowserFailuresNamed(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses /bin/sh")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	for browser, want := range map[string]string{
		// A set BROWSER is the last word: xdg-open is not run after it.
		"/bin/false":                   `BROWSER entry "/bin/false": exit status 1`,
		"/nonexistent/b 'x:/bin/false": `BROWSER entry "/nonexistent/b 'x:/bin/false": a quote is not closed`,
		"/nonexistent/b:/bin/false":    `BROWSER entry "/nonexistent/b": fork/exec /nonexistent/b: no such file or directory; BROWSER entry "/bin/false": exit status 1`,
		"":                             `xdg-open: exit status 1`,
	} {
		o := &Opener{Getenv: getenv(browser)}
		err := o.Open("http://127.0.0.1/")
		if err == nil || err.Error() != want {
			t.Errorf("BROWSER=%q: err = %v, want %s", browser, err, want)
		}
	}
}

func TestOnlyWebPagesAreOpened(t *testing.T) {
	ran := filepath.Join(t.TempDir(), "ran")
	o := &Opener{Command: "touch " + ran}
	for _, u := range []string{
		"", "--gpu-launcher=id", "-https://x", " https://x", "file:///etc/passwd", "javascript:alert(1)",
		"data:text/html,<script>", "vbscript:x", "ms-settings:", "mailto:a@b.c", "sso-credproc://x", "https:x", "https:///x", "https://:443/",
		// http only to this machine's loopback
		"http://example.com/", "http://127.0.0.1.example.com/", "http://localhost.example.com/", "http://10.0.0.1/",
		"http://[::2]/", "http://0.0.0.0/", "http://[::]/",
		// user info, anywhere
		"https://portal.sso.aws@evil.example/", "http://127.0.0.1@evil.example/", "http://evil.example@127.0.0.1/", "https://@x/",
		// what URL parsers and browsers read differently
		`http://127.0.0.1\@evil.example/`, `https://x/\..\`, "https://x/a b", "https://x/\"", "https://x/\x1b[2J", "https://x/\n", "https://x/\t", "https://x/é",
	} {
		if err := o.Open(u); err == nil || !strings.Contains(err.Error(), "refusing to open") {
			t.Errorf("Open(%q) = %v", u, err)
		}
	}
	if _, err := os.Stat(ran); err == nil {
		t.Error("the browser command ran")
	}
}

func TestCheckURLAccepts(t *testing.T) {
	for _, u := range []string{
		testURL, "https://my-org.awsapps.com/start/#/device?user_code=ABCD-EFGH", "HTTPS://X.example/",
		"https://signin.aws.amazon.com/federation?Action=login&Destination=https%3A%2F%2Fconsole.aws.amazon.com%2F",
		"http://127.0.0.1:50123/oauth/callback", "http://127.255.0.9/", "http://localhost:8080/", "http://LOCALHOST/", "http://[::1]:80/",
	} {
		if err := CheckURL(u); err != nil {
			t.Errorf("CheckURL(%q) = %v", u, err)
		}
	}
}

func TestPlatformCommand(t *testing.T) {
	found := func(name string) (string, error) { return "/usr/bin/" + name, nil }
	for goos, want := range map[string]string{
		"linux":   "/usr/bin/xdg-open " + testURL,
		"freebsd": "/usr/bin/xdg-open " + testURL,
		"darwin":  "open " + testURL,
		"windows": "rundll32 url.dll,FileProtocolHandler " + testURL,
	} {
		argv, err := platformCommand(goos, found, testURL)
		if err != nil || strings.Join(argv, " ") != want {
			t.Errorf("%s: %q %v, want %s", goos, argv, err, want)
		}
	}
}

// On Windows a batch file or cmd.exe would read the URL's & as a command
// separator: such an entry is refused before it runs.
func TestCmdInterpreter(t *testing.T) {
	for path, want := range map[string]bool{
		`C:\Users\me\open.bat`: true, `C:\x\OPEN.CMD`: true, `C:\x\open.cmd. . `: true, `C:\Windows\System32\cmd.exe`: true,
		`C:\Windows\System32\CMD.EXE`: true, `cmd`: true,
		`C:\Program Files\Mozilla Firefox\firefox.exe`: false, `C:\x\cmd.exe.lnk`: false, `C:\x\mycmd.exe`: false,
	} {
		if got := cmdInterpreter("windows", path); got != want {
			t.Errorf("cmdInterpreter(windows, %q) = %v", path, got)
		}
		if cmdInterpreter("linux", path) {
			t.Errorf("cmdInterpreter(linux, %q) = true", path)
		}
	}
}

// The browser, and whatever it starts, never gets the file store's
// passphrase from sso-credproc's environment.
func TestBrowserGetsNoSecrets(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses /bin/sh scripts")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "env")
	script := filepath.Join(dir, "br")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nenv > '"+out+"'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SSO_CREDPROC_FILE_PASSPHRASE", "correct horse battery staple")
	t.Setenv("SSO_CREDPROC_KEEP_ME", "kept")
	o := &Opener{Getenv: getenv(script), Settle: 5 * time.Second}
	if err := o.Open("https://example.com/x"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "correct horse") || !strings.Contains(string(b), "SSO_CREDPROC_KEEP_ME=kept") {
		t.Errorf("browser environment:\n%s", b)
	}
}
