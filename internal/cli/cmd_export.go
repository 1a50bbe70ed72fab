package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/sso-credproc/sso-credproc/tokencache"
)

const exportUsage = `usage: sso-credproc export --profile NAME [--format FORMAT] [flags]

Prints the role credentials of the profile on stdout in one of the
formats of "aws configure export-credentials" (as aws-vault export
does), signing in first when needed:

  process        the credential_process JSON, as the credential call prints it (default)
  env            export AWS_ACCESS_KEY_ID=... lines for sh, bash, zsh
  env-no-export  the same without "export"
  powershell     $Env:AWS_ACCESS_KEY_ID="..." lines
  windows-cmd    set AWS_ACCESS_KEY_ID=... lines for cmd.exe

The lines set AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
and AWS_CREDENTIAL_EXPIRATION (RFC 3339, UTC). A value with characters
a shell would interpret is quoted for that shell; cmd.exe cannot carry
", %, !, line breaks or non-ASCII characters safely, so such a value is
an error with windows-cmd. For example:

  eval "$(sso-credproc export --profile dev --format env)"

flags:
`

// exportFormats are the formats of export, as aws configure
// export-credentials names them.
var exportFormats = []string{"process", "env", "env-no-export", "powershell", "windows-cmd"}

// formatFlag is export's --format: one of exportFormats.
type formatFlag struct{ dst *string }

func (f formatFlag) String() string {
	if f.dst == nil {
		return ""
	}
	return *f.dst
}

func (f formatFlag) Set(s string) error {
	for _, name := range exportFormats {
		if s == name {
			*f.dst = s
			return nil
		}
	}
	return fmt.Errorf("%q is not one of %s", s, strings.Join(exportFormats, ", "))
}

// exportCommand prints the role credentials in a format of aws configure
// export-credentials.
func exportCommand(ctx context.Context, e Env, args []string) int {
	format := "process"
	return RunRoleCommand(ctx, e, args, RoleCommand{
		Name:  "export",
		Usage: exportUsage,
		Flags: func(fs *flag.FlagSet) {
			fs.Var(formatFlag{&format}, "format", "output `format`: "+strings.Join(exportFormats, ", ")+" (default process)")
		},
		Run: func(ctx context.Context, r *RoleCall) int {
			text, err := exportText(format, r.Credentials)
			if err != nil {
				r.Fail(err, "use --format powershell (or process) for these credentials")
				return 1
			}
			if _, err := r.Stdout.Write(text); err != nil {
				r.Fail(fmt.Errorf("write credentials to stdout: %w", err), "")
				return 1
			}
			return 0
		},
	})
}

// processJSON is the credential_process JSON line for cr, as the
// credential call prints it.
func processJSON(cr *tokencache.Credentials) ([]byte, error) {
	out, err := json.Marshal(output{
		Version:         1,
		AccessKeyID:     cr.AccessKeyID,
		SecretAccessKey: cr.SecretAccessKey,
		SessionToken:    cr.SessionToken,
		Expiration:      cr.Expiration.UTC().Format(time.RFC3339),
		AccountID:       cr.AccountID,
	})
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// exportText is cr in format (one of exportFormats). The line formats are
// those of the AWS CLI (awscli/customizations/configure/exportcreds.py),
// which prints values as they are, unquoted; here a value made only of
// characters no shell interprets (all that real credentials hold) is
// printed the same way, and any other is quoted for the shell:
//
//   - env, env-no-export (POSIX sh and its descendants): in single quotes,
//     inside which every character is literal and a single quote is
//     written as the four characters quote, backslash, quote, quote
//     (POSIX.1-2017 Shell Command Language, 2.2.2 Single-Quotes).
//   - powershell: a verbatim (single-quoted) string, inside which nothing
//     is expanded and a single quote is written twice; PowerShell takes
//     U+2018, U+2019, U+201A and U+201B as single quotes too, so those
//     are doubled as well (about_Quoting_Rules; PowerShell Language
//     Specification 2.3.5.2.2, verbatim-string-literal).
//   - windows-cmd: set "NAME=value", in which & | < > ^ ( ) and spaces
//     are literal (set /?). No quoting protects %, which cmd expands
//     before it looks at quotes, and differently at the prompt and in a
//     batch file, or ! under delayed expansion, and a value cannot hold
//     " or a line break; such a value, or a non-ASCII one (whose meaning
//     depends on the console's code page), is an error.
//
// No format can carry a NUL byte in an environment variable: an error.
func exportText(format string, cr *tokencache.Credentials) ([]byte, error) {
	if format == "process" {
		return processJSON(cr)
	}
	vars := [][2]string{
		{"AWS_ACCESS_KEY_ID", cr.AccessKeyID},
		{"AWS_SECRET_ACCESS_KEY", cr.SecretAccessKey},
	}
	if cr.SessionToken != "" {
		vars = append(vars, [2]string{"AWS_SESSION_TOKEN", cr.SessionToken})
	}
	if !cr.Expiration.IsZero() {
		vars = append(vars, [2]string{"AWS_CREDENTIAL_EXPIRATION", cr.Expiration.UTC().Format(time.RFC3339)})
	}
	var b strings.Builder
	for _, v := range vars {
		name, value := v[0], v[1]
		if strings.ContainsRune(value, 0) {
			return nil, fmt.Errorf("the value of %s holds a NUL byte, which no environment variable can", name)
		}
		switch format {
		case "env":
			fmt.Fprintf(&b, "export %s=%s\n", name, shQuote(value))
		case "env-no-export":
			fmt.Fprintf(&b, "%s=%s\n", name, shQuote(value))
		case "powershell":
			fmt.Fprintf(&b, "$Env:%s=%s\n", name, psQuote(value))
		case "windows-cmd":
			line, err := cmdSet(name, value)
			if err != nil {
				return nil, err
			}
			b.WriteString(line + "\n")
		default:
			return nil, fmt.Errorf("unknown format %q", format)
		}
	}
	return []byte(b.String()), nil
}

// plainValue reports whether s is non-empty and made only of letters,
// digits and + / = . _ : - (base64, key IDs, RFC 3339 times), which no
// shell interprets inside a word.
func plainValue(s string) bool {
	// zsh expands "=word" and ":=word" (EQUALS), and a leading - + ~
	// means more to some shells and tools than a value.
	if s == "" || strings.ContainsAny(s[:1], "=-+~") || strings.Contains(s, ":=") {
		return false
	}
	for _, c := range s {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.ContainsRune("+/=._:-", c):
		default:
			return false
		}
	}
	return true
}

// shQuote quotes s for a POSIX shell word (see exportText).
func shQuote(s string) string {
	if plainValue(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// psQuote quotes s for PowerShell (see exportText): "s" as the AWS CLI
// prints it for a plain value, else a verbatim string.
func psQuote(s string) string {
	if plainValue(s) {
		return `"` + s + `"`
	}
	var b strings.Builder
	b.WriteByte('\'')
	for _, c := range s {
		if c == '\'' || c == '\u2018' || c == '\u2019' || c == '\u201a' || c == '\u201b' {
			b.WriteRune(c)
		}
		b.WriteRune(c)
	}
	b.WriteByte('\'')
	return b.String()
}

// errCmdValue is the error for a value cmd.exe cannot be given safely.
var errCmdValue = errors.New("cannot be written for cmd.exe safely")

// cmdSet is the cmd.exe line that sets name to value (see exportText).
func cmdSet(name, value string) (string, error) {
	if plainValue(value) {
		return "set " + name + "=" + value, nil
	}
	for _, c := range value {
		if c < 0x20 || c >= 0x7f || c == '"' || c == '%' || c == '!' {
			what := fmt.Sprintf("%q", c)
			if c >= 0x7f {
				what = "a non-ASCII character"
			}
			return "", fmt.Errorf("the value of %s holds %s and %w", name, what, errCmdValue)
		}
	}
	return `set "` + name + "=" + value + `"`, nil
}
