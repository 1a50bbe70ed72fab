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

// LockDir is where lock files go: sso-credproc in adrg/xdg's runtime
// directory when that exists, else sso-credproc/locks in its cache
// directory. Lock files hold no secrets. XDG_RUNTIME_DIR and
// XDG_CACHE_HOME set these on every OS; unset, adrg/xdg chooses per OS:
//
//   - Linux and other Unix: /run/user/UID/sso-credproc, else
//     ~/.cache/sso-credproc/locks;
//   - macOS: ~/Library/Application Support/sso-credproc, else
//     ~/Library/Caches/sso-credproc/locks;
//   - Windows: %LOCALAPPDATA%\sso-credproc, else
//     %LOCALAPPDATA%\cache\sso-credproc\locks.
func LockDir() string {
	if fi, err := os.Stat(xdg.RuntimeDir); err == nil && fi.IsDir() {
		return filepath.Join(xdg.RuntimeDir, "sso-credproc")
	}
	return filepath.Join(xdg.CacheHome, "sso-credproc", "locks")
}
