// Package browser opens URLs the way users expect: with the command(s) in
// $BROWSER when it is set (as xdg-open and Python's webbrowser do), else with
// the platform's opener. The browser never inherits sso-credproc's stdout.
package browser

import (
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"runtime"
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

// Open opens url with the entries of Command, or else of $BROWSER, each in
// turn, when set, else with the platform opener. A set BROWSER is the user's choice
// and the last word: the platform opener is not tried after it (xdg-open
// would run $BROWSER again, and a browser entry that failed may already
// have shown the page).
func (o *Opener) Open(url string) error {
	// Only web pages: a URL is handed to a command as an argument, where
	// "-…" would be an option and file: or a custom scheme another program.
	if !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://") {
		return &OpenError{Tried: []error{fmt.Errorf("refusing to open %q: not an http(s) URL", url)}}
	}
	var errs []error
	list, what := o.Command, "browser command"
	if list == "" && o.Getenv != nil {
		list, what = o.Getenv("BROWSER"), "BROWSER entry"
	}
	if strings.Trim(list, string(filepath.ListSeparator)+" \t") != "" {
		for _, entry := range filepath.SplitList(list) {
			if strings.TrimSpace(entry) == "" {
				continue
			}
			err := o.run(browserCommand(entry, url))
			if err == nil {
				return nil
			}
			errs = append(errs, fmt.Errorf("%s %q: %w", what, entry, err))
		}
		return &OpenError{Tried: errs}
	}
	cmd, err := platformCommand(url)
	if err == nil {
		if err = o.run(cmd); err == nil {
			return nil
		}
		err = fmt.Errorf("%s: %w", filepath.Base(cmd.Path), err)
	}
	return &OpenError{Tried: append(errs, err)}
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

// run starts cmd and waits briefly: a command that fails at once (not found,
// exit status non-zero) is an error; one still running counts as opened and
// is reaped in the background (a browser may run for hours).
func (o *Opener) run(cmd *exec.Cmd) error {
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, nil, o.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	settle := o.Settle
	if settle <= 0 {
		settle = 300 * time.Millisecond
	}
	select {
	case err := <-done:
		return err
	case <-time.After(settle):
		return nil
	}
}

// browserCommand builds the command for one $BROWSER entry: "%s" stands for
// the URL, else the URL is appended. The URL is passed as an argument, never
// spliced into shell text.
func browserCommand(entry, url string) *exec.Cmd {
	if runtime.GOOS == "windows" {
		f := strings.Fields(entry)
		args := make([]string, 0, len(f))
		replaced := false
		for _, a := range f[1:] {
			if strings.Contains(a, "%s") {
				a, replaced = strings.ReplaceAll(a, "%s", url), true
			}
			args = append(args, a)
		}
		if !replaced {
			args = append(args, url)
		}
		return exec.Command(f[0], args...)
	}
	script := entry + ` "$1"`
	if strings.Contains(entry, "%s") {
		script = strings.ReplaceAll(entry, "%s", `"$1"`)
	}
	return exec.Command("/bin/sh", "-c", script, "sh", url)
}

func platformCommand(url string) (*exec.Cmd, error) {
	switch runtime.GOOS {
	case "darwin":
		return exec.Command("open", url), nil
	case "windows":
		return exec.Command("rundll32", "url.dll,FileProtocolHandler", url), nil
	}
	for _, name := range []string{"xdg-open", "wslview", "sensible-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return exec.Command(p, url), nil
		}
	}
	return nil, errors.New("no browser opener found (install xdg-utils or set BROWSER)")
}
