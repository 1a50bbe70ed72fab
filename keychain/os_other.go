//go:build !linux && !darwin && !windows

package keychain

// DefaultMaxItem is the largest item the OS keychain takes: the Secret
// Service has no practical limit, so every value is one item.
const DefaultMaxItem = 0

const unavailableHint = "start a Secret Service (gnome-keyring-daemon or KeePassXC) and make sure DBUS_SESSION_BUS_ADDRESS is set"

// newOSBackend is go-keyring, which uses the Secret Service on the BSDs
// and fails with keyring.ErrUnsupportedPlatform elsewhere.
func newOSBackend() Backend { return goKeyring{} }
