package keychain

import "context"

// DefaultMaxItem is the largest item the OS keychain takes safely (see
// macMaxItem).
const DefaultMaxItem = macMaxItem

var osHints = &darwinHints

func classify(err error) error { return classifyDarwin(err) }

func newOSBackend() Backend { return macKeychain{} }

// securityPath is macOS's keychain command, as go-keyring runs it.
const securityPath = "/usr/bin/security"

// macKeychain is go-keyring's, but reads with securityGet, which kills
// /usr/bin/security when the context ends.
type macKeychain struct{ goKeyring }

func (k macKeychain) Get(service, user string) (string, error) {
	return k.getContext(context.Background(), service, user)
}

func (macKeychain) getContext(ctx context.Context, service, user string) (string, error) {
	return securityGet(ctx, securityPath, service, user)
}

// BackendName names the OS keychain for people (status).
const BackendName = "the macOS login keychain"
