package main_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The warm path's speed rests on what sso-credproc does not link: package
// initialisation of the AWS SDK, the HTTP stack or the XDG library costs
// more than the rest of a warm call. Test-only packages must stay out of
// both shipped programs.
func TestWarmPathDeps(t *testing.T) {
	for _, tc := range []struct {
		cmd       string
		forbidden []string // import paths, or prefixes ending in "/"
	}{
		{".", []string{"github.com/aws/", "net/http", "github.com/adrg/xdg", "github.com/chromedp/", "github.com/sso-credproc/sso-credproc/internal/callers", "github.com/sso-credproc/sso-credproc/internal/ssofake",
			// configure: the config editor and its diff library (package init cost)
			"github.com/sso-credproc/sso-credproc/internal/configedit", "github.com/aymanbagabas/go-udiff",
			// exec and serve: the credentials endpoint
			"github.com/sso-credproc/sso-credproc/internal/cli/execserve", "github.com/sso-credproc/sso-credproc/internal/credserver",
			// the file store: age and its ciphers (~0.3 ms of package init
			// for every keychain user); its calls are handed over
			"github.com/sso-credproc/sso-credproc/filestore", "filippo.io/age", "golang.org/x/crypto/"}},
		{"../sso-credproc-renew", []string{"github.com/chromedp/", "github.com/sso-credproc/sso-credproc/internal/callers", "github.com/sso-credproc/sso-credproc/internal/ssofake", "testing"}},
	} {
		out, err := exec.Command("go", "list", "-deps", tc.cmd).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", tc.cmd, err)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 10 {
			t.Fatalf("go list -deps %s listed only %q", tc.cmd, deps)
		}
		for _, d := range deps {
			for _, f := range tc.forbidden {
				if d == f || strings.HasSuffix(f, "/") && strings.HasPrefix(d, f) || strings.HasPrefix(d, f+"/") {
					t.Errorf("%s links %s", tc.cmd, d)
				}
			}
		}
	}
}

// `go install MODULE/cmd/...@latest` installs what cmd/ holds: it must be
// the two shipped programs and nothing else (the fake IAM Identity Center's
// command lives under internal/cmd).
func TestCmdHoldsTheTwoPrograms(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.Name}} {{.ImportPath}}", "../...").Output()
	if err != nil {
		t.Fatalf("go list ../...: %v", err)
	}
	got := strings.Split(strings.TrimSpace(string(out)), "\n")
	want := []string{
		"main github.com/sso-credproc/sso-credproc/cmd/sso-credproc",
		"main github.com/sso-credproc/sso-credproc/cmd/sso-credproc-renew",
	}
	if !slices.Equal(got, want) {
		t.Errorf("go list ./cmd/... = %q, want %q", got, want)
	}
}
