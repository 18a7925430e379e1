package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"testing"
	"unicode/utf8"

	"imagerepo/gallery"
	"imagerepo/imaging"
)

// The fuzzers run the parts of the routes that read client input, without
// the network. Their seed corpora are in testdata/fuzz/<FuzzName>; CI runs
// each for a few seconds (.ci/run).

// clientFault fails t unless err is a gallery error whose status is 4xx:
// a fault of the input, never of the server.
func clientFault(t *testing.T, what string, err error) {
	t.Helper()
	var ge *gallery.Error
	if status := ErrorStatus(gallery.ErrorCode(err)); !errors.As(err, &ge) || status < 400 || status > 499 {
		t.Fatalf("%s: %v is not a client error (status %d)", what, err, status)
	}
}

// FuzzUploadForm feeds bodies and Content-Types to the upload form reader
// and each file it yields to the checks an upload goes through before it
// is stored (fields, title, file name, the decoder): no panic, every
// refusal a 4xx gallery error, every acceptance a valid document, and no
// spooled part left behind.
func FuzzUploadForm(f *testing.F) {
	f.Add([]byte("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\nnot an image\r\n--b--\r\n"), "multipart/form-data; boundary=b")
	f.Add([]byte("--b\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\n\xff\r\n--b--\r\n"), "multipart/form-data; boundary=b")
	f.Add([]byte(""), "text/plain")
	dir := f.TempDir()
	cfg := DefaultConfig()
	cfg.MaxFiles, cfg.MaxFileBytes, cfg.UploadDir = 4, 64<<10, dir
	dec := imaging.New(imaging.Limits{MaxPixels: 1 << 16, MaxGIFFrames: 16, MaxConcurrent: 2})
	s := NewServer(cfg, Services{}, dec, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		form, err := s.parseUploadForm(nil, contentType, bytes.NewReader(body))
		if form != nil {
			defer func() {
				form.cleanup()
				if left, _ := os.ReadDir(dir); len(left) > 0 {
					t.Fatalf("%d spooled files left after cleanup", len(left))
				}
			}()
		}
		if err != nil {
			clientFault(t, "parseUploadForm", err)
			return
		}
		if len(form.files) == 0 || len(form.files) > cfg.MaxFiles {
			t.Fatalf("accepted a form with %d files", len(form.files))
		}
		tmpl, err := s.uploadTemplate(form, "fuzzer")
		if err != nil {
			clientFault(t, "uploadTemplate", err)
			return
		}
		for _, sp := range form.files {
			img, p, err := s.checkUpload(context.Background(), tmpl, form.title, sp)
			if err != nil {
				clientFault(t, "checkUpload", err)
				continue
			}
			again := *img
			if err := again.Validate(); err != nil || !reflect.DeepEqual(&again, img) {
				t.Fatalf("checked document %+v does not validate as it is: %v", img, err)
			}
			if sp.filename != gallery.SanitizeFilename(sp.filename) {
				t.Fatalf("file name %q is not sanitized", sp.filename)
			}
			if p.Info.Width < 1 || p.Info.Height < 1 || p.Info.Width*p.Info.Height > 1<<16 {
				t.Fatalf("accepted %d×%d pixels", p.Info.Width, p.Info.Height)
			}
		}
	})
}

// FuzzListQuery feeds query strings to the reading of GET /api/images's
// parameters: no panic, every refusal a 4xx gallery error, and what it
// accepts within the limits the store and the index rely on.
func FuzzListQuery(f *testing.F) {
	f.Add("limit=10&cursor=abc&tag=x", false)
	f.Add("q=harbour&from=2024-01-01&to=2024-12-31T10:00:00Z&limit=200", true)
	f.Add("sha256=ABC&q=", true)
	f.Fuzz(func(t *testing.T, raw string, signedIn bool) {
		params, _ := url.ParseQuery(raw) // as Echo reads them: what parses
		var v *gallery.User
		if signedIn {
			v = &gallery.User{Username: "alice", Role: gallery.RoleUser}
		}
		filter, q, err := listQuery(params, v)
		if err != nil {
			clientFault(t, "listQuery", err)
			return
		}
		if filter.Limit < 0 || filter.Limit > gallery.MaxPageLimit {
			t.Fatalf("limit %d accepted", filter.Limit)
		}
		if filter.SHA256 != "" && (v == nil || filter.Owner == nil || *filter.Owner != v.Username) {
			t.Fatalf("sha256 lookup not bound to the viewer's own images: %+v", filter)
		}
		if filter.Viewer != v || filter.All {
			t.Fatalf("the filter does not see as the viewer: %+v", filter)
		}
		if q == nil {
			return
		}
		if len(q.Text) > maxQueryBytes || len(q.Camera) > maxQueryBytes || !utf8.ValidString(q.Text) || !utf8.ValidString(q.Camera) {
			t.Fatalf("search text %q camera %q accepted", q.Text, q.Camera)
		}
		if q.Viewer != v || q.Cursor != filter.Cursor || q.Limit != filter.Limit || q.Tag != filter.Tag {
			t.Fatalf("search query %+v does not carry the filter %+v", q, filter)
		}
	})
}

// FuzzDecodeJSON feeds bodies to the strict JSON reader of every JSON
// route, into each request type: no panic, every refusal a 4xx gallery
// error, and what it accepts survives a round trip (encoded again and
// read again, it is the same value).
func FuzzDecodeJSON(f *testing.F) {
	f.Add([]byte(`{"title":"x","tags":["a"],"visibility":"public"}`), "application/json")
	f.Add([]byte(`{"ids":["a","b"]} {}`), "")
	f.Add([]byte("{\"title\":\"\xff\"}"), "text/plain")
	targets := []func() any{
		func() any { return new(gallery.ImageUpdate) },
		func() any { return new(bulkDeleteRequest) },
		func() any { return new(credentials) },
		func() any { return new(newUserRequest) },
		func() any { return new(userUpdate) },
		func() any { return new(passwordChange) },
		func() any { return new(tokenRequest) },
	}
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		for _, target := range targets {
			v := target()
			limited := http.MaxBytesReader(nil, io.NopCloser(bytes.NewReader(body)), 4096)
			if err := decodeJSONBody(contentType, limited, v); err != nil {
				clientFault(t, "decodeJSONBody", err)
				continue
			}
			enc, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("accepted %T %+v does not encode: %v", v, v, err)
			}
			again := target()
			if err := decodeJSONBody("application/json", bytes.NewReader(enc), again); err != nil {
				t.Fatalf("%T encoded as %s is refused: %v", v, enc, err)
			}
			if !reflect.DeepEqual(v, again) {
				t.Fatalf("%T round trip: %+v became %+v", v, v, again)
			}
		}
	})
}
