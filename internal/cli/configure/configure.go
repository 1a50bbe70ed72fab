// Package configure is sso-credproc's configure command. It lives apart
// from package cli so that sso-credproc, whose warm path must start fast,
// does not link the config editor and its diff library; sso-credproc-renew
// registers it (cli.Env.Commands).
package configure

// The configure command writes the profile pair for sso-credproc into the
// AWS config file (internal/configedit does the editing). Who writes where:
// stdout carries only the --help text; the diff, messages and errors go to
// stderr; prompts and menus go to the terminal (e.TTY when stderr is not
// the terminal, else stderr), and answers are read from stdin, only when
// stdin is a terminal.

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/term"

	"github.com/sso-credproc/sso-credproc/internal/cli"
	"github.com/sso-credproc/sso-credproc/internal/configedit"
	"github.com/sso-credproc/sso-credproc/profile"
	"github.com/sso-credproc/sso-credproc/sso"
)

// listAssignments lists the accounts and roles the user can reach through
// the sso-session s (signing in if need be), for the menu shown when
// --account-id or --role-name is missing on a terminal. s is the session as
// the config file has it, or as --start-url and --region describe a new
// one. nil: no menu, the flags are required. Tests replace it.
var listAssignments = func(ctx context.Context, e cli.Env, s configedit.Session) ([]sso.Assignment, error) {
	return cli.ListAssignments(ctx, e, s.Name, s.StartURL, s.Region, s.Scopes)
}

// configureStdin returns where answers are read from and whether it is a
// terminal (only then are there menus and a confirmation). Tests replace it.
var configureStdin = func() (io.Reader, bool) {
	return os.Stdin, term.IsTerminal(int(os.Stdin.Fd()))
}

// configureExecutable returns the absolute path of the running program with symbolic
// links resolved. Tests replace it.
var configureExecutable = func() (string, error) {
	p, err := os.Executable()
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(p)
}

const configureUsage = `usage: sso-credproc configure --profile NAME --sso-session S --account-id A --role-name R [flags]

Writes two profiles into the AWS config file (AWS_CONFIG_FILE, default
~/.aws/config), and the sso-session when it is new:

  [profile NAME]
  credential_process = /path/to/sso-credproc --profile NAME-sso
  region = R                      (with --profile-region R)

  [profile NAME-sso]
  sso_session = S
  sso_account_id = A
  sso_role_name = R

  [sso-session S]                 (only when the file has none; needs
  sso_start_url = URL              --start-url and --region)
  sso_region = REGION
  sso_registration_scopes = sso:account:access

Everything else in the file stays as it is. The change is shown as a diff
on stderr; the previous file is kept as config.bak beside it. On a
terminal it asks before writing (--yes does not), and without
--account-id or --role-name it offers the accounts and roles you can
reach. An existing profile of either name is replaced only with --force.
Afterwards: aws sts get-caller-identity --profile NAME

flags:
`

// Command runs `sso-credproc configure` with args (the words after
// "configure") and returns the exit status: 0 done (or nothing to do), 1
// refused or failed, 2 bad or missing flags.
func Command(ctx context.Context, e cli.Env, args []string) int {
	u := cli.NewReporter(e.Stderr)
	getenv := e.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	var (
		p                  configedit.Pair
		startURL, region   string
		force, yes         bool
		fs                 = flag.NewFlagSet("sso-credproc configure", flag.ContinueOnError)
		stdout             = e.Stdout
		configureFlagsHelp = "see: sso-credproc configure --help"
	)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.StringVar(&p.Name, "profile", "", "the profile to use with the AWS CLI and SDKs (`NAME`); it gets credential_process")
	fs.StringVar(&p.SSOProfile, "sso-profile", "", "the profile that holds the SSO settings (default NAME-sso)")
	fs.StringVar(&p.Session, "sso-session", "", "the sso-session to sign in with")
	fs.StringVar(&p.AccountID, "account-id", "", "AWS account id (12 digits)")
	fs.StringVar(&p.RoleName, "role-name", "", "permission set (role) name")
	fs.StringVar(&startURL, "start-url", "", "AWS access portal URL, to add the sso-session when it is new")
	fs.StringVar(&region, "region", "", "IAM Identity Center region, to add the sso-session when it is new")
	fs.StringVar(&p.ProfileRegion, "profile-region", "", "write region = `REGION` on the profile (most AWS CLI commands need one)")
	fs.BoolVar(&force, "force", false, "replace existing profiles of the two names, in place")
	fs.BoolVar(&yes, "yes", false, "write without asking on the terminal")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, configureUsage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return 0
		}
		u.Fail(err, configureFlagsHelp)
		return 2
	}
	if fs.NArg() > 0 {
		u.Fail(fmt.Errorf("unexpected argument %q", fs.Arg(0)), configureFlagsHelp)
		return 2
	}

	stdin, interactive := configureStdin()
	c := &configurer{e: e, u: u, in: bufio.NewReader(stdin), interactive: interactive}

	path := profile.ConfigPath(getenv)
	data, err := readConfigForEdit(path)
	if err != nil {
		u.Fail(err, "check the permissions of the file (AWS_CONFIG_FILE, default ~/.aws/config)")
		return 1
	}
	var secs []profile.Section
	if data != nil {
		if secs, err = profile.Sections(path, data); err != nil {
			u.Fail(err, cli.ProfileHint(err))
			return 1
		}
	}

	// What is missing, and what the terminal can supply.
	if p.Session == "" && c.interactive {
		var names []string
		for _, s := range secs {
			if s.Kind == profile.KindSSOSession && !slices.Contains(names, s.Name) {
				names = append(names, s.Name)
			}
		}
		if len(names) > 0 {
			i, err := c.pick("sso-session", names)
			if err != nil {
				u.Fail(err, "pass --sso-session NAME")
				return 1
			}
			p.Session = names[i]
		}
	}
	sessionExists := false
	for _, s := range secs {
		sessionExists = sessionExists || (s.Kind == profile.KindSSOSession && s.Name == p.Session)
	}
	var missing []string
	need := func(flag, v string) {
		if v == "" {
			missing = append(missing, flag)
		}
	}
	need("--profile", p.Name)
	need("--sso-session", p.Session)
	if p.Session != "" && !sessionExists {
		need("--start-url", startURL)
		need("--region", region)
	}
	menu := c.interactive && listAssignments != nil && (p.AccountID == "" || p.RoleName == "")
	if !menu {
		need("--account-id", p.AccountID)
		need("--role-name", p.RoleName)
	}
	if len(missing) > 0 {
		hint := "sso-credproc configure --profile NAME --sso-session S --account-id 111122223333 --role-name ROLE --yes (add --start-url URL --region REGION for a new sso-session)"
		if c.interactive && listAssignments == nil && (p.AccountID == "" || p.RoleName == "") {
			hint = "this build cannot list your accounts and roles; " + hint
		}
		u.Fail(fmt.Errorf("missing %s", strings.Join(missing, ", ")), hint)
		return 2
	}
	if startURL != "" || region != "" {
		p.NewSession = &configedit.Session{Name: p.Session, StartURL: startURL, Region: region}
	}
	if menu {
		if err := c.chooseAssignment(ctx, path, &p, sessionExists); err != nil {
			u.Fail(err, "pass --account-id and --role-name")
			return 1
		}
	}

	exe, err := configureExecutable()
	if err != nil {
		u.Fail(fmt.Errorf("cannot find the path of sso-credproc: %w", err), "")
		return 1
	}
	p.Command = []string{credprocPath(exe)}

	edit, err := configedit.Plan(path, data, p, force)
	if err != nil {
		u.Fail(err, configureHint(err, path, p))
		if errors.Is(err, configedit.ErrInvalid) {
			return 2
		}
		return 1
	}
	if !edit.Changed() {
		fmt.Fprintf(e.Stderr, "sso-credproc: %s already holds these profiles; nothing to write\n", path)
		return 0
	}
	diff := edit.Diff()
	io.WriteString(e.Stderr, diff)
	if c.interactive && !yes {
		if t := c.terminal(); t != e.Stderr {
			io.WriteString(t, diff)
		}
		ok, err := c.confirm(fmt.Sprintf("write these changes to %s?", path))
		if err != nil || !ok {
			u.Fail(errors.New("nothing was written"), "")
			return 1
		}
	}
	if err := edit.Apply(); err != nil {
		hint := ""
		var ce *configedit.Error
		if errors.As(err, &ce) {
			hint = ce.Hint
		}
		u.Fail(err, hint)
		return 1
	}
	msg := "wrote " + path
	if edit.Old != nil {
		msg += " (the previous version is in " + edit.BackupPath() + ")"
	}
	try := "aws sts get-caller-identity --profile " + p.Name
	if p.ProfileRegion == "" {
		// The AWS CLI needs a region, and the profile has none.
		try += " --region REGION (or save one on the profile: configure --force with --profile-region REGION)"
	}
	fmt.Fprintf(e.Stderr, "sso-credproc: %s\nsso-credproc: try: %s\n", msg, try)
	return 0
}

// readConfigForEdit returns the file's content, nil when it does not exist.
func readConfigForEdit(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, err
	case data == nil:
		data = []byte{}
	}
	return data, nil
}

// credprocPath is the program for credential_process: exe, unless exe is
// sso-credproc-renew (which the configure command may run from when it
// needs the SSO client), then the sso-credproc beside it.
func credprocPath(exe string) string {
	dir, base := filepath.Split(exe)
	ext := filepath.Ext(base)
	if strings.EqualFold(ext, ".exe") {
		base = strings.TrimSuffix(base, ext)
	} else {
		ext = ""
	}
	if base == "sso-credproc-renew" {
		sibling := filepath.Join(dir, "sso-credproc"+ext)
		if st, err := os.Stat(sibling); err == nil && st.Mode().IsRegular() {
			return sibling
		}
	}
	return exe
}

func configureHint(err error, path string, p configedit.Pair) string {
	switch {
	case errors.Is(err, configedit.ErrExists):
		return "pass --force to replace it in place (the previous file is kept as " + path + ".bak), or choose another --profile or --sso-profile"
	case errors.Is(err, configedit.ErrNoSession):
		return fmt.Sprintf("pass --start-url URL and --region REGION to add [sso-session %s], or name an existing one with --sso-session", p.Session)
	case errors.Is(err, configedit.ErrSessionDiffers):
		return "leave out --start-url and --region to use the sso-session as it is, or name a new one with --sso-session"
	}
	var ce *configedit.Error
	if errors.As(err, &ce) && ce.Hint != "" {
		return ce.Hint
	}
	return cli.ProfileHint(err)
}

// configurer holds the terminal side of the command.
type configurer struct {
	e           cli.Env
	u           *cli.Reporter
	in          *bufio.Reader
	interactive bool
	tty         io.Writer
}

// terminal is where prompts go: the controlling terminal when stderr is
// not it, else stderr.
func (c *configurer) terminal() io.Writer {
	if c.tty == nil {
		c.tty = c.e.Stderr
		if c.e.TTY != nil {
			if w := c.e.TTY(); w != nil {
				c.tty = w
			}
		}
	}
	return c.tty
}

// ask shows prompt and reads one line (without its end).
func (c *configurer) ask(prompt string) (string, error) {
	fmt.Fprint(c.terminal(), prompt)
	line, err := c.in.ReadString('\n')
	if err != nil && (line == "" || !errors.Is(err, io.EOF)) {
		if errors.Is(err, io.EOF) {
			return "", errors.New("no answer (end of input)")
		}
		return "", err
	}
	return strings.TrimSpace(line), nil
}

// pick offers options as a numbered menu and returns the index chosen. A
// single option is taken without asking.
func (c *configurer) pick(what string, options []string) (int, error) {
	t := c.terminal()
	if len(options) == 1 {
		fmt.Fprintf(t, "sso-credproc: %s: %s\n", what, options[0])
		return 0, nil
	}
	fmt.Fprintf(t, "sso-credproc: choose the %s:\n", what)
	for i, o := range options {
		fmt.Fprintf(t, "  %2d) %s\n", i+1, o)
	}
	for tries := 0; tries < 3; tries++ {
		answer, err := c.ask(fmt.Sprintf("%s [1-%d]: ", what, len(options)))
		if err != nil {
			return 0, err
		}
		if n, err := strconv.Atoi(answer); err == nil && n >= 1 && n <= len(options) {
			return n - 1, nil
		}
		fmt.Fprintf(t, "sso-credproc: type a number from 1 to %d\n", len(options))
	}
	return 0, fmt.Errorf("no %s chosen", what)
}

// confirm asks a yes/no question; only y or yes (any case) is yes.
func (c *configurer) confirm(question string) (bool, error) {
	answer, err := c.ask("sso-credproc: " + question + " [y/N] ")
	if err != nil {
		return false, err
	}
	a := strings.ToLower(answer)
	return a == "y" || a == "yes", nil
}

// chooseAssignment fills in p's account and role from the accounts and
// roles the user can reach, narrowed by the one of the two that was given.
func (c *configurer) chooseAssignment(ctx context.Context, path string, p *configedit.Pair, sessionExists bool) error {
	s := configedit.Session{Name: p.Session}
	switch {
	case p.NewSession != nil && !sessionExists:
		s = *p.NewSession
	default:
		// The session as sso-credproc itself would read it; account and
		// role are placeholders that Load requires but the session does
		// not use.
		prof, err := profile.Load(path, "", profile.Overrides{SSOSession: p.Session, AccountID: "000000000000", RoleName: "placeholder"}, c.e.Getenv)
		if err != nil {
			return err
		}
		s.StartURL, s.Region, s.Scopes = prof.StartURL, prof.Region, prof.Scopes
	}
	all, err := listAssignments(ctx, c.e, s)
	if err != nil {
		return fmt.Errorf("list the accounts and roles of sso-session %q: %w", p.Session, err)
	}
	var options []sso.Assignment
	var labels []string
	for _, a := range all {
		if (p.AccountID == "" || a.AccountID == p.AccountID) && (p.RoleName == "" || a.RoleName == p.RoleName) {
			options = append(options, a)
			label := a.AccountID
			if a.AccountName != "" {
				label += " (" + a.AccountName + ")"
			}
			// The names come from the service: no control characters on
			// the terminal.
			labels = append(labels, strings.Map(func(r rune) rune {
				if unicode.IsControl(r) {
					return -1
				}
				return r
			}, label+"  "+a.RoleName))
		}
	}
	if len(options) == 0 {
		return fmt.Errorf("sso-session %q gives you no account and role matching --account-id %q --role-name %q", p.Session, p.AccountID, p.RoleName)
	}
	i, err := c.pick("account and role", labels)
	if err != nil {
		return err
	}
	p.AccountID, p.RoleName = options[i].AccountID, options[i].RoleName
	return nil
}
