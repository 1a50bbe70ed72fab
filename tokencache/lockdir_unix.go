//go:build !windows

package tokencache

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"github.com/sso-credproc/sso-credproc/profile"
)

// noFollow makes an open fail on a symbolic link instead of following it,
// and not wait on a FIFO planted at the name (O_NONBLOCK changes nothing
// for a regular file; what is opened must then be one, see checkOwnFile).
const noFollow = syscall.O_NOFOLLOW | syscall.O_NONBLOCK

// checkLockDir makes sure that only this user can plant or change files in
// the lock directory (lock files, failure notes), as ssh does for ~/.ssh:
// it must be a real directory, not a link, owned by this user and not
// writable by group or others. Such a directory is refused, naming it and
// the command that fixes it (a shared XDG_RUNTIME_DIR, sudo -E, a
// pre-created ~/.cache/sso-credproc); read and search bits for others are
// taken away without asking.
func checkLockDir(dir string) error {
	st, err := lstatDir(dir)
	if err != nil {
		return err
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && int(sys.Uid) != os.Geteuid() {
		return &LockDirError{Dir: dir, Problem: fmt.Sprintf("belongs to user %d, not to this user (%d)", sys.Uid, os.Geteuid()),
			Fix: "set XDG_RUNTIME_DIR (or XDG_CACHE_HOME) to a directory of your own, e.g. export XDG_RUNTIME_DIR=/run/user/" + fmt.Sprint(os.Geteuid())}
	}
	if perm := st.Mode().Perm(); perm&0o022 != 0 {
		return &LockDirError{Dir: dir, Problem: fmt.Sprintf("is writable by other users (mode %04o), so its files cannot be trusted", perm),
			Fix: "make it yours alone: chmod 700 " + profile.ShellQuote(dir)}
	}
	if st.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("lock directory %s is open to other users and cannot be closed: %w", dir, err)
		}
	}
	return nil
}

// checkOwnFile returns an error unless st is a regular file owned by this
// user: a file in the lock directory that another user planted while it
// was open to them is not used.
func checkOwnFile(st fs.FileInfo) error {
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", st.Name())
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && int(sys.Uid) != os.Geteuid() {
		return fmt.Errorf("%s belongs to user %d, not to this user (%d); remove it", st.Name(), sys.Uid, os.Geteuid())
	}
	return nil
}
