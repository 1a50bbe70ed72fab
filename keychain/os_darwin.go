package keychain

import "context"

// DefaultMaxItem is the largest item the OS keychain takes safely.
//
// go-keyring's macOS Set base64-encodes the value behind
// "go-keyring-base64:" and refuses (keyring.ErrSetDataTooBig) when the line
// it feeds to `security -i`,
//
//	add-generic-password -U -s <service> -a <user> -w <encoded>\n
//
// exceeds 4096 bytes. 2048 bytes encode to 2732 + 18; with the fixed words
// and the service that leaves about 1280 bytes for the shell-quoted user
// name, more than an item name (at most 500 bytes) plus a part suffix can
// take (TestSecurityToolQuoting checks the longest line).
const DefaultMaxItem = 2048

var osHints = &darwinHints

func classify(err error) error { return classifyDarwin(err) }

func newOSBackend() Backend { return macKeychain{} }

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
