// Command ssofake runs the fake IAM Identity Center of package
// internal/ssofake, for demos and end-to-end tests.
//
//	ssofake serve [-addr 127.0.0.1:0] [-url-file FILE] [-v]
//	ssofake browse URL
//	ssofake counts URL
//
// serve listens on a loopback address, prints the base URL as the only line
// on standard output (and writes it to FILE), and serves until SIGINT or
// SIGTERM. The counters are at URL/_fake/counts.
//
// browse is a stand-in for a web browser, to use as $BROWSER: it fetches
// URL as a browser does (Accept: text/html), following redirects; when the
// page holds a form that posts (the consent page of /authorize), it submits
// the form with its first button, as pressing Enter would ("Allow"), and
// follows that answer too. It succeeds if the final answer is a 2xx.
//
// counts prints the call counters of the fake at base URL as one line of
// JSON.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/sso-credproc/sso-credproc/internal/ssofake"
)

const usage = `usage: ssofake serve [-addr 127.0.0.1:0] [-url-file FILE] [-v]
       ssofake browse URL
       ssofake counts URL
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, args[1:], stdout, stderr)
	case "browse":
		err = browse(ctx, args[1:])
	case "counts":
		err = counts(ctx, args[1:], stdout)
	default:
		fmt.Fprint(stderr, usage)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "ssofake %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "loopback `address` to listen on")
	urlFile := fs.String("url-file", "", "also write the base URL to `file`")
	verbose := fs.Bool("v", false, "log each request (operation and status) to standard error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := checkLoopback(*addr); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()

	var opts ssofake.Options
	if *verbose {
		opts.Logf = log.New(stderr, "", log.LstdFlags).Printf
	}
	fake := ssofake.NewHandler(opts)
	fake.URL = "http://" + ln.Addr().String()
	if *urlFile != "" {
		if err := writeFileAtomic(*urlFile, fake.URL+"\n"); err != nil {
			return err
		}
	}
	fmt.Fprintln(stdout, fake.URL)

	srv := &http.Server{Handler: fake, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fake.Close() // end pending fault delays
	return srv.Shutdown(shutdownCtx)
}

// checkLoopback refuses to listen anywhere but on a loopback address.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("refusing to listen on %s: not a loopback address", addr)
	}
	return nil
}

// writeFileAtomic writes data to name so that readers never see it partly
// written.
func writeFileAtomic(name, data string) error {
	f, err := os.CreateTemp(filepath.Dir(name), filepath.Base(name)+".tmp*")
	if err != nil {
		return err
	}
	_, err = f.WriteString(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), name)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

func browse(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return errors.New("want exactly one URL")
	}
	u, err := url.Parse(args[0])
	if err != nil {
		return err
	}
	if err := checkBrowsable(u); err != nil {
		return err
	}
	c := &http.Client{
		Timeout: 30 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 10 {
				return errors.New("stopped after 10 redirects")
			}
			return checkBrowsable(req.URL)
		},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	resp, body, err := visit(c, req)
	if err != nil {
		return err
	}
	if f, ok := postForm(body); ok && resp.StatusCode == http.StatusOK {
		action, err := resp.Request.URL.Parse(f.action)
		if err != nil {
			return err
		}
		if err := checkBrowsable(action); err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, action.String(), strings.NewReader(f.values.Encode()))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if resp, _, err = visit(c, req); err != nil {
			return err
		}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		final := *resp.Request.URL
		final.RawQuery, final.User = "", nil // may hold an authorization code
		return fmt.Errorf("%s %s: %s", resp.Request.Method, &final, resp.Status)
	}
	return nil
}

// visit sends req as a browser would and returns the final response with
// its body (the first MiB).
func visit(c *http.Client, req *http.Request) (*http.Response, string, error) {
	req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	resp, err := c.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	io.Copy(io.Discard, resp.Body)
	return resp, string(b), err
}

type form struct {
	action string
	values url.Values
}

var (
	formTag   = regexp.MustCompile(`(?is)<form\b([^>]*)>(.*?)</form>`)
	inputTag  = regexp.MustCompile(`(?is)<(input|button)\b([^>]*)>`)
	attribute = regexp.MustCompile(`(?is)([a-z][a-z0-9_-]*)\s*=\s*"([^"]*)"`)
)

func attributes(s string) map[string]string {
	m := map[string]string{}
	for _, a := range attribute.FindAllStringSubmatch(s, -1) {
		m[strings.ToLower(a[1])] = html.UnescapeString(a[2])
	}
	return m
}

// postForm finds the first form with method="post" in page and returns
// what submitting it with its first submit button sends.
func postForm(page string) (form, bool) {
	for _, m := range formTag.FindAllStringSubmatch(page, -1) {
		fa := attributes(m[1])
		if !strings.EqualFold(fa["method"], "post") {
			continue
		}
		f := form{action: fa["action"], values: url.Values{}}
		clicked := false
		for _, in := range inputTag.FindAllStringSubmatch(m[2], -1) {
			a := attributes(in[2])
			isButton := strings.EqualFold(in[1], "button") || strings.EqualFold(a["type"], "submit")
			switch {
			case a["name"] == "":
			case isButton && !clicked && (a["type"] == "" || strings.EqualFold(a["type"], "submit")):
				clicked = true
				f.values.Add(a["name"], a["value"])
			case !isButton:
				f.values.Add(a["name"], a["value"])
			}
		}
		return f, true
	}
	return form{}, false
}

func counts(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return errors.New("want exactly one URL")
	}
	u, err := url.Parse(strings.TrimSuffix(args[0], "/") + "/_fake/counts")
	if err != nil {
		return err
	}
	if err := checkBrowsable(u); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var c map[string]int
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		return fmt.Errorf("GET %s: %v", u, err)
	}
	b, _ := json.Marshal(c)
	_, err = fmt.Fprintf(stdout, "%s\n", b)
	return err
}

// checkBrowsable allows only http URLs on loopback hosts, so that a
// misconfigured test never reaches the real service.
func checkBrowsable(u *url.URL) error {
	h := u.Hostname()
	if ip := net.ParseIP(h); u.Scheme != "http" || (h != "localhost" && (ip == nil || !ip.IsLoopback())) {
		return fmt.Errorf("refusing to open %s://%s: not a loopback http URL", u.Scheme, u.Host)
	}
	return nil
}
