package credserver

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// counter is a Get that counts its calls and issues numbered credentials
// valid for ttl.
type counter struct {
	calls atomic.Int32
	ttl   time.Duration
	delay time.Duration
	err   error
}

func (c *counter) get(ctx context.Context) (*Credentials, error) {
	n := c.calls.Add(1)
	if c.delay > 0 {
		select {
		case <-time.After(c.delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if c.err != nil {
		return nil, c.err
	}
	return &Credentials{AccessKeyID: "ASIA" + string(rune('A'+n)), SecretAccessKey: "secret", SessionToken: "session", Expiration: time.Now().Add(c.ttl), AccountID: "111122223333"}, nil
}

func newTest(t *testing.T, c *counter, fresh time.Duration) (*Server, *httptest.Server) {
	t.Helper()
	tok, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Get: c.get, Token: tok, Fresh: fresh, Logf: t.Logf}
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return s, hs
}

func request(t *testing.T, method, url, host, auth string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServesCredentials(t *testing.T) {
	c := &counter{ttl: time.Hour}
	s, hs := newTest(t, c, 15*time.Minute)
	code, body := request(t, "GET", hs.URL+"/", "", s.Token)
	if code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	var got map[string]string
	dec := json.NewDecoder(strings.NewReader(body))
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	exp, err := time.Parse(time.RFC3339, got["Expiration"])
	if err != nil || time.Until(exp) < 59*time.Minute {
		t.Errorf("Expiration %q: %v", got["Expiration"], err)
	}
	if got["AccessKeyId"] != "ASIAB" || got["SecretAccessKey"] != "secret" || got["Token"] != "session" || got["AccountId"] != "111122223333" || len(got) != 5 {
		t.Errorf("answer %v", got)
	}
	// Fresh in memory: no second call.
	if code, _ := request(t, "GET", hs.URL+"/", "", s.Token); code != 200 || c.calls.Load() != 1 {
		t.Errorf("second request: %d, %d calls", code, c.calls.Load())
	}
}

func TestRefused(t *testing.T) {
	c := &counter{ttl: time.Hour}
	s, hs := newTest(t, c, 15*time.Minute)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(hs.URL, "http://"))
	for _, tc := range []struct {
		name, method, path, host, auth string
		want                           int
	}{
		{"no token", "GET", "/", "", "", 401},
		{"wrong token", "GET", "/", "", s.Token[:len(s.Token)-1] + "x", 403},
		{"token prefix", "GET", "/", "", s.Token[:10], 403},
		{"bearer token", "GET", "/", "", "Bearer " + s.Token, 403},
		{"other path", "GET", "/latest/meta-data/", "", s.Token, 404},
		{"POST", "POST", "/", "", s.Token, 405},
		{"rebinding Host", "GET", "/", "evil.example:" + port, s.Token, 403},
		{"other Host", "GET", "/", "192.168.1.10:" + port, s.Token, 403},
		{"localhost is fine", "GET", "/", "localhost:" + port, s.Token, 200},
		{"::1 is fine", "GET", "/", "[::1]:" + port, s.Token, 200},
	} {
		code, body := request(t, tc.method, hs.URL+tc.path, tc.host, tc.auth)
		if code != tc.want {
			t.Errorf("%s: status %d, want %d: %s", tc.name, code, tc.want, body)
		}
		if code != 200 && (strings.Contains(body, "secret") || strings.Contains(body, "session")) {
			t.Errorf("%s: refused answer holds credentials: %s", tc.name, body)
		}
	}
	if c.calls.Load() != 1 {
		t.Errorf("%d calls of Get, want 1 (for the accepted requests only)", c.calls.Load())
	}
}

// A hundred requests at once, nothing in memory: one call of Get.
func TestConcurrentRequestsShareOneCall(t *testing.T) {
	c := &counter{ttl: time.Hour, delay: 200 * time.Millisecond}
	s, hs := newTest(t, c, 15*time.Minute)
	var wg sync.WaitGroup
	var bad atomic.Int32
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if code, _ := request(t, "GET", hs.URL+"/", "", s.Token); code != 200 {
				bad.Add(1)
			}
		}()
	}
	wg.Wait()
	if bad.Load() != 0 || c.calls.Load() != 1 {
		t.Errorf("%d requests failed; %d calls of Get, want 1", bad.Load(), c.calls.Load())
	}
}

// Credentials with no more than Fresh left are renewed on the next request.
func TestRenewsNearExpiry(t *testing.T) {
	c := &counter{ttl: 20 * time.Minute}
	now := time.Now()
	s, hs := newTest(t, c, 15*time.Minute)
	s.Now = func() time.Time { return now }
	first, second := answer(t, hs, s), answer(t, hs, s)
	if first != second || c.calls.Load() != 1 {
		t.Fatalf("fresh credentials renewed: %d calls", c.calls.Load())
	}
	now = now.Add(5*time.Minute + time.Second)
	if third := answer(t, hs, s); third == first || c.calls.Load() != 2 {
		t.Errorf("credentials with less than 15m left were not renewed: %d calls", c.calls.Load())
	}
}

func answer(t *testing.T, hs *httptest.Server, s *Server) string {
	t.Helper()
	code, b := request(t, "GET", hs.URL+"/", "", s.Token)
	if code != 200 {
		t.Fatalf("status %d: %s", code, b)
	}
	return b
}

func TestGetFails(t *testing.T) {
	c := &counter{ttl: time.Hour, err: errors.New("token expired")}
	s, hs := newTest(t, c, 15*time.Minute)
	code, b := request(t, "GET", hs.URL+"/", "", s.Token)
	if code != 500 || !strings.Contains(b, "CredentialsUnavailable") {
		t.Errorf("status %d: %s", code, b)
	}
	// The failure is not remembered: the next request tries again.
	request(t, "GET", hs.URL+"/", "", s.Token)
	if c.calls.Load() != 2 {
		t.Errorf("%d calls, want 2", c.calls.Load())
	}
}

func TestNewToken(t *testing.T) {
	a, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewToken()
	raw, err := base64.RawURLEncoding.DecodeString(a)
	if err != nil || len(raw) != 32 || a == b {
		t.Errorf("tokens %q, %q: %d bytes, %v", a, b, len(raw), err)
	}
}

func TestListenLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.168.1.10:0", "example.com:0", "[::]:0", "127.0.0.1", "127.0.0.1:x"} {
		if ln, err := Listen(addr); err == nil {
			ln.Close()
			t.Errorf("Listen(%q) succeeded", addr)
		}
	}
	for _, addr := range []string{"127.0.0.1:0", "localhost:0"} {
		ln, err := Listen(addr)
		if err != nil {
			t.Errorf("Listen(%q): %v", addr, err)
			continue
		}
		if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
			t.Errorf("Listen(%q) listens on %s", addr, ip)
		}
		ln.Close()
	}
}

// Serve stops when its context ends, with no error.
func TestServeStops(t *testing.T) {
	c := &counter{ttl: time.Hour}
	tok, _ := NewToken()
	s := &Server{Get: c.get, Token: tok, Fresh: time.Minute}
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	if code, b := request(t, "GET", URL(ln), "", tok); code != 200 {
		t.Fatalf("status %d: %s", code, b)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not stop within 10s")
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("still listening after Serve returned")
	}
}

// An absolute-form request URI cannot stand in for a Host header.
func TestRefusesAbsoluteForm(t *testing.T) {
	c := &counter{ttl: time.Hour}
	s, hs := newTest(t, c, 15*time.Minute)
	conn, err := net.Dial("tcp", strings.TrimPrefix(hs.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "GET %s/ HTTP/1.1\r\nHost: evil.example\r\nAuthorization: %s\r\nConnection: close\r\n\r\n", hs.URL, s.Token)
	b, _ := io.ReadAll(conn)
	if !strings.HasPrefix(string(b), "HTTP/1.1 403") || c.calls.Load() != 0 {
		t.Errorf("answer %q, %d calls", strings.SplitN(string(b), "\r\n", 2)[0], c.calls.Load())
	}
}
