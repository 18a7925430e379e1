package jpegscaled_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"imagerepo/imaging/internal/jpegscaled"
)

// minPSNR is the least PSNR, in dB, of each plane of a scaled decode
// against the same plane of image/jpeg's full decode averaged down by the
// same factor. The two differ by design (a low-pass to the new Nyquist
// frequency against a box average, and the blocks' padding past the right
// and bottom edges), by 32 dB and more on the files here; a wrong
// constant in the transform, a shifted block or a swapped plane falls below.
const minPSNR = 30

// fixtures are the JPEG files of testdata/, copied from Go's
// src/image/testdata (150×103 and odd): baseline and progressive in every
// subsampling the decoder takes, gray, CMYK, RGB, restart markers.
func fixtures(t testing.TB) map[string][]byte {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("..", "..", "..", "testdata", "*.jpeg"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no JPEG in testdata: %v", err)
	}
	files := map[string][]byte{}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(n)] = b
	}
	return files
}

// generated are JPEGs made by image/jpeg (baseline 4:2:0, or gray) from a
// generated photo-like image, in sizes that are not multiples of 8 or 16.
func generated(t testing.TB) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for _, sz := range []image.Point{{333, 251}, {17, 9}, {1, 1}, {640, 480}} {
		rgb := texture(sz.X, sz.Y)
		gray := image.NewGray(rgb.Rect)
		draw.Draw(gray, gray.Rect, rgb, image.Point{}, draw.Src)
		for name, m := range map[string]image.Image{"rgb": rgb, "gray": gray} {
			var b bytes.Buffer
			if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: 90}); err != nil {
				t.Fatal(err)
			}
			files[name+"-"+sizeName(sz)+".jpg"] = b.Bytes()
		}
	}
	return files
}

func sizeName(p image.Point) string { return strings.ReplaceAll(p.String(), ",", "x") }

// texture is a smooth gradient with soft stripes and sensor-like noise: the
// edges and fine detail a wrong transform would smear or shift.
func texture(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(1, 2))
	for y := range h {
		for x := range w {
			s := 60 * math.Sin(float64(x)/7+float64(y)/13)
			n := rng.Float64()*16 - 8
			m.Set(x, y, color.RGBA{
				R: clamp(float64(x*255/max(w, 1)) + s + n),
				G: clamp(float64(y*255/max(h, 1)) - s + n),
				B: clamp(128 + s*float64(x%50)/50 + n),
				A: 255,
			})
		}
	}
	return m
}

func clamp(v float64) uint8 { return uint8(min(max(v, 0), 255)) }

// TestDecode_FullScale checks that at scale 1/1 the fork decodes exactly
// as image/jpeg does.
func TestDecode_FullScale(t *testing.T) {
	for name, data := range merge(fixtures(t), generated(t)) {
		want, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: image/jpeg: %v", name, err)
		}
		got, err := jpegscaled.Decode(bytes.NewReader(data), 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: the decode at 1/1 differs from image/jpeg's (%T, %T)", name, got, want)
		}
	}
}

// TestDecode_Scaled checks each reduced scale against image/jpeg's full
// decode averaged down: the size rounded up, the same image type, and the
// pixels within minPSNR.
func TestDecode_Scaled(t *testing.T) {
	for name, data := range merge(fixtures(t), generated(t)) {
		full, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: image/jpeg: %v", name, err)
		}
		fb := full.Bounds()
		for shift := 1; shift <= jpegscaled.MaxShift; shift++ {
			got, err := jpegscaled.Decode(bytes.NewReader(data), shift)
			if err != nil {
				t.Fatalf("%s at 1/%d: %v", name, 1<<shift, err)
			}
			k := 1 << shift
			wantSize := image.Pt((fb.Dx()+k-1)/k, (fb.Dy()+k-1)/k)
			if got.Bounds() != (image.Rectangle{Max: wantSize}) {
				t.Fatalf("%s at 1/%d: bounds %v, want %v", name, k, got.Bounds(), wantSize)
			}
			if reflect.TypeOf(got) != reflect.TypeOf(full) {
				t.Fatalf("%s at 1/%d: %T, want %T", name, k, got, full)
			}
			if m, ok := got.(*image.YCbCr); ok && m.SubsampleRatio != full.(*image.YCbCr).SubsampleRatio {
				t.Fatalf("%s at 1/%d: subsampling %v, want %v", name, k, m.SubsampleRatio, full.(*image.YCbCr).SubsampleRatio)
			}
			samp := sampling(t, data)
			want, have := planes(full, samp), planes(got, samp)
			for i := range want {
				p := psnr(have[i], boxDown(want[i], k))
				t.Logf("%s at 1/%d, plane %d: PSNR %.1f dB", name, k, i, p)
				if p < minPSNR {
					t.Errorf("%s at 1/%d, plane %d: PSNR %.1f dB against the full decode averaged down, want at least %d", name, k, i, p, minPSNR)
				}
			}
		}
	}
}

// TestDecode_BadShift checks that a scale the decoder does not have is
// refused rather than guessed.
func TestDecode_BadShift(t *testing.T) {
	data := generated(t)["rgb-(17x9).jpg"]
	for _, shift := range []int{-1, jpegscaled.MaxShift + 1} {
		if _, err := jpegscaled.Decode(bytes.NewReader(data), shift); err == nil {
			t.Errorf("shift %d: no error", shift)
		}
	}
}

// TestDecode_Truncated checks that a file cut short fails at every scale,
// as it does in image/jpeg: the scaled decode still reads every coefficient.
func TestDecode_Truncated(t *testing.T) {
	for name, data := range fixtures(t) {
		cut := data[:len(data)*2/3]
		if _, err := jpeg.Decode(bytes.NewReader(cut)); err == nil {
			continue // image/jpeg takes some cut progressive files
		}
		for shift := 0; shift <= jpegscaled.MaxShift; shift++ {
			if _, err := jpegscaled.Decode(bytes.NewReader(cut), shift); err == nil {
				t.Errorf("%s cut at 2/3, at 1/%d: no error", name, 1<<shift)
			}
		}
	}
}

// FuzzDecode checks that no input crashes the decoder, that its answer does
// not depend on the scale (an image at one scale is one at all, of the
// rounded-up size), that it fails where image/jpeg fails, and that at 1/1
// its pixels are image/jpeg's, but for a progressive file's: the fork holds
// their coefficients in 16 bits, which only a hostile file exceeds.
func FuzzDecode(f *testing.F) {
	for _, data := range merge(fixtures(f), generated(f)) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := jpegscaled.DecodeConfig(bytes.NewReader(data))
		if err != nil || cfg.Width*cfg.Height > 1<<20 {
			return // the decoder holds the whole image; keep the fuzzer's memory small
		}
		want, wantErr := jpeg.Decode(bytes.NewReader(data))
		progressive := bytes.Contains(data, []byte{0xFF, 0xC2}) // an SOF2 marker, or bytes like it
		for shift := 0; shift <= jpegscaled.MaxShift; shift++ {
			got, err := jpegscaled.Decode(bytes.NewReader(data), shift)
			if (err == nil) != (wantErr == nil) {
				t.Fatalf("at 1/%d: error %v, image/jpeg's %v", 1<<shift, err, wantErr)
			}
			if err != nil {
				continue
			}
			k := 1 << shift
			wb := want.Bounds()
			if size := image.Pt((wb.Dx()+k-1)/k, (wb.Dy()+k-1)/k); got.Bounds() != (image.Rectangle{Max: size}) {
				t.Fatalf("at 1/%d: bounds %v for %v", k, got.Bounds(), wb)
			}
			if shift == 0 && !progressive && !reflect.DeepEqual(got, want) {
				t.Fatal("the decode at 1/1 differs from image/jpeg's")
			}
		}
	})
}

func merge(a, b map[string][]byte) map[string][]byte {
	m := map[string][]byte{}
	for k, v := range a {
		m[k] = v
	}
	for k, v := range b {
		m[k] = v
	}
	return m
}

// plane is one channel of an image, w×h samples.
type plane struct {
	pix  []uint8
	w, h int
}

// sampling returns the horizontal and vertical sampling factors of each
// component in the frame header of the JPEG data.
func sampling(t *testing.T, data []byte) [][2]int {
	t.Helper()
	for i := 2; i+4 <= len(data); {
		marker, n := data[i+1], int(data[i+2])<<8|int(data[i+3])
		if marker == 0xC0 || marker == 0xC1 || marker == 0xC2 {
			sof := data[i+4 : i+2+n]
			var f [][2]int
			for c := range int(sof[5]) {
				hv := sof[7+3*c]
				f = append(f, [2]int{int(hv >> 4), int(hv & 15)})
			}
			return f
		}
		i += 2 + n
	}
	t.Fatal("no frame header")
	return nil
}

// planes are the channels of an image as the JPEG codes them: the Y, Cb and
// Cr planes at their own sizes, the gray plane, or the channels of an RGB or
// CMYK image, taken back to their coded size where image/jpeg upsampled a
// subsampled one by repeating its samples. samp is the frame's sampling.
func planes(m image.Image, samp [][2]int) []plane {
	w, h := m.Bounds().Dx(), m.Bounds().Dy()
	cut := func(pix []uint8, stride, w, h int) plane {
		p := plane{pix: make([]uint8, 0, w*h), w: w, h: h}
		for y := range h {
			p.pix = append(p.pix, pix[y*stride:y*stride+w]...)
		}
		return p
	}
	channels := func(pix []uint8, stride int) []plane {
		var ps []plane
		for c, f := range samp {
			sx, sy := samp[0][0]/f[0], samp[0][1]/f[1]
			p := plane{w: (w + sx - 1) / sx, h: (h + sy - 1) / sy}
			for y := range p.h {
				for x := range p.w {
					p.pix = append(p.pix, pix[y*sy*stride+4*x*sx+c])
				}
			}
			ps = append(ps, p)
		}
		return ps
	}
	switch m := m.(type) {
	case *image.Gray:
		return []plane{cut(m.Pix, m.Stride, w, h)}
	case *image.YCbCr:
		cw, ch := w, h
		switch m.SubsampleRatio {
		case image.YCbCrSubsampleRatio422:
			cw = (w + 1) / 2
		case image.YCbCrSubsampleRatio420:
			cw, ch = (w+1)/2, (h+1)/2
		case image.YCbCrSubsampleRatio440:
			ch = (h + 1) / 2
		case image.YCbCrSubsampleRatio411:
			cw = (w + 3) / 4
		case image.YCbCrSubsampleRatio410:
			cw, ch = (w+3)/4, (h+1)/2
		}
		return []plane{cut(m.Y, m.YStride, w, h), cut(m.Cb, m.CStride, cw, ch), cut(m.Cr, m.CStride, cw, ch)}
	case *image.RGBA:
		return channels(m.Pix, m.Stride)
	case *image.CMYK:
		return channels(m.Pix, m.Stride)
	}
	panic(fmt.Sprintf("planes of %T", m))
}

// boxDown averages the k×k boxes of p that lie whole inside it: the boxes
// cut by the right and bottom edges average the JPEG's padding in the
// scaled decode, which the full decode leaves out.
func boxDown(p plane, k int) plane {
	out := plane{w: p.w / k, h: p.h / k}
	out.pix = make([]uint8, out.w*out.h)
	for oy := range out.h {
		for ox := range out.w {
			sum := 0
			for y := oy * k; y < oy*k+k; y++ {
				for x := ox * k; x < ox*k+k; x++ {
					sum += int(p.pix[y*p.w+x])
				}
			}
			out.pix[oy*out.w+ox] = uint8((sum + k*k/2) / (k * k))
		}
	}
	return out
}

// psnr compares the scaled plane a with the averaged plane b over b's
// samples.
func psnr(a, b plane) float64 {
	var se float64
	for y := range b.h {
		for x := range b.w {
			d := float64(a.pix[y*a.w+x]) - float64(b.pix[y*b.w+x])
			se += d * d
		}
	}
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/(se/float64(b.w*b.h)))
}
