// Command ssofake runs the fake IAM Identity Center of package
// internal/ssofake, for demos and end-to-end tests. It is not installed
// with the two programs (it lives under internal/cmd, not cmd/).
//
//	ssofake serve [--addr 127.0.0.1:0] [--url-file FILE] [-v]
//	              [--assign ACCOUNT=ROLE[,ROLE...]]... [--account-name ACCOUNT=NAME]...
//	              [--assignments FILE.json]
//	ssofake browse URL
//	ssofake counts [--url] URL
//	ssofake secrets [--url] URL
//
// serve listens on a loopback address, prints the base URL as the only line
// on standard output (and writes it to FILE), and serves until SIGINT or
// SIGTERM. The counters are at URL/_fake/counts, the secrets it issued at
// URL/_fake/secrets. Without --assign or --assignments every account and
// role is granted and the lists (ListAccounts, ListAccountRoles) are empty;
// with them only the assignments given exist. FILE.json is a JSON array of
// {"accountId": "111122223333", "accountName": "Dev", "emailAddress":
// "dev@example.com", "roles": ["Developer", "ReadOnly"]}; the name and email
// address may be left out.
//
// browse is a stand-in for a web browser, to use as $BROWSER: it fetches
// URL as a browser does (Accept: text/html), following redirects; when the
// page holds a form that posts (the consent page of /authorize), it submits
// the form with its first button, as pressing Enter would ("Allow"), and
// follows that answer too. It succeeds if the final answer is a 2xx.
//
// counts prints the call counters of the fake at base URL as one line of
// JSON. secrets prints every secret it issued (client secrets, access and
// refresh tokens, role secret keys and session tokens), one per line, for
// leak checks.
//
// --help (or -h) on the command or a subcommand prints its usage on
// standard output and exits 0; a bad command line exits 2, a failure 1.
package main

import (
	"bytes"
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
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/sso-credproc/sso-credproc/internal/ssofake"
)

const usage = `usage: ssofake serve [--addr 127.0.0.1:0] [--url-file FILE] [-v]
                     [--assign ACCOUNT=ROLE[,ROLE...]]... [--account-name ACCOUNT=NAME]...
                     [--assignments FILE.json]
       ssofake browse URL
       ssofake counts [--url] URL
       ssofake secrets [--url] URL

A fake IAM Identity Center (SSO OIDC and the SSO portal) on a loopback
address, and the helpers that drive it. "ssofake COMMAND --help" describes
a command.
`

var synopses = map[string]string{
	"serve": `ssofake serve [flags]

Serves the fake on a loopback address until SIGINT or SIGTERM and prints its
base URL. Without --assign or --assignments every account and role is
granted and ListAccounts is empty. FILE.json is a JSON array of
{"accountId", "accountName", "emailAddress", "roles": [...]}.`,
	"browse":  "ssofake browse URL\n\nOpens URL as a browser that clicks the first button of a consent form.",
	"counts":  "ssofake counts [--url] URL\n\nPrints the fake's call counters as one line of JSON.",
	"secrets": "ssofake secrets [--url] URL\n\nPrints every secret the fake issued, one per line.",
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// errHelp ends a command whose usage was asked for and printed.
var errHelp = errors.New("help")

// usageError is a bad command line (exit status 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	case "serve":
		err = serve(ctx, args[1:], stdout, stderr)
	case "browse":
		err = browse(ctx, args[1:], stdout)
	case "counts":
		err = counts(ctx, args[1:], stdout)
	case "secrets":
		err = secrets(ctx, args[1:], stdout)
	default:
		fmt.Fprintf(stderr, "ssofake: unknown command %q\n", args[0])
		fmt.Fprint(stderr, usage)
		return 2
	}
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "ssofake %s: %v\nusage: %s\n", args[0], err, strings.SplitN(synopses[args[0]], "\n", 2)[0])
		return 2
	}
	fmt.Fprintf(stderr, "ssofake %s: %v\n", args[0], err)
	return 1
}

// parse parses a subcommand's flags. --help prints the usage on stdout and
// returns errHelp; a bad flag returns a usageError.
func parse(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(stdout, "usage: %s\n", synopses[fs.Name()])
		var flags bytes.Buffer
		fs.SetOutput(&flags)
		fs.PrintDefaults()
		if flags.Len() > 0 {
			fmt.Fprintf(stdout, "\nflags:\n%s", flags.String())
		}
		return errHelp
	}
	if err != nil {
		return usageError{err}
	}
	return nil
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "loopback `address` to listen on")
	urlFile := fs.String("url-file", "", "also write the base URL to `file`")
	verbose := fs.Bool("v", false, "log each request (operation and status) to standard error")
	var a assignments
	fs.Func("assign", "grant `ACCOUNT=ROLE[,ROLE...]` (12-digit account ID); repeat for more accounts", a.assign)
	fs.Func("account-name", "set the accountName of an assigned account, `ACCOUNT=NAME` (default account-ACCOUNT)", a.name)
	fs.Func("assignments", "read assignments from `FILE.json`: [{\"accountId\", \"accountName\", \"emailAddress\", \"roles\": [...]}]", a.file)
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	opts, err := a.options()
	if err != nil {
		return usageError{err}
	}
	if err := checkLoopback(*addr); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()

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
	if err := srv.Shutdown(shutdownCtx); err != nil {
		// A connection a client opened but never used counts as busy for
		// its first 5 s (net/http): after the grace period, close it.
		return srv.Close()
	}
	return nil
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

func browse(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("browse", flag.ContinueOnError)
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{errors.New("want exactly one URL")}
	}
	u, err := url.Parse(fs.Arg(0))
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
	var c map[string]int
	if err := fetchJSON(ctx, "counts", args, stdout, "/_fake/counts", &c); err != nil {
		return err
	}
	b, _ := json.Marshal(c)
	_, err := fmt.Fprintf(stdout, "%s\n", b)
	return err
}

func secrets(ctx context.Context, args []string, stdout io.Writer) error {
	var list []string
	if err := fetchJSON(ctx, "secrets", args, stdout, "/_fake/secrets", &list); err != nil {
		return err
	}
	for _, s := range list {
		if _, err := fmt.Fprintln(stdout, s); err != nil {
			return err
		}
	}
	return nil
}

// fetchJSON reads the command line of counts or secrets (a base URL, as
// --url or the only argument) and decodes the JSON at that URL's path.
func fetchJSON(ctx context.Context, name string, args []string, stdout io.Writer, path string, v any) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	base := fs.String("url", "", "the fake's base `URL`, as serve printed it")
	if err := parse(fs, args, stdout); err != nil {
		return err
	}
	switch {
	case *base == "" && fs.NArg() == 1:
		*base = fs.Arg(0)
	case *base == "" || fs.NArg() != 0:
		return usageError{errors.New("want exactly one URL")}
	}
	u, err := url.Parse(strings.TrimSuffix(*base, "/") + path)
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
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("GET %s: %v", u, err)
	}
	return nil
}

// assignments collects serve's --assign, --account-name and --assignments.
type assignments struct {
	roles  map[string][]string
	names  map[string]string
	emails map[string]string
}

// accountID is what the service's account IDs look like: 12 digits.
var accountID = regexp.MustCompile(`^[0-9]{12}$`)

func (a *assignments) add(account string, roles ...string) error {
	if !accountID.MatchString(account) {
		return fmt.Errorf("account %q: an account ID is 12 digits", account)
	}
	if a.roles == nil {
		a.roles = map[string][]string{}
	}
	for _, r := range roles {
		if r = strings.TrimSpace(r); r == "" {
			return fmt.Errorf("account %s: an empty role name", account)
		}
		if !slices.Contains(a.roles[account], r) {
			a.roles[account] = append(a.roles[account], r)
		}
	}
	if _, ok := a.roles[account]; !ok {
		a.roles[account] = []string{}
	}
	return nil
}

func (a *assignments) assign(v string) error {
	account, roles, ok := strings.Cut(v, "=")
	if !ok || roles == "" {
		return errors.New("want ACCOUNT=ROLE[,ROLE...]")
	}
	return a.add(account, strings.Split(roles, ",")...)
}

func (a *assignments) name(v string) error {
	account, name, ok := strings.Cut(v, "=")
	if !ok {
		return errors.New("want ACCOUNT=NAME")
	}
	if !accountID.MatchString(account) {
		return fmt.Errorf("account %q: an account ID is 12 digits", account)
	}
	if a.names == nil {
		a.names = map[string]string{}
	}
	a.names[account] = name
	return nil
}

func (a *assignments) file(name string) error {
	b, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	var list []struct {
		AccountID    string   `json:"accountId"`
		AccountName  string   `json:"accountName"`
		EmailAddress string   `json:"emailAddress"`
		Roles        []string `json:"roles"`
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&list); err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	for _, acct := range list {
		if err := a.add(acct.AccountID, acct.Roles...); err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
		if acct.AccountName != "" {
			if a.names == nil {
				a.names = map[string]string{}
			}
			a.names[acct.AccountID] = acct.AccountName
		}
		if acct.EmailAddress != "" {
			if a.emails == nil {
				a.emails = map[string]string{}
			}
			a.emails[acct.AccountID] = acct.EmailAddress
		}
	}
	return nil
}

// options checks that every named account is assigned and returns the
// fake's Options.
func (a *assignments) options() (ssofake.Options, error) {
	for account := range a.names {
		if _, ok := a.roles[account]; !ok {
			return ssofake.Options{}, fmt.Errorf("--account-name %s: the account has no --assign", account)
		}
	}
	return ssofake.Options{Assignments: a.roles, AccountNames: a.names, EmailAddresses: a.emails}, nil
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
