package imaging_test

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"testing"
)

// photo is a w×h picture made to behave like a photograph for decoders,
// scalers and the perceptual hash: a sky-to-ground gradient, soft blobs of
// colour whose places the seed chooses, fine texture, and sensor noise, all
// deterministic. It is opaque.
func photo(w, h int, seed uint64) *image.RGBA {
	rng := rand.New(rand.NewPCG(seed, 0x1a2b3c4d))
	type blob struct{ x, y, r2, cr, cg, cb float64 }
	blobs := make([]blob, 7)
	for i := range blobs {
		r := (0.08 + 0.25*rng.Float64()) * float64(min(w, h))
		blobs[i] = blob{
			x: rng.Float64() * float64(w), y: rng.Float64() * float64(h), r2: r * r,
			cr: 200*rng.Float64() - 100, cg: 200*rng.Float64() - 100, cb: 200*rng.Float64() - 100,
		}
	}
	top := [3]float64{60 + 120*rng.Float64(), 80 + 120*rng.Float64(), 120 + 120*rng.Float64()}
	bottom := [3]float64{30 + 100*rng.Float64(), 30 + 100*rng.Float64(), 20 + 80*rng.Float64()}
	fx, fy := 0.05+0.2*rng.Float64(), 0.05+0.2*rng.Float64()
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		t := float64(y) / float64(h)
		row := m.Pix[y*m.Stride:]
		for x := range w {
			c := [3]float64{
				top[0] + (bottom[0]-top[0])*t,
				top[1] + (bottom[1]-top[1])*t,
				top[2] + (bottom[2]-top[2])*t,
			}
			for _, b := range blobs {
				dx, dy := float64(x)-b.x, float64(y)-b.y
				f := 1 / (1 + (dx*dx+dy*dy)/b.r2)
				c[0] += b.cr * f
				c[1] += b.cg * f
				c[2] += b.cb * f
			}
			tex := 6 * math.Sin(float64(x)*fx+float64(y)*fy)
			n := noise(uint64(x), uint64(y), seed)
			for i := range c {
				row[4*x+i] = clamp8(c[i] + tex + float64(int(n>>(8*i)&15)-8))
			}
			row[4*x+3] = 0xFF
		}
	}
	return m
}

func noise(x, y, seed uint64) uint64 {
	h := x*0x9E3779B97F4A7C15 ^ y*0xC2B2AE3D27D4EB4F ^ seed*0x165667B19E3779F9
	h ^= h >> 29
	h *= 0xBF58476D1CE4E5B9
	return h ^ h>>32
}

func clamp8(v float64) uint8 { return uint8(max(0, min(255, math.Round(v)))) }

func encodeJPEG(t testing.TB, m image.Image, quality int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodePNG(t testing.TB, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
