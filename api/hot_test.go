package api_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"image/color"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"imagerepo/gallery"
)

// TestGetImage_CachedEncoding: a hit sends the encoding the cache keeps,
// byte for byte what the miss sent, with Content-Length and the security
// headers; X-Cache agrees with the cache's counters; PATCH and DELETE are
// seen at once.
func TestGetImage_CachedEncoding(t *testing.T) {
	ts := newTestServer(t, nil).withAccounts(t)
	img := ts.upload(t, "alice", part{"file", "a.png", pngBytes(t, 30, 20, color.Gray{40})},
		part{"visibility", "", []byte("public")}, part{"tags", "", []byte("sea,sun")}).Images[0]
	url := ts.URL + "/api/images/" + img.ID

	get := func(who, wantCache string) []byte {
		t.Helper()
		before := ts.cache.Stats()
		resp, body := do(t, "GET", url, nil, ts.as(who))
		if resp.StatusCode != 200 {
			t.Fatalf("%q: status %d: %s", who, resp.StatusCode, body)
		}
		after := ts.cache.Stats()
		if got := resp.Header.Get("X-Cache"); got != wantCache {
			t.Errorf("%q: X-Cache %q, want %q", who, got, wantCache)
		}
		if wantCache == "hit" && after.Hits != before.Hits+1 || wantCache == "miss" && after.Misses != before.Misses+1 {
			t.Errorf("%q: X-Cache %s but counters went from %+v to %+v", who, wantCache, before, after)
		}
		if cl := resp.Header.Get("Content-Length"); cl != strconv.Itoa(len(body)) {
			t.Errorf("%q: Content-Length %q for %d bytes", who, cl, len(body))
		}
		for k, v := range map[string]string{"Content-Type": "application/json", "X-Content-Type-Options": "nosniff",
			"X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"} {
			if got := resp.Header.Get(k); got != v {
				t.Errorf("%q: %s = %q, want %q", who, k, got, v)
			}
		}
		return body
	}
	miss := get("", "miss")
	var doc struct {
		gallery.Image
		URLs map[string]string `json:"urls"`
	}
	if err := json.Unmarshal(miss, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.ID != img.ID || doc.Title != "a" || strings.Join(doc.Tags, ",") != "sea,sun" || doc.Owner != "alice" ||
		doc.SHA256 != img.SHA256 || doc.URLs["thumb_small"] != img.URLs.ThumbSmall || !bytes.HasSuffix(miss, []byte("}\n")) {
		t.Fatalf("document: %s", miss)
	}
	for _, who := range []string{"", "bob", "alice", "admin"} {
		if hit := get(who, "hit"); !bytes.Equal(hit, miss) {
			t.Errorf("%q: hit sent\n%s\nthe miss sent\n%s", who, hit, miss)
		}
	}

	if resp, body := do(t, "HEAD", url, nil, nil); resp.StatusCode != 200 || len(body) != 0 ||
		resp.Header.Get("Content-Length") != strconv.Itoa(len(miss)) || resp.Header.Get("X-Cache") != "hit" {
		t.Errorf("HEAD: %d, Content-Length %q (GET sent %d bytes), X-Cache %q, %d bytes of body",
			resp.StatusCode, resp.Header.Get("Content-Length"), len(miss), resp.Header.Get("X-Cache"), len(body))
	}

	resp, body := do(t, "PATCH", url, strings.NewReader(`{"title":"renamed","visibility":"private"}`),
		withHeader(ts.as("alice"), "Content-Type", "application/json"))
	if resp.StatusCode != 200 {
		t.Fatalf("PATCH: %d %s", resp.StatusCode, body)
	}
	if resp, _ := do(t, "GET", url, nil, nil); resp.StatusCode != 404 {
		t.Errorf("anonymous GET of an image made private: status %d", resp.StatusCode)
	}
	for _, who := range []string{"alice", "admin"} {
		body := get(who, "hit")
		if !strings.Contains(string(body), `"title":"renamed"`) || !strings.Contains(string(body), `"visibility":"private"`) {
			t.Errorf("%q after PATCH: %s", who, body)
		}
	}
	// The document is cached, but bob may not see it: his answer must
	// look like an absent id's, X-Cache included.
	if resp, _ := do(t, "GET", url, nil, ts.as("bob")); resp.StatusCode != 404 || resp.Header.Get("X-Cache") != "miss" {
		t.Errorf("bob after PATCH: status %d, X-Cache %q", resp.StatusCode, resp.Header.Get("X-Cache"))
	}

	if resp, _ := do(t, "DELETE", url, nil, ts.as("alice")); resp.StatusCode != 204 {
		t.Fatalf("DELETE: %d", resp.StatusCode)
	}
	resp, body = do(t, "GET", url, nil, ts.as("alice"))
	if resp.StatusCode != 404 || resp.Header.Get("X-Cache") != "miss" || !strings.Contains(string(body), `"not_found"`) {
		t.Errorf("after DELETE: %d, X-Cache %q: %s", resp.StatusCode, resp.Header.Get("X-Cache"), body)
	}
}

// thumbOf returns the stored bytes of one of an image's thumbnails.
func (ts *testServer) thumbOf(t *testing.T, id, size string) (gallery.Thumb, []byte) {
	t.Helper()
	img, err := ts.cache.FindImageByID(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	th := img.Thumb(size)
	if th == nil {
		t.Fatalf("image %s has no %s thumbnail", id, size)
	}
	f, err := ts.cache.OpenBlob(t.Context(), th.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return *th, b
}

// TestThumbs_MemoryCache: a thumbnail served from the hot-thumbnail cache
// has the stored bytes and the headers of one read from disk (length, ETag,
// 304, Range, HEAD), and a second request does not read the disk.
func TestThumbs_MemoryCache(t *testing.T) {
	ts := newTestServer(t, nil).withAccounts(t)
	img := ts.upload(t, "alice", part{"file", "a.png", pngBytes(t, 400, 300, color.RGBA{10, 120, 200, 255})},
		part{"visibility", "", []byte("public")}).Images[0]
	th, stored := ts.thumbOf(t, img.ID, gallery.ThumbSmall)
	url := ts.URL + img.URLs.ThumbSmall

	for i, wantHits := range []uint64{0, 1, 2} {
		before := ts.thumbs.Stats()
		resp, body := do(t, "GET", url, nil, nil)
		if resp.StatusCode != 200 || !bytes.Equal(body, stored) {
			t.Fatalf("GET %d: status %d, %d bytes, want the %d stored", i, resp.StatusCode, len(body), len(stored))
		}
		for k, v := range map[string]string{"Content-Length": strconv.Itoa(len(stored)), "Content-Type": th.ContentType,
			"ETag": `"` + th.SHA256 + `"`, "Cache-Control": "public, max-age=31536000, immutable",
			"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox"} {
			if got := resp.Header.Get(k); got != v {
				t.Errorf("GET %d: %s = %q, want %q", i, k, got, v)
			}
		}
		if s := ts.thumbs.Stats(); s.Hits != wantHits {
			t.Errorf("GET %d: thumbnail cache hits %d, want %d (before: %+v)", i, s.Hits, wantHits, before)
		}
	}
	if s := ts.thumbs.Stats(); s.Len != 1 || s.Bytes != int64(len(stored)) || s.Misses != 1 {
		t.Errorf("thumbnail cache: %+v", s)
	}

	resp, _ := do(t, "GET", url, nil, http.Header{"If-None-Match": {`"` + th.SHA256 + `"`}})
	if resp.StatusCode != 304 {
		t.Errorf("If-None-Match: status %d", resp.StatusCode)
	}
	resp, body := do(t, "GET", url, nil, http.Header{"Range": {"bytes=2-9"}})
	if resp.StatusCode != 206 || !bytes.Equal(body, stored[2:10]) {
		t.Errorf("Range: status %d, %d bytes", resp.StatusCode, len(body))
	}
	resp, body = do(t, "GET", url, nil, http.Header{"Range": {"bytes=99999-"}})
	if resp.StatusCode != 416 || !strings.Contains(string(body), `"invalid"`) {
		t.Errorf("unsatisfiable Range: status %d: %s", resp.StatusCode, body)
	}
	resp, body = do(t, "HEAD", url, nil, nil)
	if resp.StatusCode != 200 || len(body) != 0 || resp.Header.Get("Content-Length") != strconv.Itoa(len(stored)) {
		t.Errorf("HEAD: status %d, %d bytes, Content-Length %q", resp.StatusCode, len(body), resp.Header.Get("Content-Length"))
	}
}

// TestThumbs_MemoryCachePrivate: a private image's thumbnail, once in the
// cache, is still sent only to those who may see the image, and a change
// of visibility or a delete takes effect at once.
func TestThumbs_MemoryCachePrivate(t *testing.T) {
	ts := newTestServer(t, nil).withAccounts(t)
	img := ts.upload(t, "alice", part{"file", "p.png", pngBytes(t, 50, 50, color.Gray{77})},
		part{"visibility", "", []byte("private")}).Images[0]
	_, stored := ts.thumbOf(t, img.ID, gallery.ThumbSmall)
	url := ts.URL + img.URLs.ThumbSmall
	check := func(who string, want int, cacheControl string) {
		t.Helper()
		resp, body := do(t, "GET", url, nil, ts.as(who))
		if resp.StatusCode != want {
			t.Errorf("%q: status %d, want %d", who, resp.StatusCode, want)
			return
		}
		if want != 200 {
			if bytes.Contains(body, stored) || resp.Header.Get("ETag") != "" {
				t.Errorf("%q: a refused request carried the thumbnail or its ETag", who)
			}
			return
		}
		if !bytes.Equal(body, stored) || resp.Header.Get("Cache-Control") != cacheControl {
			t.Errorf("%q: %d bytes, Cache-Control %q", who, len(body), resp.Header.Get("Cache-Control"))
		}
	}
	check("alice", 200, "private, max-age=31536000, immutable") // now in the cache
	if s := ts.thumbs.Stats(); s.Len != 1 {
		t.Fatalf("the thumbnail was not cached: %+v", s)
	}
	check("", 404, "")
	check("bob", 404, "")
	check("admin", 200, "private, max-age=31536000, immutable")

	patch := func(body string) {
		t.Helper()
		resp, b := do(t, "PATCH", ts.URL+"/api/images/"+img.ID, strings.NewReader(body),
			withHeader(ts.as("alice"), "Content-Type", "application/json"))
		if resp.StatusCode != 200 {
			t.Fatalf("PATCH %s: %d %s", body, resp.StatusCode, b)
		}
	}
	patch(`{"visibility":"public"}`)
	check("", 200, "public, max-age=31536000, immutable")
	check("bob", 200, "public, max-age=31536000, immutable")
	patch(`{"visibility":"private"}`)
	check("", 404, "")
	check("bob", 404, "")
	check("alice", 200, "private, max-age=31536000, immutable")

	if resp, _ := do(t, "DELETE", ts.URL+"/api/images/"+img.ID, nil, ts.as("alice")); resp.StatusCode != 204 {
		t.Fatalf("DELETE: %d", resp.StatusCode)
	}
	check("alice", 404, "")
	check("admin", 404, "")
}

// TestFile_NoLocationCopyStored: the copy without location sent to others
// is stored at upload beside the original (which stays as uploaded), is
// sent from there with its own ETag, and goes with the image.
func TestFile_NoLocationCopyStored(t *testing.T) {
	ts := newTestServer(t, nil).withAccounts(t)
	orig := withExif(t, jpegBytes(t, 64, 48, color.RGBA{30, 60, 90, 255}), gpsTIFF())
	img := ts.upload(t, "alice", part{"file", "gps.jpg", orig}, part{"visibility", "", []byte("public")}).Images[0]
	v, stripped := ts.thumbOf(t, img.ID, gallery.ThumbNoLocation)
	if v.SHA256 == img.SHA256 || bytes.Equal(stripped, orig) || len(stripped) == 0 {
		t.Fatalf("the stored copy is the original: %+v", v)
	}
	_, kept := ts.thumbOf(t, img.ID, gallery.ThumbLarge)
	if len(kept) == 0 {
		t.Fatal("no large thumbnail")
	}
	f, err := ts.cache.OpenBlob(t.Context(), img.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(f)
	f.Close()
	if !bytes.Equal(got, orig) {
		t.Fatal("the stored original changed")
	}

	resp, body := do(t, "GET", ts.URL+img.URLs.File, nil, ts.as("bob"))
	if resp.StatusCode != 200 || !bytes.Equal(body, stripped) || resp.Header.Get("ETag") != `"`+img.SHA256+`-noloc"` ||
		resp.Header.Get("Content-Length") != strconv.Itoa(len(stripped)) {
		t.Fatalf("bob: status %d, ETag %q, %d bytes, want the stored copy's %d", resp.StatusCode, resp.Header.Get("ETag"), len(body), len(stripped))
	}
	resp, body = do(t, "GET", ts.URL+img.URLs.File, nil, withHeader(ts.as("bob"), "Range", "bytes=0-3"))
	if resp.StatusCode != 206 || !bytes.Equal(body, stripped[:4]) {
		t.Errorf("bob Range: status %d, %q", resp.StatusCode, body)
	}
	resp, body = do(t, "GET", ts.URL+img.URLs.File+"?download=1", nil, ts.as("alice"))
	if resp.StatusCode != 200 || !bytes.Equal(body, orig) || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("alice: status %d, %d bytes, Content-Disposition %q", resp.StatusCode, len(body), resp.Header.Get("Content-Disposition"))
	}

	if resp, _ := do(t, "DELETE", ts.URL+"/api/images/"+img.ID, nil, ts.as("alice")); resp.StatusCode != 204 {
		t.Fatalf("DELETE: %d", resp.StatusCode)
	}
	if _, err := ts.cache.OpenBlob(t.Context(), v.SHA256); gallery.ErrorCode(err) != gallery.ENOTFOUND {
		t.Errorf("the copy without location outlived its image: %v", err)
	}
	if err := ts.db.Verify(t.Context()); err != nil {
		t.Errorf("verify after delete: %v", err)
	}
}

// TestThumbs_CorkedKeepAlive sends thumbnails (past net/http's buffer, so
// written corked) and small JSON answers in turn on one keep-alive
// connection, pipelined: every answer arrives whole and in order. A cork
// left on would hold each small answer back for the kernel's 200 ms, so the
// forty answers are also wanted within a time no working server comes near
// (the check is for a stall, not for speed).
func TestThumbs_CorkedKeepAlive(t *testing.T) {
	ts := newTestServer(t, nil).withAccounts(t)
	img := ts.upload(t, "alice", part{"file", "a.png", encodePhoto(t, photo(400, 300, 1), 0)},
		part{"visibility", "", []byte("public")}).Images[0]
	_, stored := ts.thumbOf(t, img.ID, gallery.ThumbSmall)
	if len(stored) <= 2<<10 {
		t.Fatalf("thumbnail of %d bytes: too small to be corked", len(stored))
	}
	conn, err := net.Dial("tcp", strings.TrimPrefix(ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	start := time.Now()
	for i := range 40 {
		path := img.URLs.ThumbSmall
		if i%2 == 1 {
			path = "/api/images/" + img.ID
		}
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		if err := req.Write(conn); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			t.Fatalf("answer %d: %v", i, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("answer %d: status %d, %v", i, resp.StatusCode, err)
		}
		if i%2 == 0 && !bytes.Equal(body, stored) {
			t.Fatalf("answer %d: %d bytes, want the %d stored", i, len(body), len(stored))
		}
		if i%2 == 1 && !strings.Contains(string(body), img.ID) {
			t.Fatalf("answer %d: %s", i, body)
		}
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("40 answers took %v: a cork was left on", d)
	}
}
