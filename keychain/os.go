package keychain

import (
	"sync"
	"time"
)

// DefaultTimeout bounds every call of the Store that Open returns (a shorter
// deadline on the caller's context wins). It leaves time to type a password
// into an unlock prompt, and keeps a keychain that never answers from
// hanging the AWS SDK that runs sso-credproc.
const DefaultTimeout = 30 * time.Second

// Open returns the OS keychain as a Store: New(OSBackend(), Service,
// DefaultMaxItem), each call bounded by DefaultTimeout. It is also a
// [Prober].
func Open() Store {
	return &store{b: OSBackend(), service: Service, maxItem: DefaultMaxItem, timeout: DefaultTimeout}
}

// OSBackend returns the OS keychain: go-keyring, except on Linux, where Get
// reads the Secret Service directly with fewer round trips (Set and Delete
// stay go-keyring's, so the items are the same). It is shared by all
// callers, so the Linux D-Bus connection is made once per process.
func OSBackend() Backend { return osBackend() }

var osBackend = sync.OnceValue(newOSBackend)
