package paths

import (
	"path/filepath"
	"testing"

	"github.com/adrg/xdg"
)

func TestLockDir(t *testing.T) {
	run := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", run)
	xdg.Reload()
	if got, want := LockDir(), filepath.Join(run, "sso-credproc"); got != want {
		t.Errorf("LockDir = %q, want %q", got, want)
	}
	cache := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", filepath.Join(run, "missing"))
	t.Setenv("XDG_CACHE_HOME", cache)
	xdg.Reload()
	if got, want := LockDir(), filepath.Join(cache, "sso-credproc", "locks"); got != want {
		t.Errorf("without a runtime dir: LockDir = %q, want %q", got, want)
	}
}
