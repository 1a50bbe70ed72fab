//go:build !linux

package kernelkeyring

import (
	"errors"
	"fmt"
	"runtime"
	"time"
)

var errNotLinux = fmt.Errorf("%w: the kernel key retention service is Linux's (this is %s)", errors.ErrUnsupported, runtime.GOOS)

// Keyring is the kernel user keyring; on this system there is none, and
// every method returns an error wrapping errors.ErrUnsupported.
type Keyring struct{}

// Open returns an error wrapping errors.ErrUnsupported: there is no kernel
// keyring on this system.
func Open() (*Keyring, error) { return nil, errNotLinux }

func (*Keyring) Get(key string) ([]byte, error)                        { return nil, errNotLinux }
func (*Keyring) Set(key string, value []byte, ttl time.Duration) error { return errNotLinux }
func (*Keyring) Delete(key string) error                               { return errNotLinux }
func (*Keyring) Keys(prefix string) ([]string, error)                  { return nil, errNotLinux }
