package keychain

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/zalando/go-keyring"
)

// The macOS read: go-keyring's Get runs /usr/bin/security with
// exec.Command, which no context can stop, so a read that times out
// leaves the command running (and any keychain dialog it caused on
// screen). securityGet runs the same command with exec.CommandContext:
// when ctx ends the command is killed. It is plain Go, built on every
// system so its tests run on Linux with a stand-in for the command
// (TestSecurityGet); os_darwin.go uses it.

// macMaxItem is the largest item the macOS keychain takes safely through
// go-keyring, whose Set base64-encodes the value behind
// "go-keyring-base64:" and refuses (keyring.ErrSetDataTooBig) when the
// line it feeds to `security -i`,
//
//	add-generic-password -U -s <service> -a <user> -w <encoded>\n
//
// exceeds 4096 bytes. 2048 bytes encode to 2732 + 18; with the fixed words
// and the service that leaves about 1280 bytes for the shell-quoted user
// name, more than an item name (at most 500 bytes) plus a part suffix can
// take (TestSecurityToolQuoting checks the longest line).
const macMaxItem = 2048

// Prefixes of go-keyring's macOS encodings of a password: its Set stores
// base64 behind the second; the first is older and hex.
const (
	goKeyringHexPrefix    = "go-keyring-encoded:"
	goKeyringBase64Prefix = "go-keyring-base64:"
)

// maxSecurityOutput bounds what securityGet reads of the command's
// output: an item of maxValue bytes in go-keyring's base64, or in hex (as
// the command prints a password that is not printable), and a newline.
// The command is killed when it writes more.
var maxSecurityOutput = max(len(goKeyringBase64Prefix)+base64.StdEncoding.EncodedLen(maxValue), len(goKeyringHexPrefix)+hex.EncodedLen(maxValue)) + 1

// securityFindArgs are the arguments with which go-keyring's Get runs the
// command: print the password (-w) of the generic password item of
// service and account.
func securityFindArgs(service, account string) []string {
	return []string{"find-generic-password", "-s", service, "-wa", account}
}

// securityGet reads the password of the generic password item (service,
// account) with the command at path, as go-keyring's Get does, but stops
// the command when ctx ends and reads no more than maxSecurityOutput
// bytes of its output (then it returns an *itemTooLarge). A missing item
// is keyring.ErrNotFound; a failure of the command is its
// *exec.ExitError, which classifyDarwin names.
//
// Unlike go-keyring, it takes the password from the standard output
// only: go-keyring's combined output would make a warning on the
// standard error part of the password.
func securityGet(ctx context.Context, path, service, account string) (string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stdout := &cappedBuffer{max: maxSecurityOutput, over: cancel}
	stderr := &cappedBuffer{max: 4096}
	cmd := exec.CommandContext(ctx, path, securityFindArgs(service, account)...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	// Killing the command does not close pipes a process it started may
	// hold: stop waiting for them soon after.
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	out, overflow := stdout.result()
	switch {
	case overflow:
		return "", &itemTooLarge{what: "an item printed by security", max: int64(maxSecurityOutput)}
	case err != nil:
		errOut, _ := stderr.result()
		if bytes.Contains(out, []byte("could not be found")) || bytes.Contains(errOut, []byte("could not be found")) {
			return "", keyring.ErrNotFound
		}
		return "", err
	}
	return decodeSecurityOutput(out)
}

// decodeSecurityOutput turns what the command printed into the password,
// as go-keyring's Get does: spaces and newlines around it trimmed, and
// go-keyring's own encodings undone.
func decodeSecurityOutput(out []byte) (string, error) {
	s := strings.TrimSpace(string(out))
	if rest, ok := strings.CutPrefix(s, goKeyringHexPrefix); ok {
		dec, err := hex.DecodeString(rest)
		return string(dec), err
	}
	if rest, ok := strings.CutPrefix(s, goKeyringBase64Prefix); ok {
		dec, err := base64.StdEncoding.DecodeString(rest)
		return string(dec), err
	}
	return s, nil
}

// cappedBuffer keeps the first max bytes written to it and drops the
// rest, calling over (if set) once when it first has to.
type cappedBuffer struct {
	mu       sync.Mutex
	b        []byte
	max      int
	overflow bool
	over     func()
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if room := c.max - len(c.b); len(p) > room {
		c.b = append(c.b, p[:max(room, 0)]...)
		if !c.overflow && c.over != nil {
			c.over()
		}
		c.overflow = true
		return len(p), nil
	}
	c.b = append(c.b, p...)
	return len(p), nil
}

func (c *cappedBuffer) result() ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.b, c.overflow
}
