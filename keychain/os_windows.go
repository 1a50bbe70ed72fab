package keychain

// DefaultMaxItem is the largest item the OS keychain takes safely: go-keyring
// refuses a Credential Manager blob over 2560 bytes; 64 are kept spare.
const DefaultMaxItem = 2560 - 64

const unavailableHint = `make sure Windows Credential Manager works for your user: open "Credential Manager" in the Control Panel, or start its service: sc start VaultSvc`

func newOSBackend() Backend { return goKeyring{} }
