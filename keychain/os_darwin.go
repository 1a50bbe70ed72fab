package keychain

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
// name, more than a key under 200 bytes plus a part suffix can take even if
// every character needs quoting.
const DefaultMaxItem = 2048

var osHints = &darwinHints

func classify(err error) error { return classifyDarwin(err) }

func newOSBackend() Backend { return goKeyring{} }

// BackendName names the OS keychain for people (status).
const BackendName = "the macOS login keychain"
