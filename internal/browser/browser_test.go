package browser

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestBrowserEnv(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses /bin/sh")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "visited")
	// A URL with shell metacharacters must arrive as one argument, untouched.
	url := "http://127.0.0.1:1/authorize?a=1&b=$(touch " + filepath.Join(dir, "pwned") + ")&c='x' *"
	rec := filepath.Join(dir, "rec")
	script := "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done >" + out + "\n"
	if err := os.WriteFile(rec, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, browser, want string }{
		{"appended", rec, url},
		{"percent-s", rec + " --new-tab %s", "--new-tab\n" + url},
		{"first fails, second works", "false:" + rec, url},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.Remove(out)
			o := &Opener{Getenv: func(k string) string {
				if k == "BROWSER" {
					return tt.browser
				}
				return ""
			}, Settle: 2 * time.Second}
			if err := o.Open(url); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSpace(string(b)); got != tt.want {
				t.Errorf("browser got %q, want %q", got, tt.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
				t.Fatal("URL was interpreted by the shell")
			}
		})
	}
}

func TestBrowserAllFail(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses /bin/sh")
	}
	t.Setenv("PATH", t.TempDir()) // no platform opener either
	o := &Opener{Getenv: func(string) string { return "" }}
	err := o.Open("http://x")
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
		"/bin/false":        `BROWSER entry "/bin/false": exit status 1`,
		"exit 3:/bin/false": `BROWSER entry "exit 3": exit status 3; BROWSER entry "/bin/false": exit status 1`,
		"":                  `xdg-open: exit status 1`,
	} {
		o := &Opener{Getenv: func(string) string { return browser }}
		err := o.Open("http://x")
		if err == nil || err.Error() != want {
			t.Errorf("BROWSER=%q: err = %v, want %s", browser, err, want)
		}
	}
}

func TestOnlyWebPagesAreOpened(t *testing.T) {
	ran := filepath.Join(t.TempDir(), "ran")
	o := &Opener{Command: "touch " + ran}
	for _, u := range []string{"--gpu-launcher=id", "file:///etc/passwd", "javascript:alert(1)", ""} {
		if err := o.Open(u); err == nil {
			t.Errorf("Open(%q) succeeded", u)
		}
	}
	if _, err := os.Stat(ran); err == nil {
		t.Error("the browser command ran")
	}
}
