package api_test

import (
	"image/color"
	"net/http"
	"net/http/httptest"
	"testing"
)

// benchHandler runs the whole handler (middleware, auth, routing, the
// route) for one anonymous GET, without the network, b.N times.
func benchHandler(b *testing.B, ts *testServer, path string) {
	req := httptest.NewRequest("GET", path, nil)
	h := ts.srv.Handler()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%s: status %d", path, rec.Code)
		}
	}
}

// BenchmarkHandler_GetImage_Hit is GET /api/images/{id} on a hot-id cache hit.
func BenchmarkHandler_GetImage_Hit(b *testing.B) {
	ts := newTestServer(b, nil).withAccounts(b)
	img := ts.upload(b, "alice", part{"file", "a.png", pngBytes(b, 30, 20, color.Gray{40})},
		part{"visibility", "", []byte("public")}).Images[0]
	benchHandler(b, ts, "/api/images/"+img.ID)
}

// BenchmarkHandler_Thumb_Small is GET /api/images/{id}/thumb/small from the
// hot-thumbnail cache.
func BenchmarkHandler_Thumb_Small(b *testing.B) {
	ts := newTestServer(b, nil).withAccounts(b)
	img := ts.upload(b, "alice", part{"file", "a.png", pngBytes(b, 400, 300, color.RGBA{10, 120, 200, 255})},
		part{"visibility", "", []byte("public")}).Images[0]
	benchHandler(b, ts, img.URLs.ThumbSmall)
}
