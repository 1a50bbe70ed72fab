//go:build (dragonfly && cgo) || (freebsd && cgo) || netbsd || openbsd

package keychain

// go-keyring talks to the Secret Service on these systems, on FreeBSD and
// DragonFly only when built with cgo (its keyring_unix.go has this build
// constraint, with linux; TestBSDBuildConstraints compares them).

var osHints = &otherHints

// BackendName names the OS keychain for people (status).
const BackendName = "the Secret Service (org.freedesktop.secrets) on the D-Bus session bus, through go-keyring"
