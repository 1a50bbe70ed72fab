// Package ssofake is a fake AWS IAM Identity Center for tests.
//
// One HTTP server speaks both the SSO OIDC API (RegisterClient,
// StartDeviceAuthorization, CreateToken) and the SSO portal API
// (GetRoleCredentials, ListAccounts, ListAccountRoles, Logout) in the
// restJson1 wire format the aws-sdk-go-v2 clients expect, plus the two
// browser pages a user would visit: /authorize (authorization code with
// PKCE) and /device (device code verification). The authorize page shows a
// browser a consent form with Allow and Deny buttons, as the real service
// does after sign-in, and answers other clients at once; the device page
// approves at once, as if the user had logged in. Both deny when told to.
// It also serves the AWS Sign-In federation endpoint (/federation) that
// turns role credentials it issued into a console sign-in token and a
// console sign-in URL into a redirect.
package ssofake

import (
	"cmp"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"time"
)

// Options configures a Server. The zero value gives the defaults.
type Options struct {
	AccessTokenTTL     time.Duration // default 1 h
	RoleCredentialsTTL time.Duration // default 1 h
	RegistrationTTL    time.Duration // default 90 days
	DeviceCodeTTL      time.Duration // default 10 min
	AuthCodeTTL        time.Duration // default 5 min

	// DeviceInterval is the polling interval, in seconds, returned by
	// StartDeviceAuthorization. Zero means 1; a negative value omits the
	// field, and clients then use 5.
	DeviceInterval int
	// EnforceInterval answers SlowDownException to device code polls that
	// come sooner than the interval after the previous poll; each SlowDown
	// adds 5 s to that code's interval, as RFC 8628 asks of clients.
	EnforceInterval bool
	// RotateRefreshTokens makes every refresh return a new refresh token
	// and revoke the one used.
	RotateRefreshTokens bool
	// IssueRefreshTokens (default true) issues refresh tokens to clients
	// registered with the refresh_token grant.
	IssueRefreshTokens *bool
	// DenyAuthorization makes the browser pages deny, as SetDeny(true).
	DenyAuthorization bool
	// Assignments maps account IDs to role names. If nil, GetRoleCredentials
	// accepts any account and role, and the lists are empty. ListAccounts
	// serves the accounts in the order of their IDs, ListAccountRoles the
	// roles in the order given, in pages (see paginate).
	Assignments map[string][]string
	// AccountNames maps account IDs to the accountName of ListAccounts
	// (default "account-ID"); EmailAddresses to its emailAddress (default
	// "aws+ID@example.com"). Names are served as given, control characters
	// included, as the service serves what an administrator typed.
	AccountNames, EmailAddresses map[string]string
	// Now is the clock for all expiry (default time.Now).
	Now func() time.Time
	// Logf, if set, receives one line per request: operation and status.
	Logf func(format string, args ...any)
}

// Fault replaces the normal handling of one call; see Server.Inject.
type Fault struct {
	// Status is the HTTP status. If zero, it follows from Type (400 for an
	// unknown one), or is 200 with RawBody.
	Status int
	// Type is the error type, sent in the x-amzn-ErrorType header.
	Type string
	// Message goes in error_description (OIDC) or message (portal).
	Message string
	// Delay is waited before answering. A fault with only a Delay delays
	// the call and then handles it normally.
	Delay time.Duration
	// RawBody, if set, is written verbatim instead of an error body.
	RawBody string
}

// Server is a fake IAM Identity Center. Its methods are safe for
// concurrent use.
type Server struct {
	// URL is the base URL of the server, like "http://127.0.0.1:1234", as
	// in httptest.Server; the URLs the server hands out start with it. New
	// sets it; after NewHandler, set it before serving (if empty, the
	// request's Host is used).
	URL string

	opts      Options
	mux       *http.ServeMux
	ts        *httptest.Server
	done      chan struct{}
	closeOnce sync.Once

	mu      sync.Mutex
	deny    bool
	counts  map[string]int
	flying  map[string]int // calls in progress, by op
	peak    map[string]int // the most calls in progress at once, by op
	faults  map[string][]Fault
	clients map[string]*client       // by client ID
	devices map[string]*device       // by device code
	codes   map[string]*authCode     // by authorization code
	access  map[string]*accessToken  // by access token
	refresh map[string]*refreshToken // by refresh token
	issued  []string                 // every secret handed out, for leak checks
	keys    map[string]roleKey       // role credentials handed out, by access key ID
	signins map[string]SigninToken   // console sign-in tokens handed out
}

// New starts a Server on a loopback port; its address is in URL.
func New(opts Options) *Server {
	s := NewHandler(opts)
	s.ts = httptest.NewUnstartedServer(s)
	s.URL = "http://" + s.ts.Listener.Addr().String()
	s.ts.Start()
	return s
}

// NewHandler returns a Server that is not listening, for serving with
// ServeHTTP on a listener of one's own.
func NewHandler(opts Options) *Server {
	opts.AccessTokenTTL = cmp.Or(opts.AccessTokenTTL, time.Hour)
	opts.RoleCredentialsTTL = cmp.Or(opts.RoleCredentialsTTL, time.Hour)
	opts.RegistrationTTL = cmp.Or(opts.RegistrationTTL, 90*24*time.Hour)
	opts.DeviceCodeTTL = cmp.Or(opts.DeviceCodeTTL, 10*time.Minute)
	opts.AuthCodeTTL = cmp.Or(opts.AuthCodeTTL, 5*time.Minute)
	opts.DeviceInterval = cmp.Or(opts.DeviceInterval, 1)
	if opts.IssueRefreshTokens == nil {
		t := true
		opts.IssueRefreshTokens = &t
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Assignments != nil {
		a := make(map[string][]string, len(opts.Assignments))
		for acct, roles := range opts.Assignments {
			a[acct] = slices.Clone(roles)
		}
		opts.Assignments = a
	}
	opts.AccountNames = maps.Clone(opts.AccountNames)
	opts.EmailAddresses = maps.Clone(opts.EmailAddresses)
	s := &Server{
		opts:    opts,
		mux:     http.NewServeMux(),
		done:    make(chan struct{}),
		deny:    opts.DenyAuthorization,
		counts:  map[string]int{},
		flying:  map[string]int{},
		peak:    map[string]int{},
		faults:  map[string][]Fault{},
		clients: map[string]*client{},
		devices: map[string]*device{},
		codes:   map[string]*authCode{},
		access:  map[string]*accessToken{},
		refresh: map[string]*refreshToken{},
		keys:    map[string]roleKey{},
		signins: map[string]SigninToken{},
	}
	s.mux.HandleFunc("POST /client/register", s.registerClient)
	s.mux.HandleFunc("POST /device_authorization", s.startDeviceAuthorization)
	s.mux.HandleFunc("POST /token", s.createToken)
	s.mux.HandleFunc("GET /authorize", s.authorize)
	s.mux.HandleFunc("POST /authorize", s.consent)
	s.mux.HandleFunc("GET /device", s.verify)
	s.mux.HandleFunc("GET /federation/credentials", s.getRoleCredentials)
	s.mux.HandleFunc("GET /assignment/accounts", s.listAccounts)
	s.mux.HandleFunc("GET /assignment/roles", s.listAccountRoles)
	s.mux.HandleFunc("POST /logout", s.logout)
	s.mux.HandleFunc("GET /federation", s.federation)
	s.mux.HandleFunc("GET /_fake/counts", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, s.Counts())
	})
	s.mux.HandleFunc("GET /_fake/secrets", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, s.Secrets())
	})
	return s
}

// Close stops the server started by New and ends pending fault delays.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		if s.ts != nil {
			s.ts.Close()
		}
	})
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &recorder{ResponseWriter: w, op: r.Method + " " + r.URL.Path}
	s.mux.ServeHTTP(rec, r)
	if rec.flying != nil {
		s.mu.Lock()
		for _, op := range rec.flying {
			s.flying[op]--
		}
		s.mu.Unlock()
	}
	if s.opts.Logf != nil {
		s.opts.Logf("ssofake: %s %d", rec.op, cmp.Or(rec.status, http.StatusOK))
	}
}

// Count returns how many calls op received, faulted ones included. The ops
// are RegisterClient, StartDeviceAuthorization, CreateToken (any grant),
// CreateToken:device_code, CreateToken:authorization_code,
// CreateToken:refresh_token, Authorize, Consent (the consent form's
// answer) and Verify (the browser pages),
// GetRoleCredentials, ListAccounts, ListAccountRoles and Logout, and the
// console federation endpoint's GetSigninToken and ConsoleLogin.
func (s *Server) Count(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[op]
}

// MaxInFlight returns the largest number of calls to op (an op name as for
// Count) that were in progress at the same time, from the moment a call
// arrived (a fault's Delay included) until it was answered.
func (s *Server) MaxInFlight(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak[op]
}

// Secrets returns every secret the server has handed out so far: client
// secrets, access and refresh tokens, role secret keys and session tokens.
// Tests look for them where they must not be (files, logs). GET
// /_fake/secrets answers the same list as a JSON array of strings.
func (s *Server) Secrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.issued)
}

// IssuedTo returns the account and role of the role credentials whose
// access key ID is key, if this server issued them. Tests check with it
// that a caller got credentials from the fake, for the right role.
func (s *Server) IssuedTo(key string) (account, role string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.keys[key]
	return k.account, k.role, ok
}

// Counts returns a copy of all counters.
func (s *Server) Counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.counts)
}

// Inject queues faults for op (an op name as for Count). Each call to op
// consumes the next fault instead of being handled normally. For
// CreateToken, faults queued for the grant's own op (such as
// CreateToken:device_code) are used before those queued for CreateToken.
func (s *Server) Inject(op string, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[op] = append(s.faults[op], faults...)
}

// RevokeAll makes every access and refresh token issued so far invalid.
func (s *Server) RevokeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.access)
	clear(s.refresh)
}

// ExpireAccessTokens makes every access token issued so far expired;
// refresh tokens stay valid.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.access {
		a.expired = true
	}
}

// SetDeny sets whether the browser pages deny the authorization.
func (s *Server) SetDeny(deny bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deny = deny
}

type roleKey struct{ account, role, secret, token string }

func (s *Server) now() time.Time { return s.opts.Now() }

func (s *Server) base(r *http.Request) string {
	if s.URL != "" {
		return s.URL
	}
	return "http://" + r.Host
}

type api int

const (
	oidcAPI api = iota
	portalAPI
	pageAPI
)

// begin counts a call to ops, the most specific last, and answers it with
// a queued fault if there is one, reporting whether it did.
func (s *Server) begin(w http.ResponseWriter, r *http.Request, a api, ops ...string) bool {
	op := ops[len(ops)-1]
	w.(*recorder).op = op // the handlers are reached through ServeHTTP only
	var f *Fault
	s.mu.Lock()
	for _, op := range ops {
		s.counts[op]++
		s.flying[op]++
		s.peak[op] = max(s.peak[op], s.flying[op])
	}
	w.(*recorder).flying = ops // ServeHTTP ends the call
	for _, op := range slices.Backward(ops) {
		if q := s.faults[op]; len(q) > 0 {
			f, s.faults[op] = &q[0], q[1:]
			break
		}
	}
	s.mu.Unlock()
	if f == nil {
		return false
	}
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return true
		case <-s.done:
			return true
		}
	}
	switch {
	case f.RawBody != "":
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(cmp.Or(f.Status, http.StatusOK))
		io.WriteString(w, f.RawBody)
	case f.Status != 0 || f.Type != "":
		writeError(w, a, f.Status, f.Type, f.Message)
	default:
		return false
	}
	return true
}

var errorTypes = map[string]struct {
	status int
	oauth  string
}{
	// SSO OIDC
	"AccessDeniedException":          {400, "access_denied"},
	"AuthorizationPendingException":  {400, "authorization_pending"},
	"ExpiredTokenException":          {400, "expired_token"},
	"InternalServerException":        {500, "server_error"},
	"InvalidClientException":         {401, "invalid_client"},
	"InvalidClientMetadataException": {400, "invalid_client_metadata"},
	"InvalidGrantException":          {400, "invalid_grant"},
	"InvalidRedirectUriException":    {400, "invalid_redirect_uri"},
	"InvalidRequestException":        {400, "invalid_request"},
	"InvalidScopeException":          {400, "invalid_scope"},
	"SlowDownException":              {400, "slow_down"},
	"UnauthorizedClientException":    {400, "unauthorized_client"},
	"UnsupportedGrantTypeException":  {400, "unsupported_grant_type"},
	// SSO portal (ForbiddenException is not in the model, but the service
	// answers it to a role that is not assigned)
	"UnauthorizedException":     {401, ""},
	"ForbiddenException":        {403, ""},
	"ResourceNotFoundException": {404, ""},
	"TooManyRequestsException":  {429, ""},
}

// writeError answers an error of type typ; status 0 means typ's own.
func writeError(w http.ResponseWriter, a api, status int, typ, msg string) {
	e := errorTypes[typ]
	status = cmp.Or(status, e.status, http.StatusBadRequest)
	if a == pageAPI {
		http.Error(w, cmp.Or(msg, typ, http.StatusText(status)), status)
		return
	}
	if typ != "" {
		w.Header().Set("x-amzn-ErrorType", typ)
	}
	var body any = map[string]string{"message": msg}
	if a == oidcAPI {
		body = struct {
			Error       string `json:"error,omitempty"`
			Description string `json:"error_description"`
		}{e.oauth, msg}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// recorder notes the operation and status of a request for Logf.
type recorder struct {
	http.ResponseWriter
	op     string
	status int
	flying []string // the ops counted in flight, until ServeHTTP returns
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}
