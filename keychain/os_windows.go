package keychain

// DefaultMaxItem is the largest item the OS keychain takes safely: go-keyring
// refuses a Credential Manager blob over 2560 bytes; 64 are kept spare.
const DefaultMaxItem = 2560 - 64

var osHints = &windowsHints

func classify(err error) error { return classifyWindows(err) }

func newOSBackend() Backend { return goKeyring{} }

// BackendName names the OS keychain for people (status).
const BackendName = "the Windows Credential Manager"
