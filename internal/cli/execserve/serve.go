package execserve

import (
	"context"
	"flag"
	"fmt"
	"net"

	"github.com/sso-credproc/sso-credproc/internal/cli"
	"github.com/sso-credproc/sso-credproc/internal/credserver"
	"github.com/sso-credproc/sso-credproc/tokencache"
)

const serveUsage = `usage: sso-credproc serve --profile NAME [flags] [--addr 127.0.0.1:PORT]

Serves the role credentials of the profile on a local endpoint in the
format of the container credential provider, which the AWS CLI and SDKs
poll (and poll again before the credentials expire) when
AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN
are set. Signs in first when needed, then writes on stderr, once, the
line to paste into the shells that should use it:

  export AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:PORT/ AWS_CONTAINER_AUTHORIZATION_TOKEN=TOKEN

The token is a secret: a request without it is refused, and it is
written nowhere else. The endpoint listens on loopback only, answers GET /
with a loopback Host header only, and renews the credentials through the
keychain as they near expiry (one call for any number of requests). Runs
until SIGINT or SIGTERM, then exits 0. stdout stays empty.

flags:
`

// Serve is the serve command.
func Serve(ctx context.Context, e cli.Env, args []string) int {
	rep := cli.NewReporter(e.Stderr)
	addr := "127.0.0.1:0"
	r, _, code, ok := cli.LoadRole(e, "serve", serveUsage, args, func(fs *flag.FlagSet) {
		fs.StringVar(&addr, "addr", addr, "loopback `address` to listen on (port 0: any free port)")
	}, false)
	if !ok {
		return code
	}
	if host, _, err := net.SplitHostPort(addr); err != nil || !isLoopback(host) {
		rep.Fail(fmt.Errorf("--addr %q is not a loopback address and port", addr), "the endpoint must not be reachable from other machines: --addr 127.0.0.1:PORT")
		return 2
	}
	cr, err := r.Credentials(ctx)
	if err != nil {
		return r.Fail(ctx, err)
	}
	srv, ln, err := startServer(r, addr, cr)
	if err != nil {
		rep.Fail(err, "choose another port: --addr 127.0.0.1:PORT (0 picks a free one)")
		return 1
	}
	r.Say(fmt.Sprintf("serving the credentials of %s/%s at %s until interrupted; to use them in a shell:", r.Profile.AccountID, r.Profile.RoleName, credserver.URL(ln)))
	fmt.Fprintf(e.Stderr, "export AWS_CONTAINER_CREDENTIALS_FULL_URI=%s AWS_CONTAINER_AUTHORIZATION_TOKEN=%s\n", credserver.URL(ln), srv.Token)
	if err := srv.Serve(ctx, ln); err != nil {
		rep.Fail(fmt.Errorf("serve: %w", err), "")
		return 1
	}
	r.Say("stopped")
	return 0
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// startServer listens on addr and returns a server of r's credentials,
// holding cr already, with a new token.
func startServer(r *cli.Role, addr string, cr *tokencache.Credentials) (*credserver.Server, net.Listener, error) {
	token, err := credserver.NewToken()
	if err != nil {
		return nil, nil, err
	}
	ln, err := credserver.Listen(addr)
	if err != nil {
		return nil, nil, err
	}
	srv := &credserver.Server{
		Token: token,
		Fresh: r.Fresh,
		Get: func(ctx context.Context) (*credserver.Credentials, error) {
			cr, err := r.Credentials(ctx)
			if err != nil {
				if hint := r.Hint(err); hint != "" {
					return nil, fmt.Errorf("%w (%s)", err, hint)
				}
				return nil, err
			}
			return convert(cr), nil
		},
		Logf: func(format string, args ...any) { r.Say(fmt.Sprintf(format, args...)) },
	}
	srv.Hold(convert(cr))
	return srv, ln, nil
}

func convert(cr *tokencache.Credentials) *credserver.Credentials {
	return &credserver.Credentials{
		AccessKeyID:     cr.AccessKeyID,
		SecretAccessKey: cr.SecretAccessKey,
		SessionToken:    cr.SessionToken,
		Expiration:      cr.Expiration,
		AccountID:       cr.AccountID,
	}
}
