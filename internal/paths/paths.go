// Package paths names sso-credproc's non-secret files by the XDG base
// directory rules. Only sso-credproc-renew imports it: adrg/xdg reads the
// environment and user-dirs.dirs when it loads, which the warm path in
// sso-credproc does not need.
package paths

import (
	"os"
	"path/filepath"

	"github.com/adrg/xdg"
)

// LockDir is where lock files go: $XDG_RUNTIME_DIR/sso-credproc when the
// runtime directory exists, else the XDG cache directory
// (~/.cache/sso-credproc/locks). Lock files hold no secrets.
func LockDir() string {
	if fi, err := os.Stat(xdg.RuntimeDir); err == nil && fi.IsDir() {
		return filepath.Join(xdg.RuntimeDir, "sso-credproc")
	}
	return filepath.Join(xdg.CacheHome, "sso-credproc", "locks")
}
