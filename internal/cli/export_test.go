package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sso-credproc/sso-credproc/internal/callers"
	"github.com/sso-credproc/sso-credproc/internal/ssofake"
	"github.com/sso-credproc/sso-credproc/tokencache"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files of export")

// nasty are credentials whose values hold what shells interpret: quotes,
// $, backticks, %, !, line breaks, PowerShell's typographic quotes.
var nasty = &tokencache.Credentials{
	AccessKeyID:     `ASIA'q"dq$HOME` + "`id`",
	SecretAccessKey: "a%PATH%b!c!\\n $(echo pwned) ; & | < > ^ * ~ #",
	SessionToken:    "line1\nline2 \u2018single\u2019 \u201alow\u201b 'x'' \"y\" `$Env:HOME` \r end",
	Expiration:      time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC),
	AccountID:       "111122223333",
}

var plain = &tokencache.Credentials{
	AccessKeyID:     "ASIAEXAMPLEKEY123456",
	SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY+=",
	SessionToken:    "IQoJb3JpZ2luX2VjEPr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ==",
	Expiration:      time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC),
	AccountID:       "111122223333",
}

func wantVars(cr *tokencache.Credentials) map[string]string {
	return map[string]string{
		"AWS_ACCESS_KEY_ID":         cr.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":     cr.SecretAccessKey,
		"AWS_SESSION_TOKEN":         cr.SessionToken,
		"AWS_CREDENTIAL_EXPIRATION": "2026-11-29T12:00:00Z",
	}
}

// needShell returns the path of a shell; a missing one skips the test,
// or fails it under CI.
func needShell(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		callers.Missing(t, name, "to evaluate export's output", "apt-get install "+name)
	}
	return path
}

// evalShell runs text in shell and returns the variables it exported
// and the AWS_* shell variables it set.
func evalShell(t *testing.T, shell, text string) (exported, set map[string]string) {
	t.Helper()
	names := []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION"}
	script := text + "\nprintf '%s\\0' \"$AWS_ACCESS_KEY_ID\" \"$AWS_SECRET_ACCESS_KEY\" \"$AWS_SESSION_TOKEN\" \"$AWS_CREDENTIAL_EXPIRATION\"\nprintf '\\0\\0'\nexec env -0\n"
	cmd := exec.Command(shell, "-c", script)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=/nonexistent"}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil || errb.Len() > 0 {
		t.Fatalf("%s: %v, stderr %q", shell, err, errb.String())
	}
	shellPart, envPart, ok := strings.Cut(out.String(), "\x00\x00\x00")
	if !ok {
		t.Fatalf("%s printed %q", shell, out.String())
	}
	set = map[string]string{}
	for i, v := range strings.Split(shellPart, "\x00") {
		set[names[i]] = v
	}
	exported = map[string]string{}
	for _, kv := range strings.Split(envPart, "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "AWS_") {
			exported[k] = v
		}
	}
	return exported, set
}

func equalVars(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// The sh formats give every value back as it was, in every shell here.
func TestExportShellRoundTrip(t *testing.T) {
	shells := []string{needShell(t, "sh"), needShell(t, "bash")}
	if dash, err := exec.LookPath("dash"); err == nil {
		shells = append(shells, dash)
	}
	for _, cr := range []*tokencache.Credentials{nasty, plain} {
		want := wantVars(cr)
		for _, shell := range shells {
			text, err := exportText("env", cr)
			if err != nil {
				t.Fatal(err)
			}
			exported, set := evalShell(t, shell, string(text))
			if !equalVars(exported, want) || !equalVars(set, want) {
				t.Errorf("%s, env: exported %q, set %q; want %q\ntext:\n%s", shell, exported, set, want, text)
			}
			text, err = exportText("env-no-export", cr)
			if err != nil {
				t.Fatal(err)
			}
			exported, set = evalShell(t, shell, string(text))
			if len(exported) != 0 || !equalVars(set, want) {
				t.Errorf("%s, env-no-export: exported %q, set %q; want nothing exported and %q set", shell, exported, set, want)
			}
		}
	}
}

// Plain values are printed as the AWS CLI prints them (unquoted; in
// double quotes for PowerShell).
func TestExportPlainLikeAWSCLI(t *testing.T) {
	for format, line := range map[string]string{
		"env":           "export AWS_SECRET_ACCESS_KEY=" + plain.SecretAccessKey + "\n",
		"env-no-export": "\nAWS_SECRET_ACCESS_KEY=" + plain.SecretAccessKey + "\n",
		"powershell":    "$Env:AWS_SECRET_ACCESS_KEY=\"" + plain.SecretAccessKey + "\"\n",
		"windows-cmd":   "set AWS_SECRET_ACCESS_KEY=" + plain.SecretAccessKey + "\n",
	} {
		text, err := exportText(format, plain)
		if err != nil || !strings.Contains(string(text), line) || strings.Count(string(text), "\n") != 4 {
			t.Errorf("%s: %q, %v; want a line %q", format, text, err, line)
		}
	}
	text, err := exportText("process", plain)
	var got output
	if err != nil || json.Unmarshal(text, &got) != nil || got.SessionToken != plain.SessionToken || got.Expiration != "2026-11-29T12:00:00Z" || got.Version != 1 {
		t.Errorf("process: %q, %v", text, err)
	}
}

// PowerShell and cmd.exe are not here: their output is compared with
// golden files, checked by hand against the quoting rules (see exportText).
func TestExportGolden(t *testing.T) {
	for _, tc := range []struct {
		format string
		cr     *tokencache.Credentials
		file   string
	}{
		{"powershell", nasty, "powershell-nasty.golden"},
		{"powershell", plain, "powershell-plain.golden"},
		{"windows-cmd", plain, "windows-cmd-plain.golden"},
		{"windows-cmd", &tokencache.Credentials{AccessKeyID: "ASIA KEY", SecretAccessKey: "a&b|c<d>e^f(g)h i", SessionToken: "tok/+=",
			Expiration: plain.Expiration}, "windows-cmd-specials.golden"},
	} {
		text, err := exportText(tc.format, tc.cr)
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		path := filepath.Join("testdata", "export", tc.file)
		if *updateGolden {
			if err := os.WriteFile(path, text, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(text, want) {
			t.Errorf("%s: got\n%s\nwant\n%s", tc.file, text, want)
		}
	}
}

// What cmd.exe cannot be given safely is an error naming the variable,
// never the value.
func TestExportCmdRefuses(t *testing.T) {
	for _, bad := range []string{"a%PATH%", "a!b", `a"b`, "a\nb", "a\rb", "caf\u00e9"} {
		cr := *plain
		cr.SessionToken = bad
		text, err := exportText("windows-cmd", &cr)
		if !errors.Is(err, errCmdValue) || text != nil {
			t.Errorf("%q: %q, %v", bad, text, err)
			continue
		}
		if !strings.Contains(err.Error(), "AWS_SESSION_TOKEN") || strings.Contains(err.Error(), bad) {
			t.Errorf("%q: error %q", bad, err)
		}
	}
	cr := *plain
	cr.SecretAccessKey = "a\x00b"
	for _, format := range []string{"env", "env-no-export", "powershell", "windows-cmd"} {
		if _, err := exportText(format, &cr); err == nil || strings.Contains(err.Error(), "a\x00b") {
			t.Errorf("%s with NUL: %v", format, err)
		}
	}
}

// roleCredentialsBody is a GetRoleCredentials answer with cr's values.
func roleCredentialsBody(t *testing.T, cr *tokencache.Credentials) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"roleCredentials": map[string]any{
		"accessKeyId": cr.AccessKeyID, "secretAccessKey": cr.SecretAccessKey, "sessionToken": cr.SessionToken,
		"expiration": cr.Expiration.UnixMilli(),
	}})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The command: credentials the service issued with nasty values come back
// through bash as they were; process is the credential call's output.
func TestExportCommand(t *testing.T) {
	h := newHarness(t, "")
	cr := *nasty
	cr.Expiration = time.Now().Add(time.Hour).Truncate(time.Second).UTC()
	h.srv.Inject("GetRoleCredentials", ssofake.Fault{RawBody: roleCredentialsBody(t, &cr)})
	code, stdout, stderr := h.run(true, "export", "--profile", "dev-sso", "--format", "env", "--no-browser")
	if code != 0 {
		t.Fatalf("export: exit %d, stderr %q", code, stderr)
	}
	want := wantVars(&cr)
	want["AWS_CREDENTIAL_EXPIRATION"] = cr.Expiration.Format(time.RFC3339)
	exported, _ := evalShell(t, needShell(t, "bash"), stdout)
	if !equalVars(exported, want) {
		t.Errorf("bash got %q, want %q", exported, want)
	}
	if strings.Contains(stderr, cr.SecretAccessKey) || strings.Contains(stderr, "line2") {
		t.Errorf("a secret on stderr: %q", stderr)
	}

	// process (the default) prints what the credential call prints.
	_, wantJSON, _ := h.run(true, "--profile", "dev-sso")
	code, stdout, stderr = h.run(true, "export", "--profile", "dev-sso")
	if code != 0 || stdout != wantJSON || !strings.Contains(stdout, `"AccountId":"111122223333"`) {
		t.Errorf("export (process): exit %d, stdout %q, want %q; stderr %q", code, stdout, wantJSON, stderr)
	}
	if n := h.srv.Count("GetRoleCredentials"); n != 1 {
		t.Errorf("GetRoleCredentials called %d times; the cached credentials should serve", n)
	}

	// cmd.exe cannot take these: one error line, nothing on stdout.
	code, stdout, stderr = h.run(true, "export", "--profile", "dev-sso", "--format", "windows-cmd")
	if code != 1 || stdout != "" || !strings.HasPrefix(stderr, `sso-credproc: error: the value of AWS_ACCESS_KEY_ID holds '"' and cannot be written for cmd.exe safely`) ||
		strings.Count(stderr, "\n") != 2 || strings.Contains(stderr, "HOME") {
		t.Errorf("windows-cmd: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}

	// A bad format is a usage error before anything else happens.
	code, stdout, stderr = h.run(true, "export", "--profile", "dev-sso", "--format", "yaml")
	if code != 2 || stdout != "" || !strings.Contains(stderr, `sso-credproc: error: invalid value "yaml" for flag -format: "yaml" is not one of process, env, env-no-export, powershell, windows-cmd`) {
		t.Errorf("--format yaml: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// Values that zsh or other tools would read as more than text are quoted.
func TestExportQuotesZshSpecials(t *testing.T) {
	for _, v := range []string{"=ls", "a:=ls", "-x", "+x", "~root"} {
		if plainValue(v) {
			t.Errorf("plainValue(%q) = true", v)
		}
	}
	for _, v := range []string{"ASIAXYZ", "abc/def+ghi==", "2026-11-29T12:00:00Z"} {
		if !plainValue(v) {
			t.Errorf("plainValue(%q) = false", v)
		}
	}
}
