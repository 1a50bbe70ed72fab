// Package kernelkeyring keeps short-lived values in the Linux kernel key
// retention service (keyrings(7)): one key of type "user" per value, in the
// calling user's user keyring (user-keyring(7)), which every process of the
// same UID reaches, from any login session or terminal. A read is two system
// calls (keyctl_search, keyctl_read) and involves no daemon, so it costs
// microseconds and many readers at once do not queue.
//
// Each key's description is [Prefix] followed by the caller's key (printable
// ASCII); its permissions are [Perm] (this user only) and it has a timeout,
// after which the kernel removes it by itself. A value is written under a
// staging link in the process keyring first, given its permissions and
// timeout, and only then linked into the user keyring, replacing any key of
// the same description in one step: a reader never sees a key without its
// timeout or with the kernel's default permissions, and a writer killed half
// way leaves nothing behind (the process keyring dies with the process).
//
// Errors: a refused keyctl (EPERM, as under Docker's default seccomp
// profile; ENOSYS, a kernel without keys; any other system) wraps
// [errors.ErrUnsupported]; a full quota (EDQUOT: by default 200 keys and
// 20,000 bytes for a user other than root, /proc/sys/kernel/keys/maxbytes)
// wraps [ErrQuota]. A key that is missing, expired or revoked is a miss, not
// an error.
//
// On other systems [Open] returns an error wrapping errors.ErrUnsupported.
package kernelkeyring

import "errors"

// Prefix begins the description of every key sso-credproc writes, so that
// `keyctl show @u` names them and they can never be mistaken for another
// program's.
const Prefix = "sso-credproc:"

// Perm is the permission mask of every key (keyctl_setperm(3)): possessor
// and user (the key's UID) may view, read, write, search and set attributes
// (the timeout); group and other may do nothing. Link is left out, so the
// key cannot be linked into other keyrings.
const Perm uint32 = permAttrs<<24 | permAttrs<<16

// permAttrs: view 0x01, read 0x02, write 0x04, search 0x08, setattr 0x20.
const permAttrs = 0x01 | 0x02 | 0x04 | 0x08 | 0x20

// ErrQuota is wrapped by Set when the kernel refuses the key for the user's
// key quota (EDQUOT).
var ErrQuota = errors.New("the kernel keyring quota of this user is full (/proc/sys/kernel/keys/maxbytes, maxkeys)")
