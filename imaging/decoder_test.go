package imaging_test

import (
	"bytes"
	"encoding/binary"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"imagerepo/gallery"
	"imagerepo/imaging"
)

func TestNew_Defaults(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   imaging.Limits
		want imaging.Limits
	}{
		{"zero", imaging.Limits{}, imaging.Limits{MaxPixels: 100_000_000, MaxGIFFrames: 1000, MaxConcurrent: runtime.NumCPU(), MaxPixelsInFlight: 100_000_000}},
		{"negative", imaging.Limits{MaxPixels: -1, MaxGIFFrames: -1, MaxConcurrent: -1, MaxPixelsInFlight: -1}, imaging.Limits{MaxPixels: 100_000_000, MaxGIFFrames: 1000, MaxConcurrent: runtime.NumCPU(), MaxPixelsInFlight: 100_000_000}},
		{"in flight follows max", imaging.Limits{MaxPixels: 5}, imaging.Limits{MaxPixels: 5, MaxGIFFrames: 1000, MaxConcurrent: runtime.NumCPU(), MaxPixelsInFlight: 5}},
		{"set", imaging.Limits{MaxPixels: 5, MaxGIFFrames: 6, MaxConcurrent: 7, MaxPixelsInFlight: 8}, imaging.Limits{MaxPixels: 5, MaxGIFFrames: 6, MaxConcurrent: 7, MaxPixelsInFlight: 8}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := imaging.LimitsOf(imaging.New(tt.in)); got != tt.want {
				t.Errorf("limits = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestAcceptedTypes(t *testing.T) {
	want := []string{"image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "image/avif"}
	got := imaging.AcceptedTypes()
	if !slices.Equal(got, want) {
		t.Fatalf("AcceptedTypes() = %v, want %v", got, want)
	}
	got[0] = "text/html"
	if imaging.AcceptedTypes()[0] != "image/jpeg" {
		t.Error("AcceptedTypes hands out its own slice")
	}
}

func TestDecoder_Inspect_Formats(t *testing.T) {
	le, be := binary.LittleEndian, binary.BigEndian
	xmp := segment(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta/>"))
	for _, tt := range []struct {
		name string
		data []byte
		want gallery.ImageInfo
	}{
		{"png", pngBytes(t, 7, 5), gallery.ImageInfo{ContentType: "image/png", Width: 7, Height: 5}},
		{"png 1x1", pngBytes(t, 1, 1), gallery.ImageInfo{ContentType: "image/png", Width: 1, Height: 1}},
		{"jpeg", jpegBytes(t, 7, 5), gallery.ImageInfo{ContentType: "image/jpeg", Width: 7, Height: 5}},
		{"gif", gifBytes(t, 7, 5, 1), gallery.ImageInfo{ContentType: "image/gif", Width: 7, Height: 5}},
		{"gif animated", gifBytes(t, 7, 5, 3), gallery.ImageInfo{ContentType: "image/gif", Width: 7, Height: 5}},
		{"gif87a", append([]byte("GIF87a"), gifBytes(t, 7, 5, 1)[6:]...), gallery.ImageInfo{ContentType: "image/gif", Width: 7, Height: 5}},
		{"webp lossless", webpBytes(t), gallery.ImageInfo{ContentType: "image/webp", Width: 3, Height: 2}},
		{"jpeg exif 1", jpegOriented(t, 7, 5, le, 1), gallery.ImageInfo{ContentType: "image/jpeg", Width: 7, Height: 5}},
		{"jpeg exif 3 turns half", jpegOriented(t, 7, 5, le, 3), gallery.ImageInfo{ContentType: "image/jpeg", Width: 7, Height: 5}},
		{"jpeg exif 5 swaps", jpegOriented(t, 7, 5, be, 5), gallery.ImageInfo{ContentType: "image/jpeg", Width: 5, Height: 7}},
		{"jpeg exif 6 swaps", jpegOriented(t, 7, 5, le, 6), gallery.ImageInfo{ContentType: "image/jpeg", Width: 5, Height: 7}},
		{"jpeg exif 6 big-endian swaps", jpegOriented(t, 7, 5, be, 6), gallery.ImageInfo{ContentType: "image/jpeg", Width: 5, Height: 7}},
		{"jpeg exif 8 swaps", jpegOriented(t, 7, 5, be, 8), gallery.ImageInfo{ContentType: "image/jpeg", Width: 5, Height: 7}},
		{"jpeg exif 9 ignored", jpegOriented(t, 7, 5, le, 9), gallery.ImageInfo{ContentType: "image/jpeg", Width: 7, Height: 5}},
		{"jpeg xmp then exif 6", withSegments(jpegBytes(t, 7, 5), xmp, exifSegment(tiff(le, orientationEntry(6)))), gallery.ImageInfo{ContentType: "image/jpeg", Width: 5, Height: 7}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := imaging.New(imaging.Limits{}).Inspect(t.Context(), bytes.NewReader(tt.data))
			if err != nil {
				t.Fatalf("Inspect: %v", err)
			}
			if got != tt.want {
				t.Errorf("Inspect = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDecoder_Inspect_Unsupported(t *testing.T) {
	for _, tt := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"text", []byte("hello, this is not an image\n")},
		{"html", []byte("<!doctype html><script>alert(1)</script>")},
		{"pdf", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")},
		{"bmp", append([]byte("BM"), make([]byte, 60)...)},
		{"tiff", append([]byte("II*\x00"), make([]byte, 60)...)},
		{"riff wave", []byte("RIFF\x24\x00\x00\x00WAVEfmt ")},
		{"riff short", []byte("RIFF\x00\x00\x00\x00WEB")},
		{"gif88a", append([]byte("GIF88a"), gifBytes(t, 2, 2, 1)[6:]...)},
		{"jpeg magic cut", []byte{0xFF, 0xD8}},
		{"png magic cut", []byte("\x89PNG\r\n\x1a")},
		{"png after a byte", append([]byte{0}, pngBytes(t, 2, 2)...)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := imaging.New(imaging.Limits{})
			imaging.SetDecode(d, func(string, io.Reader) error {
				t.Error("decoded bytes of an unsupported type")
				return nil
			})
			_, err := d.Inspect(t.Context(), bytes.NewReader(tt.data))
			if code := gallery.ErrorCode(err); code != gallery.EUNSUPPORTED {
				t.Fatalf("code = %q (%v), want %q", code, err, gallery.EUNSUPPORTED)
			}
			if msg := gallery.ErrorMessage(err); !strings.Contains(msg, "JPEG, PNG, GIF, WebP, HEIC and AVIF") {
				t.Errorf("message %q does not name the accepted types", msg)
			}
		})
	}
}

func TestDecoder_Inspect_Unprocessable(t *testing.T) {
	pngData, jpegData, gifData := pngBytes(t, 40, 30), jpegBytes(t, 40, 30), gifBytes(t, 40, 30, 2)
	badCRC := bytes.Clone(pngData)
	badCRC[len(badCRC)-20] ^= 0xFF // inside IDAT
	for _, tt := range []struct {
		name string
		data []byte
	}{
		{"png truncated", pngData[:len(pngData)/2]},
		{"png no IEND", pngData[:len(pngData)-12]},
		{"png corrupt IDAT", badCRC},
		{"png magic only", pngData[:8]},
		{"png zero width", pngHeader(0, 10)},
		{"jpeg truncated", jpegData[:len(jpegData)/2]},
		{"jpeg magic only", jpegData[:3]},
		{"jpeg header only", jpegData[:200]},
		{"gif truncated", gifData[:len(gifData)/2]},
		{"gif no trailer", gifData[:len(gifData)-1]},
		{"gif header only", gifData[:13]},
		{"gif zero screen", gifWithScreen(gifData, 0, 0)},
		{"gif frame outside screen", rawGIF(10, 10, [4]int{5, 5, 10, 10})},
		{"gif unknown block", append(gifData[:len(gifData)-1], 0x99)},
		{"webp header only", []byte("RIFF\x04\x00\x00\x00WEBP")},
		{"webp truncated", webpBytes(t)[:24]},
		{"webp canvas without image (animated)", webpVP8X(3, 2, 0x02)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := imaging.New(imaging.Limits{}).Inspect(t.Context(), bytes.NewReader(tt.data))
			if code := gallery.ErrorCode(err); code != gallery.EUNPROCESSABLE {
				t.Fatalf("code = %q (%v), want %q", code, err, gallery.EUNPROCESSABLE)
			}
		})
	}
}

// noDecode is a full decode that fails the test if it runs.
func noDecode(t *testing.T) func(string, io.Reader) error {
	return func(string, io.Reader) error {
		t.Error("the full decode ran")
		return nil
	}
}

func TestDecoder_Inspect_PixelLimit(t *testing.T) {
	for _, tt := range []struct {
		name  string
		data  []byte
		limit int64 // 0 for the default
	}{
		{"png 20000x20000 header", pngHeader(20000, 20000), 0},
		{"png 2^24 square header", pngHeader(1<<24, 1<<24), 0},
		{"jpeg 65535x65535 header", jpegWithSize(t, jpegBytes(t, 8, 8), 65535, 65535), 0},
		{"gif 65535x65535 screen", gifWithScreen(gifBytes(t, 4, 4, 1), 65535, 65535), 0},
		{"webp 16384x16384 canvas", webpVP8X(16384, 16384, 0), 0},
		{"png one over a small limit", pngBytes(t, 6, 6), 35},
		{"webp over a small limit", webpBytes(t), 5},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := imaging.New(imaging.Limits{MaxPixels: tt.limit})
			imaging.SetDecode(d, noDecode(t))
			_, err := d.Inspect(t.Context(), bytes.NewReader(tt.data))
			if code := gallery.ErrorCode(err); code != gallery.EUNPROCESSABLE {
				t.Fatalf("code = %q (%v), want %q", code, err, gallery.EUNPROCESSABLE)
			}
			limit := imaging.LimitsOf(d).MaxPixels
			if msg := gallery.ErrorMessage(err); !strings.Contains(msg, "limit of "+strconv.FormatInt(limit, 10)+" pixels") {
				t.Errorf("message %q does not give the limit %d", msg, limit)
			}
		})
	}

	t.Run("at the limit", func(t *testing.T) {
		d := imaging.New(imaging.Limits{MaxPixels: 35})
		if _, err := d.Inspect(t.Context(), bytes.NewReader(pngBytes(t, 7, 5))); err != nil {
			t.Errorf("7x5 with a limit of 35: %v", err)
		}
	})
}
