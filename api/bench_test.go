package api_test

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"net/http"
	"testing"
)

// noisyJPEG is a w×h photo-like JPEG: noise does not compress, so its size
// is a camera's, not a flat test card's.
func noisyJPEG(b *testing.B, w, h int) []byte {
	b.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(1, 2))
	for y := range h {
		for x := range w {
			n := uint8(rng.IntN(64))
			img.Set(x, y, color.RGBA{uint8(x*255/w) + n, uint8(y*255/h) + n, 128 + n, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// getLoop fetches url as alice for the benchmark's loop over keep-alive
// connections, checking each answer's status.
func getLoop(b *testing.B, ts *testServer, url string, want int) {
	h := ts.as("alice")
	var n int64
	for b.Loop() {
		resp, body := do(b, http.MethodGet, url, nil, h)
		if resp.StatusCode != want {
			b.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
		}
		n = int64(len(body))
	}
	b.SetBytes(n)
}

// benchPhoto is a server with alice's noisy 1600×1200 JPEG and 60 small
// images, and the photo's urls.
func benchPhoto(b *testing.B) (*testServer, uploadResult) {
	ts := newTestServer(b, nil).withAccounts(b)
	photo := ts.upload(b, "alice", part{"file", "photo.jpg", noisyJPEG(b, 1600, 1200)})
	for i := range 60 {
		ts.upload(b, "alice", part{"file", "small.png", pngBytes(b, 8, 8, color.RGBA{uint8(i), 1, 2, 255})})
	}
	return ts, photo
}

// The document, from the hot-id cache (the first request fills it).
func BenchmarkGetImage_Hit(b *testing.B) {
	ts, photo := benchPhoto(b)
	url := ts.URL + "/api/images/" + photo.Images[0].ID
	do(b, http.MethodGet, url, nil, ts.as("alice"))
	before := ts.cache.Stats()
	getLoop(b, ts, url, http.StatusOK)
	if s := ts.cache.Stats(); s.Misses != before.Misses {
		b.Fatalf("%d misses in a run of hits", s.Misses-before.Misses)
	}
}

// The first page of the newest images (50 documents).
func BenchmarkListImages(b *testing.B) {
	ts, _ := benchPhoto(b)
	getLoop(b, ts, ts.URL+"/api/images", http.StatusOK)
}

func BenchmarkThumb_Small(b *testing.B) {
	ts, photo := benchPhoto(b)
	getLoop(b, ts, ts.URL+photo.Images[0].URLs.ThumbSmall, http.StatusOK)
}

func BenchmarkThumb_Large(b *testing.B) {
	ts, photo := benchPhoto(b)
	getLoop(b, ts, ts.URL+photo.Images[0].URLs.ThumbLarge, http.StatusOK)
}

// The original bytes of the photo, MB/s as the throughput.
func BenchmarkOriginal(b *testing.B) {
	ts, photo := benchPhoto(b)
	getLoop(b, ts, ts.URL+photo.Images[0].URLs.File, http.StatusOK)
}

// The whole upload pipeline for one 2 MP photo: multipart spooling,
// decode, both thumbnails, EXIF, hash, the blobs' writes and fsyncs, the
// commit, the index. Each iteration's bytes differ (a counter after the
// JPEG's end), so none is a duplicate.
func BenchmarkUpload_JPEG2MP(b *testing.B) {
	ts := newTestServer(b, nil).withAccounts(b)
	photo := noisyJPEG(b, 1600, 1200)
	b.SetBytes(int64(len(photo)))
	data := append(photo, make([]byte, 8)...)
	i := uint64(0)
	for b.Loop() {
		binary.BigEndian.PutUint64(data[len(photo):], i)
		i++
		if res := ts.upload(b, "alice", part{"file", "photo.jpg", data}); len(res.Images) != 1 || res.Images[0].Duplicate {
			b.Fatalf("upload %d: %+v", i, res)
		}
	}
}
