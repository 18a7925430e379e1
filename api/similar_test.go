package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// photo is a small version of imaging's generated photograph: a gradient,
// soft blobs of colour placed by the seed, and noise, so that its
// perceptual hash behaves like a photo's.
func photo(w, h int, seed uint64) *image.RGBA {
	rng := rand.New(rand.NewPCG(seed, 0x1a2b3c4d))
	type blob struct{ x, y, r2, cr, cg, cb float64 }
	blobs := make([]blob, 6)
	for i := range blobs {
		r := (0.1 + 0.25*rng.Float64()) * float64(min(w, h))
		blobs[i] = blob{rng.Float64() * float64(w), rng.Float64() * float64(h), r * r,
			200*rng.Float64() - 100, 200*rng.Float64() - 100, 200*rng.Float64() - 100}
	}
	top := [3]float64{60 + 120*rng.Float64(), 80 + 120*rng.Float64(), 120 + 120*rng.Float64()}
	bottom := [3]float64{30 + 100*rng.Float64(), 30 + 100*rng.Float64(), 20 + 80*rng.Float64()}
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		t := float64(y) / float64(h)
		for x := range w {
			for i := range 3 {
				c := top[i] + (bottom[i]-top[i])*t
				for _, b := range blobs {
					dx, dy := float64(x)-b.x, float64(y)-b.y
					c += [3]float64{b.cr, b.cg, b.cb}[i] / (1 + (dx*dx+dy*dy)/b.r2)
				}
				c += float64(rng.IntN(9) - 4)
				m.Pix[y*m.Stride+4*x+i] = uint8(max(0, min(255, math.Round(c))))
			}
			m.Pix[y*m.Stride+4*x+3] = 0xFF
		}
	}
	return m
}

// halve is m at half the size, each pixel the mean of four.
func halve(m *image.RGBA) *image.RGBA {
	b := m.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx()/2, b.Dy()/2))
	for y := range out.Rect.Dy() {
		for x := range out.Rect.Dx() {
			for i := range 4 {
				sum := 0
				for _, d := range [][2]int{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
					sum += int(m.Pix[(2*y+d[1])*m.Stride+4*(2*x+d[0])+i])
				}
				out.Pix[y*out.Stride+4*x+i] = uint8(sum / 4)
			}
		}
	}
	return out
}

func encodePhoto(t testing.TB, m image.Image, quality int) []byte {
	t.Helper()
	var b bytes.Buffer
	var err error
	if quality == 0 {
		err = png.Encode(&b, m)
	} else {
		err = jpeg.Encode(&b, m, &jpeg.Options{Quality: quality})
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

type similarResult struct {
	Images []struct {
		ID       string `json:"id"`
		Distance *int   `json:"distance"`
	} `json:"images"`
}

func (ts *testServer) similar(t *testing.T, who, id, query string) (int, similarResult) {
	t.Helper()
	resp, body := do(t, "GET", ts.URL+"/api/images/"+id+"/similar"+query, nil, ts.as(who))
	var res similarResult
	if resp.StatusCode == 200 {
		if err := json.Unmarshal(body, &res); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode, res
}

// A re-encoded, resized copy of a photo comes first in its similar list,
// before every other photo; the photo itself is never listed; the upload of
// the copy says which image it looks like.
func TestSimilar_ReencodedCopyFirst(t *testing.T) {
	ts := newTestServer(t, nil).withAccounts(t)
	pub := part{"visibility", "", []byte("public")}
	var ids []string
	var photos []*image.RGBA
	for seed := range uint64(8) {
		m := photo(320, 240, seed+1)
		photos = append(photos, m)
		res := ts.upload(t, "alice", part{"file", fmt.Sprintf("p%d.png", seed), encodePhoto(t, m, 0)}, pub)
		ids = append(ids, res.Images[0].ID)
	}
	res := ts.upload(t, "alice", part{"file", "copy.jpg", encodePhoto(t, halve(photos[3]), 70)}, pub)
	cp := res.Images[0]
	if !slices.Contains(cp.SimilarTo, ids[3]) {
		t.Fatalf("the copy's upload: similar_to %v, want it to hold %s", cp.SimilarTo, ids[3])
	}
	if slices.Contains(cp.SimilarTo, cp.ID) {
		t.Errorf("similar_to lists the upload itself")
	}

	status, got := ts.similar(t, "bob", ids[3], "?limit=50")
	if status != 200 || len(got.Images) != len(ids) {
		t.Fatalf("status %d, %d images, want %d", status, len(got.Images), len(ids))
	}
	if got.Images[0].ID != cp.ID {
		t.Fatalf("first is %s, want the copy %s", got.Images[0].ID, cp.ID)
	}
	prev := -1
	for _, img := range got.Images {
		if img.ID == ids[3] {
			t.Errorf("the image itself is listed")
		}
		if img.Distance == nil || *img.Distance < prev {
			t.Fatalf("distances not nearest first: %+v", got.Images)
		}
		prev = *img.Distance
	}
	if *got.Images[0].Distance >= *got.Images[1].Distance {
		t.Errorf("the copy (%d) is no nearer than the next photo (%d)", *got.Images[0].Distance, *got.Images[1].Distance)
	}
	if _, got := ts.similar(t, "bob", ids[3], "?limit=2"); len(got.Images) != 2 {
		t.Errorf("limit=2: %d images", len(got.Images))
	}
	for _, q := range []string{"?limit=0", "?limit=51", "?limit=x"} {
		if status, _ := ts.similar(t, "bob", ids[3], q); status != 400 {
			t.Errorf("%s: status %d, want 400", q, status)
		}
	}
	if status, _ := ts.similar(t, "bob", "nope", ""); status != 404 {
		t.Errorf("unknown id: status %d", status)
	}

	// Another owner's upload of the same picture is not flagged for them.
	res = ts.upload(t, "bob", part{"file", "bob.jpg", encodePhoto(t, photos[3], 90)}, pub)
	if len(res.Images[0].SimilarTo) != 0 {
		t.Errorf("bob's upload flagged as like alice's images: %v", res.Images[0].SimilarTo)
	}
	// Nor is the same bytes again: that is a duplicate.
	res = ts.upload(t, "alice", part{"file", "copy.jpg", encodePhoto(t, halve(photos[3]), 70)}, pub)
	if !res.Images[0].Duplicate || len(res.Images[0].SimilarTo) != 0 {
		t.Errorf("duplicate upload: duplicate %v, similar_to %v", res.Images[0].Duplicate, res.Images[0].SimilarTo)
	}
}
