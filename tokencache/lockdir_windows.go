//go:build windows

package tokencache

import (
	"fmt"
	"os"
)

// checkLockDir makes sure the lock directory is a real directory, not a
// link. On Windows the directory's access list, inherited from the user's
// profile, keeps other users out.
func checkLockDir(dir string) error {
	st, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("lock directory: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("lock directory %s is not a directory (a link?)", dir)
	}
	return nil
}
