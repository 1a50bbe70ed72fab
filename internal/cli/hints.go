package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sso-credproc/sso-credproc/keychain"
	"github.com/sso-credproc/sso-credproc/profile"
	"github.com/sso-credproc/sso-credproc/sso"
	"github.com/sso-credproc/sso-credproc/tokencache"
)

// ProfileHint is the hint line for an error of package profile.
func ProfileHint(err error) string { return profileHint(err) }

func profileHint(err error) string {
	var pe *profile.Error
	if errors.As(err, &pe) && pe.Hint != "" {
		return pe.Hint
	}
	return "check the AWS config file (AWS_CONFIG_FILE, default ~/.aws/config)"
}

// runHint names the command or action that fixes err.
func runHint(err error, o *options, p *profile.Profile) string {
	again := "sso-credproc " + commandArgs(o)
	var (
		lt *tokencache.LoginTimeoutError
		pe *tokencache.PeerError
		cr *tokencache.ClientRejectedError
		lr *tokencache.LoginRequiredError
		ld *tokencache.LockDirError
	)
	switch {
	case errors.Is(err, context.Canceled):
		return ""
	case errors.Is(err, keychain.ErrUnavailable), errors.Is(err, keychain.ErrCorrupt), errors.Is(err, keychain.ErrTooLarge):
		return storeHint(err)
	case errors.As(err, &ld):
		return ld.Hint() + "; then run: " + again
	case errors.As(err, &lr):
		return "sign in first: sso-credproc login " + sessionArgs(o, p)
	case errors.As(err, &lt):
		return fmt.Sprintf("run it again and finish signing in within %s, or allow more time: %s --login-timeout 10m", lt.Timeout, again)
	case errors.As(err, &pe) && pe.What == "sign in":
		return "run the command again and finish the sign-in in the browser: " + again
	case errors.As(err, &pe):
		return "run the command again: " + again
	case errors.As(err, &cr):
		return fmt.Sprintf("check sso_start_url (%s) and sso_region (%s) in %s, and the SSO OIDC endpoint in use%s", p.StartURL, p.Region, p.File, endpointNote(p.OIDCEndpoint))
	case sso.HasCode(err, sso.CodeUnreachable, sso.CodeTimeout):
		return "check the network connection and any proxy (HTTPS_PROXY, NO_PROXY)" + endpointNote(p.OIDCEndpoint+p.PortalEndpoint) + "; then run: " + again
	case errors.Is(err, tokencache.ErrLockTimeout):
		return "another sso-credproc is still signing in for this profile; finish that sign-in or end that process, then run: " + again
	case sso.IsSessionGone(err) || sso.IsUnauthorized(err):
		return "sign in again: " + again
	case sso.HasCode(err, "ForbiddenException", "ResourceNotFoundException"):
		return fmt.Sprintf("check sso_account_id (%s) and sso_role_name (%s) in %s; your user may not be assigned to that role", p.AccountID, p.RoleName, p.File)
	case sso.HasCode(err, sso.CodeMalformed, "InternalServerException", "TooManyRequestsException"):
		return "IAM Identity Center did not answer properly; try again later, or check the endpoint (sso_region, AWS_ENDPOINT_URL_SSO_OIDC, AWS_ENDPOINT_URL_SSO)"
	}
	return ""
}

// storeHint is the hint for an error of the store: the file store's own
// (its errors have a Hint method), else the keychain's, which, where no
// keychain can be had (no session bus, no Secret Service), also names the
// file store.
func storeHint(err error) string {
	var fh interface{ Hint() string }
	if errors.As(err, &fh) && fh.Hint() != "" {
		return fh.Hint()
	}
	h := keychain.Hint(err)
	if errors.Is(err, keychain.ErrNoSessionBus) || errors.Is(err, keychain.ErrNoSecretService) {
		h += "; or, on a machine without a keychain, opt in to the encrypted file store: SSO_CREDPROC_STORE=file (see \"Headless machines\" in the README)"
	}
	return h
}

// endpointNote mentions an endpoint override when one is in use.
func endpointNote(override string) string {
	if override == "" {
		return ""
	}
	return "; an endpoint override is in use (AWS_ENDPOINT_URL_SSO_OIDC, AWS_ENDPOINT_URL_SSO, AWS_ENDPOINT_URL, a services section or endpoint_url); to use the default endpoints instead, set AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true"
}

// sessionArgs selects p's session for login and logout: the user's
// --profile, else the sso-session or start URL and region.
func sessionArgs(o *options, p *profile.Profile) string {
	switch {
	case o.profile != "":
		return "--profile " + profile.ShellQuote(o.profile)
	case p.SessionName != "":
		return "--sso-session " + profile.ShellQuote(p.SessionName)
	}
	return "--start-url " + profile.ShellQuote(p.StartURL) + " --region " + profile.ShellQuote(p.Region)
}

// commandArgs repeats the command the user ran (its name and the flags
// that select what it works on) for hints.
func commandArgs(o *options) string {
	var words []string
	if o.cmd != "" {
		words = append(words, o.cmd)
	}
	add := func(flag, v string) {
		if v != "" {
			words = append(words, "--"+flag, profile.ShellQuote(v))
		}
	}
	add("profile", o.profile)
	add("sso-session", o.ov.SSOSession)
	add("start-url", o.ov.StartURL)
	add("region", o.ov.Region)
	add("account-id", o.ov.AccountID)
	add("role-name", o.ov.RoleName)
	if o.ov.Store != nil {
		add("store", *o.ov.Store)
	}
	if o.force {
		words = append(words, "--force")
	}
	return strings.Join(words, " ")
}
