package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestBrowse(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/authorize", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/oauth/callback?code=secret&state=s", http.StatusFound)
	})
	mux.HandleFunc("/oauth/callback", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("code") != "secret" {
			http.Error(w, "no code", http.StatusBadRequest)
		}
	})
	// A consent page as the fake's /authorize shows a browser: browse
	// submits it with its first button.
	mux.HandleFunc("GET /consent", func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept"), "text/html") {
			http.Error(w, "not a browser", http.StatusNotAcceptable)
			return
		}
		io.WriteString(w, `<p>Allow?</p><form method="get" action="/nowhere"><input name="q"></form>
<form method="post" action="/consent"><input type="hidden" name="state" value="a&amp;b">
<button type="submit" name="decision" value="allow">Allow</button><button type="submit" name="decision" value="deny">Deny</button></form>`)
	})
	mux.HandleFunc("POST /consent", func(w http.ResponseWriter, r *http.Request) {
		if r.PostFormValue("decision") != "allow" || r.PostFormValue("state") != "a&b" {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, "/oauth/callback?code=secret&state=s", http.StatusFound)
	})
	mux.HandleFunc("GET /deny", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `<form method="post" action="/consent"><button name="decision" value="deny">Deny</button></form>`)
	})
	mux.HandleFunc("/broken", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/oauth/callback?code=wrong", http.StatusFound)
	})
	mux.HandleFunc("/away", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://example.com/", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	tests := []struct {
		url      string
		code     int
		inStderr string
	}{
		{srv.URL + "/authorize", 0, ""},
		{srv.URL + "/consent", 0, ""},
		{srv.URL + "/deny", 1, "POST " + srv.URL + "/consent: 400 Bad Request"},
		{srv.URL + "/broken", 1, "400 Bad Request"},
		{srv.URL + "/missing", 1, "404 Not Found"},
		{srv.URL + "/away", 1, "not a loopback"},
		{"https://example.com/", 1, "not a loopback"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"browse", tt.url}, &stdout, &stderr)
		if code != tt.code || !strings.Contains(stderr.String(), tt.inStderr) {
			t.Errorf("browse %s: exit %d, stderr %q; want exit %d, stderr with %q", tt.url, code, stderr.String(), tt.code, tt.inStderr)
		}
		if stdout.Len() != 0 {
			t.Errorf("browse %s wrote to stdout: %q", tt.url, stdout.String())
		}
		if strings.Contains(stderr.String(), "wrong") {
			t.Errorf("browse %s printed the query: %q", tt.url, stderr.String())
		}
	}
}

func TestServe(t *testing.T) {
	urlFile := filepath.Join(t.TempDir(), "url")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr bytes.Buffer
	done := make(chan int)
	go func() { done <- run(ctx, []string{"serve", "--url-file", urlFile}, &stdout, &stderr) }()

	var base string
	for deadline := time.Now().Add(10 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile(urlFile)
		base = strings.TrimSpace(string(b))
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("url file holds %q", base)
	}
	resp, err := http.Get(base + "/device?user_code=NOPE-NOPE")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = http.Get(base + "/_fake/counts")
	if err != nil {
		t.Fatal(err)
	}
	var counts map[string]int
	json.NewDecoder(resp.Body).Decode(&counts)
	resp.Body.Close()
	if counts["Verify"] != 1 {
		t.Errorf("counts = %v, want Verify 1", counts)
	}

	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"counts", base}, &out, &errOut); code != 0 {
		t.Errorf("counts: exit %d: %s", code, errOut.String())
	}
	if got := out.String(); got != `{"Verify":1}`+"\n" {
		t.Errorf("counts printed %q", got)
	}

	cancel()
	if code := <-done; code != 0 {
		t.Errorf("serve exited %d: %s", code, stderr.String())
	}
	if got := stdout.String(); got != base+"\n" {
		t.Errorf("stdout = %q, want %q", got, base+"\n")
	}
}

func TestServeRefusesRemote(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0", "example.com:0"} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"serve", "--addr", addr}, &stdout, &stderr)
		if code == 0 || stdout.Len() != 0 || !strings.Contains(stderr.String(), "loopback") {
			t.Errorf("serve --addr %s: exit %d, stdout %q, stderr %q", addr, code, stdout.String(), stderr.String())
		}
	}
}
