package filestore

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// DefaultDir is the store's directory: sso-credproc/store in the XDG data
// directory, by the rules of github.com/adrg/xdg (which the warm path does
// not link): $XDG_DATA_HOME when it is an absolute path, else
// ~/.local/share on Linux and the BSDs, ~/Library/Application Support on
// macOS, %LOCALAPPDATA% on Windows. The home directory is $HOME
// (%USERPROFILE% on Windows).
func DefaultDir(getenv func(string) string) (string, error) {
	return defaultDir(getenv, runtime.GOOS)
}

func defaultDir(getenv func(string) string, goos string) (string, error) {
	const sub = "sso-credproc/store"
	if d := getenv("XDG_DATA_HOME"); d != "" && isAbs(d, goos) {
		return filepath.Join(d, filepath.FromSlash(sub)), nil
	}
	home := getenv("HOME")
	switch goos {
	case "windows":
		if d := getenv("LOCALAPPDATA"); d != "" {
			return filepath.Join(d, filepath.FromSlash(sub)), nil
		}
		if home = getenv("USERPROFILE"); home != "" {
			return filepath.Join(home, "AppData", "Local", filepath.FromSlash(sub)), nil
		}
	case "darwin", "ios":
		if home != "" {
			return filepath.Join(home, "Library", "Application Support", filepath.FromSlash(sub)), nil
		}
	default:
		if home != "" {
			return filepath.Join(home, ".local", "share", filepath.FromSlash(sub)), nil
		}
	}
	return "", errors.New("no home directory (HOME) and no XDG_DATA_HOME to put the file store in")
}

// isAbs is filepath.IsAbs for goos (tests check other systems' rules).
func isAbs(p, goos string) bool {
	if goos == runtime.GOOS {
		return filepath.IsAbs(p)
	}
	if goos == "windows" {
		return len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/') || len(p) >= 2 && (p[0] == '\\' && p[1] == '\\')
	}
	return len(p) > 0 && p[0] == '/'
}

// checkDirSafe makes sure only this user can plant or replace files in
// dir: a real directory, not a link; on Unix owned by this user and not
// writable by group or others (read and search bits for them are taken
// away: the names and sizes of items are nobody else's business).
func checkDirSafe(dir string) error {
	st, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return errors.New(dir + " is not a directory (a link?)")
	}
	return checkOwner(dir, st)
}

// staleTemp reports whether a temporary file was left by a writer that
// died: older than an hour.
func staleTemp(fi fs.FileInfo) bool {
	return time.Since(fi.ModTime()) > time.Hour
}
