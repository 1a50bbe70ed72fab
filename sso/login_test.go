package sso

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestS256Vector(t *testing.T) {
	// RFC 7636 appendix B.
	if got := S256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"); got != "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" {
		t.Fatalf("S256 = %q", got)
	}
}

func TestNewVerifier(t *testing.T) {
	re := regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)
	seen := map[string]bool{}
	for range 50 {
		v, err := NewVerifier()
		if err != nil {
			t.Fatal(err)
		}
		if !re.MatchString(v.Verifier) {
			t.Fatalf("verifier %q is not 43-128 unreserved characters", v.Verifier)
		}
		if v.Challenge != S256(v.Verifier) || strings.ContainsAny(v.Challenge, "=+/") {
			t.Fatalf("challenge %q is not base64url(sha256) without padding", v.Challenge)
		}
		if seen[v.Verifier] {
			t.Fatal("verifier repeated")
		}
		seen[v.Verifier] = true
	}
}

// fakeTimer records the intervals the poller waits and fires at once.
type fakeTimer struct{ waits []time.Duration }

func (f *fakeTimer) after(d time.Duration) <-chan time.Time {
	f.waits = append(f.waits, d)
	c := make(chan time.Time, 1)
	c <- time.Time{}
	return c
}

func TestPollDevice(t *testing.T) {
	pending := &Error{Code: "AuthorizationPendingException"}
	slow := &Error{Code: "SlowDownException"}
	expired := &Error{Code: "ExpiredTokenException"}
	denied := &Error{Code: "AccessDeniedException"}
	other := &Error{Code: "InternalServerException"}
	tests := []struct {
		name     string
		interval time.Duration
		answers  []error
		waits    []time.Duration
		errPart  string
	}{
		{"at once", 2 * time.Second, []error{nil}, nil, ""},
		{"pending then ok", 2 * time.Second, []error{pending, pending, nil}, []time.Duration{2 * time.Second, 2 * time.Second}, ""},
		{"default interval", 0, []error{pending, nil}, []time.Duration{5 * time.Second}, ""},
		{"slow_down adds 5s for good", time.Second, []error{slow, pending, slow, nil}, []time.Duration{6 * time.Second, 6 * time.Second, 11 * time.Second}, ""},
		{"expired", time.Second, []error{pending, expired}, []time.Duration{time.Second}, "expired"},
		{"denied", time.Second, []error{denied}, nil, "refused"},
		{"other error stops", time.Second, []error{other}, nil, "InternalServerException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ft := &fakeTimer{}
			calls := 0
			tok, err := PollDevice(context.Background(), tt.interval, time.Minute, ft.after, func(context.Context) (*Token, error) {
				err := tt.answers[calls]
				calls++
				if err != nil {
					return nil, err
				}
				return &Token{AccessToken: "at"}, nil
			})
			if calls != len(tt.answers) {
				t.Errorf("%d polls, want %d", calls, len(tt.answers))
			}
			if !equalDurations(ft.waits, tt.waits) {
				t.Errorf("waits %v, want %v", ft.waits, tt.waits)
			}
			if tt.errPart == "" {
				if err != nil || tok == nil {
					t.Fatalf("got %v, %v", tok, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.errPart) {
				t.Fatalf("err %v, want one containing %q", err, tt.errPart)
			}
		})
	}
}

func TestPollDeviceDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := PollDevice(ctx, 10*time.Millisecond, 0, nil, func(context.Context) (*Token, error) {
		return nil, &Error{Code: "AuthorizationPendingException"}
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline error", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("poller ignored the deadline")
	}
	// The code's own lifetime bounds the wait too.
	_, err = PollDevice(context.Background(), 10*time.Millisecond, 30*time.Millisecond, nil, func(context.Context) (*Token, error) {
		return nil, &Error{Code: "AuthorizationPendingException"}
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline error from expiresIn", err)
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
