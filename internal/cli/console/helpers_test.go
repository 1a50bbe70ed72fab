package console

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"

	"github.com/sso-credproc/sso-credproc/internal/ssofake"
	"github.com/sso-credproc/sso-credproc/tokencache"
)

// issueCredentials signs in to srv with the device code (approving at its
// page) and gets role credentials for 111122223333/Developer.
func issueCredentials(t *testing.T, srv *ssofake.Server) *tokencache.Credentials {
	t.Helper()
	ctx := context.Background()
	oc := ssooidc.New(ssooidc.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL)})
	pc := sso.New(sso.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL)})
	reg, err := oc.RegisterClient(ctx, &ssooidc.RegisterClientInput{ClientName: aws.String("console-test"), ClientType: aws.String("public"),
		GrantTypes: []string{"urn:ietf:params:oauth:grant-type:device_code"}})
	if err != nil {
		t.Fatal(err)
	}
	dev, err := oc.StartDeviceAuthorization(ctx, &ssooidc.StartDeviceAuthorizationInput{ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
		StartUrl: aws.String(srv.URL + "/start")})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(*dev.VerificationUriComplete)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	tok, err := oc.CreateToken(ctx, &ssooidc.CreateTokenInput{ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
		GrantType: aws.String("urn:ietf:params:oauth:grant-type:device_code"), DeviceCode: dev.DeviceCode})
	if err != nil {
		t.Fatal(err)
	}
	rc, err := pc.GetRoleCredentials(ctx, &sso.GetRoleCredentialsInput{AccessToken: tok.AccessToken, AccountId: aws.String("111122223333"), RoleName: aws.String("Developer")})
	if err != nil {
		t.Fatal(err)
	}
	c := rc.RoleCredentials
	return &tokencache.Credentials{AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey, SessionToken: *c.SessionToken,
		Expiration: time.UnixMilli(c.Expiration), AccountID: "111122223333"}
}
