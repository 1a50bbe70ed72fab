package awscli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	awssso "github.com/aws/aws-sdk-go-v2/service/sso"
	ssotypes "github.com/aws/aws-sdk-go-v2/service/sso/types"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"

	"github.com/sso-credproc/sso-credproc/tokencache/awscli"
)

// The AWS SDK for Go v2 (credentials/ssocreds, the version go.mod pins)
// reads what Write writes, with fakes standing in for the two services.

// fakeOIDC records each CreateToken's input, copied: the SDK's input
// points into a token it changes after the call.
type fakeOIDC struct{ calls []createToken }

type createToken struct{ clientID, clientSecret, refreshToken, grantType string }

func (f *fakeOIDC) CreateToken(_ context.Context, in *ssooidc.CreateTokenInput, _ ...func(*ssooidc.Options)) (*ssooidc.CreateTokenOutput, error) {
	f.calls = append(f.calls, createToken{aws.ToString(in.ClientId), aws.ToString(in.ClientSecret), aws.ToString(in.RefreshToken), aws.ToString(in.GrantType)})
	return &ssooidc.CreateTokenOutput{AccessToken: aws.String("sdk-refreshed-access-token"), ExpiresIn: 3600, RefreshToken: aws.String("sdk-refreshed-refresh-token")}, nil
}

type fakePortal struct{ tokens []string }

func (f *fakePortal) GetRoleCredentials(_ context.Context, in *awssso.GetRoleCredentialsInput, _ ...func(*awssso.Options)) (*awssso.GetRoleCredentialsOutput, error) {
	f.tokens = append(f.tokens, aws.ToString(in.AccessToken))
	return &awssso.GetRoleCredentialsOutput{RoleCredentials: &ssotypes.RoleCredentials{
		AccessKeyId: aws.String("AKIDFAKE"), SecretAccessKey: aws.String("secret"), SessionToken: aws.String("session"),
		Expiration: time.Now().Add(time.Hour).UnixMilli(),
	}}, nil
}

func TestGoSDKPaths(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("USERPROFILE", home)
	for _, key := range []struct{ session, url string }{{"admin", ""}, {"", startURL}} {
		sdkKey := key.session
		if sdkKey == "" {
			sdkKey = key.url
		}
		got, err := ssocreds.StandardCachedTokenFilepath(sdkKey)
		if err != nil {
			t.Fatal(err)
		}
		if want := awscli.Path(home, key.session, key.url); got != want {
			t.Errorf("the Go SDK's file for %q: %s, ours %s", sdkKey, got, want)
		}
	}
}

func TestGoSDKReadsWrite(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("USERPROFILE", home)
	ctx := context.Background()

	// sso-session profile: the bearer token provider, unexpired: no call
	p := awscli.Path(home, "admin", "")
	tok := adminToken()
	tok.ExpiresAt = time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	if err := awscli.Write(p, tok); err != nil {
		t.Fatal(err)
	}
	oidc := &fakeOIDC{}
	bt, err := ssocreds.NewSSOTokenProvider(oidc, p).RetrieveBearerToken(ctx)
	if err != nil {
		t.Fatalf("RetrieveBearerToken: %v", err)
	}
	if bt.Value != tok.AccessToken || !bt.Expires.Equal(tok.ExpiresAt) || !bt.CanExpire || len(oidc.calls) != 0 {
		t.Errorf("the Go SDK read our token: %v, expiring %v (can expire %v), %d refreshes; want our token, %v, none",
			bt.Value == tok.AccessToken, bt.Expires, bt.CanExpire, len(oidc.calls), tok.ExpiresAt)
	}

	// legacy profile: the credentials provider, default path from HOME
	legacy := legacyToken()
	legacy.ExpiresAt = tok.ExpiresAt
	if err := awscli.Write(awscli.Path(home, "", startURL), legacy); err != nil {
		t.Fatal(err)
	}
	portal := &fakePortal{}
	creds, err := ssocreds.New(portal, "111122223333", "Developer", startURL).Retrieve(ctx)
	if err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	if len(portal.tokens) != 1 || portal.tokens[0] != legacy.AccessToken || creds.AccessKeyID != "AKIDFAKE" {
		t.Errorf("GetRoleCredentials got %d calls, our token: %v", len(portal.tokens), len(portal.tokens) == 1 && portal.tokens[0] == legacy.AccessToken)
	}
}

// Once the token has expired the Go SDK refreshes it with the client and
// refresh token we wrote, and rewrites the file (keeping its mode, its
// startUrl and region); Read reads that, and Remove no longer removes it.
func TestGoSDKRefreshesWrite(t *testing.T) {
	p := awscli.Path(t.TempDir(), "admin", "")
	tok := adminToken()
	tok.ExpiresAt = time.Now().Add(-time.Minute).UTC().Truncate(time.Second)
	if err := awscli.Write(p, tok); err != nil {
		t.Fatal(err)
	}
	oidc := &fakeOIDC{}
	bt, err := ssocreds.NewSSOTokenProvider(oidc, p).RetrieveBearerToken(context.Background())
	if err != nil {
		t.Fatalf("RetrieveBearerToken: %v", err)
	}
	if len(oidc.calls) != 1 {
		t.Fatalf("%d refreshes, want 1", len(oidc.calls))
	}
	in := oidc.calls[0]
	if in != (createToken{tok.ClientID, tok.ClientSecret, tok.RefreshToken, "refresh_token"}) {
		t.Errorf("the Go SDK refreshed with other client or refresh token values (client ID %q, grant %q)", in.clientID, in.grantType)
	}
	if bt.Value != "sdk-refreshed-access-token" {
		t.Errorf("bearer token after the refresh is not the refreshed one")
	}
	got, err := awscli.Read(p)
	if err != nil {
		t.Fatalf("Read of the file the Go SDK rewrote: %v", err)
	}
	if got.AccessToken != "sdk-refreshed-access-token" || got.RefreshToken != "sdk-refreshed-refresh-token" ||
		got.StartURL != tok.StartURL || got.Region != tok.Region || got.ClientID != tok.ClientID ||
		!got.RegistrationExpiresAt.Equal(tok.RegistrationExpiresAt) || !got.ExpiresAt.After(time.Now()) {
		t.Errorf("Read of the file the Go SDK rewrote: %#v", got)
	}
	if fi, err := os.Stat(p); err == nil && fi.Mode().Perm() != 0o600 && os.PathSeparator == '/' {
		t.Errorf("the Go SDK's rewrite has mode %v, want 0600 kept", fi.Mode())
	}
	if ok, err := awscli.Remove(p, tok.AccessToken); ok || err != nil {
		t.Errorf("Remove after the Go SDK refreshed = %v, %v; want false, nil", ok, err)
	}
	if ents, _ := os.ReadDir(filepath.Dir(p)); len(ents) != 1 || !strings.HasSuffix(ents[0].Name(), ".json") {
		t.Errorf("the cache directory holds %v", ents)
	}
}
