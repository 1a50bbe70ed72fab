//go:build !linux && !darwin && !windows

package keychain

// DefaultMaxItem is the largest item the OS keychain takes: the Secret
// Service has no practical limit, so every value is one item.
const DefaultMaxItem = 0

func classify(err error) error { return err }

// newOSBackend is go-keyring: the Secret Service on the BSDs it supports
// in this build (os_bsd.go), keyring.ErrUnsupportedPlatform on every call
// elsewhere (os_nokeychain.go).
func newOSBackend() Backend { return goKeyring{} }
