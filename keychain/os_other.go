//go:build !linux && !darwin && !windows

package keychain

// DefaultMaxItem is the largest item the OS keychain takes: the Secret
// Service has no practical limit, so every value is one item.
const DefaultMaxItem = 0

var osHints = &otherHints

func classify(err error) error { return err }

// newOSBackend is go-keyring, which uses the Secret Service on the BSDs
// and fails with keyring.ErrUnsupportedPlatform elsewhere.
func newOSBackend() Backend { return goKeyring{} }

// BackendName names the OS keychain for people (status).
const BackendName = "the OS keychain (go-keyring)"
