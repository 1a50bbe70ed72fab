package keychain

import "github.com/zalando/go-keyring"

// DefaultMaxItem is the largest item the OS keychain takes: the Secret
// Service has no practical limit, so every value is one item and the warm
// path one read.
const DefaultMaxItem = 0

const unavailableHint = "start a Secret Service and make sure DBUS_SESSION_BUS_ADDRESS is set: in a desktop session, gnome-keyring-daemon --start --components=secrets (or KeePassXC with Secret Service enabled); over SSH without one: eval $(dbus-launch --sh-syntax); echo -n PASSWORD | gnome-keyring-daemon --unlock --components=secrets"

func newOSBackend() Backend {
	return &secretService{fallback: keyring.Get, set: keyring.Set, del: keyring.Delete}
}
