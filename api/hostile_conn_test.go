package api_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"imagerepo/api"
)

// hangGuard bounds every raw exchange, so that a server that never answers
// fails the test instead of stalling it. It is far above any timeout the
// tests configure: no assertion depends on it.
const hangGuard = 60 * time.Second

// dial opens a raw TCP connection to ts, closed when the test ends.
func (ts *testServer) dial(t *testing.T) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(hangGuard))
	t.Cleanup(func() { conn.Close() })
	return conn
}

// readResponse reads one response from conn, with its body.
func readResponse(t *testing.T, conn net.Conn) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the response body: %v", err)
	}
	return resp, b
}

// requestHead is the head of a request as who, with a Content-Length of n
// (none when n < 0).
func (ts *testServer) requestHead(method, path, who, contentType string, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: imagerepo.test\r\n", method, path)
	if who != "" {
		fmt.Fprintf(&b, "Authorization: Bearer %s\r\n", ts.tokens[who])
	}
	if contentType != "" {
		fmt.Fprintf(&b, "Content-Type: %s\r\n", contentType)
	}
	if n >= 0 {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", n)
	}
	return b.String() + "\r\n"
}

// TestHostile_OversizedHeaders sends a header, a header count and a URL
// over the server's header limit: net/http answers 431 and the server goes
// on serving.
func TestHostile_OversizedHeaders(t *testing.T) {
	ts := newTestServer(t, nil).withAccounts(t)
	many := http.Header{}
	for i := range 10000 {
		many.Set(fmt.Sprintf("X-Header-%d", i), "v")
	}
	cases := []struct {
		name   string
		url    string
		header http.Header
	}{
		{"one header of 100 KB", "/api/images", http.Header{"X-Big": {strings.Repeat("b", 100<<10)}}},
		{"10,000 headers", "/api/images", many},
		{"a URL of 100 KB", "/api/images?q=" + strings.Repeat("q", 100<<10), nil},
		{"a cookie of 100 KB", "/api/me", http.Header{"Cookie": {"imagerepo_session=" + strings.Repeat("c", 100<<10)}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := ts.state(t)
			resp, b := do(t, "GET", ts.URL+c.url, nil, c.header)
			if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
				t.Errorf("status %d, want 431: %.200s", resp.StatusCode, b)
			}
			if resp, _ := do(t, "GET", ts.URL+"/healthz", nil, nil); resp.StatusCode != http.StatusOK {
				t.Errorf("health after it: %d", resp.StatusCode)
			}
			ts.assertClean(t, before)
		})
	}
}

// TestHostile_LyingContentLength sends bodies shorter and longer than
// their Content-Length says: each is refused with a 400, nothing is
// stored, and an image a PATCH would change stays as it was.
func TestHostile_LyingContentLength(t *testing.T) {
	ts := newTestServer(t, nil).withAccounts(t)
	id := ts.upload(t, "alice", part{"file", "kept.png", pngBytes(t, 8, 8, color.Black)}).Images[0].ID
	form, ct := multipartBody(t, []part{{"file", "lie.png", pngBytes(t, 30, 30, color.RGBA{1, 200, 3, 255})}, {"title", "", []byte("lie")}})
	upload, err := io.ReadAll(form)
	if err != nil {
		t.Fatal(err)
	}
	patch := `{"title":"changed by a lie","description":"` + strings.Repeat("d", 1000) + `"}`

	cases := []struct {
		name, method, path, contentType, body string
		length                                int
	}{
		{"upload longer than it says", "POST", "/api/images", ct, string(upload), len(upload) / 2},
		{"upload shorter than it says", "POST", "/api/images", ct, string(upload), len(upload) * 2},
		{"upload of nothing that says 1 MB", "POST", "/api/images", ct, "", 1 << 20},
		{"patch longer than it says", "PATCH", "/api/images/" + id, "application/json", patch, len(patch) / 2},
		{"patch shorter than it says", "PATCH", "/api/images/" + id, "application/json", patch, len(patch) + 100},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := ts.state(t)
			conn := ts.dial(t)
			if _, err := io.WriteString(conn, ts.requestHead(c.method, c.path, "alice", c.contentType, c.length)+c.body); err != nil {
				t.Fatal(err)
			}
			// A body shorter than promised ends where the client stops
			// sending; a longer one is followed by bytes the server must not
			// take as part of it.
			if c.length > len(c.body) {
				conn.(*net.TCPConn).CloseWrite()
			}
			resp, b := readResponse(t, conn)
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status %d, want 400: %s", resp.StatusCode, b)
			}
			assertErrorShape(t, b)
			ts.assertClean(t, before)
		})
	}
	resp, b := do(t, "GET", ts.URL+"/api/images/"+id, nil, ts.as("alice"))
	if resp.StatusCode != http.StatusOK || !bytes.Contains(b, []byte(`"title":"kept"`)) {
		t.Errorf("after the lies the image reads %d %s", resp.StatusCode, b)
	}

	// Framing that contradicts itself is refused by net/http before any
	// handler runs.
	for _, head := range []string{
		"Content-Length: 10\r\nTransfer-Encoding: chunked\r\n",
		"Content-Length: 10\r\nContent-Length: 20\r\n",
		"Content-Length: -1\r\n",
		"Content-Length: 1e3\r\n",
	} {
		t.Run(strings.TrimSpace(head), func(t *testing.T) {
			before := ts.state(t)
			conn := ts.dial(t)
			req := "POST /api/images HTTP/1.1\r\nHost: imagerepo.test\r\nAuthorization: Bearer " + ts.tokens["alice"] + "\r\nContent-Type: " + ct + "\r\n" + head + "\r\n" + string(upload)
			if _, err := io.WriteString(conn, req); err != nil {
				t.Fatal(err)
			}
			if resp, b := readResponse(t, conn); resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status %d, want 400: %s", resp.StatusCode, b)
			}
			ts.assertClean(t, before)
		})
	}
}

// TestHostile_SlowHeaders opens 500 connections that send part of their
// headers and then nothing: a normal request is answered while they hang
// on, and the server closes each of them when the header timeout ends.
func TestHostile_SlowHeaders(t *testing.T) {
	ts := newTestServer(t, func(c *api.Config) { c.HeaderTimeout = time.Second }).withAccounts(t)
	const n = 500
	conns := make([]net.Conn, n)
	for i := range conns {
		conns[i] = ts.dial(t)
		if _, err := io.WriteString(conns[i], "GET /api/images HTTP/1.1\r\nHost: imagerepo.test\r\nX-Slow: "); err != nil {
			t.Fatal(err)
		}
	}
	// While the flood waits, ordinary requests go on.
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for _, path := range []string{"/healthz", "/api/images", "/api/me"} {
				req, err := http.NewRequest("GET", ts.URL+path, nil)
				if err != nil {
					t.Error(err)
					return
				}
				req.Header = ts.as("alice")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Errorf("GET %s during the flood: %v", path, err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("GET %s during the flood: %d", path, resp.StatusCode)
				}
			}
		})
	}
	wg.Wait()
	// Each slow connection is closed by the server (an answer or EOF),
	// well before the hang guard.
	var closed, reset int
	for i, conn := range conns {
		b, err := io.ReadAll(conn)
		var ne net.Error
		switch {
		case err == nil:
			closed++
		case errors.As(err, &ne) && ne.Timeout():
			t.Fatalf("slow connection %d is still open after %s", i, hangGuard)
		default:
			reset++ // closed with unread bytes in flight: a reset, still closed
		}
		if len(b) > 0 && !bytes.HasPrefix(b, []byte("HTTP/1.1 408")) {
			t.Errorf("slow connection %d got %q", i, b)
		}
	}
	t.Logf("%d slow connections closed, %d reset", closed, reset)
	if resp, _ := do(t, "GET", ts.URL+"/healthz", nil, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("health after the flood: %d", resp.StatusCode)
	}
}

// trickleUpload sends an upload of data to ts as alice, chunk bytes every
// interval, and returns the answer and how many bytes of the body went out
// before it came.
func (ts *testServer) trickleUpload(t *testing.T, data []byte, chunk int, interval time.Duration) (*http.Response, []byte, int, int) {
	t.Helper()
	form, ct := multipartBody(t, []part{{"file", "slow.png", data}})
	body, err := io.ReadAll(form)
	if err != nil {
		t.Fatal(err)
	}
	conn := ts.dial(t)
	if _, err := io.WriteString(conn, ts.requestHead("POST", "/api/images", "alice", ct, len(body))); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	sent := make(chan int, 1)
	go func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		n := 0
		defer func() { sent <- n }()
		for rest := body; len(rest) > 0; {
			c := rest[:min(chunk, len(rest))]
			if _, err := conn.Write(c); err != nil {
				return
			}
			n += len(c)
			rest = rest[len(c):]
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	resp, b := readResponse(t, conn)
	close(stop)
	conn.Close()
	return resp, b, <-sent, len(body)
}

// TestHostile_TrickledUpload sends an upload at 1 KB a second: the
// per-request deadline (TransferTimeout, short here) cuts it off with a
// 400, nothing is kept, and the next upload goes in.
func TestHostile_TrickledUpload(t *testing.T) {
	ts := newTestServer(t, func(c *api.Config) { c.TransferTimeout = 2 * time.Second }).withAccounts(t)
	before := ts.state(t)
	data := append(pngBytes(t, 20, 20, color.RGBA{9, 9, 200, 255}), make([]byte, 60<<10)...)
	resp, b, sent, total := ts.trickleUpload(t, data, 1024, time.Second)
	if resp.StatusCode != http.StatusBadRequest || !bytes.Contains(b, []byte("time limit")) {
		t.Errorf("status %d, want 400 for the time limit: %s", resp.StatusCode, b)
	}
	if sent >= total {
		t.Errorf("the whole body (%d bytes) went in before the deadline", sent)
	}
	ts.assertClean(t, before)
	ts.upload(t, "alice", part{"file", "fast.png", data})
}

// TestHostile_SlowUploadWithinTransferTimeout sends an upload that takes
// longer than RequestTimeout (short here) but not TransferTimeout: it goes
// in and its answer reaches the client.
func TestHostile_SlowUploadWithinTransferTimeout(t *testing.T) {
	ts := newTestServer(t, func(c *api.Config) { c.RequestTimeout = time.Second }).withAccounts(t)
	data := append(pngBytes(t, 20, 20, color.RGBA{9, 200, 9, 255}), make([]byte, 3<<10)...)
	resp, b, sent, total := ts.trickleUpload(t, data, 1024, time.Second)
	if resp.StatusCode != http.StatusCreated || sent != total {
		t.Errorf("status %d after %d of %d bytes, want 201 after all: %s", resp.StatusCode, sent, total, b)
	}
}

// TestHostile_StalledJSONBody sends a PATCH whose body stops short of its
// Content-Length and stays open: the request deadline (RequestTimeout,
// short here) ends it with a 400 and the image is not changed.
func TestHostile_StalledJSONBody(t *testing.T) {
	ts := newTestServer(t, func(c *api.Config) { c.RequestTimeout = time.Second }).withAccounts(t)
	id := ts.upload(t, "alice", part{"file", "kept.png", pngBytes(t, 8, 8, color.Black)}).Images[0].ID
	before := ts.state(t)
	conn := ts.dial(t)
	body := `{"title":"never finished`
	if _, err := io.WriteString(conn, ts.requestHead("PATCH", "/api/images/"+id, "alice", "application/json", len(body)+100)+body); err != nil {
		t.Fatal(err)
	}
	resp, b := readResponse(t, conn)
	if resp.StatusCode != http.StatusBadRequest || !bytes.Contains(b, []byte("time limit")) {
		t.Errorf("status %d, want 400 for the time limit: %s", resp.StatusCode, b)
	}
	ts.assertClean(t, before)
	if resp, b := do(t, "GET", ts.URL+"/api/images/"+id, nil, ts.as("alice")); resp.StatusCode != http.StatusOK || !bytes.Contains(b, []byte(`"title":"kept"`)) {
		t.Errorf("after the stalled PATCH the image reads %d %s", resp.StatusCode, b)
	}
}
