package imaging_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"math"
	"testing"

	"imagerepo/imaging"
)

// TestReduction checks the scale Process decodes a JPEG at: the smallest
// that leaves at least the large thumbnail's pixels on both axes.
func TestReduction(t *testing.T) {
	for _, tt := range []struct{ w, h, shift int }{
		{1, 1, 3}, // a 1×1 block's mean is its pixel
		{9, 7, 0},
		{1280, 960, 0},
		{2559, 1919, 1}, // 1280×960 at 1/2, rounded up, for 1280×960
		{2558, 1918, 0}, // 1279×959 at 1/2 for 1280×960
		{2560, 1920, 1},
		{4000, 3000, 1},  // 12 MP: 2000×1500 for 1280×960
		{3000, 4000, 1},  // the same, portrait
		{6000, 4000, 2},  // 24 MP: 1500×1000 for 1280×853
		{10240, 7680, 3}, // 1280×960 exactly at 1/8
		{20000, 100, 3},  // a strip: 2500×13 for 1280×6
		{100, 20000, 3},
		{2000, 9000, 2}, // 500×2250 at 1/4 for 284×1280; 1/8 is 1125 high
	} {
		if got := imaging.Reduction(tt.w, tt.h); got != tt.shift {
			t.Errorf("%dx%d: shift %d, want %d", tt.w, tt.h, got, tt.shift)
		}
	}
}

// TestProcess_ScaledJPEG checks that the large thumbnail of a JPEG decoded
// at a reduced scale looks like the one made from every pixel, that the
// size in the result is the whole image's, turned by its orientation, and
// that the thumbnails have the sizes the whole image gives.
func TestProcess_ScaledJPEG(t *testing.T) {
	for _, tt := range []struct {
		w, h, orientation int
	}{
		{2600, 1950, 6}, // 1/2, turned a quarter
		{5200, 421, 8},  // 1/4, odd height, turned
	} {
		t.Run(fmt.Sprintf("%dx%d/%d", tt.w, tt.h, tt.orientation), func(t *testing.T) {
			plain := encodeJPEG(t, photo(tt.w, tt.h, 5), 90)
			data := withSegments(plain, exifSegment(tiff(binary.BigEndian, orientationEntry(uint16(tt.orientation)))))
			if imaging.Reduction(tt.w, tt.h) == 0 {
				t.Fatalf("%dx%d decodes at full scale: the test needs a larger image", tt.w, tt.h)
			}
			res, err := imaging.New(imaging.Limits{}).Process(t.Context(), bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			w, h := tt.w, tt.h
			if tt.orientation >= 5 {
				w, h = h, w
			}
			if res.Info.Width != w || res.Info.Height != h {
				t.Errorf("size %dx%d, want %dx%d", res.Info.Width, res.Info.Height, w, h)
			}
			full, err := jpeg.Decode(bytes.NewReader(plain))
			if err != nil {
				t.Fatal(err)
			}
			want := imaging.LargeFromFull(full, tt.orientation)
			got, err := jpeg.Decode(bytes.NewReader(res.Large.Bytes))
			if err != nil {
				t.Fatal(err)
			}
			if got.Bounds() != want.Bounds() {
				t.Fatalf("large thumbnail %v, want %v", got.Bounds(), want.Bounds())
			}
			sw, sh := res.Large.Width*imaging.SmallBox/imaging.LargeBox, res.Large.Height*imaging.SmallBox/imaging.LargeBox
			if abs(res.Small.Width-sw) > 1 || abs(res.Small.Height-sh) > 1 {
				t.Errorf("small thumbnail %dx%d, want about %dx%d", res.Small.Width, res.Small.Height, sw, sh)
			}
			// The thumbnail went through JPEG at quality 85 as well.
			if p := rgbPSNR(got, want); p < 32 {
				t.Errorf("large thumbnail %.1f dB from the one made of every pixel, want at least 32", p)
			} else {
				t.Logf("large thumbnail %.1f dB from the one made of every pixel", p)
			}
		})
	}
}

func abs(x int) int { return max(x, -x) }

// rgbPSNR compares the R, G and B of two images of one size.
func rgbPSNR(a, b image.Image) float64 {
	ra, rb := image.NewRGBA(a.Bounds()), image.NewRGBA(b.Bounds())
	draw.Draw(ra, ra.Rect, a, a.Bounds().Min, draw.Src)
	draw.Draw(rb, rb.Rect, b, b.Bounds().Min, draw.Src)
	var se float64
	n := 0
	for i := 0; i < len(ra.Pix); i += 4 {
		for c := range 3 {
			d := float64(ra.Pix[i+c]) - float64(rb.Pix[i+c])
			se += d * d
			n++
		}
	}
	return 10 * math.Log10(255*255/(se/float64(n)))
}
