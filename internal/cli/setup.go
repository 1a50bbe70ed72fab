package cli

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"github.com/sso-credproc/sso-credproc/internal/browser"
	"github.com/sso-credproc/sso-credproc/keychain"
	"github.com/sso-credproc/sso-credproc/profile"
	"github.com/sso-credproc/sso-credproc/tokencache"
	"github.com/sso-credproc/sso-credproc/tokencache/awscli"
)

// newCache builds the cache every command uses for the resolved profile p:
// the store (keychain or file store), the policy, the browser and, outside
// the warm path, the SSO client and the locks.
func newCache(e Env, u *ui, o *options, p *profile.Profile) *tokencache.Cache {
	pol, useDevice := policy(p)
	store := openStore(e, u, p.Policy.FileStore)
	c := &tokencache.Cache{
		Store:         store,
		Policy:        pol,
		Now:           e.Now,
		UseDeviceCode: useDevice,
		NoLogin:       p.Policy.NoLogin,
		Notify:        u.notify,
	}
	if !o.noBrowser {
		c.Browser = &browser.Opener{Getenv: e.Getenv, Command: p.Policy.Browser}
	}
	if why := noLocalBrowser(runtime.GOOS, e.Getenv); why != "" && !useDevice && !p.Legacy() && p.Policy.Browser == "" {
		// The browser redirect ends on this machine's loopback, which a
		// browser elsewhere (the user's laptop, over SSH) cannot reach;
		// a device code can be approved from anywhere.
		c.UseDeviceCode = true
		c.Browser = nil // there is nothing to open it in
		u.debugf("%s and no BROWSER: signing in with a device code", why)
	}
	if u.debug {
		c.Debugf = u.debugf
		u.debugf("profile %q from %s: sso-session %q, start URL %s, region %s, account %s, role %s", p.Name, p.File, p.SessionName, p.StartURL, p.Region, p.AccountID, p.RoleName)
		if p.OIDCEndpoint != "" || p.PortalEndpoint != "" {
			u.debugf("endpoint overrides: oidc %q, portal %q", p.OIDCEndpoint, p.PortalEndpoint)
		}
	}
	if !e.WarmOnly && e.NewSSO != nil {
		c.NewSSO = func() tokencache.SSO { return e.NewSSO(p) }
		c.Locks = &tokencache.FileLocker{Dir: e.LockDir()}
		// Only sign-in, refresh and logout write or remove the AWS CLI's
		// cache file: the warm path has no use for its name.
		if home := profile.HomeDir(e.Getenv); home != "" {
			c.AWSCLICache = awscli.Path(home, p.SessionName, p.StartURL)
			c.ExportAWSCLI = p.Policy.ExportAWSCLICache
		}
	}
	return c
}

// openStore returns where tokens and credentials are kept: Env.Store
// (tests), else the file store when the policy asks for it
// (sso_credproc_store = file, --store file, SSO_CREDPROC_STORE=file), else
// the OS keychain.
func openStore(e Env, u *ui, file bool) keychain.Store {
	switch {
	case e.Store != nil:
		return e.Store
	case file && e.FileStore != nil:
		return e.FileStore(e.Getenv, u.notify)
	case file:
		return noFileStore{}
	}
	return keychain.Open()
}

// noFileStore stands for the file store in a program built without it.
type noFileStore struct{}

var errNoFileStore = fmt.Errorf("%w: this program has no file store; run %s", keychain.ErrUnavailable, RenewName)

func (noFileStore) Get(context.Context, string) ([]byte, error) { return nil, errNoFileStore }
func (noFileStore) Set(context.Context, string, []byte) error   { return errNoFileStore }
func (noFileStore) Delete(context.Context, string) error        { return errNoFileStore }
func (noFileStore) Probe(context.Context) error                 { return errNoFileStore }

// sessionOf is the SSO session of p.
func sessionOf(p *profile.Profile) tokencache.Session {
	return tokencache.Session{Name: p.SessionName, StartURL: p.StartURL, Region: p.Region, Scopes: p.Scopes}
}

// watchCaller makes u detach when e says the caller has gone (see
// Env.ParentGone) and tells c to report sign-ins to u. The returned
// function stops watching.
func watchCaller(e Env, u *ui, c *tokencache.Cache) func() {
	if e.ParentGone == nil {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-done:
			return
		case <-e.ParentGone:
		}
		u.detach(e.Detach)
	}()
	c.OnSignIn = u.signingIn
	return func() { close(done) }
}

// interrupted reports whether err ended the call because ctx was
// cancelled (a signal).
func interrupted(ctx context.Context, err error) bool {
	return ctx.Err() != nil && errors.Is(err, context.Canceled)
}

// policy maps the profile's Policy, which profile.Load merged from the
// defaults, the sso_credproc_* keys and the flags and checked, onto the
// cache's, and says whether to sign in with the device code.
func policy(p *profile.Profile) (tokencache.Policy, bool) {
	return tokencache.Policy{
		LoginTimeout:     p.Policy.LoginTimeout,
		RefreshWindow:    p.Policy.RefreshWindow,
		MinCredentialTTL: p.Policy.MinCredentialTTL,
		ClockSkew:        p.Policy.ClockSkew,
	}, p.Policy.UseDeviceCode
}

// noLocalBrowser says why no browser on this machine can be shown to the
// user, or "" when one can: an SSH session (SSH_CONNECTION, SSH_CLIENT or
// SSH_TTY set, on every OS: open on macOS and rundll32 on Windows would
// show the page on the remote machine's desktop, if any, and a browser
// started through X11 forwarding is often not installed or usable), or a
// Linux (or BSD) session with no graphical display, such as a container.
// WSL opens the Windows browser and has a display. A set BROWSER is the
// user's word that a browser can be opened (a command that forwards the
// URL, a text browser) and wins over both, as does --browser or
// sso_credproc_browser, which the caller checks.
func noLocalBrowser(goos string, getenv func(string) string) string {
	if strings.TrimSpace(getenv("BROWSER")) != "" {
		return ""
	}
	for _, k := range []string{"SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY"} {
		if getenv(k) != "" {
			return "an SSH session (" + k + ")"
		}
	}
	switch goos {
	case "darwin", "windows", "android", "ios":
		return ""
	}
	for _, k := range []string{"DISPLAY", "WAYLAND_DISPLAY", "WSL_DISTRO_NAME"} {
		if getenv(k) != "" {
			return ""
		}
	}
	return "no display (DISPLAY, WAYLAND_DISPLAY)"
}

// failCall reports err, which ended a call made with ctx, and returns the
// exit status: "interrupted" and 130 when a signal ended it (what the
// service had issued was stored first), else the error with its hint and 1.
func (u *ui) failCall(ctx context.Context, err error, o *options, p *profile.Profile) int {
	if interrupted(ctx, err) {
		u.fail(errors.New("interrupted"), "")
		return 130
	}
	u.fail(err, runHint(err, o, p))
	return 1
}
