package ssocredproc_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// install.sh installs both programs under the names go build gives them
// for the target, .exe on Windows, into $PREFIX/bin and nothing else there;
// the installed sso-credproc runs and carries the version install.sh set.
func TestInstallScript(t *testing.T) {
	if testing.Short() {
		t.Skip("builds both programs twice")
	}
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	// Read by this process, so that go test's cache sees a change to it.
	if _, err := os.ReadFile("install.sh"); err != nil {
		t.Fatal(err)
	}
	hostExe := ""
	if runtime.GOOS == "windows" {
		hostExe = ".exe"
	}
	targets := []struct{ goos, goarch, exe string }{
		{runtime.GOOS, runtime.GOARCH, hostExe},
		{"windows", "amd64", ".exe"},
	}
	for _, tg := range targets {
		t.Run(tg.goos+"_"+tg.goarch, func(t *testing.T) {
			prefix := t.TempDir()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "sh", "./install.sh")
			cmd.Env = append(os.Environ(), "PREFIX="+prefix, "GOOS="+tg.goos, "GOARCH="+tg.goarch, "GOEXE=")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("install.sh: %v\n%s", err, out)
			}
			bin := filepath.Join(prefix, "bin")
			entries, err := os.ReadDir(bin)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			want := []string{"sso-credproc" + tg.exe, "sso-credproc-renew" + tg.exe}
			if !slices.Equal(names, slices.Sorted(slices.Values(want))) {
				t.Fatalf("%s holds %q, want %q\n%s", bin, names, want, out)
			}
			if !strings.Contains(string(out), filepath.Join(bin, want[0])+" and "+filepath.Join(bin, want[1])) {
				t.Errorf("install.sh does not name what it installed:\n%s", out)
			}
			for _, name := range want {
				b, err := os.ReadFile(filepath.Join(bin, name))
				if err != nil {
					t.Fatal(err)
				}
				// A Windows program is a PE file ("MZ"), a Linux one ELF.
				magic := map[string]string{"windows": "MZ", "linux": "\x7fELF"}[tg.goos]
				if magic != "" && !bytes.HasPrefix(b, []byte(magic)) {
					t.Errorf("%s is not a %s program: starts %q", name, tg.goos, b[:min(4, len(b))])
				}
			}
			if tg.goos != runtime.GOOS || tg.goarch != runtime.GOARCH {
				return
			}
			v, err := exec.CommandContext(ctx, filepath.Join(bin, want[0]), "version").Output()
			if err != nil {
				t.Fatalf("installed sso-credproc version: %v", err)
			}
			if strings.Contains(string(v), "(devel)") || !strings.Contains(string(v), "(commit ") {
				t.Errorf("installed sso-credproc version = %q, want the version install.sh set", v)
			}
		})
	}
}
