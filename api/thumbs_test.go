package api_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"image"
	"image/color"
	_ "image/jpeg"
	_ "image/png"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"imagerepo/gallery"
	"imagerepo/imaging"
	"imagerepo/store"
)

// TestThumbs_Sizes: both thumbnails exist, fit their boxes with the aspect
// kept, are never larger than the original, and are cached as immutable.
func TestThumbs_Sizes(t *testing.T) {
	ts := newTestServer(t, nil).withAccounts(t)
	big := ts.upload(t, "alice", part{"file", "big.jpg", jpegBytes(t, 1600, 800, color.RGBA{200, 40, 40, 255})},
		part{"visibility", "", []byte("public")}).Images[0]
	tiny := ts.upload(t, "alice", part{"file", "tiny.png", pngBytes(t, 200, 100, color.NRGBA{10, 200, 10, 128})},
		part{"visibility", "", []byte("public")}).Images[0]
	if big.URLs.ThumbSmall != "/api/images/"+big.ID+"/thumb/small" || big.URLs.ThumbLarge != "/api/images/"+big.ID+"/thumb/large" {
		t.Fatalf("urls = %+v", big.URLs)
	}
	tests := []struct {
		name, url, wantType string
		wantW, wantH        int
	}{
		{"jpeg small", big.URLs.ThumbSmall, "image/jpeg", 320, 160},
		{"jpeg large", big.URLs.ThumbLarge, "image/jpeg", 1280, 640},
		{"png small", tiny.URLs.ThumbSmall, "image/png", 200, 100}, // never upscaled
		{"png large", tiny.URLs.ThumbLarge, "image/png", 200, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, "GET", ts.URL+tt.url, nil, nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			h := resp.Header
			if got := h.Get("Content-Type"); got != tt.wantType {
				t.Errorf("Content-Type = %q, want %q", got, tt.wantType)
			}
			if got := h.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
				t.Errorf("Cache-Control = %q", got)
			}
			if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q", got)
			}
			cfg, format, err := image.DecodeConfig(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if "image/"+format != tt.wantType || cfg.Width != tt.wantW || cfg.Height != tt.wantH {
				t.Errorf("decoded %s %dx%d, want %s %dx%d", format, cfg.Width, cfg.Height, tt.wantType, tt.wantW, tt.wantH)
			}
			etag := h.Get("ETag")
			if len(etag) != 66 || etag[0] != '"' || strings.Contains(etag, big.SHA256) || strings.Contains(etag, tiny.SHA256) {
				t.Errorf("ETag = %q, want the quoted sha256 of the thumbnail", etag)
			}
			resp, _ = do(t, "GET", ts.URL+tt.url, nil, http.Header{"If-None-Match": {etag}})
			if resp.StatusCode != http.StatusNotModified {
				t.Errorf("If-None-Match: status %d, want 304", resp.StatusCode)
			}
			resp, body = do(t, "HEAD", ts.URL+tt.url, nil, nil)
			if resp.StatusCode != http.StatusOK || len(body) != 0 || resp.Header.Get("ETag") != etag {
				t.Errorf("HEAD: status %d, %d bytes, ETag %q", resp.StatusCode, len(body), resp.Header.Get("ETag"))
			}
		})
	}
	for _, url := range []string{"/api/images/" + big.ID + "/thumb/medium", "/api/images/nosuchid/thumb/small"} {
		if resp, body := do(t, "GET", ts.URL+url, nil, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404: %s", url, resp.StatusCode, body)
		}
	}
}

// TestThumbs_Private: a private image's thumbnails are 404 to whoever may
// not see it, and private to the browser cache of whoever may.
func TestThumbs_Private(t *testing.T) {
	ts := newTestServer(t, nil).withAccounts(t)
	img := ts.upload(t, "alice", part{"file", "p.png", pngBytes(t, 40, 30, color.Gray{90})},
		part{"visibility", "", []byte("private")}).Images[0]
	for _, tt := range []struct {
		who  string
		want int
	}{{"", 404}, {"bob", 404}, {"alice", 200}, {"admin", 200}} {
		for _, url := range []string{img.URLs.ThumbSmall, img.URLs.ThumbLarge} {
			resp, body := do(t, "GET", ts.URL+url, nil, ts.as(tt.who))
			if resp.StatusCode != tt.want {
				t.Errorf("%q GET %s: status %d, want %d: %s", tt.who, url, resp.StatusCode, tt.want, body)
				continue
			}
			if tt.want == 200 {
				if got := resp.Header.Get("Cache-Control"); got != "private, max-age=31536000, immutable" {
					t.Errorf("%q: Cache-Control = %q", tt.who, got)
				}
			}
		}
	}
}

// TestThumbs_Location: the position from the EXIF is in the document for
// the owner and admins only, and the original served to anyone else has
// no GPS, while the camera data stays visible to all.
// It runs on a built photo and on a real phone's (testdata/camera/gps.jpg).
func TestThumbs_Location(t *testing.T) {
	ts := newTestServer(t, nil).withAccounts(t)
	phone, err := os.ReadFile(filepath.Join("..", "testdata", "camera", "gps.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, model, taken string
		latitude           float64
		photo              []byte
	}{
		{"built", "Test Camera 1", "2023-07-14T18:30:05", 48.858, withExif(t, jpegBytes(t, 64, 48, color.RGBA{30, 60, 90, 255}), gpsTIFF())},
		{"phone", "SM-N920T", "2018-04-28T21:23:12", 26.5867, phone},
	} {
		t.Run(tt.name, func(t *testing.T) { checkLocation(t, ts, tt.photo, tt.model, tt.taken, tt.latitude) })
	}
}

func checkLocation(t *testing.T, ts *testServer, orig []byte, model, taken string, latitude float64) {
	if x, err := imaging.ReadExif(bytes.NewReader(orig)); err != nil || x == nil || x.Latitude == nil {
		t.Fatalf("test photo has no GPS: %+v, %v", x, err)
	}
	img := ts.upload(t, "alice", part{"file", "gps.jpg", orig}, part{"visibility", "", []byte("public")}).Images[0]
	if img.Location == nil || math.Abs(img.Location.Latitude-latitude) > 0.01 {
		t.Errorf("upload response location = %+v", img.Location)
	}
	for _, tt := range []struct {
		who      string
		location bool
	}{{"alice", true}, {"admin", true}, {"bob", false}, {"", false}} {
		resp, body := do(t, "GET", ts.URL+"/api/images/"+img.ID, nil, ts.as(tt.who))
		if resp.StatusCode != 200 {
			t.Fatalf("%q: status %d", tt.who, resp.StatusCode)
		}
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatal(err)
		}
		if _, ok := doc["location"]; ok != tt.location {
			t.Errorf("%q: location shown %v, want %v: %s", tt.who, ok, tt.location, body)
		}
		if !strings.Contains(string(doc["camera"]), `"model":"`+model+`"`) || !strings.Contains(string(doc["taken_at"]), taken) {
			t.Errorf("%q: camera %s, taken_at %s", tt.who, doc["camera"], doc["taken_at"])
		}
		resp, body = do(t, "GET", ts.URL+"/api/images?limit=5", nil, ts.as(tt.who))
		if got := strings.Contains(string(body), `"location"`); resp.StatusCode != 200 || got != tt.location {
			t.Errorf("%q: list status %d, location shown %v, want %v", tt.who, resp.StatusCode, got, tt.location)
		}

		resp, file := do(t, "GET", ts.URL+img.URLs.File, nil, ts.as(tt.who))
		if resp.StatusCode != 200 {
			t.Fatalf("%q: file status %d", tt.who, resp.StatusCode)
		}
		x, err := imaging.ReadExif(bytes.NewReader(file))
		if err != nil || x == nil {
			t.Fatalf("%q: served file's EXIF: %+v, %v", tt.who, x, err)
		}
		etag := resp.Header.Get("ETag")
		if tt.location {
			if !bytes.Equal(file, orig) || etag != `"`+img.SHA256+`"` {
				t.Errorf("%q: the original was not served as stored (ETag %q)", tt.who, etag)
			}
			continue
		}
		if x.Latitude != nil || x.Longitude != nil {
			t.Errorf("%q: served original still has GPS %v, %v", tt.who, *x.Latitude, *x.Longitude)
		}
		if x.Model != model {
			t.Errorf("%q: the rest of the EXIF went too: %+v", tt.who, x)
		}
		if etag != `"`+img.SHA256+`-noloc"` {
			t.Errorf("%q: ETag = %q", tt.who, etag)
		}
		if resp, _ := do(t, "GET", ts.URL+img.URLs.File, nil, withHeader(ts.as(tt.who), "If-None-Match", etag)); resp.StatusCode != 304 {
			t.Errorf("%q: If-None-Match: status %d, want 304", tt.who, resp.StatusCode)
		}
	}
}

func withHeader(h http.Header, k, v string) http.Header {
	h.Set(k, v)
	return h
}

// withExif puts an APP1 Exif segment holding tiff right after the SOI of
// the JPEG b.
func withExif(t testing.TB, b, tiff []byte) []byte {
	t.Helper()
	if len(b) < 2 || b[0] != 0xFF || b[1] != 0xD8 {
		t.Fatal("not a JPEG")
	}
	seg := append([]byte("Exif\x00\x00"), tiff...)
	out := append([]byte{0xFF, 0xD8, 0xFF, 0xE1}, binary.BigEndian.AppendUint16(nil, uint16(len(seg)+2))...)
	out = append(out, seg...)
	return append(out, b[2:]...)
}

// exifEntry is one entry of an IFD laid out by tiffOf.
type exifEntry struct {
	tag, typ uint16
	count    uint32
	data     []byte // encoded values (little-endian)
	ifd      int    // 1 + index of the IFD this LONG points to; 0 when none
}

// tiffOf lays out a little-endian TIFF structure: the header, then the
// IFDs in order, each followed by its values that do not fit in an entry.
func tiffOf(ifds ...[]exifEntry) []byte {
	le := binary.LittleEndian
	offs := make([]int, len(ifds))
	off := 8
	for i, ifd := range ifds {
		offs[i] = off
		off += 2 + 12*len(ifd) + 4
		for _, e := range ifd {
			if len(e.data) > 4 {
				off += len(e.data) + len(e.data)&1
			}
		}
	}
	b := le.AppendUint32([]byte("II*\x00"), 8)
	for i, ifd := range ifds {
		b = le.AppendUint16(b, uint16(len(ifd)))
		extra := offs[i] + 2 + 12*len(ifd) + 4
		var values []byte
		for _, e := range ifd {
			b = le.AppendUint16(b, e.tag)
			b = le.AppendUint16(b, e.typ)
			b = le.AppendUint32(b, e.count)
			switch {
			case e.ifd > 0:
				b = le.AppendUint32(b, uint32(offs[e.ifd-1]))
			case len(e.data) > 4:
				b = le.AppendUint32(b, uint32(extra+len(values)))
				values = append(values, e.data...)
				if len(e.data)&1 == 1 {
					values = append(values, 0)
				}
			default:
				var v [4]byte
				copy(v[:], e.data)
				b = append(b, v[:]...)
			}
		}
		b = le.AppendUint32(b, 0)
		b = append(b, values...)
	}
	return b
}

func asciiEntry(tag uint16, s string) exifEntry {
	return exifEntry{tag: tag, typ: 2, count: uint32(len(s) + 1), data: append([]byte(s), 0)}
}

func rationalEntry(tag uint16, v ...[2]uint32) exifEntry {
	var d []byte
	for _, r := range v {
		d = binary.LittleEndian.AppendUint32(d, r[0])
		d = binary.LittleEndian.AppendUint32(d, r[1])
	}
	return exifEntry{tag: tag, typ: 5, count: uint32(len(v)), data: d}
}

// gpsTIFF is a camera's EXIF: make, model, time taken and a GPS position
// (48°51'24" N, 2°21'3" E).
func gpsTIFF() []byte {
	return tiffOf(
		[]exifEntry{
			asciiEntry(0x010F, "Test"),
			asciiEntry(0x0110, "Test Camera 1"),
			{tag: 0x8769, typ: 4, count: 1, ifd: 2},
			{tag: 0x8825, typ: 4, count: 1, ifd: 3},
		},
		[]exifEntry{
			asciiEntry(0x9003, "2023:07:14 18:30:05"),
			rationalEntry(0x829A, [2]uint32{1, 250}),
		},
		[]exifEntry{
			asciiEntry(1, "N"),
			rationalEntry(2, [2]uint32{48, 1}, [2]uint32{51, 1}, [2]uint32{2400, 100}),
			asciiEntry(3, "E"),
			rationalEntry(4, [2]uint32{2, 1}, [2]uint32{21, 1}, [2]uint32{300, 100}),
		},
	)
}

// TestThumbs_HiddenLooksAbsent: to someone who may not see a private image,
// its routes answer as for an id with no image, headers included, though
// the image is in the hot-id cache.
func TestThumbs_HiddenLooksAbsent(t *testing.T) {
	ts := newTestServer(t, nil).withAccounts(t)
	img := ts.upload(t, "alice", part{"file", "p.png", pngBytes(t, 40, 30, color.Gray{90})},
		part{"visibility", "", []byte("private")}).Images[0]
	absent := strings.Repeat("0", len(img.ID))
	for _, route := range []string{"", "/file", "/thumb/small"} {
		do(t, "GET", ts.URL+"/api/images/"+img.ID+route, nil, ts.as("alice")) // cached now
		for _, who := range []string{"", "bob"} {
			resp, body := do(t, "GET", ts.URL+"/api/images/"+img.ID+route, nil, ts.as(who))
			ref, refBody := do(t, "GET", ts.URL+"/api/images/"+absent+route, nil, ts.as(who))
			if resp.StatusCode != 404 || ref.StatusCode != 404 || string(body) != string(refBody) ||
				resp.Header.Get("X-Cache") != ref.Header.Get("X-Cache") {
				t.Errorf("%q GET %s: %d X-Cache %q %s; absent id: %d X-Cache %q %s", who, route,
					resp.StatusCode, resp.Header.Get("X-Cache"), body, ref.StatusCode, ref.Header.Get("X-Cache"), refBody)
			}
		}
	}
}

// TestThumbs_OriginalWithLocationIsPrivate: what the owner and admins get
// of a photo with a location (its original, and in place of a thumbnail
// for an image stored before thumbnails) no shared cache may keep; what
// anyone else gets of a public image, without location, it may.
func TestThumbs_OriginalWithLocationIsPrivate(t *testing.T) {
	ts := newTestServer(t, nil).withAccounts(t)
	photo := withExif(t, jpegBytes(t, 64, 48, color.RGBA{30, 60, 90, 255}), gpsTIFF())
	up := ts.upload(t, "alice", part{"file", "gps.jpg", photo}, part{"visibility", "", []byte("public")}).Images[0]
	// An image as stored before thumbnails: its original alone.
	old := &gallery.Image{Title: "old", Owner: "alice", Visibility: gallery.Public, Filename: "old.jpg",
		ContentType: "image/jpeg", Width: 64, Height: 48, Location: &gallery.Location{Latitude: 48.858, Longitude: 2.294}}
	oldPhoto := withExif(t, jpegBytes(t, 64, 48, color.RGBA{90, 60, 30, 255}), gpsTIFF())
	stored, dup, err := store.NewImageService(ts.db).CreateImage(context.Background(), old, bytes.NewReader(oldPhoto))
	if err != nil || dup || len(stored.Thumbs) != 0 {
		t.Fatalf("fixture: %+v, duplicate %v, %v", stored, dup, err)
	}
	for _, tt := range []struct{ who, url, want string }{
		{"alice", up.URLs.File, "private, no-cache"},
		{"admin", up.URLs.File, "private, no-cache"},
		{"bob", up.URLs.File, "no-cache"},
		{"", up.URLs.File, "no-cache"},
		{"alice", "/api/images/" + stored.ID + "/thumb/small", "private, max-age=31536000, immutable"},
		{"admin", "/api/images/" + stored.ID + "/thumb/large", "private, max-age=31536000, immutable"},
		{"bob", "/api/images/" + stored.ID + "/thumb/small", "public, max-age=31536000, immutable"},
		{"", "/api/images/" + stored.ID + "/thumb/small", "public, max-age=31536000, immutable"},
		{"alice", up.URLs.ThumbSmall, "public, max-age=31536000, immutable"}, // thumbnails hold no metadata
	} {
		resp, body := do(t, "GET", ts.URL+tt.url, nil, ts.as(tt.who))
		if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != tt.want {
			t.Errorf("%q GET %s: %d, Cache-Control %q, want %q: %.200s", tt.who, tt.url, resp.StatusCode, resp.Header.Get("Cache-Control"), tt.want, body)
		}
	}
}

// TestThumbs_PreconditionFailed: a failed If-Match is 412 in the error
// shape, as a conflict with the stored bytes, not as a server fault.
func TestThumbs_PreconditionFailed(t *testing.T) {
	ts := newTestServer(t, nil).withAccounts(t)
	img := ts.upload(t, "alice", part{"file", "p.png", pngBytes(t, 40, 30, color.Gray{90})},
		part{"visibility", "", []byte("public")}).Images[0]
	for _, url := range []string{img.URLs.File, img.URLs.ThumbSmall, img.URLs.ThumbLarge} {
		resp, body := do(t, "GET", ts.URL+url, nil, http.Header{"If-Match": {`"nope"`}})
		if resp.StatusCode != http.StatusPreconditionFailed || !strings.Contains(string(body), `"code":"conflict"`) {
			t.Errorf("GET %s with a wrong If-Match: %d %s", url, resp.StatusCode, body)
		}
	}
}
