// Command sso-credproc-renew does what sso-credproc hands over when the
// keychain holds no fresh credentials: GetRoleCredentials, token refresh and
// sign-in over the aws-sdk-go-v2 clients, serialised across processes. It
// takes the same arguments and prints the same output as sso-credproc, and
// can be run directly.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/sso-credproc/sso-credproc/internal/cli"
	"github.com/sso-credproc/sso-credproc/internal/paths"
	"github.com/sso-credproc/sso-credproc/profile"
	"github.com/sso-credproc/sso-credproc/sso/awssdk"
	"github.com/sso-credproc/sso-credproc/tokencache"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, cli.Env{
		Args:    os.Args[1:],
		Getenv:  os.Getenv,
		Stdout:  os.Stdout,
		Stderr:  os.Stderr,
		TTY:     func() io.Writer { return cli.OpenTTY(os.Stderr) },
		LockDir: paths.LockDir,
		NewSSO: func(p *profile.Profile) tokencache.SSO {
			return awssdk.New(awssdk.Config{Region: p.Region, OIDCEndpoint: p.OIDCEndpoint, PortalEndpoint: p.PortalEndpoint})
		},
	})
	stop()
	os.Exit(code)
}
