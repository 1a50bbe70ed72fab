package awssdk

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssso "github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/sso-credproc/sso-credproc/sso"
)

const (
	// ListRolesConcurrency is how many accounts ListAssignments asks
	// sso:ListAccountRoles about at the same time: enough that a user
	// with dozens of accounts waits for a few round trips, few enough
	// that the portal's per-user request rate is not the limit (its
	// quota is not published; TooManyRequestsException is retried).
	ListRolesConcurrency = 4
	// listPageSize is the max_result of ListAccounts and ListAccountRoles:
	// the most the service serves in one page (its valid range is 1-100).
	listPageSize = 100
	// maxPages bounds one listing (100 000 accounts, or roles of one
	// account), so that a service that never stops sending a nextToken
	// cannot keep a listing going until ctx ends.
	maxPages = 1000
)

// ListAssignments returns every account and role (permission set) the
// user of accessToken can reach: sso:ListAccounts, all pages, then
// sso:ListAccountRoles for each account, all pages, for at most
// ListRolesConcurrency accounts at once. The result is sorted by account
// name, then account ID, then role name; an account with no roles adds
// nothing; no assignment at all is an empty, non-nil slice.
//
// Each call (one page) ends within the client's CallTimeout and is retried
// by the SDK's standard retryer (TooManyRequestsException, HTTP 429 and
// 5xx answers, up to Config.MaxAttempts attempts in all, with backoff);
// the whole listing ends with ctx. The first call that fails ends the
// listing, cancelling the calls in flight: the error is an *sso.Error with
// Op "ListAccounts" or "ListAccountRoles" and the service's exception name
// as Code (UnauthorizedException for a token the service does not accept,
// see sso.IsUnauthorized), or sso.CodeMalformed for an answer that lacks
// accountId or roleName or repeats a nextToken. Errors never hold the
// access token.
func (c *Client) ListAssignments(ctx context.Context, accessToken string) ([]sso.Assignment, error) {
	pc := c.portalClient()        // built here: portalClient is not safe for concurrent use
	var accounts []sso.Assignment // AccountID, AccountName and EmailAddress only
	err := c.eachPage(ctx, "ListAccounts", func(ctx context.Context, token *string) (*string, error) {
		out, err := pc.ListAccounts(ctx, &awssso.ListAccountsInput{
			AccessToken: aws.String(accessToken),
			MaxResults:  aws.Int32(listPageSize),
			NextToken:   token,
		})
		if err != nil {
			return nil, err
		}
		for _, a := range out.AccountList {
			if aws.ToString(a.AccountId) == "" {
				return nil, &sso.Error{Op: "ListAccounts", Code: sso.CodeMalformed, Message: "an account in the answer has no accountId"}
			}
			accounts = append(accounts, sso.Assignment{
				AccountID:    aws.ToString(a.AccountId),
				AccountName:  aws.ToString(a.AccountName),
				EmailAddress: aws.ToString(a.EmailAddress),
			})
		}
		return out.NextToken, nil
	})
	if err != nil {
		return nil, err
	}

	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
		roles = make([][]sso.Assignment, len(accounts))
		slots = make(chan struct{}, ListRolesConcurrency)
	)
feed:
	for i, account := range accounts {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			break feed
		}
		wg.Go(func() {
			defer func() { <-slots }()
			rs, err := c.accountRoles(ctx, pc, accessToken, account)
			if err != nil {
				once.Do(func() { first = err; cancel() })
				return
			}
			roles[i] = rs
		})
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	if err := parent.Err(); err != nil {
		return nil, &sso.Error{Op: "ListAccountRoles", Err: err}
	}
	out := []sso.Assignment{}
	for _, rs := range roles {
		out = append(out, rs...)
	}
	slices.SortFunc(out, func(a, b sso.Assignment) int {
		return cmp.Or(cmp.Compare(a.AccountName, b.AccountName), cmp.Compare(a.AccountID, b.AccountID), cmp.Compare(a.RoleName, b.RoleName))
	})
	return out, nil
}

// accountRoles lists the roles of account (all pages), each one as an
// Assignment carrying the account's ID, name and email address.
func (c *Client) accountRoles(ctx context.Context, pc *awssso.Client, accessToken string, account sso.Assignment) ([]sso.Assignment, error) {
	var out []sso.Assignment
	err := c.eachPage(ctx, "ListAccountRoles", func(ctx context.Context, token *string) (*string, error) {
		page, err := pc.ListAccountRoles(ctx, &awssso.ListAccountRolesInput{
			AccessToken: aws.String(accessToken),
			AccountId:   aws.String(account.AccountID),
			MaxResults:  aws.Int32(listPageSize),
			NextToken:   token,
		})
		if err != nil {
			return nil, err
		}
		for _, r := range page.RoleList {
			if aws.ToString(r.RoleName) == "" {
				return nil, &sso.Error{Op: "ListAccountRoles", Code: sso.CodeMalformed,
					Message: fmt.Sprintf("a role of account %s in the answer has no roleName", account.AccountID)}
			}
			a := account
			a.RoleName = aws.ToString(r.RoleName)
			out = append(out, a)
		}
		return page.NextToken, nil
	})
	return out, err
}

// eachPage calls page with no token, then with each nextToken it returns,
// until one returns none. Each call gets its own CallTimeout. A token that
// comes a second time, or more than maxPages pages, ends the listing as
// sso.CodeMalformed: such a listing would never end. Errors of the SDK are
// wrapped as for the other calls; an *sso.Error from page is returned as it
// is; when ctx has ended, the error says so instead of blaming the endpoint.
func (c *Client) eachPage(ctx context.Context, op string, page func(ctx context.Context, token *string) (next *string, err error)) error {
	seen := map[string]bool{}
	var token *string
	for range maxPages {
		callCtx, cancel := context.WithTimeout(ctx, c.cfg.CallTimeout)
		next, err := page(callCtx, token)
		cancel()
		if _, ok := err.(*sso.Error); ok {
			return err
		}
		if err != nil && ctx.Err() != nil {
			return &sso.Error{Op: op, Err: ctx.Err()}
		}
		if err != nil {
			return c.wrap(op, err, c.portalEndpoint)
		}
		if aws.ToString(next) == "" {
			return nil
		}
		if seen[*next] {
			return &sso.Error{Op: op, Code: sso.CodeMalformed, Message: "the answer repeats an earlier nextToken"}
		}
		seen[*next] = true
		token = next
	}
	return &sso.Error{Op: op, Code: sso.CodeMalformed, Message: fmt.Sprintf("the service sent more than %d pages", maxPages)}
}

// Logout calls sso:Logout: the service ends the sign-in session that
// accessToken belongs to, so that it and the tokens refreshed from the
// same sign-in stop working (the caller drops what it stored). The call
// ends within CallTimeout; SDK retries as for the other calls. The error
// is an *sso.Error with Op "Logout": UnauthorizedException when the
// service does not accept the token (already signed out, or expired).
func (c *Client) Logout(ctx context.Context, accessToken string) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.CallTimeout)
	defer cancel()
	if _, err := c.portalClient().Logout(ctx, &awssso.LogoutInput{AccessToken: aws.String(accessToken)}); err != nil {
		return c.wrap("Logout", err, c.portalEndpoint)
	}
	return nil
}
