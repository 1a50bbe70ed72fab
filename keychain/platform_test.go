package keychain

import (
	"go/build/constraint"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildLine returns the //go:build expression of a Go source file.
func buildLine(t *testing.T, path string) constraint.Expr {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if constraint.IsGoBuild(line) {
			x, err := constraint.Parse(line)
			if err != nil {
				t.Fatal(err)
			}
			return x
		}
	}
	t.Fatalf("%s has no //go:build line", path)
	return nil
}

// TestBSDBuildConstraints checks that os_bsd.go (the Secret Service,
// through go-keyring) is built exactly where go-keyring builds its Secret
// Service provider (keyring_unix.go), Linux aside, and os_nokeychain.go
// (no keychain: the hints say so) everywhere else but Linux, macOS and
// Windows: FreeBSD and DragonFly without cgo among them.
func TestBSDBuildConstraints(t *testing.T) {
	dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/zalando/go-keyring").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	theirs := buildLine(t, filepath.Join(strings.TrimSpace(string(dir)), "keyring_unix.go"))
	bsd, none := buildLine(t, "os_bsd.go"), buildLine(t, "os_nokeychain.go")
	implied := map[string]string{"android": "linux", "ios": "darwin", "illumos": "solaris"}
	for _, goos := range []string{"aix", "android", "darwin", "dragonfly", "freebsd", "illumos", "ios", "js", "linux", "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows"} {
		for _, cgo := range []bool{false, true} {
			has := func(tag string) bool { return tag == goos || tag == implied[goos] || tag == "cgo" && cgo }
			ours := goos != "linux" && goos != "android" && goos != "darwin" && goos != "ios" && goos != "windows"
			if got, want := bsd.Eval(has), ours && theirs.Eval(has); got != want {
				t.Errorf("%s, cgo %v: os_bsd.go built %v, want %v (go-keyring's Secret Service: %v)", goos, cgo, got, want, theirs.Eval(has))
			}
			if got, want := none.Eval(has), ours && !theirs.Eval(has); got != want {
				t.Errorf("%s, cgo %v: os_nokeychain.go built %v, want %v", goos, cgo, got, want)
			}
		}
	}
	if !strings.Contains(noKeychainHints.unavailable, "--store file") {
		t.Errorf("no-keychain hint %q does not name the file store", noKeychainHints.unavailable)
	}
}
