package profile

import (
	"fmt"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/sso-credproc/sso-credproc/internal/callers"
)

// The home directory is chosen by the OS's rule, not by which variables
// happen to be set: on Windows USERPROFILE wins over a HOME that Git Bash,
// Cygwin or a corporate login script set, as in botocore and the Go SDK.
func TestHomeDirPerOS(t *testing.T) {
	account := func() string { return "/account" }
	tests := []struct {
		goos string
		env  map[string]string
		want string
	}{
		{"linux", map[string]string{"HOME": "/home/a", "USERPROFILE": `C:\Users\b`}, "/home/a"},
		{"darwin", map[string]string{"HOME": "/Users/a"}, "/Users/a"},
		{"linux", map[string]string{"USERPROFILE": `C:\Users\b`}, "/account"},
		{"windows", map[string]string{"HOME": "/c/Users/a", "USERPROFILE": `C:\Users\b`}, `C:\Users\b`},
		{"windows", map[string]string{"HOME": "/c/Users/a", "HOMEDRIVE": "D:", "HOMEPATH": `\home\b`}, `D:\home\b`},
		{"windows", map[string]string{"HOMEDRIVE": `\\srv\share`, "HOMEPATH": `b`}, `\\srv\share\b`},
		{"windows", map[string]string{"HOMEPATH": `\Users\b`}, `\Users\b`},
		{"windows", map[string]string{"HOME": "/c/Users/a", "HOMEDRIVE": "D:"}, "/account"},
	}
	for _, tt := range tests {
		if got := homeDir(tt.goos, envMap(tt.env), account); got != tt.want {
			t.Errorf("%s %v: homeDir = %q, want %q", tt.goos, tt.env, got, tt.want)
		}
		wantConfig := filepath.Join(tt.want, ".aws", "config")
		if got := configPath(tt.goos, envMap(tt.env), account); got != wantConfig {
			t.Errorf("%s %v: configPath = %q, want %q", tt.goos, tt.env, got, wantConfig)
		}
	}

	// The public function applies this OS's rule to the real environment.
	t.Setenv("HOME", "/home/c")
	t.Setenv("USERPROFILE", `C:\Users\d`)
	want := "/home/c"
	if runtime.GOOS == "windows" {
		want = `C:\Users\d`
	}
	if got := HomeDir(nil); got != want {
		t.Errorf("HomeDir(nil) = %q, want %q", got, want)
	}
}

// expandScript answers, for each case, what os.path.expanduser(
// os.path.expandvars(path)) gives (botocore's raw_config_parse) with
// ntpath (Windows) or posixpath, under exactly the case's environment.
const expandScript = `
import json, ntpath, os, posixpath, sys
out = []
for c in json.load(sys.stdin):
    os.environ.clear()
    os.environ.update(c["env"])
    m = ntpath if c["goos"] == "windows" else posixpath
    out.append(m.expanduser(m.expandvars(c["path"])))
json.dump(out, sys.stdout)
`

// Path expansion of AWS_CONFIG_FILE is Python's, case for case: ntpath's
// %VAR%, quotes, USERPROFILE and ~user guess on Windows, posixpath's
// elsewhere. (Environments without any home variable are left out: there
// Python keeps "~" on Windows where the Go SDK and sso-credproc use the
// account's profile directory; TestHomeDirPerOS pins that.)
func TestExpandPathAsPython(t *testing.T) {
	py, version := callers.Python(t)
	t.Logf("python %s", version)
	self := accountHome()
	envs := []map[string]string{
		{"HOME": "/home/u", "USERPROFILE": `C:\Users\bob`, "USERNAME": "bob", "D": `C:\data`, "E": "e-e", "X_Y": "xy"},
		{"HOME": "/home/u/", "HOMEDRIVE": "C:", "HOMEPATH": `\Users\bob\`, "USERNAME": "bob", "D": "/d"},
		{"HOMEDRIVE": `\\srv\share`, "HOMEPATH": `home\bob`, "USERNAME": "alice", "D": "~"},
		{"HOMEPATH": `Users\bob`, "USERNAME": "bob", "LOCALAPPDATA": `C:\Users\bob\AppData\Local`},
		{"USERPROFILE": `C:\`, "USERNAME": "bob"},
		{"USERPROFILE": `\\?\UNC\srv\share\bob`, "USERNAME": "bob", "HOME": "/h"},
	}
	paths := []string{
		"~", `~\.aws\config`, "~/.aws/config", "~bob/config", `~alice\config`, "~root/x", "~nosuchuser42/x",
		`%D%\config`, "%D%%E%", "%%D%%", "%NOPE%/x", "%D", "100%", "'%D%'/x", "'$D", "$D/config", "${D}x",
		"$X_Y-$E", "$E-x", "${NOPE}", "${D", "$", "$$D", "a$", "$/x", "~/$D", "$D/~", "C:/x", "é:/%D%",
	}
	type testCase struct {
		GOOS string            `json:"goos"`
		Env  map[string]string `json:"env"`
		Path string            `json:"path"`
	}
	var cases []testCase
	for _, goos := range []string{"windows", "linux"} {
		for _, env := range envs {
			if goos == "linux" && env["HOME"] == "" {
				continue // Python reads the password database, as accountHome does, but not for a fake
			}
			for _, p := range paths {
				cases = append(cases, testCase{goos, env, p})
			}
		}
	}
	var want []string
	callers.RunPython(t, py, expandScript, nil, cases, &want)
	if len(want) != len(cases) {
		t.Fatalf("python answered %d cases, want %d", len(want), len(cases))
	}
	for i, c := range cases {
		got := expandPathOn(c.GOOS, c.Path, envMap(c.Env), func() string { return self })
		if got != want[i] {
			t.Errorf("%s %v: expand %q = %q, Python %q", c.GOOS, c.Env, c.Path, got, want[i])
		}
	}
}

func TestNTJoinSplit(t *testing.T) {
	for _, tt := range []struct{ a, b, want string }{
		{"C:", `\Users\b`, `C:\Users\b`},
		{"C:", "Users", "C:Users"},
		{`C:\x`, "D:y", "D:y"},
		{`c:\x`, "C:y", `C:\x\y`},
		{`\\srv\share`, "b", `\\srv\share\b`},
		{"", `\b`, `\b`},
		{"a/", "b", "a/b"},
	} {
		if got := ntJoin(tt.a, tt.b); got != tt.want {
			t.Errorf("ntJoin(%q, %q) = %q, want %q", tt.a, tt.b, got, tt.want)
		}
	}
	for _, tt := range []struct{ p, head, tail string }{
		{`C:\Users\bob`, `C:\Users`, "bob"},
		{`C:\bob`, `C:\`, "bob"},
		{`\\srv\share\bob\`, `\\srv\share\bob`, ""},
		{"bob", "", "bob"},
	} {
		if h, tl := ntSplit(tt.p); h != tt.head || tl != tt.tail {
			t.Errorf("ntSplit(%q) = %q, %q; want %q, %q", tt.p, h, tl, tt.head, tt.tail)
		}
	}
}

func ExampleHomeDir() {
	env := map[string]string{"HOME": "/c/Users/bob", "USERPROFILE": `C:\Users\bob`}
	fmt.Println(homeDir("windows", func(k string) string { return env[k] }, func() string { return "" }))
	// Output: C:\Users\bob
}
