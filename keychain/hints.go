package keychain

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"syscall"
)

// Hint returns what the user can do about err, for a "hint:" line, or ""
// if there is nothing specific to say. Each cause has its own remedy, for
// the platform this runs on:
//
//   - ErrNoSessionBus, ErrNoSecretService, ErrLocked, ErrNoCollection,
//     ErrDenied, ErrNoLogonSession: how to get a reachable, unlocked
//     keychain there, or what to use instead;
//   - no answer before a deadline: it may be waiting on an unlock prompt;
//   - cancelled (context.Canceled): "", the run was interrupted;
//   - ErrCorrupt, ErrTooLarge: what replaces or reports the item;
//   - any other ErrUnavailable: how to check the platform's keychain.
func Hint(err error) string { return osHints.hint(err) }

// hints holds one platform's remedies, one line each.
type hints struct {
	noSessionBus, noSecretService, locked, noCollection, denied, timeout, unavailable string
	noLogonSession                                                                    string // Windows only
}

func (h *hints) hint(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrNoSessionBus):
		return h.noSessionBus
	case errors.Is(err, ErrNoSecretService):
		return h.noSecretService
	case errors.Is(err, ErrLocked):
		return h.locked
	case errors.Is(err, ErrNoCollection):
		return h.noCollection
	case errors.Is(err, ErrDenied):
		return h.denied
	case errors.Is(err, ErrNoLogonSession):
		return h.noLogonSession
	case errors.Is(err, context.Canceled):
		return "" // interrupted (Ctrl-C, the caller gave up): nothing to fix
	case errors.Is(err, context.DeadlineExceeded):
		return h.timeout
	case errors.Is(err, ErrCorrupt):
		return "the stored item is damaged; log in again to replace it"
	case errors.Is(err, ErrTooLarge):
		return "the value does not fit the keychain (over 64 KiB, or refused even in small parts); please report this as a bug, with the output of --debug"
	case errors.Is(err, ErrUnavailable):
		return h.unavailable
	}
	return ""
}

// gnomeKeyringUnlock unlocks the login keyring of a running gnome-keyring,
// or creates it when there is none, with a password read from the
// terminal; it replaces the running daemon (gnome-keyring-daemon --unlock
// without --replace starts a second daemon that never reaches the bus).
// The password must reach the daemon without a newline. Tested by
// TestSecretServiceUnlockHint.
// gnomeKeyringStart starts gnome-keyring on a session bus that has none
// yet (dbus-run-session's), unlocking its login keyring with the password
// typed; without --replace, it cannot end a daemon of another session.
const gnomeKeyringStart = `read -rs pw && printf %s "$pw" | gnome-keyring-daemon --unlock --components=secrets; unset pw`

const gnomeKeyringUnlock = `read -rs pw && printf %s "$pw" | gnome-keyring-daemon --replace --unlock --components=secrets; unset pw`

var linuxHints = hints{
	noSessionBus:    `the Secret Service needs a D-Bus session bus (DBUS_SESSION_BUS_ADDRESS or $XDG_RUNTIME_DIR/bus): log in through a session that has one (systemd --user), or start a shell with its own: dbus-run-session -- $SHELL; in it, start gnome-keyring and type a password for its keyring: ` + gnomeKeyringStart,
	noSecretService: `install a Secret Service (Debian/Ubuntu: sudo apt-get install gnome-keyring) or enable KeePassXC's Secret Service integration; without a desktop, start gnome-keyring and type a password for its keyring: ` + gnomeKeyringUnlock,
	locked:          `unlock the login keyring: in a desktop session, run the command again and type the password at the prompt (or unlock it in Passwords and Keys); without a desktop, run this and type the keyring's password: ` + gnomeKeyringUnlock,
	noCollection:    `gnome-keyring runs without a login keyring (it was started by D-Bus, not at login); create it by running this and typing a new password for it: ` + gnomeKeyringUnlock,
	denied:          `the Secret Service refused: run the command again and accept the prompt`,
	timeout:         `the keychain did not answer: it may be waiting for you to unlock it at a desktop prompt; without a desktop, unlock it: ` + gnomeKeyringUnlock,
	unavailable:     `check that the Secret Service works: secret-tool search service sso-credproc; without a desktop, (re)start gnome-keyring with its login keyring unlocked: ` + gnomeKeyringUnlock,
}

const macUnlock = `security unlock-keychain ~/Library/Keychains/login.keychain-db`

var darwinHints = hints{
	noSessionBus:    "check the login keychain: security show-keychain-info ~/Library/Keychains/login.keychain-db",
	noSecretService: "check the login keychain: security show-keychain-info ~/Library/Keychains/login.keychain-db",
	locked:          "unlock the login keychain (over SSH it cannot ask you): " + macUnlock,
	noCollection:    "make the login keychain the default: security default-keychain -s login.keychain",
	denied:          "access to the keychain item was refused; run the command again and click Allow (or Always Allow)",
	timeout:         "the keychain did not answer: it may be waiting for you to allow access or unlock it in a dialog; over SSH unlock it first: " + macUnlock,
	unavailable:     "unlock the login keychain: " + macUnlock,
}

// fileStore names the opt-in encrypted file store, for where no keychain
// can be used.
const fileStore = `keep the items in an encrypted file instead: --store file (or SSO_CREDPROC_STORE=file)`

var windowsHints = hints{
	noSessionBus:    `make sure Windows Credential Manager works for your user: cmdkey /list`,
	noSecretService: `make sure Windows Credential Manager works for your user: cmdkey /list`,
	locked:          `make sure Windows Credential Manager works for your user: cmdkey /list`,
	noLogonSession:  `Credential Manager cannot be used from SSH or any other network logon, whatever service runs: run sso-credproc in a desktop or Remote Desktop session, or ` + fileStore,
	noCollection:    `make sure Windows Credential Manager works for your user: cmdkey /list`,
	denied:          `Windows refused access to Credential Manager; run sso-credproc as the signed-in user, not from a service account, and check: cmdkey /list`,
	timeout:         `Credential Manager did not answer; check that its service runs: sc query VaultSvc`,
	unavailable:     `make sure Windows Credential Manager works for your user: cmdkey /list; or start its service: sc start VaultSvc`,
}

var otherHints = hints{
	noSessionBus:    "start a D-Bus session bus and make sure DBUS_SESSION_BUS_ADDRESS is set",
	noSecretService: "start a Secret Service (gnome-keyring-daemon or KeePassXC) on the session bus",
	locked:          "unlock the login keyring (e.g. in Passwords and Keys, or: " + gnomeKeyringUnlock + ")",
	noCollection:    "create a default keyring in your Secret Service (e.g. " + gnomeKeyringUnlock + ")",
	denied:          "run the command again and accept the keyring's prompt",
	timeout:         "the keychain did not answer: it may be waiting for you to unlock it",
	unavailable:     "start a Secret Service (gnome-keyring-daemon or KeePassXC) and make sure DBUS_SESSION_BUS_ADDRESS is set",
}

// noKeychainHints are for builds in which go-keyring has no keychain
// (os_nokeychain.go): every call fails the same way, and nothing but
// another build or the file store helps.
var noKeychainHints = func() hints {
	const h = "this build of sso-credproc has no OS keychain for this system (go-keyring supports FreeBSD and DragonFly only in a build with CGO_ENABLED=1): use such a build, or " + fileStore
	return hints{noSessionBus: h, noSecretService: h, locked: h, noCollection: h, denied: h, timeout: h, unavailable: h, noLogonSession: h}
}()

// Exit statuses of macOS's security command: the low byte of the
// Security framework's OSStatus (SecBase.h).
const (
	secInteractionNotAllowed = 36  // errSecInteractionNotAllowed -25308: locked, and no dialog can be shown (SSH)
	secAuthFailed            = 51  // errSecAuthFailed -25293: wrong password, or access refused
	secUserCanceled          = 128 // errSecUserCanceled -128: the user clicked Deny or Cancel
)

// classifyDarwin names the cause of an error from go-keyring's macOS
// backend, which runs /usr/bin/security and returns its *exec.ExitError.
func classifyDarwin(err error) error {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return err
	}
	switch ee.ExitCode() {
	case secInteractionNotAllowed:
		return fmt.Errorf("%w and cannot ask to be unlocked (security: %w, errSecInteractionNotAllowed)", ErrLocked, err)
	case secAuthFailed:
		return fmt.Errorf("%w (security: %w, errSecAuthFailed)", ErrDenied, err)
	case secUserCanceled:
		return fmt.Errorf("%w (security: %w, errSecUserCanceled)", ErrDenied, err)
	}
	return fmt.Errorf("security: %w", err)
}

// Windows error codes (winerror.h) that go-keyring's Windows backend
// passes on as a syscall.Errno from the Cred* functions.
const (
	winAccessDenied       = 5    // ERROR_ACCESS_DENIED
	winCancelled          = 1223 // ERROR_CANCELLED
	winNoSuchLogonSession = 1312 // ERROR_NO_SUCH_LOGON_SESSION: no credentials in this logon (SSH, any network logon)
)

// classifyWindows names the cause of an error from go-keyring's Windows
// backend.
func classifyWindows(err error) error {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return err
	}
	switch errno {
	case winAccessDenied, winCancelled:
		return fmt.Errorf("%w (Credential Manager error %d: %w)", ErrDenied, uintptr(errno), err)
	case winNoSuchLogonSession:
		return fmt.Errorf("%w: it keeps no credentials for a network logon such as SSH (error %d, ERROR_NO_SUCH_LOGON_SESSION: %w)", ErrNoLogonSession, uintptr(errno), err)
	}
	return fmt.Errorf("the Credential Manager's error %d: %w", uintptr(errno), err)
}
