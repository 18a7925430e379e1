package imaging_test

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/png"
	"testing"

	"golang.org/x/image/webp"

	"imagerepo/gallery"
	"imagerepo/imaging"
)

func strip(t *testing.T, data []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := imaging.StripLocation(bytes.NewReader(data), &out); err != nil {
		t.Fatalf("StripLocation: %v", err)
	}
	return out.Bytes()
}

// checkStripped checks that the EXIF of out has lost its position and kept
// every other field of cameraTIFF.
func checkStripped(t *testing.T, out []byte, orientation int) {
	t.Helper()
	x, err := imaging.ReadExif(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if x == nil {
		t.Fatal("the EXIF is gone")
	}
	if x.Latitude != nil || x.Longitude != nil {
		t.Errorf("position %v, %v kept", *x.Latitude, *x.Longitude)
	}
	x.Latitude, x.Longitude = new(float64), new(float64)
	*x.Latitude, *x.Longitude = 48.856667, 2.350833
	checkCamera(t, x, orientation)
	// The GPS values themselves are gone, not only the pointer to them.
	var lat [24]byte
	for i, v := range []uint32{48, 1, 51, 1, 2400, 100} {
		binary.BigEndian.PutUint32(lat[4*i:], v)
	}
	if bytes.Contains(out, lat[:]) {
		t.Error("the latitude's bytes are still in the file")
	}
}

func TestStripLocation_JPEG(t *testing.T) {
	src := photo(300, 200, 5)
	jpg := encodeJPEG(t, src, 90)
	data := withSegments(jpg,
		exifSegment(cameraTIFF(binary.BigEndian, 6)),
		segment(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta><exif:GPSLatitude>48,51.4N</exif:GPSLatitude></x:xmpmeta>")),
		segment(0xED, []byte("Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x10\x1c\x02\x5a\x00\x05Paris")),
		segment(0xE2, []byte("MPF\x00II*\x00")),
	)
	data = append(data, []byte("trailing second image with its own GPS")...)
	out := strip(t, data)
	checkStripped(t, out, 6)
	for _, s := range []string{"GPSLatitude", "Paris", "MPF", "trailing"} {
		if bytes.Contains(out, []byte(s)) {
			t.Errorf("%q is still in the file", s)
		}
	}
	// The pixels are the same bytes: the entropy-coded data is copied.
	if !bytes.HasSuffix(out, jpg[len(jpg)-len(jpg)/2:]) {
		t.Error("the image data changed")
	}
	if res := process(t, out); res.Info.Width != 200 || res.Info.Height != 300 {
		t.Errorf("stripped image is %+v, want 200x300 (orientation kept)", res.Info)
	}
}

// TestStripLocation_JPEGStructure checks the marker walk: a JPEG without
// metadata comes out byte for byte, a segment after the scan is seen, and a
// broken file is refused.
func TestStripLocation_JPEGStructure(t *testing.T) {
	plain := jpegBytes(t, 40, 30)
	out := strip(t, plain)
	if !bytes.Equal(out, plain) {
		t.Error("a JPEG without metadata changed")
	}

	// An EXIF segment after the scan, where encoders may put segments
	// (between the scans of a progressive JPEG), loses its GPS too.
	eoi := len(plain) - 2
	late := append(append(append([]byte(nil), plain[:eoi]...), exifSegment(cameraTIFF(binary.LittleEndian, 1))...), plain[eoi:]...)
	out = strip(t, late)
	if !bytes.Contains(out, []byte("EF50mm")) {
		t.Error("a late EXIF segment lost its other tags")
	}
	var lat [24]byte
	for i, v := range []uint32{48, 1, 51, 1, 2400, 100} {
		binary.LittleEndian.PutUint32(lat[4*i:], v)
	}
	if bytes.Contains(out, lat[:]) {
		t.Error("a late EXIF segment kept its latitude")
	}

	for _, tt := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"png magic only", []byte("\x89PNG\r\n\x1a\n")},
		{"jpeg cut", plain[:len(plain)/2]},
		{"jpeg header", plain[:3]},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := imaging.StripLocation(bytes.NewReader(tt.data), &bytes.Buffer{})
			if code := gallery.ErrorCode(err); code != gallery.EUNPROCESSABLE && code != gallery.EUNSUPPORTED {
				t.Errorf("err %v, want unprocessable or unsupported", err)
			}
		})
	}
}

func TestStripLocation_PNG(t *testing.T) {
	src := pngBytes(t, 30, 20)
	xmp := append([]byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00"), "<exif:GPSLatitude>48,51.4N</exif:GPSLatitude>"...)
	data := withPNGChunk(withPNGChunk(src, "iTXt", xmp), "eXIf", cameraTIFF(binary.BigEndian, 3))
	out := strip(t, data)
	checkStripped(t, out, 3)
	if bytes.Contains(out, []byte("GPSLatitude")) {
		t.Error("XMP kept")
	}
	// png.Decode checks every CRC, the rewritten eXIf's included.
	m, err := png.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := png.Decode(bytes.NewReader(src))
	if !sameImage(m, want) {
		t.Error("pixels changed")
	}
}

func TestStripLocation_WebP(t *testing.T) {
	data := webpWithChunks(t, "EXIF", cameraTIFF(binary.BigEndian, 1), "XMP ", []byte("<exif:GPSLatitude>48,51.4N</exif:GPSLatitude>"))
	out := strip(t, data)
	checkStripped(t, out, 1)
	if bytes.Contains(out, []byte("GPSLatitude")) || bytes.Contains(out, []byte("XMP ")) {
		t.Error("XMP kept")
	}
	if size := binary.LittleEndian.Uint32(out[4:]); int(size) != len(out)-8 {
		t.Errorf("RIFF size %d for %d bytes", size, len(out))
	}
	if out[20]&0x04 != 0 {
		t.Error("VP8X still announces XMP")
	}
	m, err := webp.Decode(bytes.NewReader(out))
	if err != nil || m.Bounds().Dx() != 3 {
		t.Fatalf("stripped WebP: %v", err)
	}
}

func TestStripLocation_HEIF(t *testing.T) {
	data := heifWithExif(cameraTIFF(binary.BigEndian, 8))
	out := strip(t, data)
	if len(out) != len(data) {
		t.Fatalf("%d bytes, want %d: offsets would move", len(out), len(data))
	}
	checkStripped(t, out, 8)

	real := readTestdata(t, "test8.heic")
	if out := strip(t, real); !bytes.Equal(out, real) {
		t.Error("a HEIC without GPS changed")
	}
}

func TestStripLocation_GIF(t *testing.T) {
	g := gifBytes(t, 4, 4, 2)
	if out := strip(t, g); !bytes.Equal(out, g) {
		t.Error("a GIF changed")
	}
}

func sameImage(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			r1, g1, b1, a1 := a.At(x, y).RGBA()
			r2, g2, b2, a2 := b.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				return false
			}
		}
	}
	return true
}
