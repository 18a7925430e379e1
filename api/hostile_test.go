package api_test

import (
	"encoding/json"
	"fmt"
	"image/color"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"imagerepo/gallery"
	"imagerepo/store"
)

// dataState is what a refused request must leave as it found it: the
// stored documents and every file under the data dir's blob folder (its
// temp files included).
type dataState struct {
	docs  []string
	files []string
}

func (ts *testServer) state(t *testing.T) dataState {
	t.Helper()
	var st dataState
	imgs := store.NewImageService(ts.db)
	for cursor := ""; ; {
		page, next, err := imgs.FindImages(t.Context(), gallery.ImageFilter{All: true, Limit: gallery.MaxPageLimit, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, img := range page {
			st.docs = append(st.docs, img.ID)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	err := filepath.WalkDir(filepath.Join(ts.dir, "blobs"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			st.files = append(st.files, strings.TrimPrefix(p, ts.dir))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// leftover says what differs from before, and names any spooled upload
// part still in the upload dir; "" when nothing does.
func (ts *testServer) leftover(t *testing.T, before dataState) string {
	t.Helper()
	var problems []string
	after := ts.state(t)
	if !slices.Equal(after.docs, before.docs) {
		problems = append(problems, fmt.Sprintf("documents %q, want %q", after.docs, before.docs))
	}
	if !slices.Equal(after.files, before.files) {
		problems = append(problems, fmt.Sprintf("blob files %q, want %q", after.files, before.files))
	}
	if spooled := ts.spooled(t); len(spooled) > 0 {
		problems = append(problems, fmt.Sprintf("spooled upload files left: %q", spooled))
	}
	return strings.Join(problems, "; ")
}

// spooled lists the files in the server's upload dir.
func (ts *testServer) spooled(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(ts.cfg.UploadDir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// assertClean fails the test unless the data dir is as it was before and
// nothing is spooled. A handler may still be unwinding after its client
// went away, so it looks again for a while before it fails.
func (ts *testServer) assertClean(t *testing.T, before dataState) {
	t.Helper()
	var problem string
	for range 100 {
		if problem = ts.leftover(t, before); problem == "" {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("left behind: %s", problem)
}

// runClean runs each scenario and checks that it left the data dir as it
// found it.
func runClean(t *testing.T, ts *testServer, vars map[string]string, as string, scenarios []scenario) {
	t.Helper()
	for _, sc := range scenarios {
		before := ts.state(t)
		run(t, ts, vars, as, []scenario{sc})
		ts.assertClean(t, before)
	}
}

// TestHostile_Requests sends the bad input of the HTTP contract: each is a
// clear 4xx and leaves no document, blob or spooled part behind.
func TestHostile_Requests(t *testing.T) {
	ts := newTestServer(t, nil).withAccounts(t)
	img := ts.upload(t, "alice", part{"file", "kept.png", pngBytes(t, 8, 8, color.Black)}).Images[0]
	vars := map[string]string{"id": img.ID}
	red := pngBytes(t, 12, 10, color.RGBA{200, 0, 0, 255})

	files := make([]part, 1000)
	for i := range files {
		files[i] = part{"file", fmt.Sprintf("%d.png", i), red}
	}
	fields := []part{{"file", "a.png", red}}
	for i := range 10000 {
		fields = append(fields, part{fmt.Sprintf("field%d", i), "", []byte("x")})
	}
	titles := []part{{"file", "a.png", red}}
	for range 10000 {
		titles = append(titles, part{"title", "", []byte("again")})
	}
	long := strings.Repeat("x", 10000)
	emoji := strings.Repeat("😀", 10000)
	nested := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)

	runClean(t, ts, vars, "alice", []scenario{
		{name: "1,000 file parts is 413", method: "POST", url: "/api/images", body: formBody(files...),
			wantStatus: 413, wantContent: []string{"at most 100 files"}},
		{name: "10,000 form fields is 413", method: "POST", url: "/api/images", body: formBody(fields...),
			wantStatus: 413, wantContent: []string{"form fields"}},
		{name: "10,000 title fields is 413", method: "POST", url: "/api/images", body: formBody(titles...),
			wantStatus: 413, wantContent: []string{"form fields"}},
		{name: "upload title not UTF-8 is 400", method: "POST", url: "/api/images",
			body: formBody(part{"file", "a.png", red}, part{"title", "", []byte("bad \xff\xfe title")}), wantStatus: 400, wantContent: []string{"UTF-8"}},
		{name: "upload title of 10,000 characters is 400", method: "POST", url: "/api/images",
			body: formBody(part{"file", "a.png", red}, part{"title", "", []byte(long)}), wantStatus: 400, wantContent: []string{"title"}},
		{name: "upload title of 10,000 emoji is 400", method: "POST", url: "/api/images",
			body: formBody(part{"file", "a.png", red}, part{"title", "", []byte(emoji)}), wantStatus: 400, wantContent: []string{"title"}},
		{name: "upload title with NUL is 400", method: "POST", url: "/api/images",
			body: formBody(part{"file", "a.png", red}, part{"title", "", []byte("nul\x00here")}), wantStatus: 400, wantContent: []string{"control"}},
		{name: "upload description not UTF-8 is 400", method: "POST", url: "/api/images",
			body: formBody(part{"file", "a.png", red}, part{"description", "", []byte("\xc3\x28")}), wantStatus: 400, wantContent: []string{"description"}},
		{name: "upload tag not UTF-8 is 400", method: "POST", url: "/api/images",
			body: formBody(part{"file", "a.png", red}, part{"tags", "", []byte("ok,\xed\xa0\x80")}), wantStatus: 400, wantContent: []string{"tags"}},
		{name: "upload field of 1 MB is 400", method: "POST", url: "/api/images",
			body: formBody(part{"file", "a.png", red}, part{"description", "", make([]byte, 1<<20)}), wantStatus: 400, wantContent: []string{"too long"}},
		{name: "part header of 16 MB is 400", method: "POST", url: "/api/images",
			body: func(*testing.T) (io.Reader, string) {
				return strings.NewReader("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\nX-Pad: " +
					strings.Repeat("p", 16<<20) + "\r\n\r\n" + string(red) + "\r\n--b--\r\n"), "multipart/form-data; boundary=b"
			}, wantStatus: 400},
		{name: "multipart without a closing boundary is 400", method: "POST", url: "/api/images",
			body: func(*testing.T) (io.Reader, string) {
				return strings.NewReader("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\n" + string(red)), "multipart/form-data; boundary=b"
			}, wantStatus: 400},
		{name: "empty multipart is 400", method: "POST", url: "/api/images",
			body: func(*testing.T) (io.Reader, string) { return strings.NewReader(""), "multipart/form-data; boundary=b" }, wantStatus: 400},
		{name: "boundary of 1,000 bytes is refused", method: "POST", url: "/api/images",
			body: func(*testing.T) (io.Reader, string) {
				return strings.NewReader("x"), "multipart/form-data; boundary=" + strings.Repeat("b", 1000)
			}, wantStatus: 400},

		{name: "patch title not UTF-8 is 400", method: "PATCH", url: "/api/images/{id}",
			body: jsonBody("{\"title\":\"bad \xff title\"}"), wantStatus: 400, wantContent: []string{"UTF-8"}},
		{name: "patch title of 10,000 characters is 400", method: "PATCH", url: "/api/images/{id}",
			body: jsonBody(`{"title":"` + long + `"}`), wantStatus: 400, wantContent: []string{"title"}},
		{name: "patch title with an escaped NUL is 400", method: "PATCH", url: "/api/images/{id}",
			body: jsonBody(`{"title":"a\u0000b"}`), wantStatus: 400, wantContent: []string{"control"}},
		{name: "patch nested 100,000 deep is 400", method: "PATCH", url: "/api/images/{id}",
			body: jsonBody(nested), wantStatus: 400},
		{name: "patch with a byte order mark is 400", method: "PATCH", url: "/api/images/{id}",
			body: jsonBody("\ufeff{\"title\":\"x\"}"), wantStatus: 400},
		{name: "patch with a duplicate unknown key is 400", method: "PATCH", url: "/api/images/{id}",
			body: jsonBody(`{"title":"x","Title":"y","__proto__":{}}`), wantStatus: 400},
		{name: "patch left the title", method: "GET", url: "/api/images/{id}", wantStatus: 200, wantContent: []string{`"title":"kept"`}},

		{name: "search of 10,000 characters is 400", method: "GET", url: "/api/images?q=" + long, wantStatus: 400},
		{name: "search not UTF-8 is 400", method: "GET", url: "/api/images?q=%ff%fe", wantStatus: 400, wantContent: []string{"UTF-8"}},
		{name: "camera not UTF-8 is 400", method: "GET", url: "/api/images?camera=%c3%28", wantStatus: 400, wantContent: []string{"UTF-8"}},
		{name: "cursor of 10,000 characters is 400", method: "GET", url: "/api/images?cursor=" + long, wantStatus: 400},
		{name: "search cursor of 10,000 characters is 400", method: "GET", url: "/api/images?q=kept&cursor=" + long, wantStatus: 400},
		{name: "cursor with NUL is 400", method: "GET", url: "/api/images?cursor=%00", wantStatus: 400},
		{name: "huge limit is 400", method: "GET", url: "/api/images?limit=99999999999999999999999", wantStatus: 400},
		{name: "negative limit is 400", method: "GET", url: "/api/images?limit=-1", wantStatus: 400},
		{name: "date out of range is 400", method: "GET", url: "/api/images?from=99999-01-01", wantStatus: 400},
		{name: "bulk delete of 1,001 ids is 400", method: "POST", url: "/api/images/delete",
			body: jsonBody(`{"ids":[` + strings.TrimSuffix(strings.Repeat(`"x",`, 1001), ",") + `]}`), wantStatus: 400},
	})
}

// TestHostile_Filenames uploads files whose names try to leave the
// upload folder, break the header they are echoed in, or hide in control
// characters: each is stored under a plain base name (or refused with a
// 400), no file appears at a path built from it, and the download's
// Content-Disposition stays one well-formed header.
func TestHostile_Filenames(t *testing.T) {
	root := t.TempDir()
	ts := newTestServerIn(t, filepath.Join(root, "data"), nil).withAccounts(t)
	dispositions := []string{
		`filename="../../../outside.png"`,
		`filename="..\\..\\outside.png"`,
		`filename*=UTF-8''..%2F..%2Foutside.png`,
		`filename*=UTF-8''a%0D%0AX-Injected%3A%201.png`,
		"filename=\"a\r\nX-Injected: 1.png\"",
		`filename="say \"cheese\".png"`,
		`filename*=UTF-8''quote%22%3B%20filename%3Devil.png`,
		`filename*=UTF-8''nul%00byte.png`,
		"filename=\"nul\x00byte.png\"",
		`filename=".."`,
		`filename="..png"`,
		`filename="<img src=x onerror=alert(1)>.png"`,
		`filename*=UTF-8''%E2%80%AEgnp.exe`,
		`filename="` + strings.Repeat("n", 10000) + `.png"`,
	}
	for i, disp := range dispositions {
		t.Run(fmt.Sprintf("%d %.40q", i, disp), func(t *testing.T) {
			before := ts.state(t)
			data := pngBytes(t, 6, 6, color.RGBA{uint8(i), 100, 50, 255})
			body := "--b\r\nContent-Disposition: form-data; name=\"file\"; " + disp + "\r\nContent-Type: image/png\r\n\r\n" +
				string(data) + "\r\n--b--\r\n"
			h := ts.as("alice")
			h.Set("Content-Type", "multipart/form-data; boundary=b")
			resp, b := do(t, "POST", ts.URL+"/api/images", strings.NewReader(body), h)
			if resp.StatusCode == http.StatusBadRequest {
				assertErrorShape(t, b)
				ts.assertClean(t, before)
				return
			}
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("status %d, want 201 or 400: %s", resp.StatusCode, b)
			}
			var res uploadResult
			if err := json.Unmarshal(b, &res); err != nil || len(res.Images) != 1 {
				t.Fatalf("answer %s: %v", b, err)
			}
			img := res.Images[0]
			name := img.Filename
			if name == "" || name == "." || name == ".." || strings.HasPrefix(name, "..") || len(name) > gallery.MaxFilenameLen ||
				!utf8.ValidString(name) || strings.ContainsAny(name, "/\\\"") || strings.ContainsFunc(name, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) }) {
				t.Errorf("stored file name %q is not a plain base name", name)
			}
			if strings.ContainsFunc(img.Title, unicode.IsControl) {
				t.Errorf("title %q holds control characters", img.Title)
			}
			for _, p := range []string{filepath.Join(root, "outside.png"), filepath.Join(root, "data", "outside.png"), filepath.Join(filepath.Dir(ts.cfg.UploadDir), "outside.png")} {
				if _, err := os.Lstat(p); err == nil {
					t.Errorf("%s exists", p)
				}
			}

			resp, _ = do(t, "GET", ts.URL+img.URLs.File+"?download=1", nil, ts.as("alice"))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("download: status %d", resp.StatusCode)
			}
			cd := resp.Header.Values("Content-Disposition")
			if len(cd) != 1 || strings.ContainsAny(cd[0], "\r\n\x00") {
				t.Fatalf("Content-Disposition %q", cd)
			}
			kind, params, err := mime.ParseMediaType(cd[0])
			if err != nil || kind != "attachment" || params["filename"] != name {
				t.Errorf("Content-Disposition %q parses as %q %q (%v); want attachment with filename %q", cd[0], kind, params, err, name)
			}
			if got := resp.Header.Get("X-Injected"); got != "" {
				t.Errorf("the file name injected a header: X-Injected: %s", got)
			}
			if spooled := ts.spooled(t); len(spooled) > 0 {
				t.Errorf("spooled upload files left: %q", spooled)
			}
		})
	}
}

func assertErrorShape(t *testing.T, b []byte) {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal(b, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Errorf("error body is not the error shape: %s", b)
	}
}

// TestHostile_TextKeptExactly stores titles, descriptions and tags in
// right-to-left scripts, with direction overrides, zero-width characters,
// combining marks and emoji sequences, and reads them back byte for byte
// through get, list and search, after an upload and after a PATCH.
func TestHostile_TextKeptExactly(t *testing.T) {
	ts := newTestServer(t, nil).withAccounts(t)
	texts := []string{
		"\u202eolleh\u202c zanzibar",
		"שלום zanzibar עולם",
		"\u200bzero\u200cwidth\u200djoiner\u2060 zanzibar\u200f",
		"👩\u200d👩\u200d👧\u200d👦 🏳\ufe0f\u200d🌈 👍🏽 🇳🇴 zanzibar",
		"e\u0301te\u0301 zanzibar \u0645\u0631\u062d\u0628\u0627",
		"\ufeffzanzibar\u2028line \u2029para",
	}
	ids := make([]string, len(texts))
	for i, text := range texts {
		res := ts.upload(t, "alice", part{"file", "t.png", pngBytes(t, 5, 5, color.RGBA{uint8(i), 9, 9, 255})},
			part{"title", "", []byte(text)}, part{"description", "", []byte(text + "\n" + text)}, part{"tags", "", []byte(text)})
		ids[i] = res.Images[0].ID
		checkText(t, "upload answer", res.Images[0].Image, text)
	}
	ts.checkTexts(t, ids, texts)

	// Rotate the texts through PATCH and read them all back again.
	for i, id := range ids {
		text := texts[(i+1)%len(texts)]
		body, err := json.Marshal(map[string]any{"title": text, "description": text + "\n" + text, "tags": []string{text}})
		if err != nil {
			t.Fatal(err)
		}
		h := ts.as("alice")
		h.Set("Content-Type", "application/json")
		if resp, b := do(t, "PATCH", ts.URL+"/api/images/"+id, strings.NewReader(string(body)), h); resp.StatusCode != http.StatusOK {
			t.Fatalf("PATCH %d: status %d: %s", i, resp.StatusCode, b)
		}
	}
	rotated := append(slices.Clone(texts[1:]), texts[0])
	ts.checkTexts(t, ids, rotated)
}

// checkTexts reads image ids[i] by id, in the listing and in a search for
// the word they share, and checks it holds texts[i] exactly.
func (ts *testServer) checkTexts(t *testing.T, ids, texts []string) {
	t.Helper()
	for i, id := range ids {
		resp, b := do(t, "GET", ts.URL+"/api/images/"+id, nil, ts.as("alice"))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", id, resp.StatusCode)
		}
		var img gallery.Image
		if err := json.Unmarshal(b, &img); err != nil {
			t.Fatal(err)
		}
		checkText(t, "get", img, texts[i])
	}
	for _, query := range []string{"?limit=200", "?q=zanzibar&limit=200"} {
		resp, b := do(t, "GET", ts.URL+"/api/images"+query, nil, ts.as("alice"))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", query, resp.StatusCode, b)
		}
		var page struct{ Images []gallery.Image }
		if err := json.Unmarshal(b, &page); err != nil {
			t.Fatal(err)
		}
		for i, id := range ids {
			j := slices.IndexFunc(page.Images, func(img gallery.Image) bool { return img.ID == id })
			if j < 0 {
				t.Errorf("%s: image %d (%+q) is missing", query, i, texts[i])
				continue
			}
			checkText(t, query, page.Images[j], texts[i])
		}
	}
}

func checkText(t *testing.T, where string, img gallery.Image, text string) {
	t.Helper()
	if img.Title != text {
		t.Errorf("%s: title %+q, want %+q", where, img.Title, text)
	}
	if want := text + "\n" + text; img.Description != want {
		t.Errorf("%s: description %+q, want %+q", where, img.Description, want)
	}
	if !slices.Equal(img.Tags, []string{text}) {
		t.Errorf("%s: tags %+q, want %+q", where, img.Tags, []string{text})
	}
}

// TestHostile_PathIDs asks for ids and UI paths that would reach a file
// outside the data dir if any path were built from them: each is 404 and
// the file's bytes are never sent.
func TestHostile_PathIDs(t *testing.T) {
	root := t.TempDir()
	const secret = "top secret bytes that must never be served"
	for _, p := range []string{filepath.Join(root, "secret.txt"), filepath.Join(root, "secret.txt", "..", "secret.png")} {
		if err := os.WriteFile(p, []byte(secret), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ts := newTestServerIn(t, filepath.Join(root, "data"), nil).withAccounts(t)
	id := ts.upload(t, "alice", part{"file", "p.png", pngBytes(t, 4, 4, color.Black)}).Images[0].ID
	paths := []string{
		"/api/images/..%2F..%2Fsecret.txt",
		"/api/images/..%2F..%2Fsecret.txt/file",
		"/api/images/..%252F..%252Fsecret.txt/file",
		"/api/images/%2e%2e/file",
		"/api/images/../file",
		"/api/images/..%2f/thumb/small",
		"/api/images/" + id + "%2F..%2F..%2F..%2Fsecret.txt/file",
		"/api/images/" + id + "/thumb/..%2F..%2F..%2F..%2Fsecret.txt",
		"/api/images/" + id + "/thumb/..%252F..%252Fsecret.png",
		"/api/images/" + strings.Repeat("..%2F", 20) + "secret.txt/similar",
		"/..%2F..%2Fsecret.txt",
		"/%2e%2e/%2e%2e/%2e%2e/secret.txt",
		"/..%252F..%252Fsecret.txt",
		"/../../secret.txt",
		"/blobs/..%2F..%2Fsecret.txt",
	}
	for _, p := range paths {
		for _, method := range []string{"GET", "DELETE", "PATCH"} {
			if method != "GET" && !strings.HasPrefix(p, "/api/images/") {
				continue
			}
			t.Run(method+" "+p, func(t *testing.T) {
				before := ts.state(t)
				h := ts.as("admin")
				var body io.Reader
				if method == "PATCH" {
					h.Set("Content-Type", "application/json")
					body = strings.NewReader(`{"title":"x"}`)
				}
				// The client sends the path as written: it neither cleans
				// dot segments nor decodes escapes.
				resp, b := do(t, method, ts.URL+p, body, h)
				if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
					t.Errorf("status %d, want 404: %s", resp.StatusCode, b)
				}
				if strings.Contains(string(b), secret) {
					t.Errorf("the file outside the data dir was served")
				}
				assertErrorShape(t, b)
				ts.assertClean(t, before)
			})
		}
	}
	if b, err := os.ReadFile(filepath.Join(root, "secret.txt")); err != nil || string(b) != secret {
		t.Errorf("the file outside the data dir changed: %q, %v", b, err)
	}
}
