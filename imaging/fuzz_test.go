package imaging_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"imagerepo/gallery"
	"imagerepo/imaging"
)

// fuzzSeeds are the images of the other tests, whole and cut, for the fuzzers
// to start from.
func fuzzSeeds(t testing.TB) [][]byte {
	jpg := jpegBytes(t, 9, 7)
	seeds := [][]byte{
		pngBytes(t, 9, 7),
		jpg,
		jpegOriented(t, 9, 7, binary.LittleEndian, 6),
		jpegOriented(t, 9, 7, binary.BigEndian, 8),
		withSegments(jpg, segment(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00x")), exifSegment(tiff(binary.BigEndian, ifdEntry{0x0100, 3, 1, 9}, orientationEntry(5)))),
		gifBytes(t, 9, 7, 3),
		rawGIF(9, 7, [4]int{0, 0, 9, 7}, [4]int{1, 1, 60000, 2}),
		webpBytes(t),
		webpVP8X(9, 7, 0x10),
		pngHeader(20000, 20000),
		[]byte("RIFF\x04\x00\x00\x00WEBP"),
		[]byte("GIF89a"),
		{0xFF, 0xD8, 0xFF},
		[]byte("%PDF-1.7"),
		nil,
	}
	for _, s := range seeds[:8] {
		seeds = append(seeds, s[:len(s)/2])
	}
	return seeds
}

// FuzzInspect checks that no input crashes Inspect or passes it with a
// result outside the limits, and that every refusal is the client's fault.
func FuzzInspect(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	// Small limits keep each decode, and the fuzzer's memory, small.
	limits := imaging.Limits{MaxPixels: 1 << 16, MaxGIFFrames: 16, MaxConcurrent: 2}
	d := imaging.New(limits)
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := d.Inspect(context.Background(), bytes.NewReader(data))
		if err != nil {
			if code := gallery.ErrorCode(err); code != gallery.EUNSUPPORTED && code != gallery.EUNPROCESSABLE {
				t.Fatalf("code %q (%v), want %q or %q", code, err, gallery.EUNSUPPORTED, gallery.EUNPROCESSABLE)
			}
			return
		}
		if !slices.Contains(imaging.AcceptedTypes(), info.ContentType) {
			t.Fatalf("content type %q", info.ContentType)
		}
		if info.Width <= 0 || info.Height <= 0 || int64(info.Width)*int64(info.Height) > limits.MaxPixels {
			t.Fatalf("size %dx%d with a limit of %d pixels", info.Width, info.Height, limits.MaxPixels)
		}
	})
}

// FuzzOrientation checks that Orientation never crashes, always answers 1 to
// 8, and never reads more than it promises.
func FuzzOrientation(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xFF, 0xFF, 0xE1, 0x00, 0x10})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := &countingReader{ReadSeeker: bytes.NewReader(data)}
		if o := imaging.Orientation(r); o < 1 || o > 8 {
			t.Fatalf("Orientation = %d", o)
		}
		if r.n > maxOrientationRead {
			t.Fatalf("read %d bytes, more than %d", r.n, maxOrientationRead)
		}
	})
}

// processSeeds are fuzzSeeds and the images of testdata/, whose HEIC and
// AVIF take the WebAssembly decoders' path.
func processSeeds(t testing.TB) [][]byte {
	seeds := fuzzSeeds(t)
	// The camera files' EXIF is what matters; the two whole photos would
	// only slow the fuzzer down.
	err := filepath.WalkDir(filepath.Join("..", "testdata"), func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		if ext := filepath.Ext(path); ext == ".txt" || ext == ".md" {
			return nil
		}
		if info, err := e.Info(); err != nil || info.Size() > 100<<10 {
			return err
		}
		b, err := os.ReadFile(path)
		seeds = append(seeds, b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return append(seeds,
		withSegments(jpegBytes(t, 9, 7), exifSegment(cameraTIFF(binary.BigEndian, 7))),
		withPNGChunk(pngBytes(t, 9, 7), "eXIf", cameraTIFF(binary.LittleEndian, 2)),
		heifWithExif(cameraTIFF(binary.BigEndian, 1)),
	)
}

// FuzzProcess checks that no input crashes Process, that every refusal is
// the client's fault, and that what it accepts has thumbnails within their
// boxes and no larger than the image.
func FuzzProcess(f *testing.F) {
	for _, s := range processSeeds(f) {
		f.Add(s)
	}
	limits := imaging.Limits{MaxPixels: 1 << 16, MaxGIFFrames: 16, MaxConcurrent: 2}
	d := imaging.New(limits)
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := d.Process(context.Background(), bytes.NewReader(data))
		if err != nil {
			if code := gallery.ErrorCode(err); code != gallery.EUNSUPPORTED && code != gallery.EUNPROCESSABLE {
				t.Fatalf("code %q (%v)", code, err)
			}
			return
		}
		info := res.Info
		if info.Width <= 0 || info.Height <= 0 || int64(info.Width)*int64(info.Height) > limits.MaxPixels {
			t.Fatalf("size %dx%d", info.Width, info.Height)
		}
		for _, th := range []struct {
			t   imaging.Thumbnail
			box int
		}{{res.Small, imaging.SmallBox}, {res.Large, imaging.LargeBox}} {
			if th.t.Width < 1 || th.t.Height < 1 || th.t.Width > min(th.box, info.Width) || th.t.Height > min(th.box, info.Height) {
				t.Fatalf("thumbnail %dx%d of %dx%d", th.t.Width, th.t.Height, info.Width, info.Height)
			}
			if len(th.t.Bytes) == 0 {
				t.Fatal("empty thumbnail")
			}
		}
		var out bytes.Buffer
		if err := imaging.StripLocation(bytes.NewReader(data), &out); err != nil && gallery.ErrorCode(err) == gallery.EINTERNAL {
			t.Fatalf("StripLocation: %v", err)
		}
	})
}

// FuzzReadExif checks that no input crashes the EXIF reader or makes it
// fail on a reader that cannot fail, and that what it returns is fit to
// store and show: orientation 0 to 8, a position on the globe, short
// printable UTF-8 text.
func FuzzReadExif(f *testing.F) {
	for _, s := range processSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		x, err := imaging.ReadExif(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("ReadExif: %v", err)
		}
		if x == nil {
			return
		}
		if x.Orientation < 0 || x.Orientation > 8 || x.ISO < 0 {
			t.Fatalf("orientation %d, ISO %d", x.Orientation, x.ISO)
		}
		if (x.Latitude == nil) != (x.Longitude == nil) ||
			x.Latitude != nil && (math.Abs(*x.Latitude) > 90 || math.Abs(*x.Longitude) > 180) {
			t.Fatalf("position %v %v", x.Latitude, x.Longitude)
		}
		for _, s := range []string{x.Make, x.Model, x.Lens, x.ExposureTime} {
			if len(s) > 128 || !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl) {
				t.Fatalf("text %q", s)
			}
		}
	})
}
