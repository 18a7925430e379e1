package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"imagerepo/api"
	"imagerepo/cache"
	"imagerepo/gallery"
	"imagerepo/imaging"
	"imagerepo/search"
	"imagerepo/store"
)

// testServer is the real stack over real HTTP: a bbolt file in a temp dir,
// the hot-id cache, the image decoder and the Echo routes, served by the
// server's own http.Server (its header limits and timeouts) on loopback.
type testServer struct {
	URL    string
	dir    string // the data dir
	cfg    api.Config
	srv    *api.Server // its Handler serves requests without a connection
	db     *store.DB
	cache  *cache.ImageService
	thumbs *cache.Blobs      // 1 MiB: thumbnails up to 128 KiB are served from memory
	tokens map[string]string // bearer secrets of the accounts admin, alice and bob
}

func newTestServer(t testing.TB, tweak func(*api.Config)) *testServer {
	t.Helper()
	return newTestServerIn(t, t.TempDir(), tweak)
}

func newTestServerIn(t testing.TB, dir string, tweak func(*api.Config)) *testServer {
	t.Helper()
	return newTestServerLogged(t, dir, tweak, slog.New(slog.NewTextHandler(io.Discard, nil)), api.Hooks{})
}

// newTestServerLogged is newTestServerIn with the server's logger and hooks
// given; the store and index stay quiet.
func newTestServerLogged(t testing.TB, dir string, tweak func(*api.Config), logger *slog.Logger, hooks api.Hooks) *testServer {
	t.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := store.Open(dir, store.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	cfg := api.DefaultConfig()
	cfg.UploadDir = t.TempDir()
	if tweak != nil {
		tweak(&cfg)
	}
	stored := store.NewImageService(db)
	seq, err := db.WriteSeq()
	if err != nil {
		t.Fatal(err)
	}
	idx, err := search.Open(filepath.Join(dir, "search"), search.Options{Logger: quiet, StoreSeq: seq, Source: stored})
	if err != nil {
		t.Fatal(err)
	}
	c := cache.New(search.NewImageService(stored, idx), 100)
	thumbs := cache.NewBlobs(1 << 20)
	svc := api.Services{
		Images:   c,
		Users:    search.NewUserService(store.NewUserService(db), idx),
		Sessions: store.NewSessionService(db),
		Tokens:   store.NewTokenService(db),
		Search:   idx,
		Similar:  stored,
		Hooks:    hooks,
		Backup:   backups{db},
		Thumbs:   thumbs,
	}
	dec := imaging.New(imaging.Limits{MaxPixels: 4_000_000})
	ui := fstest.MapFS{"index.html": {Data: []byte("<!doctype html><title>imagerepo</title>")}}
	srv := api.NewServer(cfg, svc, dec, ui, logger)
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	ts := &testServer{URL: "http://" + srv.Addr().String(), dir: dir, cfg: cfg, srv: srv, db: db, cache: c, thumbs: thumbs, tokens: map[string]string{}}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
		if err := idx.Close(); err != nil {
			t.Error(err)
		}
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return ts
}

// backups lets the routes take backups of the store, as main.go does.
type backups struct{ db *store.DB }

func (b backups) StartBackup(ctx context.Context) (api.BackupArchive, error) {
	bk, err := b.db.StartBackup(ctx)
	if err != nil {
		return nil, err
	}
	return bk, nil
}

// withAccounts makes the admin (the first account, anonymously, as the UI
// does), then alice and bob as the admin, and a token for each.
func (ts *testServer) withAccounts(t testing.TB) *testServer {
	t.Helper()
	ctx := t.Context()
	body := `{"username":"admin","password":"admin-password"}`
	if resp, b := do(t, "POST", ts.URL+"/api/users", strings.NewReader(body), jsonHeader()); resp.StatusCode != 201 {
		t.Fatalf("first admin: %d %s", resp.StatusCode, b)
	}
	users := store.NewUserService(ts.db)
	for _, name := range []string{"alice", "bob"} {
		if _, err := users.CreateUser(ctx, name, name+"-password", gallery.RoleUser); err != nil {
			t.Fatal(err)
		}
	}
	tokens := store.NewTokenService(ts.db)
	for _, name := range []string{"admin", "alice", "bob"} {
		secret, _, err := tokens.CreateToken(ctx, name, "test")
		if err != nil {
			t.Fatal(err)
		}
		ts.tokens[name] = secret
	}
	return ts
}

// as returns the header that signs a request in as name ("" is anonymous).
func (ts *testServer) as(name string) http.Header {
	if name == "" {
		return http.Header{}
	}
	return http.Header{"Authorization": {"Bearer " + ts.tokens[name]}}
}

// pngBytes encodes a w×h PNG filled with c.
func pngBytes(t testing.TB, w, h int, c color.Color) []byte {
	return encodeFilled(t, w, h, c, png.Encode)
}

func jpegBytes(t testing.TB, w, h int, c color.Color) []byte {
	return encodeFilled(t, w, h, c, func(w io.Writer, m image.Image) error { return jpeg.Encode(w, m, nil) })
}

func encodeFilled(t testing.TB, w, h int, c color.Color, encode func(io.Writer, image.Image) error) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// part is one part of a multipart upload: a file when filename is set.
type part struct {
	field, filename string
	data            []byte
}

func multipartBody(t testing.TB, parts []part) (io.Reader, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		var w io.Writer
		var err error
		if p.filename != "" {
			w, err = mw.CreateFormFile(p.field, p.filename)
		} else {
			w, err = mw.CreateFormField(p.field)
		}
		if err != nil {
			t.Fatal(err)
		}
		w.Write(p.data)
	}
	mw.Close()
	return &buf, mw.FormDataContentType()
}

// do sends one request and returns the response with its body read.
func do(t testing.TB, method, url string, body io.Reader, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

type uploadResult struct {
	Images []struct {
		gallery.Image
		Duplicate bool     `json:"duplicate"`
		SimilarTo []string `json:"similar_to"`
		URLs      struct {
			File       string `json:"file"`
			ThumbSmall string `json:"thumb_small"`
			ThumbLarge string `json:"thumb_large"`
		} `json:"urls"`
	} `json:"images"`
	Failed []struct {
		Filename string `json:"filename"`
		Error    struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	} `json:"failed"`
}

// upload posts parts as who and decodes a 201 answer; it fails the test
// otherwise.
func (ts *testServer) upload(t testing.TB, who string, parts ...part) uploadResult {
	t.Helper()
	body, ct := multipartBody(t, parts)
	h := ts.as(who)
	h.Set("Content-Type", ct)
	resp, b := do(t, "POST", ts.URL+"/api/images", body, h)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: status %d: %s", resp.StatusCode, b)
	}
	var res uploadResult
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	return res
}

func jsonHeader() http.Header { return http.Header{"Content-Type": {"application/json"}} }

// expandIDs replaces {name} placeholders in s.
func expand(s string, vars map[string]string) string {
	for k, v := range vars {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}

func itoa(n int) string { return strconv.Itoa(n) }

func crc32IEEE(b []byte) uint32 { return crc32.ChecksumIEEE(b) }

func newJar() http.CookieJar {
	jar, err := cookiejar.New(nil)
	if err != nil {
		panic(err)
	}
	return jar
}
