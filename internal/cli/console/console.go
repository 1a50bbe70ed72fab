// Package console is sso-credproc's console command: it opens the AWS
// Management Console signed in as the role of a profile, by exchanging the
// role credentials for a sign-in token at the AWS Sign-In federation
// endpoint (IAM User Guide, "Enable custom identity broker access to the
// AWS console"). It needs net/http, which sso-credproc's warm path must not
// link, so sso-credproc-renew registers it through cli.Env.Commands.
//
// The sign-in token and the URL that carries it are secrets: they go to
// stdout with --print, or to the browser, and nowhere else — not into an
// error or a --debug line.
package console

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sso-credproc/sso-credproc/internal/cli"
	"github.com/sso-credproc/sso-credproc/profile"
	"github.com/sso-credproc/sso-credproc/tokencache"
)

const usage = `usage: sso-credproc console --profile NAME [--print] [--destination PATH] [--duration D] [flags]

Opens the AWS Management Console in the browser, signed in as the role
of the profile (as aws-vault login and granted console do), signing in
to IAM Identity Center first when needed. The role credentials are
exchanged for a sign-in token at the AWS Sign-In federation endpoint of
the profile's partition (signin.aws.amazon.com, signin.amazonaws.cn,
signin.amazonaws-us-gov.com; AWS_ENDPOINT_URL_SIGNIN overrides it).
The console opens in the profile's region (its region key, else the
sso_region).

The sign-in URL is good for 15 minutes and signs in whoever has it:
--print writes it on stdout instead of opening the browser; keep it
out of shell history, logs and chats.

flags:
`

// Issuer names sso-credproc to the federation endpoint (Action=login).
const Issuer = "sso-credproc"

// Bounds of --duration: the federation endpoint's SessionDuration.
const (
	MinDuration = 15 * time.Minute
	MaxDuration = 12 * time.Hour
)

// callTimeout bounds the call to the federation endpoint.
const callTimeout = 30 * time.Second

// maxBody caps the federation endpoint's answer; a sign-in token is about
// 1 KB.
const maxBody = 64 << 10

// Partition is what console needs to know of an AWS partition.
type Partition struct {
	Name        string // aws, aws-cn, aws-us-gov
	SigninHost  string // the AWS Sign-In (federation) host
	ConsoleHost string // the AWS Management Console host
}

// PartitionOf is the partition of region: cn-* is aws-cn, us-gov-* is
// aws-us-gov, any other is aws.
func PartitionOf(region string) Partition {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return Partition{"aws-cn", "signin.amazonaws.cn", "console.amazonaws.cn"}
	case strings.HasPrefix(region, "us-gov-"):
		return Partition{"aws-us-gov", "signin.amazonaws-us-gov.com", "console.amazonaws-us-gov.com"}
	}
	return Partition{"aws", "signin.aws.amazon.com", "console.aws.amazon.com"}
}

// durationFlag is --duration: 15m to 12h in whole seconds, as a Go
// duration or a number of seconds.
type durationFlag struct{ dst *time.Duration }

func (f durationFlag) String() string {
	if f.dst == nil || *f.dst == 0 {
		return ""
	}
	return f.dst.String()
}

func (f durationFlag) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		n, nerr := strconv.Atoi(s)
		if nerr != nil {
			return fmt.Errorf("%q is not a duration such as 1h or 90m", s)
		}
		d = time.Duration(n) * time.Second
	}
	if d < MinDuration || d > MaxDuration || d%time.Second != 0 {
		return fmt.Errorf("%s is out of range: a console session lasts 15m to 12h, in whole seconds", s)
	}
	*f.dst = d
	return nil
}

// pathFlag is --destination: a path on the console host.
type pathFlag struct{ dst *string }

func (f pathFlag) String() string {
	if f.dst == nil {
		return ""
	}
	return *f.dst
}

func (f pathFlag) Set(s string) error {
	if _, err := destination(Partition{ConsoleHost: "console.aws.amazon.com"}, "us-east-1", s); err != nil {
		return err
	}
	*f.dst = s
	return nil
}

// Command is the console command.
func Command(ctx context.Context, e cli.Env, args []string) int {
	var (
		printURL bool
		path     string
		duration time.Duration
	)
	return cli.RunRoleCommand(ctx, e, args, cli.RoleCommand{
		Name:  "console",
		Usage: usage,
		Flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&printURL, "print", false, "print the sign-in URL on stdout instead of opening the browser")
			fs.Var(pathFlag{&path}, "destination", "`path` on the console host to open, e.g. /s3/ (default the console home)")
			fs.Var(durationFlag{&duration}, "duration", "length of the console session, 15m to 12h (`duration`; default the federation endpoint's)")
		},
		Run: func(ctx context.Context, r *cli.RoleCall) int {
			p := r.Profile
			region := consoleRegion(p)
			part := PartitionOf(p.Region)
			dest, err := destination(part, region, path)
			if err != nil {
				r.Fail(err, "see: sso-credproc console --help")
				return 2
			}
			base := "https://" + part.SigninHost
			if p.SigninEndpoint != "" {
				base = strings.TrimSuffix(p.SigninEndpoint, "/")
				u, err := url.Parse(base)
				if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && loopbackHost(u.Hostname()))) {
					r.Fail(errors.New("the AWS Sign-In endpoint override is not an https URL (http only on a loopback host): the role's credentials would travel in the clear"),
						"fix AWS_ENDPOINT_URL_SIGNIN, AWS_ENDPOINT_URL or endpoint_url, or set AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true")
					return 1
				}
				u.User = nil
				r.Debugf("federation endpoint override: %s", u.Redacted())
			}
			r.Debugf("console: partition %s, region %s, destination %s, session duration %s", part.Name, region, dest, durationNote(duration))
			ctx, cancel := context.WithTimeout(ctx, callTimeout)
			defer cancel()
			tok, err := SigninToken(ctx, http.DefaultClient, base, r.Credentials, duration)
			if err != nil {
				r.Fail(err, hint(err, p, r))
				return 1
			}
			login := LoginURL(base, dest, tok)
			if printURL {
				if _, err := io.WriteString(r.Stdout, login+"\n"); err != nil {
					r.Fail(errors.New("write the sign-in URL to stdout failed"), "")
					return 1
				}
				return 0
			}
			if r.Browser == nil {
				r.Fail(errors.New("no browser to open the console in (--no-browser, or an SSH session or no display, and no BROWSER)"),
					"print the sign-in URL instead and open it where you like: "+r.CommandLine()+" --print")
				return 1
			}
			if err := r.Browser.Open(login); err != nil {
				r.Fail(fmt.Errorf("open the browser: %w", err), "set BROWSER (or --browser) to a command that opens a URL, or print it: "+r.CommandLine()+" --print")
				return 1
			}
			r.Debugf("opened the console sign-in URL in the browser")
			return 0
		},
	})
}

func durationNote(d time.Duration) string {
	if d == 0 {
		return "the federation endpoint's default"
	}
	return d.String()
}

// consoleRegion is the region the console opens in: the profile's region
// key, else its SSO region.
func consoleRegion(p *profile.Profile) string {
	if r := strings.TrimSpace(p.Settings["region"]); r != "" {
		return r
	}
	return p.Region
}

// destination is the console URL to open: path (default /) on the
// partition's console host, with region=REGION added to its query unless
// it names one. path must be an absolute path on that host.
func destination(part Partition, region, path string) (string, error) {
	if path == "" {
		path = "/"
	}
	if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") || strings.ContainsAny(path, "\\\r\n\t ") {
		return "", fmt.Errorf("--destination %q is not a path on the console host; give one such as /s3/ or /ec2/home", path)
	}
	u, err := url.Parse("https://" + part.ConsoleHost + path)
	if err != nil || u.Host != part.ConsoleHost || u.User != nil {
		return "", fmt.Errorf("--destination %q is not a path on the console host; give one such as /s3/ or /ec2/home", path)
	}
	q := u.Query()
	if q.Get("region") == "" && region != "" {
		q.Set("region", region)
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}

// FederationError is an answer of the federation endpoint that carries no
// sign-in token. It holds nothing secret: not the body, not the URL.
type FederationError struct {
	Host   string // the federation endpoint's host
	Status int    // the HTTP status; 0 when there was no answer
	Msg    string
}

func (e *FederationError) Error() string {
	if e.Status != 0 && e.Status != http.StatusOK {
		return fmt.Sprintf("the federation endpoint %s answered HTTP %d: %s", e.Host, e.Status, e.Msg)
	}
	return fmt.Sprintf("the federation endpoint %s: %s", e.Host, e.Msg)
}

// SigninToken exchanges cr at the federation endpoint base (scheme and
// host, e.g. https://signin.aws.amazon.com) for a console sign-in token,
// asking for a console session of duration when it is not zero. The call
// lives within ctx; the answer must be HTTP 200 with JSON
// {"SigninToken": "…"} of at most maxBody bytes. Errors never hold the
// request URL (it carries the credentials) or the answer's body.
func SigninToken(ctx context.Context, client *http.Client, base string, cr *tokencache.Credentials, duration time.Duration) (string, error) {
	host := base
	if u, err := url.Parse(base); err == nil && u.Host != "" {
		host = u.Host
	}
	session, err := json.Marshal(map[string]string{
		"sessionId":    cr.AccessKeyID,
		"sessionKey":   cr.SecretAccessKey,
		"sessionToken": cr.SessionToken,
	})
	if err != nil {
		return "", err
	}
	q := url.Values{"Action": {"getSigninToken"}, "Session": {string(session)}}
	if duration != 0 {
		q.Set("SessionDuration", strconv.Itoa(int(duration/time.Second)))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/federation?"+q.Encode(), nil)
	if err != nil {
		return "", &FederationError{Host: host, Msg: "the endpoint is not a URL"}
	}
	resp, err := client.Do(req)
	if err != nil {
		// *url.Error names the URL, which holds the credentials: keep
		// only what went wrong.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return "", &FederationError{Host: host, Msg: "no answer within " + callTimeout.String()}
		}
		if errors.Is(err, context.Canceled) {
			return "", err
		}
		return "", &FederationError{Host: host, Msg: err.Error()}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return "", &FederationError{Host: host, Status: resp.StatusCode, Msg: "the answer broke off"}
	}
	if resp.StatusCode != http.StatusOK {
		msg := "no sign-in token (the credentials may have been refused, or the endpoint is not AWS Sign-In)"
		if resp.StatusCode >= 500 {
			msg = "AWS Sign-In failed; try again later"
		}
		return "", &FederationError{Host: host, Status: resp.StatusCode, Msg: msg}
	}
	if len(body) > maxBody {
		return "", &FederationError{Host: host, Status: resp.StatusCode, Msg: fmt.Sprintf("the answer is larger than %d KiB; it is not a sign-in token", maxBody>>10)}
	}
	var answer struct {
		SigninToken *string `json:"SigninToken"`
	}
	if err := json.Unmarshal(body, &answer); err != nil || answer.SigninToken == nil || !validToken(*answer.SigninToken) {
		return "", &FederationError{Host: host, Status: resp.StatusCode, Msg: `the answer is not JSON {"SigninToken": "…"} with a token`}
	}
	return *answer.SigninToken, nil
}

// validToken reports whether t looks like a sign-in token: not empty, at
// most maxBody bytes of printable ASCII without spaces.
func validToken(t string) bool {
	if t == "" || len(t) > maxBody {
		return false
	}
	for i := 0; i < len(t); i++ {
		if t[i] <= ' ' || t[i] >= 0x7f {
			return false
		}
	}
	return true
}

// LoginURL is the console sign-in URL at the federation endpoint base that
// signs in with token and opens dest.
func LoginURL(base, dest, token string) string {
	q := url.Values{"Action": {"login"}, "Issuer": {Issuer}, "Destination": {dest}, "SigninToken": {token}}
	return base + "/federation?" + q.Encode()
}

// hint is the hint line for an error of the federation call.
func hint(err error, p *profile.Profile, r *cli.RoleCall) string {
	var fe *FederationError
	if !errors.As(err, &fe) {
		return ""
	}
	override := ""
	if p.SigninEndpoint != "" {
		override = "; an endpoint override is in use (AWS_ENDPOINT_URL_SIGNIN, AWS_ENDPOINT_URL, a services section's signin key or endpoint_url); AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true turns it off"
	}
	switch {
	case fe.Status == 0:
		return "check the network connection and any proxy (HTTPS_PROXY, NO_PROXY)" + override + "; then run: " + r.CommandLine()
	case fe.Status >= 500:
		return "try again later: " + r.CommandLine() + override
	}
	return "check that the role may use the console and that sso_region names the right partition (" + PartitionOf(p.Region).Name + ")" + override
}

// loopbackHost reports whether host is localhost or a loopback address.
func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
