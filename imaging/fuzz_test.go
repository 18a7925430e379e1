package imaging_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"slices"
	"testing"

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
