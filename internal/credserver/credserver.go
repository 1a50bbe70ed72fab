// Package credserver serves role credentials on loopback in the format of
// the container credential provider, which the AWS SDKs and CLIs poll when
// AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN
// are set: GET / with the header "Authorization: TOKEN" answers JSON
// {AccessKeyId, SecretAccessKey, Token, Expiration (RFC 3339), AccountId}.
//
// It is used by the exec --server and serve commands, which run in
// sso-credproc-renew only: sso-credproc's warm path must not link the HTTP
// stack (cmd/sso-credproc/deps_test.go).
package credserver

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Credentials are role credentials.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
	AccountID       string
}

// Timeouts of the HTTP server. A request waits at most RequestWait for
// credentials that are being renewed (a sign-in may take minutes: the
// renewal goes on, and a later request gets its result).
const (
	RequestWait       = 30 * time.Second
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = RequestWait + 10*time.Second
	idleTimeout       = time.Minute
	shutdownTimeout   = 5 * time.Second
)

// Server answers credential requests. Set Get and Token; the rest is
// optional. It is safe for concurrent use.
type Server struct {
	// Get returns role credentials (from the keychain or IAM Identity
	// Center). It is called by one request at a time; concurrent requests
	// wait for the same call.
	Get func(ctx context.Context) (*Credentials, error)
	// Token is what the Authorization header must hold.
	Token string
	// Fresh: credentials held in memory are served while more than this
	// remains of them; after that Get is called again.
	Fresh time.Duration
	// Now is the clock (tests); nil is time.Now.
	Now func() time.Time
	// Logf, when not nil, logs refused requests and failed renewals (never
	// a secret).
	Logf func(format string, args ...any)

	mu     sync.Mutex
	cur    *Credentials
	flight *flight
	base   context.Context // ends renewals when the server stops; nil: none
}

// flight is one call of Get that requests wait for.
type flight struct {
	done chan struct{}
	cr   *Credentials
	err  error
}

// NewToken returns a random token: 32 bytes from crypto/rand, base64url
// without padding.
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make a token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Listen listens on addr (host:port), which must be a loopback address
// ("localhost" is 127.0.0.1); port 0 picks a free port.
func Listen(addr string) (net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("address %q: %w", addr, err)
	}
	if host == "localhost" {
		host = "127.0.0.1"
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("address %q is not a loopback address: the endpoint hands out credentials and must not be reachable from other machines", addr)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return nil, fmt.Errorf("address %q: port %q is not a number from 0 to 65535", addr, port)
	}
	return net.Listen("tcp", net.JoinHostPort(host, port))
}

// URL is the endpoint's address for AWS_CONTAINER_CREDENTIALS_FULL_URI.
func URL(ln net.Listener) string { return "http://" + ln.Addr().String() + "/" }

// Serve serves requests on ln until ctx ends, then stops: it ends any
// renewal, waits up to five seconds for requests under way, then closes
// every connection. The error is
// nil after a clean stop.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	base, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	s.mu.Lock()
	s.base = base
	s.mu.Unlock()
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    16 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, scancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer scancel()
	cancel() // renewals under way end; their requests get an error
	err := hs.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		// Requests still under way, or connections opened that never
		// sent one (Shutdown leaves those for 5 s): cut them.
		err = hs.Close()
	}
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// ServeHTTP answers GET / from a loopback Host with the right token.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// An absolute-form request URI would stand in for the Host header.
	if r.URL.IsAbs() || !loopbackHost(r.Host) {
		// A page in a browser could reach this port through a name that
		// resolves to 127.0.0.1 (DNS rebinding); its Host is that name.
		s.refuse(w, r, http.StatusForbidden, "Host must be a loopback address")
		return
	}
	if r.URL.Path != "/" {
		s.refuse(w, r, http.StatusNotFound, "not found; credentials are at /")
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		s.refuse(w, r, http.StatusMethodNotAllowed, "only GET")
		return
	}
	auth, ok := r.Header["Authorization"]
	if !ok || len(auth) != 1 || auth[0] == "" {
		s.refuse(w, r, http.StatusUnauthorized, "missing Authorization header (AWS_CONTAINER_AUTHORIZATION_TOKEN)")
		return
	}
	if s.Token == "" || subtle.ConstantTimeCompare([]byte(auth[0]), []byte(s.Token)) != 1 {
		s.refuse(w, r, http.StatusForbidden, "wrong authorization token")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), RequestWait)
	defer cancel()
	cr, err := s.Credentials(ctx)
	if err != nil {
		s.logf("request for credentials failed: %v", err)
		status := http.StatusInternalServerError
		if ctx.Err() != nil {
			status = http.StatusServiceUnavailable
		}
		writeJSON(w, status, errorBody{Code: "CredentialsUnavailable", Message: "sso-credproc could not get credentials; see its stderr"})
		return
	}
	writeJSON(w, http.StatusOK, body{
		AccessKeyID:     cr.AccessKeyID,
		SecretAccessKey: cr.SecretAccessKey,
		Token:           cr.SessionToken,
		Expiration:      cr.Expiration.UTC().Format(time.RFC3339),
		AccountID:       cr.AccountID,
	})
}

// Credentials returns the credentials held in memory while they are
// fresh, else those of a call of Get, which concurrent callers share. The
// call goes on when ctx ends (a later request gets its result), until the
// server stops.
func (s *Server) Credentials(ctx context.Context) (*Credentials, error) {
	s.mu.Lock()
	if s.cur != nil && s.cur.Expiration.Sub(s.now()) > s.Fresh {
		cr := s.cur
		s.mu.Unlock()
		return cr, nil
	}
	f := s.flight
	if f == nil {
		f = &flight{done: make(chan struct{})}
		s.flight = f
		base := s.base
		if base == nil {
			base = context.Background()
		}
		go s.renew(base, f)
	}
	s.mu.Unlock()
	select {
	case <-f.done:
		return f.cr, f.err
	case <-ctx.Done():
		return nil, fmt.Errorf("credentials are still being renewed: %w", ctx.Err())
	}
}

// Hold makes cr the credentials held in memory (those the caller got
// before starting the server).
func (s *Server) Hold(cr *Credentials) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cur = cr
}

func (s *Server) renew(ctx context.Context, f *flight) {
	cr, err := s.Get(ctx)
	if err == nil && cr == nil {
		err = errors.New("no credentials")
	}
	s.mu.Lock()
	if err == nil {
		s.cur = cr
	}
	f.cr, f.err = cr, err
	s.flight = nil
	s.mu.Unlock()
	close(f.done)
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Server) logf(format string, args ...any) {
	if s.Logf != nil {
		s.Logf(format, args...)
	}
}

// refuse answers an error without credentials and logs it.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, status int, msg string) {
	s.logf("refused %s %q from %s: %d %s", r.Method, r.URL.Path, r.RemoteAddr, status, msg)
	writeJSON(w, status, errorBody{Code: http.StatusText(status), Message: msg})
}

// loopbackHost reports whether a Host header names this machine's
// loopback: localhost or a loopback IP, with or without a port.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	} else if len(host) > 2 && host[0] == '[' && host[len(host)-1] == ']' {
		host = host[1 : len(host)-1]
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// body is the container credential provider's answer.
type body struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	Token           string `json:"Token"`
	Expiration      string `json:"Expiration"`
	AccountID       string `json:"AccountId,omitempty"`
}

// errorBody is an error answer as the ECS endpoint gives it (the Go SDK
// shows code and message).
type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
