package awssdk

import (
	"bufio"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzCallbackHandler sends the loopback callback handler any request line
// and Host header, parsed as the listener's http.Server parses them. It
// never panics or blocks; only a GET of /oauth/callback on the listener's
// own address with exactly this sign-in's state ends the wait, with the
// code or the error it carries; a second callback changes nothing; and the
// page it answers holds no markup from the request.
func FuzzCallbackHandler(f *testing.F) {
	const host, state = "127.0.0.1:4711", "st-_.~8Qz"
	for _, s := range [][2]string{
		{"/oauth/callback?code=abc&state=" + state, host},
		{"/oauth/callback?state=" + state + "&code=abc", host},
		{"/oauth/callback?error=access_denied&error_description=User+denied&state=" + state, host},
		{"/oauth/callback?error=%3Cscript%3Ealert(1)%3C/script%3E&state=" + state, host},
		{"/oauth/callback?state=" + state, host},
		{"/oauth/callback?code=abc&state=evil", host},
		{"/oauth/callback?code=abc&state=" + state + "0", host},
		{"/oauth/callback?code=abc", host},
		{"/oauth/callback?code=abc&state=" + state + "&state=evil", host},
		{"/oauth/callback?code=abc&state=st-_.%7E8Qz", host},
		{"/oauth/callback?code=abc;state=" + state, host},
		{"/oauth/callback?code=abc&state=" + state, "evil.example:4711"},
		{"/oauth/callback?code=abc&state=" + state, "127.0.0.1:1"},
		{"/oauth/callback/../callback?code=abc&state=" + state, host},
		{"/oauth%2Fcallback?code=abc&state=" + state, host},
		{"http://127.0.0.1:4711/oauth/callback?code=abc&state=" + state, host},
		{"/favicon.ico", host},
	} {
		f.Add(s[0], s[1])
	}
	template := fmt.Sprintf(page, "", "")
	f.Fuzz(func(t *testing.T, target, hostHeader string) {
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader("GET " + target + " HTTP/1.1\r\nHost: " + hostHeader + "\r\n\r\n")))
		if err != nil {
			return // the server answers 400 itself; the handler never sees it
		}
		q := req.URL.Query()
		exact := req.Host == host && q.Get("state") == state && req.URL.Path == "/oauth/callback"

		results := make(chan callbackResult, 1)
		h := callbackHandler(host, state, results)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		h.ServeHTTP(httptest.NewRecorder(), req) // a second callback: must not block or replace the first

		var res *callbackResult
		select {
		case r := <-results:
			res = &r
		default:
		}
		switch {
		case res != nil && !exact:
			t.Fatalf("%q (Host %q) ended the wait with %+v: not this sign-in's callback", target, req.Host, *res)
		case res == nil && exact && req.URL.RawPath == "":
			t.Fatalf("%q (Host %q) is this sign-in's callback but did not end the wait (status %d)", target, req.Host, rec.Code)
		case res != nil:
			switch {
			case q.Get("error") != "":
				if res.err == nil || res.code != "" || !strings.Contains(res.err.Error(), q.Get("error")) {
					t.Fatalf("error=%q ended the wait with %+v", q.Get("error"), *res)
				}
			case q.Get("code") == "":
				if res.err == nil || res.code != "" {
					t.Fatalf("a callback without a code ended the wait with %+v", *res)
				}
			default:
				if res.err != nil || res.code != q.Get("code") {
					t.Fatalf("code=%q ended the wait with %+v", q.Get("code"), *res)
				}
			}
			if want := map[bool]int{true: http.StatusOK, false: http.StatusBadRequest}[res.err == nil]; rec.Code != want {
				t.Fatalf("status %d for %+v, want %d", rec.Code, *res, want)
			}
		}
		if _, pattern := h.(*http.ServeMux).Handler(req); pattern != "GET /oauth/callback" || req.URL.Path != "/oauth/callback" {
			if res != nil {
				t.Fatalf("%q was routed to %q but ended the wait", target, pattern)
			}
			return // the mux's own answer (404, a redirect): the callback did not run
		}
		if res == nil && rec.Code != http.StatusBadRequest {
			t.Fatalf("%q (Host %q): status %d without a result", target, req.Host, rec.Code)
		}
		body := rec.Body.String()
		if strings.Count(body, "<") != strings.Count(template, "<") || strings.Count(body, ">") != strings.Count(template, ">") {
			t.Fatalf("the page holds markup of the request: %q", body)
		}
		if rec.Header().Get("Cache-Control") != "no-store" {
			t.Fatalf("the page may be cached: %v", rec.Header())
		}
	})
}
