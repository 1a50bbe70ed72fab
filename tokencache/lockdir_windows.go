//go:build windows

package tokencache

// checkLockDir makes sure the lock directory is a real directory, not a
// link. On Windows the directory's access list, inherited from the user's
// profile, keeps other users out.
func checkLockDir(dir string) error {
	_, err := lstatDir(dir)
	return err
}
