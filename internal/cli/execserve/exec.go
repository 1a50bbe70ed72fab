// Package execserve is sso-credproc's exec and serve commands, which hand
// role credentials to programs that do not run credential_process: in
// their environment (exec) or from a local endpoint in the container
// credential provider format (exec --server, serve; see
// internal/credserver). It lives apart from package cli so that
// sso-credproc, whose warm path must start fast, does not link the HTTP
// stack; sso-credproc-renew registers it (cli.Env.Commands).
//
// Who writes where: exec writes nothing of its own on stdout, which is
// COMMAND's, as are stdin and stderr; its errors go to stderr. serve
// writes its address and token on stderr (see serveUsage) and nothing on
// stdout.
package execserve

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/sso-credproc/sso-credproc/internal/cli"
	"github.com/sso-credproc/sso-credproc/internal/credserver"
	"github.com/sso-credproc/sso-credproc/profile"
)

// MarkerEnv is set for COMMAND to the profile exec runs it with; an exec
// that finds it refuses to run (nested sessions mix up credentials).
const MarkerEnv = "SSO_CREDPROC_PROFILE"

const execUsage = `usage: sso-credproc exec --profile NAME [flags] [--server] -- COMMAND [ARGS...]

Runs COMMAND with the role credentials of the profile in its environment:
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and
AWS_CREDENTIAL_EXPIRATION (RFC 3339), and AWS_REGION and
AWS_DEFAULT_REGION from the region of the profile named (else of the SSO
profile it points at) when one is set. Variables that would take
precedence over them or point elsewhere are removed: AWS_PROFILE,
AWS_DEFAULT_PROFILE, AWS_ACCESS_KEY, AWS_SECRET_KEY, AWS_SECURITY_TOKEN, AWS_CREDENTIAL_FILE,
AWS_SESSION_EXPIRATION, AWS_ACCOUNT_ID, AWS_ROLE_ARN,
AWS_ROLE_SESSION_NAME, AWS_WEB_IDENTITY_TOKEN_FILE and the
AWS_CONTAINER_CREDENTIALS_* / AWS_CONTAINER_AUTHORIZATION_TOKEN* ones.
SSO_CREDPROC_PROFILE is set to the profile's name; an exec inside that
refuses to run.

With --server COMMAND gets no static credentials but a local endpoint
(AWS_CONTAINER_CREDENTIALS_FULL_URI, AWS_CONTAINER_AUTHORIZATION_TOKEN)
served for as long as it runs, so that a long-running COMMAND never runs
out of credentials. The SDKs read a [default] profile with credentials of
its own before that endpoint: exec warns when the config or credentials
file has one.

Signs in first when needed. Signals (INT, TERM, HUP, QUIT, USR1, USR2,
WINCH) are passed on to COMMAND; the exit status is COMMAND's (128+N when
signal N ended it), 127 when COMMAND is not found, 126 when it cannot be
run. stdin, stdout and stderr are COMMAND's.

flags:
`

// removed are the variables exec takes out of COMMAND's environment: each
// would take precedence over the credentials it sets, or belongs to other
// credentials (AWS_ACCESS_KEY and AWS_SECRET_KEY are the older names that
// the Go and Java SDKs still read). AWS_SHARED_CREDENTIALS_FILE and
// AWS_CONFIG_FILE stay: the variables set come before both files in every
// SDK's chain, and COMMAND may use other profiles of them on purpose. With
// --server no variables are set and the endpoint comes after the files'
// [default] profile: see defaultProfileWarning.
var removed = []string{
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION",
	"AWS_ACCESS_KEY", "AWS_SECRET_KEY",
	"AWS_PROFILE", "AWS_DEFAULT_PROFILE",
	"AWS_SECURITY_TOKEN", "AWS_CREDENTIAL_FILE", "AWS_SESSION_EXPIRATION", "AWS_ACCOUNT_ID",
	"AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME", "AWS_WEB_IDENTITY_TOKEN_FILE",
	"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
	MarkerEnv,
}

// Exec is the exec command.
func Exec(ctx context.Context, e cli.Env, args []string) int {
	rep := cli.NewReporter(e.Stderr)
	var server bool
	r, command, code, ok := cli.LoadRole(e, "exec", execUsage, args, func(fs *flag.FlagSet) {
		fs.BoolVar(&server, "server", false, "serve the credentials to COMMAND from a local endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI) instead of setting them")
	}, true)
	if !ok {
		return code
	}
	if outer := e.Getenv(MarkerEnv); outer != "" {
		rep.Fail(fmt.Errorf("already inside sso-credproc exec for profile %q", outer),
			"leave that shell first (exit); to nest on purpose, unset "+MarkerEnv)
		return 1
	}
	if len(command) == 0 {
		rep.Fail(errors.New("no command given"), "name it after --: sso-credproc exec --profile NAME -- aws s3 ls (or -- \"$SHELL\" for a shell)")
		return 2
	}
	path, err := exec.LookPath(command[0])
	if err != nil {
		return cannotStart(rep, command[0], err)
	}
	name := markerValue(r)

	// Sign in (or renew) before COMMAND starts: a sign-in's prompts must
	// not mix with COMMAND's output, and an error ends here.
	cr, err := r.Credentials(ctx)
	if err != nil {
		return r.Fail(ctx, err)
	}
	var set []string
	if !server {
		set = []string{
			"AWS_ACCESS_KEY_ID", cr.AccessKeyID,
			"AWS_SECRET_ACCESS_KEY", cr.SecretAccessKey,
			"AWS_SESSION_TOKEN", cr.SessionToken,
			"AWS_CREDENTIAL_EXPIRATION", cr.Expiration.UTC().Format(time.RFC3339),
		}
		r.Debugf("running %s with the credentials of %s/%s in its environment, valid until %s", command[0], r.Profile.AccountID, r.Profile.RoleName, cr.Expiration.Format(time.RFC3339))
	} else {
		if w := defaultProfileWarning(e.Getenv); w != "" {
			r.Say("warning: " + w)
		}
		// The server lives as long as COMMAND, whatever signals come.
		sctx, stop := context.WithCancel(context.WithoutCancel(ctx))
		defer stop()
		srv, ln, err := startServer(r, "127.0.0.1:0", cr)
		if err != nil {
			rep.Fail(err, "")
			return 1
		}
		served := make(chan error, 1)
		go func() { served <- srv.Serve(sctx, ln) }()
		defer func() {
			stop()
			if err := <-served; err != nil {
				r.Debugf("the credentials endpoint stopped: %v", err)
			}
		}()
		set = []string{
			"AWS_CONTAINER_CREDENTIALS_FULL_URI", credserver.URL(ln),
			"AWS_CONTAINER_AUTHORIZATION_TOKEN", srv.Token,
		}
		r.Debugf("running %s with the credentials endpoint %s", command[0], credserver.URL(ln))
	}
	if r.Region != "" {
		set = append(set, "AWS_REGION", r.Region, "AWS_DEFAULT_REGION", r.Region)
	}
	set = append(set, MarkerEnv, name)
	env := childEnv(os.Environ(), runtime.GOOS == "windows", set...)
	return run(rep, path, command, env, e)
}

// markerValue is what SSO_CREDPROC_PROFILE is set to: the profile the user
// named, else the one resolved, else the account and role.
func markerValue(r *cli.Role) string {
	switch {
	case r.Named != "":
		return r.Named
	case r.Profile.Name != "":
		return r.Profile.Name
	}
	return r.Profile.AccountID + "/" + r.Profile.RoleName
}

// childEnv is environ without the variables exec removes and those in set
// (name, value pairs), followed by those of set. Windows compares names
// without regard to case.
func childEnv(environ []string, foldCase bool, set ...string) []string {
	same := func(a, b string) bool { return a == b }
	if foldCase {
		same = strings.EqualFold
	}
	drop := append([]string(nil), removed...)
	for i := 0; i < len(set); i += 2 {
		drop = append(drop, set[i])
	}
	var out []string
next:
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		for _, d := range drop {
			if same(k, d) {
				continue next
			}
		}
		out = append(out, kv)
	}
	for i := 0; i+1 < len(set); i += 2 {
		out = append(out, set[i]+"="+set[i+1])
	}
	return out
}

// cannotStart reports that COMMAND cannot be run and returns the status a
// shell gives: 127 when it is not found, 126 when it cannot be executed.
func cannotStart(rep *cli.Reporter, name string, err error) int {
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
		rep.Fail(fmt.Errorf("command not found: %s", name), "check its name, or give its path; PATH is searched for names without a slash")
		return 127
	}
	if errors.Is(err, exec.ErrDot) {
		rep.Fail(fmt.Errorf("%s is found only in the current directory (PATH holds \".\")", name), "give its path: ./"+name)
		return 126
	}
	rep.Fail(fmt.Errorf("cannot run %s: %w", name, err), "check that it is an executable file and that you may run it")
	return 126
}

// run runs COMMAND (path; argv is its name and arguments) with env and
// the standard streams, passes signals on to it and returns its exit
// status.
func run(rep *cli.Reporter, path string, argv, env []string, e cli.Env) int {
	cmd := exec.Command(path, argv[1:]...)
	cmd.Args[0] = argv[0]
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, e.Stdout, e.Stderr

	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, forwarded...)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return cannotStart(rep, argv[0], err)
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				forward(cmd.Process, s)
			case <-done:
				return
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	if cmd.ProcessState == nil {
		rep.Fail(fmt.Errorf("wait for %s: %w", argv[0], err), "")
		return 1
	}
	return exitStatus(cmd.ProcessState)
}

// defaultProfileWarning says when the [default] profile of the config or
// credentials file holds credentials of its own: the SDKs use those before
// the container endpoint of exec --server (in botocore's, Go's and JS's
// default chains the shared files come first), so COMMAND would not get the
// role's credentials. "" when there are none.
func defaultProfileWarning(getenv func(string) string) string {
	home := profile.HomeDir(getenv)
	files := []struct{ env, def string }{
		{"AWS_CONFIG_FILE", filepath.Join(home, ".aws", "config")},
		{"AWS_SHARED_CREDENTIALS_FILE", filepath.Join(home, ".aws", "credentials")},
	}
	keys := []string{"aws_access_key_id", "credential_process", "sso_session", "sso_start_url", "sso_account_id", "role_arn", "web_identity_token_file"}
	for _, f := range files {
		path := getenv(f.env)
		if path == "" {
			if home == "" {
				continue
			}
			path = f.def
		}
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		settings, err := profile.Settings(path, data, "default")
		if err != nil {
			continue
		}
		for _, k := range keys {
			if settings[k] != "" {
				return fmt.Sprintf("the [default] profile of %s has %s: the SDKs use it before the endpoint of exec --server; run COMMAND without --server, or with AWS_PROFILE set to a profile without credentials", path, k)
			}
		}
	}
	return ""
}
