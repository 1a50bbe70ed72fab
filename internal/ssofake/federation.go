package ssofake

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// signinTokenTTL is how long a sign-in token is good for (IAM User Guide,
// "Enable custom identity broker access to the AWS console": 15 minutes).
const signinTokenTTL = 15 * time.Minute

// SigninToken is what the federation endpoint recorded about a console
// sign-in token it handed out.
type SigninToken struct {
	Account, Role string
	// SessionDuration is the SessionDuration asked for, in seconds; 0 if
	// none was.
	SessionDuration int
	// Destination is the console URL of the last Action=login with this
	// token; "" until then.
	Destination string
	expires     time.Time
}

// Signin returns what the server recorded about the console sign-in token
// tok, and whether it handed it out.
func (s *Server) Signin(tok string) (SigninToken, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.signins[tok]
	return t, ok
}

// federation serves GET /federation, the AWS Sign-In federation endpoint:
// Action=getSigninToken (op GetSigninToken) takes a Session JSON of role
// credentials this server issued and an optional SessionDuration (900 to
// 43200) and answers {"SigninToken": "…"}; Action=login (op ConsoleLogin)
// with a live SigninToken redirects to the Destination, an absolute https
// URL. Anything else is HTTP 400 with a plain text body.
func (s *Server) federation(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch q.Get("Action") {
	case "getSigninToken":
		s.getSigninToken(w, r, q)
	case "login":
		s.consoleLogin(w, r, q)
	default:
		http.Error(w, "unknown Action", http.StatusBadRequest)
	}
}

func (s *Server) getSigninToken(w http.ResponseWriter, r *http.Request, q url.Values) {
	if s.begin(w, r, pageAPI, "GetSigninToken") {
		return
	}
	var sess struct {
		ID    string `json:"sessionId"`
		Key   string `json:"sessionKey"`
		Token string `json:"sessionToken"`
	}
	dec := json.NewDecoder(strings.NewReader(q.Get("Session")))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sess); err != nil || dec.More() {
		http.Error(w, "malformed Session", http.StatusBadRequest)
		return
	}
	duration := 0
	if v, ok := q["SessionDuration"]; ok {
		d, err := strconv.Atoi(v[0])
		if err != nil || d < 900 || d > 43200 {
			http.Error(w, "SessionDuration must be 900 to 43200", http.StatusBadRequest)
			return
		}
		duration = d
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.keys[sess.ID]
	if !ok || k.secret != sess.Key || k.token != sess.Token {
		http.Error(w, "invalid credentials", http.StatusBadRequest)
		return
	}
	tok := randomBase64(200)
	s.signins[tok] = SigninToken{Account: k.account, Role: k.role, SessionDuration: duration, expires: s.now().Add(signinTokenTTL)}
	s.issued = append(s.issued, tok)
	writeJSON(w, struct {
		SigninToken string `json:"SigninToken"`
	}{tok})
}

func (s *Server) consoleLogin(w http.ResponseWriter, r *http.Request, q url.Values) {
	if s.begin(w, r, pageAPI, "ConsoleLogin") {
		return
	}
	dest, err := url.Parse(q.Get("Destination"))
	if err != nil || dest.Scheme != "https" || dest.Host == "" || q.Get("Issuer") == "" {
		http.Error(w, "Destination must be an absolute https URL, and Issuer is required", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.signins[q.Get("SigninToken")]
	if !ok || !s.now().Before(t.expires) {
		http.Error(w, "invalid or expired SigninToken", http.StatusBadRequest)
		return
	}
	t.Destination = dest.String()
	s.signins[q.Get("SigninToken")] = t
	http.Redirect(w, r, dest.String(), http.StatusFound)
}
