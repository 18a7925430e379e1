package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"imagerepo/api"
)

// lockedBuffer is a log sink the server's goroutines may write to.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// serve runs one request through the whole handler in this goroutine, so
// that its log line is written when it returns.
func serve(h http.Handler, method, target, body string, header http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	for k, vs := range header {
		req.Header[k] = vs
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// A sign-in, a token's creation and requests with the token and the cookie
// each log exactly one line, and no password, session or token is in any.
func TestServer_RequestLog_OneLineNoSecrets(t *testing.T) {
	var logs lockedBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	ts := newTestServerLogged(t, t.TempDir(), nil, logger, api.Hooks{})
	h := ts.srv.Handler()
	const password = "correct-horse-battery"
	const wrongPassword = "wrong-staple-guess"
	creds := `{"username":"admin","password":"` + password + `"}`

	var lines []string
	step := func(name, method, target, body string, header http.Header, wantStatus int) *httptest.ResponseRecorder {
		t.Helper()
		rec := serve(h, method, target, body, header)
		if rec.Code != wantStatus {
			t.Fatalf("%s: status %d, want %d: %s", name, rec.Code, wantStatus, rec.Body)
		}
		all := strings.Split(strings.TrimSuffix(logs.String(), "\n"), "\n")
		if len(all) != len(lines)+1 {
			t.Fatalf("%s: %d new log lines, want 1:\n%s", name, len(all)-len(lines), strings.Join(all[len(lines):], "\n"))
		}
		lines = all
		last := all[len(all)-1]
		for _, want := range []string{"msg=request", "method=" + method, "status=" + itoa(wantStatus), "duration=", "bytes=", "remote=192.0.2.1"} {
			if !strings.Contains(last, want) {
				t.Errorf("%s: log line %q lacks %q", name, last, want)
			}
		}
		return rec
	}

	step("create admin", "POST", "/api/users", creds, jsonHeader(), http.StatusCreated)
	step("wrong password", "POST", "/api/session", `{"username":"admin","password":"`+wrongPassword+`"}`, jsonHeader(), http.StatusUnauthorized)
	rec := step("sign in", "POST", "/api/session", creds, jsonHeader(), http.StatusOK)
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 || cookies[0].Value == "" {
		t.Fatalf("sign in set cookies %v", cookies)
	}
	session := cookies[0].Value
	cookie := http.Header{"Cookie": {cookies[0].Name + "=" + session}, "Content-Type": {"application/json"}}

	rec = step("create token", "POST", "/api/tokens", `{"name":"script"}`, cookie, http.StatusCreated)
	var tok struct{ Token string }
	if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil || tok.Token == "" {
		t.Fatalf("token answer %s: %v", rec.Body, err)
	}
	bearer := http.Header{"Authorization": {"Bearer " + tok.Token}, "X-Request-Id": {"req-42"}}
	step("bearer request with secrets in the query", "GET",
		"/api/images?access_token="+tok.Token+"&password="+password+"&limit=5", "", bearer, http.StatusOK)
	if last := lines[len(lines)-1]; !strings.Contains(last, "route=/api/images") || !strings.Contains(last, "path=/api/images ") ||
		!strings.Contains(last, "request_id=req-42") {
		t.Errorf("bearer request line %q: want its route, its path without the query and its request id", last)
	}
	step("bad bearer token", "GET", "/api/me", "", http.Header{"Authorization": {"Bearer " + tok.Token + "x"}}, http.StatusUnauthorized)
	step("cookie request", "GET", "/api/me", "", cookie, http.StatusOK)
	step("sign out", "DELETE", "/api/session", "", cookie, http.StatusNoContent)
	step("unknown route", "POST", "/no/such/path", "", nil, http.StatusMethodNotAllowed)

	out := logs.String()
	for name, secret := range map[string]string{
		"password": password, "wrong password": wrongPassword, "session": session, "token": tok.Token,
	} {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds the %s:\n%s", name, out)
		}
	}
	if strings.Contains(out, "access_token") || strings.Contains(out, "Authorization") || strings.Contains(out, "Cookie") {
		t.Errorf("the log holds a query or a credential header:\n%s", out)
	}
}

// A path over the bound is cut in the log line: a request cannot write
// megabytes to the log.
func TestServer_RequestLog_LongPathCut(t *testing.T) {
	var logs lockedBuffer
	ts := newTestServerLogged(t, t.TempDir(), nil, slog.New(slog.NewTextHandler(&logs, nil)), api.Hooks{})
	serve(ts.srv.Handler(), "GET", "/api/images/"+strings.Repeat("a", 5000), "", nil)
	if n := len(logs.String()); n > 1000 {
		t.Errorf("log line of %d bytes for a long path", n)
	}
}

func TestServer_Healthz(t *testing.T) {
	var failing error
	hooks := api.Hooks{Health: func(context.Context) error { return failing }}
	var logs lockedBuffer
	ts := newTestServerLogged(t, t.TempDir(), nil, slog.New(slog.NewTextHandler(&logs, nil)), hooks)
	resp, b := do(t, "GET", ts.URL+"/healthz", nil, nil)
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"status":"ok"`) {
		t.Fatalf("healthy: %d %s", resp.StatusCode, b)
	}
	failing = errors.New("disk on fire")
	resp, b = do(t, "GET", ts.URL+"/healthz", nil, nil)
	var body struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(b, &body); err != nil || resp.StatusCode != http.StatusServiceUnavailable || body.Error.Code != "unavailable" {
		t.Fatalf("failing: %d %s", resp.StatusCode, b)
	}
	if strings.Contains(string(b), "disk on fire") {
		t.Errorf("the cause reached the client: %s", b)
	}
}

// A request refused as cross-origin, before the router, still writes its
// one line.
func TestServer_RequestLog_CrossOriginRefusal(t *testing.T) {
	var logs lockedBuffer
	ts := newTestServerLogged(t, t.TempDir(), nil, slog.New(slog.NewTextHandler(&logs, nil)), api.Hooks{})
	rec := serve(ts.srv.Handler(), "POST", "/api/images", "", http.Header{
		"Origin": {"https://elsewhere.example"}, "Sec-Fetch-Site": {"cross-site"}, "Cookie": {"imagerepo_session=s3cret"},
	})
	if rec.Code != http.StatusForbidden {
		t.Fatalf("status %d, want 403", rec.Code)
	}
	out := logs.String()
	if strings.Count(out, "\n") != 1 || !strings.Contains(out, "msg=request") || !strings.Contains(out, "status=403") {
		t.Errorf("log:\n%s", out)
	}
	if strings.Contains(out, "s3cret") {
		t.Errorf("the cookie is in the log:\n%s", out)
	}
}
