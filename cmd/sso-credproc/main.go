// Command sso-credproc prints AWS credentials for an IAM Identity Center role
// in the credential_process format. It serves fresh credentials from the
// keychain itself and links no AWS SDK, so that this common case costs
// little more than starting a process; anything that needs the network is
// handed to sso-credproc-renew, installed beside it. See internal/cli for
// who writes where.
package main

import (
	"os"

	"github.com/sso-credproc/sso-credproc/internal/cli"
)

func main() {
	os.Exit(cli.Main(cli.Env{WarmOnly: true}))
}
