package keychain

import "github.com/zalando/go-keyring"

// DefaultMaxItem is the largest item the OS keychain takes: the Secret
// Service has no practical limit, so every value is one item and the warm
// path one read.
const DefaultMaxItem = 0

var osHints = &linuxHints

// classify: the Secret Service backend names its causes itself.
func classify(err error) error { return err }

func newOSBackend() Backend {
	return &secretService{fallback: keyring.Get, set: keyring.Set, del: keyring.Delete}
}

// BackendName names the OS keychain for people (status).
const BackendName = "the Secret Service (org.freedesktop.secrets) on the D-Bus session bus"
