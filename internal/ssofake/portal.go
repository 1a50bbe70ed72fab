package ssofake

import (
	"cmp"
	"crypto/rand"
	"encoding/base64"
	"maps"
	"net/http"
	"slices"
	"strconv"
)

// The page sizes of ListAccounts and ListAccountRoles. max_result must be
// 1 to 100 (the Portal API Reference: "Valid Range: Minimum value of 1.
// Maximum value of 100"; the service answers InvalidRequestException to
// more). Without max_result the service serves pages of 20 (its model does
// not say; clients that read one page see 20 accounts).
const (
	defaultPageSize = 20
	maxPageSize     = 100
)

// sessionLocked returns the live access token r carries, or nil.
func (s *Server) sessionLocked(r *http.Request) *accessToken {
	a := s.access[r.Header.Get("x-amz-sso_bearer_token")]
	if a == nil || a.expired || !s.now().Before(a.expires) {
		return nil
	}
	return a
}

// authorized answers UnauthorizedException unless r carries a live access
// token, and reports whether it does.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	ok := s.sessionLocked(r) != nil
	s.mu.Unlock()
	if !ok {
		writeError(w, portalAPI, 0, "UnauthorizedException", "Session token not found or invalid")
	}
	return ok
}

func (s *Server) getRoleCredentials(w http.ResponseWriter, r *http.Request) {
	if s.begin(w, r, portalAPI, "GetRoleCredentials") || !s.authorized(w, r) {
		return
	}
	q := r.URL.Query()
	account, role := q.Get("account_id"), q.Get("role_name")
	switch {
	case account == "" || role == "":
		writeError(w, portalAPI, 0, "InvalidRequestException", "account_id and role_name are required")
	case s.opts.Assignments != nil && !slices.Contains(s.opts.Assignments[account], role):
		writeError(w, portalAPI, 0, "ForbiddenException", "No access")
	default:
		type roleCredentials struct {
			AccessKeyID     string `json:"accessKeyId"`
			SecretAccessKey string `json:"secretAccessKey"`
			SessionToken    string `json:"sessionToken"`
			Expiration      int64  `json:"expiration"`
		}
		rc := roleCredentials{
			AccessKeyID:     "ASIA" + rand.Text()[:16],
			SecretAccessKey: randomBase64(30),
			SessionToken:    randomBase64(300),
			Expiration:      s.now().Add(s.opts.RoleCredentialsTTL).UnixMilli(),
		}
		s.mu.Lock()
		s.issued = append(s.issued, rc.SecretAccessKey, rc.SessionToken)
		s.keys[rc.AccessKeyID] = roleKey{account, role, rc.SecretAccessKey, rc.SessionToken}
		s.mu.Unlock()
		writeJSON(w, struct {
			RoleCredentials roleCredentials `json:"roleCredentials"`
		}{rc})
	}
}

func randomBase64(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func (s *Server) listAccounts(w http.ResponseWriter, r *http.Request) {
	if s.begin(w, r, portalAPI, "ListAccounts") || !s.authorized(w, r) {
		return
	}
	type accountInfo struct {
		AccountID    string `json:"accountId"`
		AccountName  string `json:"accountName"`
		EmailAddress string `json:"emailAddress"`
	}
	all := []accountInfo{}
	for _, id := range slices.Sorted(maps.Keys(s.opts.Assignments)) {
		all = append(all, accountInfo{id, cmp.Or(s.opts.AccountNames[id], "account-"+id), cmp.Or(s.opts.EmailAddresses[id], "aws+"+id+"@example.com")})
	}
	if items, next, ok := paginate(w, r, all); ok {
		writeJSON(w, struct {
			AccountList []accountInfo `json:"accountList"`
			NextToken   string        `json:"nextToken,omitempty"`
		}{items, next})
	}
}

func (s *Server) listAccountRoles(w http.ResponseWriter, r *http.Request) {
	if s.begin(w, r, portalAPI, "ListAccountRoles") || !s.authorized(w, r) {
		return
	}
	account := r.URL.Query().Get("account_id")
	if account == "" {
		writeError(w, portalAPI, 0, "InvalidRequestException", "account_id is required")
		return
	}
	type roleInfo struct {
		RoleName  string `json:"roleName"`
		AccountID string `json:"accountId"`
	}
	all := []roleInfo{}
	for _, role := range s.opts.Assignments[account] {
		all = append(all, roleInfo{role, account})
	}
	if items, next, ok := paginate(w, r, all); ok {
		writeJSON(w, struct {
			RoleList  []roleInfo `json:"roleList"`
			NextToken string     `json:"nextToken,omitempty"`
		}{items, next})
	}
}

// paginate returns the page of all that r asks for with next_token and
// max_result, and the token of the next page, if any. If the parameters
// are invalid, it answers InvalidRequestException and returns false.
func paginate[T any](w http.ResponseWriter, r *http.Request, all []T) ([]T, string, bool) {
	q := r.URL.Query()
	size, start := defaultPageSize, 0
	var err error
	if v := q.Get("max_result"); v != "" {
		if size, err = strconv.Atoi(v); err != nil || size < 1 || size > maxPageSize {
			writeError(w, portalAPI, 0, "InvalidRequestException", "ResultSize parameter must be within the valid limits of: 1-100")
			return nil, "", false
		}
	}
	if v := q.Get("next_token"); v != "" {
		b, err := base64.RawURLEncoding.DecodeString(v)
		if err == nil {
			start, err = strconv.Atoi(string(b))
		}
		if err != nil || start < 1 || start >= len(all) {
			writeError(w, portalAPI, 0, "InvalidRequestException", "invalid next_token")
			return nil, "", false
		}
	}
	end := min(start+size, len(all))
	var next string
	if end < len(all) {
		next = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end)))
	}
	return all[start:end], next, true
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if s.begin(w, r, portalAPI, "Logout") {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.sessionLocked(r)
	if a == nil {
		writeError(w, portalAPI, 0, "UnauthorizedException", "Session token not found or invalid")
		return
	}
	// Logout ends the sign-in session on the service's side: every access
	// and refresh token that came from the same sign-in, through refreshes,
	// stops working, not only the one presented.
	maps.DeleteFunc(s.access, func(_ string, t *accessToken) bool { return t.session == a.session })
	maps.DeleteFunc(s.refresh, func(_ string, t *refreshToken) bool { return t.session == a.session })
}
