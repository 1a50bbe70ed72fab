// Package browser opens URLs the way users expect: with the command(s) in
// $BROWSER when it is set (as xdg-open and Python's webbrowser do, see
// ParseBrowser), else with the platform's opener. Only web pages are
// opened (see CheckURL), each command gets the URL as one argument, no
// shell is involved, and the browser never inherits sso-credproc's stdout.
package browser

import (
	"errors"
	"fmt"
	"io"
	"net"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Opener opens URLs.
type Opener struct {
	// Command, when set, is used instead of $BROWSER, with the same rules
	// (the --browser flag, the sso_credproc_browser key).
	Command string
	// Getenv looks up BROWSER; nil means no BROWSER.
	Getenv func(string) string
	// Stderr receives the browser's own error output when set (debugging);
	// nil discards it.
	Stderr io.Writer
	// Settle is how long a started command is watched for an immediate
	// failure before it counts as opened; default 300 ms.
	Settle time.Duration
}

// Open opens url, which CheckURL must accept, with the entries of Command,
// or else of $BROWSER, when set (see ParseBrowser), else with the
// platform's opener: xdg-open (or wslview, sensible-browser) on Linux and
// the BSDs, open on macOS, rundll32 url.dll,FileProtocolHandler on Windows.
// The URL is always one argument; it starts with "http://" or "https://",
// so no opener can read it as an option (xdg-open accepts no "--", and
// rundll32 has no options, so none is given).
//
// The next entry is tried only when an entry could not be started (not
// parsed, not found, not runnable). An entry that ran and exited non-zero
// within Settle ends the attempt with its error: it may have opened the
// page before failing, and the same sign-in must not open twice. For the
// same reason a set Command or BROWSER is the last word: the platform
// opener is not tried after it (xdg-open would run $BROWSER again). Python's
// webbrowser and xdg-open go on to the next entry after a non-zero exit.
//
// On Windows an entry whose program is a batch file or cmd.exe is not
// started (see cmdInterpreter).
//
// The error is an *OpenError naming each attempt.
func (o *Opener) Open(url string) error {
	if err := CheckURL(url); err != nil {
		return &OpenError{Tried: []error{err}}
	}
	list, what := o.Command, "browser command"
	if list == "" && o.Getenv != nil {
		list, what = o.Getenv("BROWSER"), "BROWSER entry"
	}
	if entries := ParseBrowser(runtime.GOOS, list, url); len(entries) > 0 {
		var errs []error
		for _, e := range entries {
			started, err := o.start(runtime.GOOS, e)
			if err == nil {
				return nil
			}
			errs = append(errs, fmt.Errorf("%s %q: %w", what, e.Text, err))
			if started {
				break
			}
		}
		return &OpenError{Tried: errs}
	}
	argv, err := platformCommand(runtime.GOOS, exec.LookPath, url)
	if err == nil {
		if _, err = o.run(exec.Command(argv[0], argv[1:]...)); err != nil {
			err = fmt.Errorf("%s: %w", filepath.Base(argv[0]), err)
		}
	}
	if err == nil {
		return nil
	}
	return &OpenError{Tried: []error{err}}
}

// SecretEnv names the variables that hold secrets of sso-credproc's own
// (the file store's passphrase, filestore.EnvPassphrase): a browser, and
// every process it starts, gets the environment without them.
var SecretEnv = []string{"SSO_CREDPROC_FILE_PASSPHRASE"}

// withoutSecrets is environ without the variables of SecretEnv.
func withoutSecrets(environ []string) []string {
	out := environ[:0:0]
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if !slices.ContainsFunc(SecretEnv, func(s string) bool { return strings.EqualFold(s, k) }) {
			out = append(out, kv)
		}
	}
	return out
}

// OpenError lists why each way of opening the browser failed.
type OpenError struct{ Tried []error }

// Error returns one line: each attempt's failure, separated by "; ".
func (e *OpenError) Error() string {
	parts := make([]string, len(e.Tried))
	for i, err := range e.Tried {
		parts[i] = err.Error()
	}
	return strings.Join(parts, "; ")
}

func (e *OpenError) Unwrap() []error { return e.Tried }

// CheckURL reports why url may not be handed to a browser, or nil. It
// accepts an absolute https URL with a host, and an http URL only to a
// loopback host (localhost, 127.0.0.0/8, ::1), where the sign-in's
// redirect listens (RFC 8252 §7.3). It refuses other schemes (file:,
// javascript:, data:, custom schemes another program would handle), user
// information ("https://aws.example@evil.example/"), and characters RFC
// 3986 does not allow in a URI (blanks, quotes, backslashes, control and
// non-ASCII characters), which browsers and URL parsers read differently.
// An accepted URL starts with "http://" or "https://", never "-".
func CheckURL(url string) error {
	refuse := func(why string) error { return fmt.Errorf("refusing to open %q: %s", url, why) }
	for i := 0; i < len(url); i++ {
		if !uriChar(url[i]) {
			return refuse(fmt.Sprintf("%q is not allowed in a URL", url[i]))
		}
	}
	u, err := neturl.Parse(url)
	if err != nil {
		return refuse("not a URL")
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return refuse("not an http(s) URL")
	case !strings.HasPrefix(strings.ToLower(url), u.Scheme+"://") || u.Host == "" || u.Hostname() == "":
		return refuse("no host")
	case u.User != nil:
		return refuse("it carries a user name")
	case u.Scheme == "http" && !loopbackHost(u.Hostname()):
		return refuse("http is for this machine's loopback only; use https")
	}
	return nil
}

// uriChar reports whether c may appear in a URI (RFC 3986 §2: unreserved,
// reserved and '%').
func uriChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~:/?#[]@!$&'()*+,;=%", c) >= 0
}

// loopbackHost reports whether host (without brackets or port) is
// localhost or a loopback address.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// start runs one entry; started reports whether its program ran, so that
// no other command opens the URL again.
func (o *Opener) start(goos string, e Entry) (started bool, err error) {
	if e.Err != nil {
		return false, e.Err
	}
	cmd := exec.Command(e.Argv[0], e.Argv[1:]...)
	if cmd.Err == nil && cmdInterpreter(goos, cmd.Path) {
		return false, errors.New("a batch file or cmd.exe would read & | < > ^ in the URL as commands; name the browser's .exe")
	}
	return o.run(cmd)
}

// cmdInterpreter reports whether Windows would run path through cmd.exe:
// a batch file (.bat, .cmd; CreateProcess starts cmd.exe /c for them, and
// Go quotes arguments for CommandLineToArgvW, not for cmd.exe: golang/go
// issue 27199, "BatBadBut") or cmd.exe itself. Windows ignores trailing
// dots and spaces in a file name, so they are ignored here too.
func cmdInterpreter(goos, path string) bool {
	if goos != "windows" {
		return false
	}
	name := strings.ToLower(strings.TrimRight(path, ". "))
	if i := strings.LastIndexAny(name, `\/`); i >= 0 {
		name = name[i+1:]
	}
	return strings.HasSuffix(name, ".bat") || strings.HasSuffix(name, ".cmd") || name == "cmd" || name == "cmd.exe"
}

// run starts cmd and waits briefly: a command that fails at once (exit
// status non-zero) is an error; one still running counts as opened and
// is reaped in the background (a browser may run for hours). started
// reports whether the program ran at all.
func (o *Opener) run(cmd *exec.Cmd) (started bool, err error) {
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, nil, o.Stderr
	cmd.Env = withoutSecrets(os.Environ())
	if err := cmd.Start(); err != nil {
		return false, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	settle := o.Settle
	if settle <= 0 {
		settle = 300 * time.Millisecond
	}
	t := time.NewTimer(settle)
	defer t.Stop()
	select {
	case err := <-done:
		return true, err
	case <-t.C:
		return true, nil
	}
}

// platformCommand is the argv that opens url on goos when no browser
// command is set; lookPath finds the Linux and BSD openers.
func platformCommand(goos string, lookPath func(string) (string, error), url string) ([]string, error) {
	switch goos {
	case "darwin":
		return []string{"open", url}, nil
	case "windows":
		return []string{"rundll32", "url.dll,FileProtocolHandler", url}, nil
	}
	for _, name := range []string{"xdg-open", "wslview", "sensible-browser"} {
		if p, err := lookPath(name); err == nil {
			return []string{p, url}, nil
		}
	}
	return nil, errors.New("no browser opener found (install xdg-utils or set BROWSER)")
}
