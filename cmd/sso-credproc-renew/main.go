// Command sso-credproc-renew does what sso-credproc hands over when the
// keychain holds no fresh credentials: GetRoleCredentials, token refresh and
// sign-in over the aws-sdk-go-v2 clients, serialised across processes. It
// takes the same arguments and prints the same output as sso-credproc, and
// can be run directly.
package main

import (
	"context"
	"os"

	"github.com/sso-credproc/sso-credproc/filestore"
	"github.com/sso-credproc/sso-credproc/internal/cli"
	"github.com/sso-credproc/sso-credproc/internal/cli/configure"
	"github.com/sso-credproc/sso-credproc/internal/cli/console"
	"github.com/sso-credproc/sso-credproc/internal/cli/execserve"
	"github.com/sso-credproc/sso-credproc/internal/paths"
	"github.com/sso-credproc/sso-credproc/keychain"
	"github.com/sso-credproc/sso-credproc/profile"
	"github.com/sso-credproc/sso-credproc/sso/awssdk"
	"github.com/sso-credproc/sso-credproc/tokencache"
)

func main() {
	os.Exit(cli.Main(cli.Env{
		LockDir: paths.LockDir,
		Commands: map[string]func(context.Context, cli.Env, []string) int{
			"configure": configure.Command,
			"console":   console.Command,
			"exec":      execserve.Exec,
			"serve":     execserve.Serve,
		},
		NewSSO: func(p *profile.Profile) tokencache.SSO {
			return awssdk.New(awssdk.ConfigFor(p))
		},
		FileStore: func(getenv func(string) string, notice func(string)) keychain.Store {
			return filestore.FromEnv(getenv, notice)
		},
	}))
}
