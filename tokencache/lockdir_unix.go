//go:build !windows

package tokencache

import (
	"fmt"
	"os"
	"syscall"
)

// checkLockDir makes sure that only this user can plant or change files in
// the lock directory (lock files, failure notes): it must be a real
// directory, not a link, owned by this user; group and other permission
// bits are taken away. A directory of another user is refused (a shared
// XDG_RUNTIME_DIR, sudo -E).
func checkLockDir(dir string) error {
	st, err := lstatDir(dir)
	if err != nil {
		return err
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && int(sys.Uid) != os.Geteuid() {
		return fmt.Errorf("lock directory %s belongs to user %d, not to this user (%d); set XDG_RUNTIME_DIR to a directory of your own", dir, sys.Uid, os.Geteuid())
	}
	if st.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("lock directory %s is open to other users and cannot be closed: %w", dir, err)
		}
	}
	return nil
}
