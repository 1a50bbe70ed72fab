package awssdk

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCallbackHandler(t *testing.T) {
	tests := []struct {
		name, query string
		status      int
		code        string
		errPart     string
	}{
		{"ok", "code=abc&state=s1", 200, "abc", ""},
		{"wrong state", "code=abc&state=evil", 400, "", "state does not match"},
		{"no state", "code=abc", 400, "", "state does not match"},
		{"denied", "error=access_denied&state=s1", 400, "", "access_denied"},
		{"no code", "state=s1", 400, "", "no code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			results := make(chan callbackResult, 1)
			h := callbackHandler("s1", results)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/oauth/callback?"+tt.query, nil))
			if rec.Code != tt.status {
				t.Errorf("status %d, want %d", rec.Code, tt.status)
			}
			res := <-results
			if res.code != tt.code {
				t.Errorf("code %q, want %q", res.code, tt.code)
			}
			if tt.errPart == "" && res.err != nil || tt.errPart != "" && (res.err == nil || !strings.Contains(res.err.Error(), tt.errPart)) {
				t.Errorf("err %v, want one containing %q", res.err, tt.errPart)
			}
		})
	}
	// Other paths are not the callback.
	rec := httptest.NewRecorder()
	callbackHandler("s", make(chan callbackResult, 1)).ServeHTTP(rec, httptest.NewRequest("GET", "/favicon.ico", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("favicon: status %d", rec.Code)
	}
}
