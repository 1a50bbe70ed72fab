//go:build unix

package awscli

import (
	"io/fs"
	"os"
	"syscall"
)

// openReadFlags opens without blocking, so that a FIFO put where a cache
// file belongs is refused instead of waiting for a writer.
const openReadFlags = os.O_RDONLY | syscall.O_NONBLOCK

// foreignOwner returns the owner of fi when it is not this process's
// effective user.
func foreignOwner(fi fs.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	if uid := int(st.Uid); uid != os.Geteuid() {
		return uid, true
	}
	return 0, false
}
