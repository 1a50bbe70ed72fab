//go:build windows

package tokencache

import (
	"fmt"
	"io/fs"
)

// noFollow is 0: Windows has no O_NOFOLLOW, and creating a symbolic link
// there takes a privilege (or developer mode) that a neighbour planting
// one would need in this user's own profile directory.
const noFollow = 0

// checkLockDir makes sure the lock directory is a real directory, not a
// link. On Windows the directory's access list, inherited from the user's
// profile (%LOCALAPPDATA%), keeps other users out.
func checkLockDir(dir string) error {
	_, err := lstatDir(dir)
	return err
}

// checkOwnFile returns an error unless st is a regular file.
func checkOwnFile(st fs.FileInfo) error {
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", st.Name())
	}
	return nil
}
