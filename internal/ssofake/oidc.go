package ssofake

import (
	"cmp"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

const (
	grantDeviceCode   = "urn:ietf:params:oauth:grant-type:device_code"
	grantAuthCode     = "authorization_code"
	grantRefreshToken = "refresh_token"
)

// grantOps names the CreateToken operation of each grant type.
var grantOps = map[string]string{
	grantDeviceCode:   "CreateToken:device_code",
	grantAuthCode:     "CreateToken:authorization_code",
	grantRefreshToken: "CreateToken:refresh_token",
}

type client struct {
	name         string
	secret       string
	grantTypes   []string
	redirectURIs []string
	scopes       []string
	issuerURL    string
	expires      time.Time
}

// allows reports whether c may use grant. Clients registered without grant
// types (the legacy way) may use the device code grant only.
func (c *client) allows(grant string) bool {
	if len(c.grantTypes) == 0 {
		return grant == grantDeviceCode
	}
	return slices.Contains(c.grantTypes, grant)
}

type device struct {
	clientID string
	userCode string
	expires  time.Time
	interval time.Duration
	lastPoll time.Time
	approved bool
	denied   bool
}

type authCode struct {
	clientID    string
	redirectURI string
	challenge   string
	expires     time.Time
}

type accessToken struct {
	session string // the sign-in it comes from (through refreshes); Logout ends it
	refresh string // the refresh token issued with it, if any
	expires time.Time
	expired bool
}

type refreshToken struct {
	clientID string
	session  string
}

type oidcError struct{ typ, msg string }

func (e *oidcError) Error() string { return e.typ + ": " + e.msg }

func errorf(typ, format string, args ...any) *oidcError {
	return &oidcError{typ, fmt.Sprintf(format, args...)}
}

// decode reads the JSON body of r into v.
func decode(r *http.Request, v any) *oidcError {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		return errorf("InvalidRequestException", "malformed request body")
	}
	return nil
}

// clientLocked returns the registered client id if secret matches and the
// registration has not expired.
func (s *Server) clientLocked(id, secret string) (*client, *oidcError) {
	c := s.clients[id]
	if c == nil || subtle.ConstantTimeCompare([]byte(c.secret), []byte(secret)) != 1 {
		return nil, errorf("InvalidClientException", "Invalid client")
	}
	if !s.now().Before(c.expires) {
		return nil, errorf("InvalidClientException", "Client registration has expired")
	}
	return c, nil
}

func (s *Server) registerClient(w http.ResponseWriter, r *http.Request) {
	if s.begin(w, r, oidcAPI, "RegisterClient") {
		return
	}
	var in struct {
		ClientName   string   `json:"clientName"`
		ClientType   string   `json:"clientType"`
		Scopes       []string `json:"scopes"`
		GrantTypes   []string `json:"grantTypes"`
		RedirectURIs []string `json:"redirectUris"`
		IssuerURL    string   `json:"issuerUrl"`
	}
	if err := decode(r, &in); err != nil {
		writeError(w, oidcAPI, 0, err.typ, err.msg)
		return
	}
	if err := checkRegistration(in.ClientName, in.ClientType, in.GrantTypes, in.RedirectURIs); err != nil {
		writeError(w, oidcAPI, 0, err.typ, err.msg)
		return
	}
	now := s.now()
	c := &client{
		name:         in.ClientName,
		secret:       newToken("aoas"),
		grantTypes:   in.GrantTypes,
		redirectURIs: in.RedirectURIs,
		scopes:       in.Scopes,
		issuerURL:    in.IssuerURL,
		expires:      now.Add(s.opts.RegistrationTTL).Truncate(time.Second),
	}
	id := newToken("client-")
	s.mu.Lock()
	s.clients[id] = c
	s.issued = append(s.issued, c.secret)
	s.mu.Unlock()

	out := struct {
		ClientID              string `json:"clientId"`
		ClientSecret          string `json:"clientSecret"`
		ClientIDIssuedAt      int64  `json:"clientIdIssuedAt"`
		ClientSecretExpiresAt int64  `json:"clientSecretExpiresAt"`
		AuthorizationEndpoint string `json:"authorizationEndpoint,omitempty"`
		TokenEndpoint         string `json:"tokenEndpoint,omitempty"`
	}{id, c.secret, now.Unix(), c.expires.Unix(), "", ""}
	if c.allows(grantAuthCode) {
		out.AuthorizationEndpoint = s.base(r) + "/authorize"
		out.TokenEndpoint = s.base(r) + "/token"
	}
	writeJSON(w, out)
}

func checkRegistration(name, typ string, grants, redirects []string) *oidcError {
	switch {
	case name == "" || typ == "":
		return errorf("InvalidRequestException", "clientName and clientType are required")
	case typ != "public":
		return errorf("InvalidClientMetadataException", "clientType must be public")
	}
	for _, g := range grants {
		if grantOps[g] == "" {
			return errorf("InvalidClientMetadataException", "unsupported grant type %q", g)
		}
	}
	if slices.Contains(grants, grantAuthCode) && len(redirects) == 0 {
		return errorf("InvalidRedirectUriException", "redirectUris are required for authorization_code")
	}
	for _, u := range redirects {
		if _, err := loopbackURL(u); err != nil {
			return errorf("InvalidRedirectUriException", "%v", err)
		}
	}
	return nil
}

// loopbackURL parses an http URL on a loopback host.
func loopbackURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.User != nil || u.Fragment != "" {
		return nil, fmt.Errorf("redirect URI %q is not a loopback http URL", raw)
	}
	h := u.Hostname()
	if ip := net.ParseIP(h); (ip == nil || !ip.IsLoopback()) && h != "localhost" {
		return nil, fmt.Errorf("redirect URI %q is not a loopback http URL", raw)
	}
	return u, nil
}

// redirectMatches reports whether redirect matches a registered URI; a
// registered URI without a port matches any port (RFC 8252, section 7.3).
func (c *client) redirectMatches(redirect string) bool {
	u, err := loopbackURL(redirect)
	if err != nil {
		return false
	}
	for _, raw := range c.redirectURIs {
		reg, err := url.Parse(raw)
		if err == nil && reg.Hostname() == u.Hostname() && reg.Path == u.Path &&
			reg.RawQuery == u.RawQuery && (reg.Port() == "" || reg.Port() == u.Port()) {
			return true
		}
	}
	return false
}

func (s *Server) startDeviceAuthorization(w http.ResponseWriter, r *http.Request) {
	if s.begin(w, r, oidcAPI, "StartDeviceAuthorization") {
		return
	}
	var in struct {
		ClientID     string `json:"clientId"`
		ClientSecret string `json:"clientSecret"`
		StartURL     string `json:"startUrl"`
	}
	if err := decode(r, &in); err != nil {
		writeError(w, oidcAPI, 0, err.typ, err.msg)
		return
	}
	interval := s.opts.DeviceInterval
	s.mu.Lock()
	d, code, err := s.newDeviceLocked(in.ClientID, in.ClientSecret, in.StartURL)
	s.mu.Unlock()
	if err != nil {
		writeError(w, oidcAPI, 0, err.typ, err.msg)
		return
	}
	out := struct {
		DeviceCode              string `json:"deviceCode"`
		UserCode                string `json:"userCode"`
		VerificationURI         string `json:"verificationUri"`
		VerificationURIComplete string `json:"verificationUriComplete"`
		ExpiresIn               int    `json:"expiresIn"`
		Interval                int    `json:"interval,omitempty"`
	}{
		DeviceCode:              code,
		UserCode:                d.userCode,
		VerificationURI:         s.base(r) + "/device",
		VerificationURIComplete: s.base(r) + "/device?user_code=" + d.userCode,
		ExpiresIn:               int(s.opts.DeviceCodeTTL / time.Second),
		Interval:                max(interval, 0),
	}
	writeJSON(w, out)
}

func (s *Server) newDeviceLocked(id, secret, startURL string) (*device, string, *oidcError) {
	c, err := s.clientLocked(id, secret)
	if err != nil {
		return nil, "", err
	}
	if !c.allows(grantDeviceCode) {
		return nil, "", errorf("UnauthorizedClientException", "client is not registered for the device code grant")
	}
	if startURL == "" {
		return nil, "", errorf("InvalidRequestException", "startUrl is required")
	}
	interval := 5 * time.Second
	if s.opts.DeviceInterval >= 0 {
		interval = time.Duration(s.opts.DeviceInterval) * time.Second
	}
	d := &device{
		clientID: id,
		userCode: s.newUserCodeLocked(),
		expires:  s.now().Add(s.opts.DeviceCodeTTL),
		interval: interval,
	}
	code := newToken("")
	s.devices[code] = d
	return d, code, nil
}

// newUserCodeLocked returns an unused code such as "BCDF-GHJK".
func (s *Server) newUserCodeLocked() string {
	const letters = "BCDFGHJKLMNPQRSTVWXZ"
	for {
		b := []byte("XXXX-XXXX")
		for i := range b {
			if b[i] != '-' {
				b[i] = letters[mrand.IntN(len(letters))]
			}
		}
		taken := false
		for _, d := range s.devices {
			taken = taken || d.userCode == string(b)
		}
		if !taken {
			return string(b)
		}
	}
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ClientID     string `json:"clientId"`
		ClientSecret string `json:"clientSecret"`
		GrantType    string `json:"grantType"`
		DeviceCode   string `json:"deviceCode"`
		Code         string `json:"code"`
		CodeVerifier string `json:"codeVerifier"`
		RedirectURI  string `json:"redirectUri"`
		RefreshToken string `json:"refreshToken"`
	}
	derr := decode(r, &in)
	ops := []string{"CreateToken"}
	if op := grantOps[in.GrantType]; op != "" {
		ops = append(ops, op)
	}
	if s.begin(w, r, oidcAPI, ops...) {
		return
	}
	if derr != nil {
		writeError(w, oidcAPI, 0, derr.typ, derr.msg)
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.clientLocked(in.ClientID, in.ClientSecret)
	if err == nil {
		switch {
		case grantOps[in.GrantType] == "":
			err = errorf("UnsupportedGrantTypeException", "unsupported grant type %q", in.GrantType)
		case !c.allows(in.GrantType):
			err = errorf("UnauthorizedClientException", "client is not registered for the %s grant", in.GrantType)
		case in.GrantType == grantDeviceCode:
			err = s.redeemDeviceCodeLocked(in.ClientID, in.DeviceCode)
		case in.GrantType == grantAuthCode:
			err = s.redeemAuthCodeLocked(in.ClientID, in.Code, in.RedirectURI, in.CodeVerifier)
		case in.GrantType == grantRefreshToken:
			err = s.redeemRefreshTokenLocked(in.ClientID, in.RefreshToken)
		}
	}
	if err != nil {
		writeError(w, oidcAPI, 0, err.typ, err.msg)
		return
	}

	session := newToken("session")
	if in.GrantType == grantRefreshToken {
		session = s.refresh[in.RefreshToken].session
	}
	var refresh string
	switch {
	case in.GrantType == grantRefreshToken && !s.opts.RotateRefreshTokens:
		refresh = in.RefreshToken
	case *s.opts.IssueRefreshTokens && c.allows(grantRefreshToken):
		if in.GrantType == grantRefreshToken {
			delete(s.refresh, in.RefreshToken)
		}
		refresh = newToken("aor")
		s.refresh[refresh] = &refreshToken{clientID: in.ClientID, session: session}
	}
	token := newToken("aoa")
	s.issued = append(s.issued, token)
	if refresh != "" {
		s.issued = append(s.issued, refresh)
	}
	s.access[token] = &accessToken{session: session, refresh: refresh, expires: s.now().Add(s.opts.AccessTokenTTL)}
	writeJSON(w, struct {
		AccessToken  string `json:"accessToken"`
		TokenType    string `json:"tokenType"`
		ExpiresIn    int    `json:"expiresIn"`
		RefreshToken string `json:"refreshToken,omitempty"`
	}{token, "Bearer", int(s.opts.AccessTokenTTL / time.Second), refresh})
}

func (s *Server) redeemDeviceCodeLocked(clientID, code string) *oidcError {
	d := s.devices[code]
	if d == nil || d.clientID != clientID {
		return errorf("InvalidGrantException", "Invalid device code provided")
	}
	now := s.now()
	if !now.Before(d.expires) {
		return errorf("ExpiredTokenException", "Device code has expired")
	}
	last := d.lastPoll
	d.lastPoll = now
	if s.opts.EnforceInterval && !last.IsZero() && now.Sub(last) < d.interval {
		d.interval += 5 * time.Second
		return errorf("SlowDownException", "Client is polling too fast")
	}
	switch {
	case d.denied:
		return errorf("AccessDeniedException", "Authorization was denied")
	case !d.approved:
		return errorf("AuthorizationPendingException", "Authorization is still pending")
	}
	delete(s.devices, code)
	return nil
}

func (s *Server) redeemAuthCodeLocked(clientID, code, redirectURI, verifier string) *oidcError {
	ac := s.codes[code]
	delete(s.codes, code) // a code is good for one attempt
	switch {
	case ac == nil || ac.clientID != clientID:
		return errorf("InvalidGrantException", "Invalid authorization code provided")
	case !s.now().Before(ac.expires):
		return errorf("InvalidGrantException", "Authorization code has expired")
	case redirectURI != ac.redirectURI:
		return errorf("InvalidGrantException", "redirectUri does not match the authorization request")
	case !verifierMatches(verifier, ac.challenge):
		return errorf("InvalidGrantException", "codeVerifier does not match the code challenge")
	}
	return nil
}

// verifierMatches checks a PKCE S256 code verifier (RFC 7636).
func verifierMatches(verifier, challenge string) bool {
	if len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:]) == challenge
}

func (s *Server) redeemRefreshTokenLocked(clientID, token string) *oidcError {
	if rt := s.refresh[token]; rt == nil || rt.clientID != clientID {
		return errorf("InvalidGrantException", "Invalid refresh token provided")
	}
	return nil
}

// authorize is the browser page of the authorization code grant. A browser
// (a request that accepts text/html) gets a consent page whose form posts
// the user's choice, Allow or Deny, back to /authorize (see consent). Other
// clients, such as tests that GET the URL with a plain HTTP client, are
// answered at once, as if the user had clicked Allow.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	if s.begin(w, r, pageAPI, "Authorize") {
		return
	}
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	c, problem := s.checkAuthorizeLocked(q)
	switch {
	case problem != "":
		page(w, http.StatusBadRequest, "Invalid request", problem)
	case acceptsHTML(r):
		consentPage(w, c, q)
	default:
		s.redirectLocked(w, r, q, s.deny)
	}
}

// consent takes the consent page's form: decision=allow or decision=deny,
// with the authorization request's parameters.
func (s *Server) consent(w http.ResponseWriter, r *http.Request) {
	if s.begin(w, r, pageAPI, "Consent") {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		page(w, http.StatusBadRequest, "Invalid request", "malformed form")
		return
	}
	q := r.PostForm
	s.mu.Lock()
	defer s.mu.Unlock()
	_, problem := s.checkAuthorizeLocked(q)
	decision := q.Get("decision")
	if problem == "" && decision != "allow" && decision != "deny" {
		problem = "decision must be allow or deny"
	}
	if problem != "" {
		page(w, http.StatusBadRequest, "Invalid request", problem)
		return
	}
	s.redirectLocked(w, r, q, s.deny || decision == "deny")
}

// checkAuthorizeLocked checks the parameters of an authorization request
// and returns the client, or a problem to show.
func (s *Server) checkAuthorizeLocked(q url.Values) (*client, string) {
	c := s.clients[q.Get("client_id")]
	switch {
	case q.Get("response_type") != "code":
		return nil, "response_type must be code"
	case c == nil || !s.now().Before(c.expires):
		return nil, "unknown client"
	case !c.allows(grantAuthCode):
		return nil, "client is not registered for the authorization_code grant"
	case !c.redirectMatches(q.Get("redirect_uri")):
		return nil, "redirect_uri does not match a registered redirect URI"
	case q.Get("code_challenge_method") != "S256":
		return nil, "code_challenge_method must be S256"
	case !validChallenge(q.Get("code_challenge")):
		return nil, "code_challenge must be a base64url SHA-256 digest"
	}
	return c, ""
}

// redirectLocked sends the browser back to the client's loopback redirect
// URI with an authorization code, or with error=access_denied.
func (s *Server) redirectLocked(w http.ResponseWriter, r *http.Request, q url.Values, deny bool) {
	redirect := q.Get("redirect_uri")
	u, _ := url.Parse(redirect)
	v := u.Query()
	if deny {
		v.Set("error", "access_denied")
		v.Set("error_description", "The user denied the request")
	} else {
		code := newToken("")
		s.codes[code] = &authCode{
			clientID:    q.Get("client_id"),
			redirectURI: redirect,
			challenge:   q.Get("code_challenge"),
			expires:     s.now().Add(s.opts.AuthCodeTTL),
		}
		v.Set("code", code)
	}
	if q.Has("state") {
		v.Set("state", q.Get("state"))
	}
	u.RawQuery = v.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// acceptsHTML reports whether r comes from a browser: one that asks for
// text/html.
func acceptsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// authorizeParams are the request parameters the consent form carries.
var authorizeParams = []string{"response_type", "client_id", "redirect_uri", "state", "code_challenge_method", "code_challenge", "scopes"}

// consentPage asks the user to allow or deny client c, as the real
// service's page does after sign-in. The form posts back to /authorize.
func consentPage(w http.ResponseWriter, c *client, q url.Values) {
	var b strings.Builder
	fmt.Fprintf(&b, "<p>Allow <strong id=\"client\">%s</strong> to access your AWS accounts and roles?</p>\n",
		html.EscapeString(cmp.Or(c.name, "an application")))
	b.WriteString(`<form method="post" action="/authorize">` + "\n")
	for _, k := range authorizeParams {
		if q.Has(k) {
			fmt.Fprintf(&b, "<input type=\"hidden\" name=\"%s\" value=\"%s\">\n", k, html.EscapeString(q.Get(k)))
		}
	}
	b.WriteString(`<button type="submit" id="allow" name="decision" value="allow">Allow</button>` + "\n")
	b.WriteString(`<button type="submit" id="deny" name="decision" value="deny">Deny</button>` + "\n")
	b.WriteString("</form>")
	w.Header().Set("Cache-Control", "no-store")
	page(w, http.StatusOK, "Allow access", b.String())
}

func validChallenge(c string) bool {
	b, err := base64.RawURLEncoding.DecodeString(c)
	return err == nil && len(b) == sha256.Size
}

// verify is the device verification page; with a user_code it approves
// (or denies) that device code.
func (s *Server) verify(w http.ResponseWriter, r *http.Request) {
	if s.begin(w, r, pageAPI, "Verify") {
		return
	}
	userCode := strings.ToUpper(r.URL.Query().Get("user_code"))
	if userCode == "" {
		page(w, http.StatusOK, "Authorize request",
			`<form method="get"><input name="user_code"><button>Next</button></form>`)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.devices {
		if d.userCode != userCode {
			continue
		}
		if !s.now().Before(d.expires) {
			break
		}
		if s.deny {
			d.denied = true
			page(w, http.StatusOK, "Request denied", "You denied the request.")
			return
		}
		d.approved = true
		page(w, http.StatusOK, "Request approved", "You may close this window.")
		return
	}
	page(w, http.StatusBadRequest, "Invalid request", "unknown or expired code "+userCode)
}

// page writes a small HTML page; body is HTML unless the status is an error.
func page(w http.ResponseWriter, status int, title, body string) {
	if status >= 400 {
		body = html.EscapeString(body)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html>\n<title>%s</title>\n<h1>%[1]s</h1>\n<div>%s</div>\n", title, body)
}

// newToken returns prefix followed by 256 random bits.
func newToken(prefix string) string {
	return prefix + rand.Text() + rand.Text()
}
