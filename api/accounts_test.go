package api_test

import (
	"bytes"
	"encoding/json"
	"image/color"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"imagerepo/api"
)

// client is a cookie-keeping browser-like client of the test server.
type client struct {
	t   *testing.T
	ts  *testServer
	hc  *http.Client
	jar http.CookieJar
}

func newClient(t *testing.T, ts *testServer) *client {
	jar := newJar()
	return &client{t: t, ts: ts, hc: &http.Client{Jar: jar}, jar: jar}
}

func (c *client) do(method, path, body string, header ...string) (*http.Response, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.ts.URL+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	return resp, buf.String()
}

func (c *client) must(status int, method, path, body string, header ...string) string {
	c.t.Helper()
	resp, b := c.do(method, path, body, header...)
	if resp.StatusCode != status {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, status, b)
	}
	return b
}

func TestAccounts_FirstRunAndCreation(t *testing.T) {
	ts := newTestServer(t, nil)
	anon := newClient(t, ts)
	anon.must(200, "GET", "/api/setup", "")
	if b := anon.must(200, "GET", "/api/setup", ""); !strings.Contains(b, `"needs_admin":true`) {
		t.Fatalf("setup: %s", b)
	}
	anon.must(400, "POST", "/api/users", `{"username":"admin","password":"short"}`)
	anon.must(400, "POST", "/api/users", `{"username":"bad name!","password":"long enough"}`)
	if b := anon.must(201, "POST", "/api/users", `{"username":" Admin ","password":"admin-password"}`); !strings.Contains(b, `"role":"admin"`) || !strings.Contains(b, `"username":"admin"`) {
		t.Fatalf("first account: %s", b)
	}
	if b := anon.must(200, "GET", "/api/setup", ""); !strings.Contains(b, `"needs_admin":false`) {
		t.Fatalf("setup after: %s", b)
	}
	anon.must(401, "POST", "/api/users", `{"username":"eve","password":"eve-password"}`)

	admin := newClient(t, ts)
	admin.must(200, "POST", "/api/session", `{"username":"admin","password":"admin-password"}`)
	if b := admin.must(201, "POST", "/api/users", `{"username":"alice","password":"alice-password"}`); !strings.Contains(b, `"role":"user"`) {
		t.Fatalf("alice: %s", b)
	}
	admin.must(409, "POST", "/api/users", `{"username":"alice","password":"alice-password"}`)
	admin.must(400, "POST", "/api/users", `{"username":"x","password":"long enough","role":"king"}`)

	alice := newClient(t, ts)
	alice.must(200, "POST", "/api/session", `{"username":"alice","password":"alice-password"}`)
	alice.must(403, "POST", "/api/users", `{"username":"mallory","password":"mallory-password"}`)
	alice.must(403, "GET", "/api/users", "")
	if b := admin.must(200, "GET", "/api/users", ""); !strings.Contains(b, `"alice"`) || !strings.Contains(b, `"admin"`) {
		t.Fatalf("users: %s", b)
	}
}

func TestAccounts_OpenRegistration(t *testing.T) {
	ts := newTestServer(t, func(c *api.Config) { c.OpenRegistration = true }).withAccounts(t)
	anon := newClient(t, ts)
	if b := anon.must(201, "POST", "/api/users", `{"username":"carol","password":"carol-password"}`); !strings.Contains(b, `"role":"user"`) {
		t.Fatalf("carol: %s", b)
	}
	anon.must(403, "POST", "/api/users", `{"username":"dave","password":"dave-password","role":"admin"}`)
}

func TestAccounts_Session(t *testing.T) {
	ts := newTestServer(t, nil).withAccounts(t)
	anon := newClient(t, ts)
	anon.must(401, "GET", "/api/me", "")

	// Unknown user and wrong password: the same answer.
	r1, b1 := anon.do("POST", "/api/session", `{"username":"nobody","password":"whatever-pw"}`)
	r2, b2 := anon.do("POST", "/api/session", `{"username":"alice","password":"wrong-password"}`)
	if r1.StatusCode != 401 || r2.StatusCode != 401 || b1 != b2 {
		t.Fatalf("unknown user %d %s vs wrong password %d %s", r1.StatusCode, b1, r2.StatusCode, b2)
	}

	c := newClient(t, ts)
	resp, _ := c.do("POST", "/api/session", `{"username":"alice","password":"alice-password"}`)
	ck := findCookie(resp, "imagerepo_session")
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.MaxAge <= 0 || len(ck.Value) < 40 {
		t.Fatalf("session cookie: %+v", ck)
	}
	if b := c.must(200, "GET", "/api/me", ""); !strings.Contains(b, `"username":"alice"`) {
		t.Fatalf("me: %s", b)
	}
	// A fresh id at every sign-in, and the old one is revoked.
	resp, _ = c.do("POST", "/api/session", `{"username":"alice","password":"alice-password"}`)
	ck2 := findCookie(resp, "imagerepo_session")
	if ck2 == nil || ck2.Value == ck.Value {
		t.Fatal("sign-in did not renew the session id")
	}
	stale := newClient(t, ts)
	if resp, _ := stale.do("GET", "/api/me", "", "Cookie", "imagerepo_session="+ck.Value); resp.StatusCode != 401 {
		t.Fatalf("old session still works: %d", resp.StatusCode)
	}
	// Sign out revokes the session itself, not just the cookie.
	c.must(204, "DELETE", "/api/session", "")
	c.must(401, "GET", "/api/me", "")
	if resp, _ := stale.do("GET", "/api/me", "", "Cookie", "imagerepo_session="+ck2.Value); resp.StatusCode != 401 {
		t.Fatalf("signed-out session still works: %d", resp.StatusCode)
	}
}

func TestAccounts_ChangePasswordEndsOtherSessions(t *testing.T) {
	ts := newTestServer(t, nil).withAccounts(t)
	a, b := newClient(t, ts), newClient(t, ts)
	a.must(200, "POST", "/api/session", `{"username":"alice","password":"alice-password"}`)
	b.must(200, "POST", "/api/session", `{"username":"alice","password":"alice-password"}`)
	a.must(401, "POST", "/api/me/password", `{"old_password":"wrong-password","new_password":"new-password-1"}`)
	a.must(400, "POST", "/api/me/password", `{"old_password":"alice-password","new_password":"short"}`)
	a.must(204, "POST", "/api/me/password", `{"old_password":"alice-password","new_password":"new-password-1"}`)
	a.must(200, "GET", "/api/me", "")
	b.must(401, "GET", "/api/me", "")
	b.must(401, "POST", "/api/session", `{"username":"alice","password":"alice-password"}`)
	b.must(200, "POST", "/api/session", `{"username":"alice","password":"new-password-1"}`)
}

func TestAccounts_Throttle(t *testing.T) {
	ts := newTestServer(t, func(c *api.Config) { c.SignInFailures = 3 }).withAccounts(t)
	c := newClient(t, ts)
	for range 3 {
		c.must(401, "POST", "/api/session", `{"username":"alice","password":"wrong-password"}`)
	}
	resp, b := c.do("POST", "/api/session", `{"username":"alice","password":"alice-password"}`)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" || !strings.Contains(b, `"code":"rate_limited"`) {
		t.Fatalf("after 3 failures: %d %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), b)
	}
	// Another account is not locked by alice's failures ...
	c.must(200, "POST", "/api/session", `{"username":"bob","password":"bob-password"}`)
	// ... until this address has failed 4× the per-account limit (12).
	for i := range 9 {
		c.must(401, "POST", "/api/session", `{"username":"user`+string(rune('a'+i))+`","password":"wrong-password"}`)
	}
	c.must(429, "POST", "/api/session", `{"username":"admin","password":"admin-password"}`)
	// X-Forwarded-For is not believed without a trusted proxy.
	c.must(429, "POST", "/api/session", `{"username":"admin","password":"admin-password"}`, "X-Forwarded-For", "203.0.113.9")
}

func TestAccounts_Tokens(t *testing.T) {
	ts := newTestServer(t, nil).withAccounts(t)
	c := newClient(t, ts)
	c.must(401, "POST", "/api/tokens", `{"name":"script"}`)
	c.must(200, "POST", "/api/session", `{"username":"alice","password":"alice-password"}`)
	c.must(400, "POST", "/api/tokens", `{"name":""}`)
	var tok struct{ ID, Name, Token string }
	if err := json.Unmarshal([]byte(c.must(201, "POST", "/api/tokens", `{"name":"backup script"}`)), &tok); err != nil || tok.Token == "" {
		t.Fatalf("token: %+v %v", tok, err)
	}
	list := c.must(200, "GET", "/api/tokens", "")
	if !strings.Contains(list, `"backup script"`) || strings.Contains(list, tok.Token) {
		t.Fatalf("list: %s", list)
	}
	script := newClient(t, ts)
	if b := script.must(200, "GET", "/api/me", "", "Authorization", "Bearer "+tok.Token); !strings.Contains(b, `"alice"`) {
		t.Fatalf("me by token: %s", b)
	}
	script.must(401, "GET", "/api/me", "", "Authorization", "Bearer nope")
	script.must(401, "GET", "/api/images", "", "Authorization", "Basic YTpi")
	// bob cannot revoke alice's token.
	bob := newClient(t, ts)
	bob.must(404, "DELETE", "/api/tokens/"+tok.ID, "", "Authorization", "Bearer "+ts.tokens["bob"])
	c.must(204, "DELETE", "/api/tokens/"+tok.ID, "")
	script.must(401, "GET", "/api/me", "", "Authorization", "Bearer "+tok.Token)
}

func TestAccounts_DisableTakesEffectAtOnce(t *testing.T) {
	ts := newTestServer(t, nil).withAccounts(t)
	bob := newClient(t, ts)
	bob.must(200, "POST", "/api/session", `{"username":"bob","password":"bob-password"}`)
	admin := newClient(t, ts)
	admin.must(200, "POST", "/api/session", `{"username":"admin","password":"admin-password"}`)
	admin.must(400, "PATCH", "/api/users/admin", `{"disabled":true}`)
	admin.must(404, "PATCH", "/api/users/nobody", `{"disabled":true}`)
	if b := admin.must(200, "PATCH", "/api/users/bob", `{"disabled":true}`); !strings.Contains(b, `"disabled":true`) {
		t.Fatalf("disable: %s", b)
	}
	bob.must(401, "GET", "/api/me", "")
	bob.must(401, "GET", "/api/me", "", "Authorization", "Bearer "+ts.tokens["bob"])
	bob.must(401, "POST", "/api/session", `{"username":"bob","password":"bob-password"}`)
	admin.must(200, "PATCH", "/api/users/bob", `{"disabled":false}`)
	bob.must(200, "POST", "/api/session", `{"username":"bob","password":"bob-password"}`)
}

func TestAccounts_CrossSite(t *testing.T) {
	ts := newTestServer(t, nil).withAccounts(t)
	id := ts.upload(t, "alice", part{"file", "x.png", pngBytes(t, 2, 2, color.Black)}).Images[0].ID
	c := newClient(t, ts)
	c.must(200, "POST", "/api/session", `{"username":"alice","password":"alice-password"}`)
	evil := []string{"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"}
	c.must(403, "DELETE", "/api/images/"+id, "", evil...)
	c.must(403, "POST", "/api/tokens", `{"name":"stolen"}`, evil...)
	c.must(200, "GET", "/api/images/"+id, "", evil...) // reads are not refused
	// A bearer token carries no ambient authority: no origin check.
	c.must(204, "DELETE", "/api/images/"+id, "", append(evil, "Authorization", "Bearer "+ts.tokens["alice"])...)
}

// TestAccounts_NoSecretsStored reads the raw bbolt file after sign-ins and
// token creation: no password and no token or session secret is in it.
func TestAccounts_NoSecretsStored(t *testing.T) {
	dir := t.TempDir()
	ts := newTestServerIn(t, dir, nil).withAccounts(t)
	c := newClient(t, ts)
	resp, _ := c.do("POST", "/api/session", `{"username":"alice","password":"alice-password"}`)
	session := findCookie(resp, "imagerepo_session").Value
	var tok struct{ Token string }
	json.Unmarshal([]byte(c.must(201, "POST", "/api/tokens", `{"name":"s"}`)), &tok)
	raw, err := os.ReadFile(filepath.Join(dir, "imagerepo.db"))
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{"alice-password", "admin-password", "bob-password", session, tok.Token, ts.tokens["alice"]}
	for _, s := range secrets {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("the database holds a secret in plain text: %.12s…", s)
		}
	}
	if !bytes.Contains(raw, []byte("argon2id")) {
		t.Error("no argon2id hash found: is the file the right one?")
	}
}

func findCookie(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// TestAccounts_Throttle_TriesAtOnce: tries made at once count against the
// limit together, so a burst of guesses gets no more of them checked than
// one after another would.
func TestAccounts_Throttle_TriesAtOnce(t *testing.T) {
	ts := newTestServer(t, func(c *api.Config) { c.SignInFailures = 3 }).withAccounts(t)
	const n = 40
	codes := make(chan int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			resp, err := http.Post(ts.URL+"/api/session", "application/json",
				strings.NewReader(`{"username":"alice","password":"wrong-password"}`))
			if err != nil {
				codes <- 0
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		})
	}
	close(start)
	wg.Wait()
	close(codes)
	count := map[int]int{}
	for c := range codes {
		count[c]++
	}
	if count[401] > 3 || count[401]+count[429] != n {
		t.Fatalf("%d wrong passwords at once: %v; want at most 3 checked (401), the rest refused (429)", n, count)
	}
	newClient(t, ts).must(429, "POST", "/api/session", `{"username":"alice","password":"alice-password"}`)
}

// TestAccounts_ChangePasswordThrottled: wrong old passwords count as
// failed sign-ins of the account: a stolen session cannot be used to guess
// the password, through either door.
func TestAccounts_ChangePasswordThrottled(t *testing.T) {
	ts := newTestServer(t, func(c *api.Config) { c.SignInFailures = 3 }).withAccounts(t)
	c := newClient(t, ts)
	c.must(200, "POST", "/api/session", `{"username":"alice","password":"alice-password"}`)
	for range 3 {
		c.must(401, "POST", "/api/me/password", `{"old_password":"wrong-password","new_password":"new-password-1"}`)
	}
	resp, b := c.do("POST", "/api/me/password", `{"old_password":"alice-password","new_password":"new-password-1"}`)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("change after 3 wrong old passwords: %d %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), b)
	}
	newClient(t, ts).must(429, "POST", "/api/session", `{"username":"alice","password":"alice-password"}`)
	c.must(200, "GET", "/api/me", "") // the session itself goes on
}
