// Package callers finds, for tests only, the programs nobody here wrote
// that the end-to-end tests put in front of sso-credproc: the AWS CLI v2,
// boto3 (and botocore), the AWS SDK for JavaScript v3 on Node.js, and
// Chromium. The AWS SDK for Go v2 caller is the program in ./gosdk.
//
// A tool that is missing fails the test under CI (CI set), which installs
// every one of them (.ci/run); elsewhere the test is skipped with a message
// "missing tool: NAME …" that scripts/test.sh repeats in its summary line.
//
// Nothing here may be linked into the shipped binaries
// (cmd/sso-credproc/deps_test.go checks it).
package callers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// InCI reports whether the tests run under CI, where nothing may be skipped
// for a missing tool.
func InCI() bool {
	v := os.Getenv("CI")
	return v != "" && v != "false" && v != "0"
}

// Missing ends the test for a tool that is not there: a failure under CI, a
// skip elsewhere. install says how to get it.
func Missing(t testing.TB, tool, why, install string) {
	t.Helper()
	msg := fmt.Sprintf("missing tool: %s (%s); install: %s", tool, why, install)
	if InCI() {
		t.Fatal(msg + "; CI must run every caller (.ci/run installs them)")
	}
	t.Skip(msg)
}

// AWSCLI is where the AWS CLI v2 of Debian's awscli package lives. It is
// called by that path: an `aws` earlier on PATH is often a pip-installed v1
// (or a pyenv shim for one).
const AWSCLI = "/usr/bin/aws"

// AWSCLIv2 returns the path of the AWS CLI v2 and its version line.
func AWSCLIv2(t testing.TB) (path, version string) {
	t.Helper()
	out, err := command(t, 30*time.Second, AWSCLI, "--version").Output()
	v := strings.TrimSpace(string(out))
	if err != nil || !strings.HasPrefix(v, "aws-cli/2.") {
		Missing(t, "awscli", fmt.Sprintf("%s --version: %q, %v; want aws-cli/2", AWSCLI, v, err), "apt-get install awscli")
	}
	return AWSCLI, v
}

// Python returns the interpreter the tests run Python callers with, after
// checking that it can import each of modules. It is Debian's
// /usr/bin/python3 (where python3-boto3 and python3-botocore install), not
// whatever python3 comes first on PATH, unless SSO_CREDPROC_TEST_PYTHON
// names another.
func Python(t testing.TB, modules ...string) (path, version string) {
	t.Helper()
	py := os.Getenv("SSO_CREDPROC_TEST_PYTHON")
	if py == "" {
		py = "/usr/bin/python3"
	}
	script := "import sys\nprint(sys.version.split()[0], end='')\n"
	for _, m := range modules {
		script += fmt.Sprintf("import %[1]s\nprint(' %[1]s', %[1]s.__version__, end='')\n", m)
	}
	out, err := command(t, 30*time.Second, py, "-c", script).CombinedOutput()
	if err != nil {
		pkgs := []string{}
		for _, m := range modules {
			pkgs = append(pkgs, "python3-"+m)
		}
		Missing(t, strings.Join(pkgs, "+"),
			fmt.Sprintf("%s cannot import %s: %s", py, strings.Join(modules, ", "), lastLine(out)),
			"apt-get install "+strings.Join(pkgs, " "))
	}
	return py, strings.TrimSpace(string(out))
}

// BotocoreServices is a probe for PythonWithBotocore: botocore's
// configloader reports [services] sections (botocore 1.31 and newer;
// Debian bookworm's python3-botocore is 1.29 and does not).
const BotocoreServices = `import botocore, botocore.configloader as c, os, tempfile
fd, name = tempfile.mkstemp()
os.write(fd, b"[default]\\n"); os.close(fd)
try:
    assert "services" in c.load_config(name), "botocore " + botocore.__version__ + " does not read [services] sections"
finally:
    os.remove(name)
print(botocore.__version__, end="")
`

// PythonWithBotocore returns the first interpreter of
// $SSO_CREDPROC_TEST_PYTHON, /usr/bin/python3 and python3 on PATH, in that
// order, for which the Python script probe succeeds, and what the probe
// printed.
func PythonWithBotocore(t testing.TB, probe string) (path, version string) {
	t.Helper()
	var tried []string
	candidates := []string{os.Getenv("SSO_CREDPROC_TEST_PYTHON"), "/usr/bin/python3"}
	if p, err := exec.LookPath("python3"); err == nil {
		candidates = append(candidates, p)
	}
	for i, py := range candidates {
		if py == "" || slices.Contains(candidates[:i], py) {
			continue
		}
		out, err := command(t, 30*time.Second, py, "-c", probe).CombinedOutput()
		if err == nil {
			return py, strings.TrimSpace(string(out))
		}
		tried = append(tried, fmt.Sprintf("%s: %s", py, lastLine(out)))
	}
	Missing(t, "botocore", "no python3 with a botocore that reads [services] sections: "+strings.Join(tried, "; "),
		"a botocore of 1.31 or newer for python3 (set SSO_CREDPROC_TEST_PYTHON to its interpreter)")
	return "", ""
}

// Chromium returns the path of the Chromium binary and its version line.
func Chromium(t testing.TB) (path, version string) {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		Missing(t, "chromium", "no chromium on PATH", "apt-get install chromium")
	}
	out, err := command(t, 30*time.Second, path, "--version").Output()
	if err != nil {
		Missing(t, "chromium", fmt.Sprintf("chromium --version: %v", err), "apt-get install chromium")
	}
	return path, lastLine(out)
}

var (
	jsOnce    sync.Once
	jsDir     string
	jsVersion string
	jsErr     error
	jsTool    string
)

// JSCaller returns the node binary and the caller script of
// testdata/js, whose dependencies (the AWS SDK for JavaScript v3,
// @aws-sdk/credential-providers, as the committed lockfile pins it) it
// installs with `npm ci` when they are missing or stale, and their version.
func JSCaller(t testing.TB) (node, script, version string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		Missing(t, "node", "no node on PATH", "apt-get install nodejs npm")
	}
	jsOnce.Do(func() { jsDir, jsVersion, jsTool, jsErr = installJS() })
	if jsErr != nil {
		if jsTool != "" {
			Missing(t, jsTool, jsErr.Error(), "apt-get install nodejs npm, and reach the npm registry")
		}
		t.Fatal(jsErr)
	}
	return node, filepath.Join(jsDir, "caller.mjs"), jsVersion
}

// installJS runs npm ci in testdata/js unless node_modules was installed
// from the lockfile as it is now. npm's cache goes to a temporary directory
// that is removed afterwards, so that nothing is cached outside the run.
func installJS() (dir, version, tool string, err error) {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(gomod)) == "" {
		return "", "", "", fmt.Errorf("cannot find the module root: %v", err)
	}
	dir = filepath.Join(filepath.Dir(strings.TrimSpace(string(gomod))), "internal", "callers", "testdata", "js")
	lock, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		return "", "", "", err
	}
	sum := sha256.Sum256(lock)
	want := hex.EncodeToString(sum[:])
	stamp := filepath.Join(dir, "node_modules", ".sso-credproc-lock-sha256")
	if got, _ := os.ReadFile(stamp); string(got) != want {
		npm, err := exec.LookPath("npm")
		if err != nil {
			return "", "", "npm", errors.New("no npm on PATH")
		}
		cache, err := os.MkdirTemp("", "sso-credproc-npm-")
		if err != nil {
			return "", "", "", err
		}
		defer os.RemoveAll(cache)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--cache", cache)
		cmd.Dir = dir
		cmd.WaitDelay = 5 * time.Second
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", "", "@aws-sdk/credential-providers", fmt.Errorf("npm ci in %s: %v: %s", dir, err, lastLine(out))
		}
		if err := os.WriteFile(stamp, []byte(want), 0o644); err != nil {
			return "", "", "", err
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "node_modules", "@aws-sdk", "credential-providers", "package.json"))
	if err != nil {
		return "", "", "", err
	}
	if i := bytes.Index(b, []byte(`"version": "`)); i >= 0 {
		rest := b[i+len(`"version": "`):]
		version = string(rest[:bytes.IndexByte(rest, '"')])
	}
	return dir, "@aws-sdk/credential-providers " + version, "", nil
}

// command is exec.Command with a deadline that ends with the test.
func command(t testing.TB, d time.Duration, name string, args ...string) *exec.Cmd {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// RunPython runs script with the interpreter py (within a minute), sends
// req as JSON on its stdin and decodes its stdout, JSON, into resp; env is
// the program's environment (nil: this process's), to which UTF-8 I/O is
// added. Any failure ends the test, with what the script wrote on stderr.
func RunPython(t testing.TB, py, script string, env []string, req, resp any) {
	t.Helper()
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	if env == nil {
		env = os.Environ()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, "-c", script)
	cmd.Env = append(slices.Clone(env), "PYTHONUTF8=1", "PYTHONIOENCODING=utf-8")
	cmd.Stdin = bytes.NewReader(b)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", py, err, stderr.String())
	}
	if err := json.Unmarshal(out, resp); err != nil {
		t.Fatalf("%s answered what is not the JSON expected: %v", py, err)
	}
}
