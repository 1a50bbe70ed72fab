//go:build windows

package filestore

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"syscall"
	"time"
)

// checkOwner: on Windows the directory's access list, inherited from the
// user's profile, keeps other users out.
func checkOwner(string, fs.FileInfo) error { return nil }

// syncDir: Windows cannot sync a directory; NTFS journals the rename.
func syncDir(string) error { return nil }

// rename replaces newpath with oldpath (MoveFileEx with
// MOVEFILE_REPLACE_EXISTING). It fails while another process has newpath
// open without FILE_SHARE_DELETE, as Go's os.Open does, so it is tried
// again for a while: readers hold an item for a moment only.
func rename(ctx context.Context, oldpath, newpath string) error {
	const errSharingViolation syscall.Errno = 32 // ERROR_SHARING_VIOLATION
	delay := time.Millisecond
	deadline := time.Now().Add(2 * time.Second)
	for {
		err := os.Rename(oldpath, newpath)
		if err == nil || !(errors.Is(err, fs.ErrPermission) || errors.Is(err, errSharingViolation)) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(delay):
		}
		delay = min(2*delay, 50*time.Millisecond)
	}
}

// openNonBlock is 0: Windows has no FIFOs at file names.
const openNonBlock = 0
