package tokencache

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/sso-credproc/sso-credproc/sso"
	"github.com/sso-credproc/sso-credproc/tokencache/awscli"
)

// exportAWSCLI writes st's access token to the AWS CLI's cache file
// (AWSCLICache) when ExportAWSCLI is set and the file does not hold it
// yet, and records in st what was written (so that logout removes only
// that). Only the access token and its expiry are written, no refresh
// token or client registration: tools that read the file then never
// refresh on their own, which would rotate the refresh token sso-credproc
// keeps. A failure is reported through Notify, not returned: the token is
// in the keychain either way.
func (c *Cache) exportAWSCLI(s Session, st *storedToken) {
	if !c.ExportAWSCLI || c.AWSCLICache == "" || st.Exported == st.AccessToken {
		return
	}
	t := awscli.New(s.StartURL, s.Region, &sso.Token{AccessToken: st.AccessToken, ExpiresAt: st.ExpiresAt}, nil)
	if err := awscli.Write(c.AWSCLICache, t); err != nil {
		if c.Notify != nil {
			c.Notify(fmt.Sprintf("could not write the AWS CLI's token cache: %v", err))
		}
		return
	}
	st.Exported = st.AccessToken
	if c.Notify != nil {
		c.Notify("wrote the access token to the AWS CLI's token cache " + c.AWSCLICache + " (logout removes it)")
	}
}

// export exports st (see exportAWSCLI) and, when it wrote the file,
// stores st again to record it.
func (c *Cache) export(ctx context.Context, s Session, key string, st *storedToken) error {
	before := st.Exported
	c.exportAWSCLI(s, st)
	if st.Exported == before {
		return nil
	}
	return c.keep(ctx, key, st)
}

// removeAWSCLIExport removes the AWS CLI cache file if it still holds the
// token this cache exported; it reports whether it removed it.
func (c *Cache) removeAWSCLIExport(tok *storedToken) (bool, error) {
	if c.AWSCLICache == "" || tok == nil || tok.Exported == "" {
		return false, nil
	}
	removed, err := awscli.Remove(c.AWSCLICache, tok.Exported)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return removed, err
}

// ImportAWSCLI stores the AWS CLI's cached token t (and its client
// registration, when the file has one that has not expired) for s, under
// the session lock, so that sso-credproc uses and refreshes it instead of
// signing in. The token must be for s's start URL and region and valid
// for longer than the clock skew.
func (c *Cache) ImportAWSCLI(ctx context.Context, s Session, t *awscli.Token) (*TokenInfo, error) {
	if err := t.CheckSession(s.StartURL, s.Region); err != nil {
		return nil, err
	}
	if !t.Valid(c.now(), c.Policy.ClockSkew) {
		return nil, fmt.Errorf("the AWS CLI's token for %s expired at %s", s.StartURL, t.ExpiresAt.Format("2006-01-02 15:04 MST"))
	}
	if err := c.probe(ctx); err != nil {
		return nil, err
	}
	key := s.tokenKey()
	lease, err := c.lock(ctx, key, s)
	if err != nil {
		return nil, err
	}
	defer lease.Release(nil)
	clientID := ""
	if reg := t.SSORegistration(); reg != nil && t.CanRefresh(c.now()) {
		r := newStoredRegistration(s, reg)
		if err := c.keep(ctx, s.registrationKey(), r); err != nil {
			return nil, err
		}
		clientID = r.ClientID
	}
	tok := t.SSOToken()
	if clientID == "" {
		tok.RefreshToken = "" // no registration to redeem it with
	}
	st := newStoredToken(s, clientID, tok)
	if err := c.keep(ctx, key, st); err != nil {
		return nil, err
	}
	return tokenInfo(st), nil
}
