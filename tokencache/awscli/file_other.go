//go:build !unix

package awscli

import (
	"io/fs"
	"os"
)

const openReadFlags = os.O_RDONLY

// foreignOwner reports nothing where files have no numeric owner (on
// Windows, access is the ACL's business): no file is refused for its owner.
func foreignOwner(fs.FileInfo) (int, bool) { return 0, false }
