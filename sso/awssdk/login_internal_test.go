package awssdk

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCallbackHandler(t *testing.T) {
	const host = "127.0.0.1:4711"
	tests := []struct {
		name, host, query string
		status            int
		ends              bool // the callback ends the wait
		code              string
		errPart           string
	}{
		{"ok", host, "code=abc&state=s1", 200, true, "abc", ""},
		{"denied", host, "error=access_denied&state=s1", 400, true, "", "access_denied"},
		{"no code", host, "state=s1", 400, true, "", "no code"},
		// Not for this sign-in: answered, and the wait goes on.
		{"wrong state", host, "code=abc&state=evil", 400, false, "", ""},
		{"no state", host, "code=abc", 400, false, "", ""},
		{"error with a wrong state", host, "error=access_denied&state=evil", 400, false, "", ""},
		{"another host (DNS rebinding)", "evil.example:4711", "code=abc&state=s1", 400, false, "", ""},
		{"another port", "127.0.0.1:1", "code=abc&state=s1", 400, false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			results := make(chan callbackResult, 1)
			h := callbackHandler(host, "s1", results)
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("GET", "/oauth/callback?"+tt.query, nil)
			req.Host = tt.host
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Errorf("status %d, want %d", rec.Code, tt.status)
			}
			select {
			case res := <-results:
				if !tt.ends {
					t.Fatalf("ended the wait: %+v", res)
				}
				if res.code != tt.code {
					t.Errorf("code %q, want %q", res.code, tt.code)
				}
				if tt.errPart == "" && res.err != nil || tt.errPart != "" && (res.err == nil || !strings.Contains(res.err.Error(), tt.errPart)) {
					t.Errorf("err %v, want one containing %q", res.err, tt.errPart)
				}
			default:
				if tt.ends {
					t.Fatal("did not end the wait")
				}
			}
		})
	}
	// A stray request first, then the real callback: the sign-in completes.
	results := make(chan callbackResult, 1)
	h := callbackHandler(host, "s1", results)
	for _, q := range []string{"state=guess&code=x", "state=s1&code=real"} {
		req := httptest.NewRequest("GET", "/oauth/callback?"+q, nil)
		req.Host = host
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	if res := <-results; res.code != "real" {
		t.Errorf("after a stray request: %+v", res)
	}
	// Other paths are not the callback.
	rec := httptest.NewRecorder()
	callbackHandler(host, "s", make(chan callbackResult, 1)).ServeHTTP(rec, httptest.NewRequest("GET", "/favicon.ico", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("favicon: status %d", rec.Code)
	}
}

func TestVerificationPage(t *testing.T) {
	for raw, ok := range map[string]bool{
		"https://device.sso.us-east-1.amazonaws.com/":           true,
		"https://device.sso.us-east-1.amazonaws.com/?code=ABCD": true,
		"http://127.0.0.1:8080/device":                          true,
		"http://localhost:8080/device":                          true,
		"http://example.com/device":                             false,
		"--gpu-launcher=sh -c 'id>/tmp/pwn'":                    false,
		"file:///etc/passwd":                                    false,
		"javascript:alert(1)":                                   false,
		"https://user:pw@example.com/":                          false,
		"https://example.com/\x1b[2J":                           false,
		"":                                                      false,
	} {
		if _, err := verificationPage(raw); (err == nil) != ok {
			t.Errorf("verificationPage(%q): err %v, want ok=%v", raw, err, ok)
		}
	}
	for c, ok := range map[string]bool{"ABCD-EFGH": true, "abc123": true, "\x1b[2JX": false, "A B": false, "": false} {
		if plainCode(c) != ok {
			t.Errorf("plainCode(%q) != %v", c, ok)
		}
	}
}
