package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version and Commit are set at build time by install.sh (-ldflags -X);
// without them the module version and the VCS stamp of the build are used.
var Version, Commit string

func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// commit returns the VCS revision the binary was built from ("" if not
// recorded), with "+dirty" when the tree had changes.
func commit() string {
	if Commit != "" {
		return Commit
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" && dirty {
		rev += "+dirty"
	}
	return rev
}

const versionUsage = `usage: sso-credproc version

Prints the version, the commit it was built from, the Go version and the
platform on stdout.
`

// versionCommand prints "sso-credproc VERSION (commit C, GO, OS/ARCH)".
func versionCommand(ctx context.Context, e Env, args []string) int {
	fs := newFlagSet("version", &options{}, 0)
	if err := parseArgs(fs, &options{}, args, e.Stdout, versionUsage, e.Getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		(&ui{err: e.Stderr}).fail(err, flagHint(err, "version"))
		return 2
	}
	c := commit()
	if c == "" {
		c = "unknown"
	}
	fmt.Fprintf(e.Stdout, "sso-credproc %s (commit %s, %s, %s/%s)\n", version(), c, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return 0
}

const helpUsage = `usage: sso-credproc help [COMMAND]

Shows the help of COMMAND, or of sso-credproc.
`

func helpCommand(ctx context.Context, e Env, args []string) int {
	switch {
	case len(args) == 0:
		return credentialCommand(ctx, e, []string{"--help"})
	case len(args) == 1 && (args[0] == "-h" || args[0] == "--help"):
		fmt.Fprint(e.Stdout, helpUsage)
		return 0
	case len(args) == 1 && findCommand(args[0]) != nil:
		c := findCommand(args[0])
		if e.WarmOnly && !c.warm {
			return e.Handoff()
		}
		return c.run(ctx, e, []string{"--help"})
	}
	(&ui{err: e.Stderr}).fail(fmt.Errorf("no help for %q", args), "commands: "+commandNames())
	return 2
}
