//go:build !linux

package keychain

import "github.com/zalando/go-keyring"

// goKeyring is go-keyring's default provider as a Backend: the OS backend
// everywhere but Linux, where the Secret Service reader replaces it.
type goKeyring struct{}

func (goKeyring) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (goKeyring) Set(service, user, v string) error        { return keyring.Set(service, user, v) }
func (goKeyring) Delete(service, user string) error        { return keyring.Delete(service, user) }
