package api_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"image/color"
	"io"
	"net/http"
	"strings"
	"testing"

	"imagerepo/api"
	"imagerepo/gallery"
)

// scenario is one request against the seeded server and what must come back.
type scenario struct {
	name        string
	as          string // who asks: an account name, "-" for anonymous, "" for the table's default
	method, url string
	header      http.Header
	body        func(t *testing.T) (io.Reader, string) // body and its Content-Type
	wantStatus  int
	wantContent []string          // substrings of the body, after {var} expansion
	wantNot     []string          // substrings the body must not hold
	wantHeader  map[string]string // exact header values, after {var} expansion
}

func jsonBody(s string) func(*testing.T) (io.Reader, string) {
	return func(*testing.T) (io.Reader, string) { return strings.NewReader(s), "application/json" }
}

func formBody(parts ...part) func(*testing.T) (io.Reader, string) {
	return func(t *testing.T) (io.Reader, string) { return multipartBody(t, parts) }
}

func run(t *testing.T, ts *testServer, vars map[string]string, as string, scenarios []scenario) {
	t.Helper()
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			var body io.Reader
			who := as
			if sc.as == "-" {
				who = ""
			} else if sc.as != "" {
				who = sc.as
			}
			h := ts.as(who)
			for k, v := range sc.header {
				for _, x := range v {
					h.Add(k, expand(x, vars))
				}
			}
			if sc.body != nil {
				var ct string
				body, ct = sc.body(t)
				if ct == "application/json" {
					b, _ := io.ReadAll(body)
					body = strings.NewReader(expand(string(b), vars))
				}
				h.Set("Content-Type", ct)
			}
			resp, b := do(t, sc.method, ts.URL+expand(sc.url, vars), body, h)
			if resp.StatusCode != sc.wantStatus {
				t.Fatalf("status = %d, want %d; body: %s", resp.StatusCode, sc.wantStatus, b)
			}
			for _, want := range sc.wantContent {
				if want = expand(want, vars); !bytes.Contains(b, []byte(want)) {
					t.Errorf("body lacks %q: %s", want, b)
				}
			}
			for _, not := range sc.wantNot {
				if not = expand(not, vars); bytes.Contains(b, []byte(not)) {
					t.Errorf("body holds %q: %s", not, b)
				}
			}
			for k, want := range sc.wantHeader {
				if got := resp.Header.Get(k); got != expand(want, vars) {
					t.Errorf("header %s = %q, want %q", k, got, expand(want, vars))
				}
			}
			if resp.StatusCode >= 400 && sc.method != "HEAD" {
				var e struct {
					Error struct{ Code, Message string } `json:"error"`
				}
				if err := json.Unmarshal(b, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
					t.Errorf("error body is not the error shape: %s", b)
				}
				if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Errorf("error Content-Type = %q", ct)
				}
			}
		})
	}
}

func TestRoutes_Upload(t *testing.T) {
	ts := newTestServer(t, func(c *api.Config) {
		c.MaxFileBytes = 256 << 10
		c.MaxFiles = 3
	}).withAccounts(t)
	red := pngBytes(t, 40, 30, color.RGBA{200, 0, 0, 255})
	existing := ts.upload(t, "alice", part{"file", "existing.png", pngBytes(t, 8, 8, color.White)})
	vars := map[string]string{"existing": existing.Images[0].ID}
	big := append(pngBytes(t, 4, 4, color.Black), make([]byte, 300<<10)...)
	huge := pngHeader(t, 20000, 20000)
	truncated := red[:len(red)/2]

	run(t, ts, vars, "alice", []scenario{
		{name: "anonymous upload is 401", as: "-", method: "POST", url: "/api/images",
			body: formBody(part{"file", "a.png", red}), wantStatus: 401},
		{name: "one PNG, title from file name", method: "POST", url: "/api/images",
			body:       formBody(part{"file", "Red Square.png", red}),
			wantStatus: 201, wantContent: []string{`"title":"Red Square"`, `"content_type":"image/png"`, `"width":40`, `"height":30`, `"filename":"Red Square.png"`, `"failed":[]`, `"owner":"alice"`, `"visibility":"private"`, `"file":"/api/images/`}},
		{name: "two files and fields after them", method: "POST", url: "/api/images",
			body: formBody(part{"file", "a.jpg", jpegBytes(t, 16, 9, color.RGBA{0, 0, 200, 255})}, part{"file", "b.png", pngBytes(t, 3, 5, color.RGBA{0, 200, 0, 255})},
				part{"title", "", []byte("Holiday")}, part{"description", "", []byte("At the sea")}, part{"tags", "", []byte("beach, sun,,beach")}),
			wantStatus: 201, wantContent: []string{`"title":"Holiday"`, `"description":"At the sea"`, `"tags":["beach","sun"]`, `"content_type":"image/jpeg"`, `"width":3`}},
		{name: "same bytes again is a duplicate", method: "POST", url: "/api/images",
			body:       formBody(part{"file", "again.png", pngBytes(t, 8, 8, color.White)}),
			wantStatus: 201, wantContent: []string{`"id":"{existing}"`, `"duplicate":true`}},
		{name: "same bytes from another owner are their own image", as: "bob", method: "POST", url: "/api/images",
			body:       formBody(part{"file", "again.png", pngBytes(t, 8, 8, color.White)}),
			wantStatus: 201, wantContent: []string{`"owner":"bob"`}, wantNot: []string{`"id":"{existing}"`, `"duplicate"`}},
		{name: "path in file name is dropped", method: "POST", url: "/api/images",
			body:       formBody(part{"file", `../../etc\passwd.gif.png`, pngBytes(t, 2, 2, color.Black)}),
			wantStatus: 201, wantContent: []string{`"filename":"passwd.gif.png"`}, wantNot: []string{"etc"}},
		{name: "text with an image name is 415", method: "POST", url: "/api/images",
			body:       formBody(part{"file", "cat.png", []byte("just some text, not an image")}),
			wantStatus: 415, wantContent: []string{`"code":"unsupported"`}},
		{name: "truncated PNG is 422", method: "POST", url: "/api/images",
			body:       formBody(part{"file", "cut.png", truncated}),
			wantStatus: 422, wantContent: []string{`"code":"unprocessable"`}},
		{name: "too many pixels is 422", method: "POST", url: "/api/images",
			body:       formBody(part{"file", "huge.png", huge}),
			wantStatus: 422, wantContent: []string{`"code":"unprocessable"`}},
		{name: "file over the byte limit is 413", method: "POST", url: "/api/images",
			body:       formBody(part{"file", "big.png", big}),
			wantStatus: 413, wantContent: []string{`"code":"too_large"`, "256 KiB"}},
		{name: "one bad among good ones still stores the good", method: "POST", url: "/api/images",
			body:       formBody(part{"file", "ok.png", pngBytes(t, 6, 6, color.RGBA{1, 2, 3, 255})}, part{"file", "bad.png", []byte("nope")}),
			wantStatus: 201, wantContent: []string{`"title":"ok"`, `"filename":"bad.png"`, `"code":"unsupported"`}},
		{name: "every file failing answers the first failure", method: "POST", url: "/api/images",
			body:       formBody(part{"file", "cut.png", truncated}, part{"file", "bad.png", []byte("nope")}),
			wantStatus: 422},
		{name: "too many files is 413", method: "POST", url: "/api/images",
			body:       formBody(part{"file", "1.png", red}, part{"file", "2.png", red}, part{"file", "3.png", red}, part{"file", "4.png", red}),
			wantStatus: 413, wantContent: []string{"at most 3 files"}},
		{name: "no file part is 400", method: "POST", url: "/api/images",
			body:       formBody(part{"title", "", []byte("lonely")}),
			wantStatus: 400},
		{name: "JSON instead of multipart is 415", method: "POST", url: "/api/images",
			body: jsonBody(`{"title":"x"}`), wantStatus: 415},
		{name: "broken multipart is 400", method: "POST", url: "/api/images",
			body: func(*testing.T) (io.Reader, string) {
				return strings.NewReader("--xx\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\nabc"), "multipart/form-data; boundary=xx"
			},
			wantStatus: 400},
		{name: "bad visibility is 400", method: "POST", url: "/api/images",
			body:       formBody(part{"file", "v.png", red}, part{"visibility", "", []byte("secret")}),
			wantStatus: 400, wantContent: []string{"visibility"}},
		{name: "title too long is 400", method: "POST", url: "/api/images",
			body:       formBody(part{"file", "t.png", red}, part{"title", "", []byte(strings.Repeat("x", 201))}),
			wantStatus: 400, wantContent: []string{"title"}},
	})
}

// pngHeader is a PNG that declares w×h pixels in a valid header and then
// stops: the pixel limit must refuse it before any decoding.
func pngHeader(t *testing.T, w, h int) []byte {
	t.Helper()
	b := pngBytes(t, 1, 1, color.Black)
	// IHDR data starts at byte 16: width, height as big-endian uint32.
	ihdr := b[8 : 8+8+13+4]
	put := func(off int, v uint32) {
		ihdr[off], ihdr[off+1], ihdr[off+2], ihdr[off+3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
	}
	put(8, uint32(w))
	put(12, uint32(h))
	crc := crc32IEEE(ihdr[4 : 4+4+13])
	put(21, crc)
	return append(b[:8+len(ihdr)], make([]byte, 64)...)
}

func TestRoutes_Images(t *testing.T) {
	ts := newTestServer(t, func(c *api.Config) { c.DefaultVisibility = gallery.Public }).withAccounts(t)
	blue := pngBytes(t, 10, 10, color.RGBA{0, 0, 255, 255})
	first := ts.upload(t, "alice", part{"file", "first.png", pngBytes(t, 10, 10, color.Black)}, part{"tags", "", []byte("cats")}).Images[0]
	second := ts.upload(t, "alice", part{"file", "second.png", blue}, part{"tags", "", []byte("Dogs")}).Images[0]
	third := ts.upload(t, "alice", part{"file", "Café über.png", pngBytes(t, 12, 10, color.White)}).Images[0]
	gone := ts.upload(t, "alice", part{"file", "gone.png", pngBytes(t, 4, 4, color.Black)}).Images[0]
	bulk := ts.upload(t, "alice", part{"file", "bulk.png", pngBytes(t, 5, 4, color.Black)}).Images[0]
	sum := sha256.Sum256(blue)
	vars := map[string]string{
		"first": first.ID, "second": second.ID, "third": third.ID, "gone": gone.ID, "bulk": bulk.ID,
		"sha": hex.EncodeToString(sum[:]), "missing": "0000000000000000000000000a",
	}
	run(t, ts, vars, "alice", []scenario{
		{name: "list newest first", method: "GET", url: "/api/images?limit=2",
			wantStatus: 200, wantContent: []string{`"id":"{bulk}"`, `"id":"{gone}"`, `"next":"{gone}"`}, wantNot: []string{`"id":"{third}"`}},
		{name: "next page from the cursor", method: "GET", url: "/api/images?limit=2&cursor={gone}",
			wantStatus: 200, wantContent: []string{`"id":"{third}"`, `"id":"{second}"`}, wantNot: []string{`"id":"{gone}"`, `"id":"{first}"`}},
		{name: "last page has an empty next", method: "GET", url: "/api/images?limit=2&cursor={second}",
			wantStatus: 200, wantContent: []string{`"id":"{first}"`, `"next":""`}},
		{name: "tag filter ignores case", method: "GET", url: "/api/images?tag=dogs",
			wantStatus: 200, wantContent: []string{`"id":"{second}"`}, wantNot: []string{`"id":"{first}"`}},
		{name: "sha256 filter", method: "GET", url: "/api/images?sha256={sha}",
			wantStatus: 200, wantContent: []string{`"id":"{second}"`}, wantNot: []string{`"id":"{first}"`}},
		{name: "bad sha256 is 400", method: "GET", url: "/api/images?sha256=xyz", wantStatus: 400},
		{name: "limit zero is 400", method: "GET", url: "/api/images?limit=0", wantStatus: 400},
		{name: "limit too big is 400", method: "GET", url: "/api/images?limit=201", wantStatus: 400},
		{name: "limit not a number is 400", method: "GET", url: "/api/images?limit=ten", wantStatus: 400},
		{name: "bad cursor is 400", method: "GET", url: "/api/images?cursor=%2F..%2Fnope", wantStatus: 400},

		{name: "get by id, first a miss", method: "GET", url: "/api/images/{first}",
			wantStatus: 200, wantContent: []string{`"id":"{first}"`, `"tags":["cats"]`}, wantHeader: map[string]string{"X-Cache": "miss"}},
		{name: "get by id again is a hit", method: "GET", url: "/api/images/{first}",
			wantStatus: 200, wantHeader: map[string]string{"X-Cache": "hit"}},
		{name: "unknown id is 404", method: "GET", url: "/api/images/{missing}", wantStatus: 404},
		{name: "malformed id is 404", method: "GET", url: "/api/images/..%2F..%2Fetc", wantStatus: 404},

		{name: "patch the title", method: "PATCH", url: "/api/images/{first}", body: jsonBody(`{"title":"  New title ","tags":["a","b"]}`),
			wantStatus: 200, wantContent: []string{`"title":"New title"`, `"tags":["a","b"]`, `"id":"{first}"`}},
		{name: "after a patch the cache misses and shows it", method: "GET", url: "/api/images/{first}",
			wantStatus: 200, wantContent: []string{`"title":"New title"`}, wantHeader: map[string]string{"X-Cache": "miss"}},
		{name: "patch visibility", method: "PATCH", url: "/api/images/{first}", body: jsonBody(`{"visibility":"private"}`),
			wantStatus: 200, wantContent: []string{`"visibility":"private"`, `"title":"New title"`}},
		{name: "patch unknown field is 400", method: "PATCH", url: "/api/images/{first}", body: jsonBody(`{"titel":"x"}`),
			wantStatus: 400, wantContent: []string{"titel"}},
		{name: "patch wrong type is 400", method: "PATCH", url: "/api/images/{first}", body: jsonBody(`{"title":5}`),
			wantStatus: 400, wantContent: []string{"title"}},
		{name: "patch malformed JSON is 400", method: "PATCH", url: "/api/images/{first}", body: jsonBody(`{"title":`), wantStatus: 400},
		{name: "patch empty body is 400", method: "PATCH", url: "/api/images/{first}", body: jsonBody(``), wantStatus: 400},
		{name: "patch two objects is 400", method: "PATCH", url: "/api/images/{first}", body: jsonBody(`{} {}`), wantStatus: 400},
		{name: "patch an array is 400", method: "PATCH", url: "/api/images/{first}", body: jsonBody(`[]`), wantStatus: 400},
		{name: "patch empty title is 400", method: "PATCH", url: "/api/images/{first}", body: jsonBody(`{"title":" "}`), wantStatus: 400},
		{name: "patch bad visibility is 400", method: "PATCH", url: "/api/images/{first}", body: jsonBody(`{"visibility":"everyone"}`), wantStatus: 400},
		{name: "patch too many tags is 400", method: "PATCH", url: "/api/images/{first}", body: jsonBody(`{"tags":[` + strings.Repeat(`"t",`, 0) + manyTags(51) + `]}`), wantStatus: 400},
		{name: "patch huge body is 413", method: "PATCH", url: "/api/images/{first}", body: jsonBody(`{"description":"` + strings.Repeat("x", 2<<20) + `"}`), wantStatus: 413},
		{name: "patch as text/plain is 415", method: "PATCH", url: "/api/images/{first}",
			body: func(*testing.T) (io.Reader, string) { return strings.NewReader(`{}`), "text/plain" }, wantStatus: 415},
		{name: "patch unknown id is 404", method: "PATCH", url: "/api/images/{missing}", body: jsonBody(`{"title":"x"}`), wantStatus: 404},

		{name: "file bytes", method: "GET", url: "/api/images/{second}/file", wantStatus: 200,
			wantHeader: map[string]string{"Content-Type": "image/png", "ETag": `"{sha}"`, "X-Content-Type-Options": "nosniff",
				"Content-Disposition": `inline; filename=second.png`, "Accept-Ranges": "bytes"}},
		{name: "file If-None-Match is 304", method: "GET", url: "/api/images/{second}/file",
			header: http.Header{"If-None-Match": {`"{sha}"`}}, wantStatus: 304},
		{name: "file range is 206", method: "GET", url: "/api/images/{second}/file",
			header: http.Header{"Range": {"bytes=0-7"}}, wantStatus: 206,
			wantHeader: map[string]string{"Content-Length": "8", "Content-Range": "bytes 0-7/" + itoa(len(blue))}},
		{name: "file unsatisfiable range is 416", method: "GET", url: "/api/images/{second}/file",
			header: http.Header{"Range": {"bytes=999999-"}}, wantStatus: 416},
		{name: "file download with a non-ASCII name", method: "GET", url: "/api/images/{third}/file?download=1", wantStatus: 200,
			wantHeader: map[string]string{"Content-Disposition": `attachment; filename="Caf_ _ber.png"; filename*=UTF-8''Caf%C3%A9%20%C3%BCber.png`}},
		{name: "file HEAD", method: "HEAD", url: "/api/images/{second}/file", wantStatus: 200,
			wantHeader: map[string]string{"Content-Length": itoa(len(blue))}},
		{name: "file of unknown id is 404", method: "GET", url: "/api/images/{missing}/file", wantStatus: 404},
		{name: "document HEAD", method: "HEAD", url: "/api/images/{second}", wantStatus: 200,
			wantHeader: map[string]string{"Content-Type": "application/json", "X-Cache": "hit"}},
		{name: "document HEAD of unknown id is 404", method: "HEAD", url: "/api/images/{missing}", wantStatus: 404,
			wantHeader: map[string]string{"X-Cache": "miss"}},

		{name: "delete", method: "DELETE", url: "/api/images/{gone}", wantStatus: 204},
		{name: "deleted image is 404", method: "GET", url: "/api/images/{gone}", wantStatus: 404},
		{name: "deleted file is 404", method: "GET", url: "/api/images/{gone}/file", wantStatus: 404},
		{name: "delete again is 404", method: "DELETE", url: "/api/images/{gone}", wantStatus: 404},
		{name: "bulk delete", method: "POST", url: "/api/images/delete", body: jsonBody(`{"ids":["{bulk}","{missing}"]}`),
			wantStatus: 200, wantContent: []string{`"deleted":["{bulk}"]`, `"id":"{missing}"`, `"code":"not_found"`}},
		{name: "bulk deleted image is 404", method: "GET", url: "/api/images/{bulk}", wantStatus: 404},
		{name: "bulk delete of nothing is 400", method: "POST", url: "/api/images/delete", body: jsonBody(`{"ids":[]}`), wantStatus: 400},
		{name: "bulk delete with ids not a list is 400", method: "POST", url: "/api/images/delete", body: jsonBody(`{"ids":"x"}`), wantStatus: 400},

		{name: "health", method: "GET", url: "/healthz", wantStatus: 200, wantContent: []string{`"status":"ok"`}},
		{name: "unknown API route is a JSON 404", method: "GET", url: "/api/nothing", wantStatus: 404},
		{name: "wrong method is a JSON 405", method: "PUT", url: "/api/images", wantStatus: 405},
		{name: "UI index with a CSP", method: "GET", url: "/", wantStatus: 200, wantContent: []string{"<title>imagerepo"},
			wantHeader: map[string]string{"X-Content-Type-Options": "nosniff"}},
		{name: "UI path escape is 404", method: "GET", url: "/..%2f..%2fgo.mod", wantStatus: 404},
		{name: "cross-site delete is 403", as: "-", method: "DELETE", url: "/api/images/{third}",
			header: http.Header{"Origin": {"https://evil.example"}, "Sec-Fetch-Site": {"cross-site"}}, wantStatus: 403},
		{name: "cross-site delete left the image", method: "GET", url: "/api/images/{third}", wantStatus: 200},
		{name: "OpenAPI document", method: "GET", url: "/api/openapi.json", wantStatus: 200, wantContent: []string{`"openapi"`}},
	})
}

func manyTags(n int) string {
	tags := make([]string, n)
	for i := range tags {
		tags[i] = `"tag` + itoa(i) + `"`
	}
	return strings.Join(tags, ",")
}
