//go:build !linux && !darwin && !windows && !(dragonfly && cgo) && !(freebsd && cgo) && !netbsd && !openbsd

package keychain

// go-keyring has no keychain for these systems in this build: FreeBSD and
// DragonFly without cgo (install.sh builds with CGO_ENABLED=0), and every
// system it does not support at all. Each call fails with
// keyring.ErrUnsupportedPlatform.

var osHints = &noKeychainHints

// BackendName names the OS keychain for people (status).
const BackendName = "none (go-keyring has no keychain for this system in this build)"
