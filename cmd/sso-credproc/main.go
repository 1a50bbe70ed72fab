// Command sso-credproc prints AWS credentials for an IAM Identity Center role
// in the credential_process format. It serves fresh credentials from the
// keychain itself and links no AWS SDK, so that this common case costs
// little more than starting a process; anything that needs the network is
// handed to sso-credproc-renew, installed beside it. See internal/cli for
// who writes where.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/sso-credproc/sso-credproc/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, cli.Env{
		Args:    os.Args[1:],
		Getenv:  os.Getenv,
		Stdout:  os.Stdout,
		Stderr:  os.Stderr,
		TTY:     func() io.Writer { return cli.OpenTTY(os.Stderr) },
		Handoff: func() int { stop(); return cli.Handoff(os.Args[1:], os.Stderr) },
	})
	stop()
	os.Exit(code)
}
