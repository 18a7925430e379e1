package imaging_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"imagerepo/imaging"
)

// checkCamera checks the fields of cameraTIFF.
func checkCamera(t *testing.T, x *imaging.Exif, orientation int) {
	t.Helper()
	if x == nil {
		t.Fatal("no EXIF")
	}
	if x.Make != "Canon" || x.Model != "Canon EOS 5D Mark IV" || x.Lens != "EF50mm f/1.8 STM" {
		t.Errorf("camera %q %q %q", x.Make, x.Model, x.Lens)
	}
	want := time.Date(2023, 7, 14, 18, 30, 5, 0, time.FixedZone("", 2*3600))
	if x.TakenAt == nil || !x.TakenAt.Equal(want) || x.TakenAt.Format(time.RFC3339) != "2023-07-14T18:30:05+02:00" {
		t.Errorf("TakenAt %v, want %v", x.TakenAt, want)
	}
	if x.ExposureTime != "1/250" || x.FNumber != 2.8 || x.ISO != 200 || x.FocalLength != 50 {
		t.Errorf("exposure %q f/%v ISO %d %vmm", x.ExposureTime, x.FNumber, x.ISO, x.FocalLength)
	}
	if x.Latitude == nil || x.Longitude == nil ||
		math.Abs(*x.Latitude-48.856667) > 1e-5 || math.Abs(*x.Longitude-2.350833) > 1e-5 {
		t.Errorf("position %v %v", x.Latitude, x.Longitude)
	}
	if x.Orientation != orientation {
		t.Errorf("Orientation %d, want %d", x.Orientation, orientation)
	}
}

func TestDecoder_Process_EXIF(t *testing.T) {
	for _, bo := range []byteOrder{binary.LittleEndian, binary.BigEndian} {
		t.Run("jpeg "+bo.String(), func(t *testing.T) {
			data := withSegments(jpegBytes(t, 30, 20), exifSegment(cameraTIFF(bo, 1)))
			checkCamera(t, process(t, data).EXIF, 1)
		})
	}
	t.Run("png eXIf", func(t *testing.T) {
		data := withPNGChunk(pngBytes(t, 30, 20), "eXIf", cameraTIFF(binary.BigEndian, 6))
		res := process(t, data)
		checkCamera(t, res.EXIF, 6)
		if res.Info.Width != 30 {
			t.Errorf("a PNG's orientation was applied: %+v", res.Info)
		}
	})
	t.Run("webp EXIF", func(t *testing.T) {
		checkCamera(t, process(t, webpWithChunks(t, "EXIF", cameraTIFF(binary.LittleEndian, 1))).EXIF, 1)
	})
	t.Run("heic Exif item", func(t *testing.T) {
		res := process(t, readTestdata(t, "test8.heic"))
		if res.Info.ContentType != "image/heic" || res.Info.Width != 512 || res.Info.Height != 512 {
			t.Errorf("Info %+v", res.Info)
		}
		// Its Exif item holds only a rating, which Exif does not keep.
		if res.EXIF != nil {
			t.Errorf("EXIF %+v", res.EXIF)
		}
		if res.Large.ContentType != "image/jpeg" || res.Large.Width != 512 {
			t.Errorf("Large %s %dx%d", res.Large.ContentType, res.Large.Width, res.Large.Height)
		}
	})
	t.Run("heif Exif item", func(t *testing.T) {
		// A synthetic HEIF with no image: Process refuses it, but the EXIF
		// reading under it is the same as for a camera's.
		x, err := imaging.ReadExif(bytes.NewReader(heifWithExif(cameraTIFF(binary.BigEndian, 6))))
		if err != nil {
			t.Fatal(err)
		}
		checkCamera(t, x, 6)
	})
	t.Run("avif", func(t *testing.T) {
		res := process(t, readTestdata(t, "test8.avif"))
		if res.Info.ContentType != "image/avif" || res.Large.Width == 0 {
			t.Errorf("Info %+v, Large %dx%d", res.Info, res.Large.Width, res.Large.Height)
		}
	})
	t.Run("none", func(t *testing.T) {
		if x := process(t, jpegBytes(t, 30, 20)).EXIF; x != nil {
			t.Errorf("EXIF %+v of a JPEG without", x)
		}
	})
	t.Run("zero date and nonsense", func(t *testing.T) {
		le := binary.LittleEndian
		tiff := exifTIFF(le, []exifTag{
			asciiTag(le, 0x010F, " Canon\x01\xff "),
			asciiTag(le, 0x0132, "0000:00:00 00:00:00"),
			pointerTag(0x8825, 1),
		}, []exifTag{
			asciiTag(le, 1, "N"),
			rationalTag(le, 2, [2]uint32{91, 1}, [2]uint32{0, 1}, [2]uint32{0, 1}),
			asciiTag(le, 3, "E"),
			rationalTag(le, 4, [2]uint32{2, 0}, [2]uint32{0, 1}, [2]uint32{0, 1}),
		})
		x := process(t, withSegments(jpegBytes(t, 30, 20), exifSegment(tiff))).EXIF
		if x == nil || x.Make != "Canon" || x.TakenAt != nil || x.Latitude != nil || x.Longitude != nil {
			t.Errorf("EXIF %+v", x)
		}
	})
}

// TestDecoder_Process_HostileEXIF checks that EXIF built to make a reader
// loop, allocate or read out of bounds gives a result, never a panic or a
// hang (the test's own timeout is the guard), and leaves the image usable.
func TestDecoder_Process_HostileEXIF(t *testing.T) {
	le := binary.LittleEndian
	// IFD0 points to itself as the GPS IFD, and the Exif IFD points back
	// to both. What an IFD holds after a pointer seen before may be lost
	// (bep/imagemeta then reads that IFD out of step); what comes before the
	// loop must not be.
	loop := exifTIFF(le,
		[]exifTag{asciiTag(le, 0x010F, "Loop"), pointerTag(0x8769, 1), pointerTag(0x8825, 0)},
		[]exifTag{shortTag(le, 0x8827, 100), pointerTag(0x8769, 0), pointerTag(0x8825, 1)},
	)
	huge := tiff(le, orientationEntry(6))
	le.PutUint16(huge[8:], 0xFFFF)
	overflow := exifTIFF(le, []exifTag{
		{tag: 0x010F, typ: 2, count: 0xFFFFFFFF, data: make([]byte, 8)},
		{tag: 0x0110, typ: 5, count: 0x20000000, data: make([]byte, 8)},
		pointerTag(0x8769, 1),
	}, []exifTag{rationalTag(le, 0x829A, [2]uint32{1, 0})})
	// Point the Make value at the last bytes and past the end.
	le.PutUint32(overflow[8+2+8:], 0xFFFFFFF0)
	le.PutUint32(overflow[8+2+12+8:], uint32(len(overflow)-4))
	truncated := cameraTIFF(le, 6)
	for _, tt := range []struct {
		name string
		tiff []byte
	}{
		{"ifd loop", loop},
		{"65535 entries", huge},
		{"offsets overflow", overflow},
		{"truncated", truncated[:len(truncated)/2]},
		{"header only", truncated[:8]},
		{"ifd0 at 2^32-1", append(append([]byte("II*\x00"), 0xFF, 0xFF, 0xFF, 0xFF), make([]byte, 64)...)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			data := withSegments(jpegBytes(t, 30, 20), exifSegment(tt.tiff))
			res := process(t, data)
			if res.Large.Width == 0 {
				t.Error("no thumbnail")
			}
			if tt.name == "ifd loop" && (res.EXIF == nil || res.EXIF.Make != "Loop" || res.EXIF.ISO != 100) {
				t.Errorf("EXIF %+v: the fields before the loop are lost", res.EXIF)
			}
			// The same through PNG, whose EXIF is not bounded by a segment.
			process(t, withPNGChunk(pngBytes(t, 30, 20), "eXIf", tt.tiff))
		})
	}
}

// withPNGChunk inserts a chunk after IHDR.
func withPNGChunk(p []byte, typ string, data []byte) []byte {
	const afterIHDR = 8 + 8 + 13 + 4
	c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	c = append(c, typ...)
	c = append(c, data...)
	c = binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
	return append(append(append([]byte(nil), p[:afterIHDR]...), c...), p[afterIHDR:]...)
}

// webpWithChunks is the 3×2 lossless WebP of testdata in the extended
// format, with the chunks given (type, data, type, data...) after its image.
func webpWithChunks(t testing.TB, chunks ...any) []byte {
	t.Helper()
	plain := webpBytes(t)
	body := []byte("VP8X\x0a\x00\x00\x00")
	var flags byte
	for i := 0; i < len(chunks); i += 2 {
		switch chunks[i].(string) {
		case "EXIF":
			flags |= 0x08
		case "XMP ":
			flags |= 0x04
		}
	}
	body = append(body, flags, 0, 0, 0, 2, 0, 0, 1, 0, 0) // canvas 3×2
	body = append(body, plain[12:]...)                    // the VP8L chunk
	for i := 0; i < len(chunks); i += 2 {
		data := chunks[i+1].([]byte)
		body = append(body, chunks[i].(string)...)
		body = binary.LittleEndian.AppendUint32(body, uint32(len(data)))
		body = append(body, data...)
		if len(data)%2 == 1 {
			body = append(body, 0)
		}
	}
	b := append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(4+len(body)))...)
	return append(append(b, "WEBP"...), body...)
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// heifWithExif is an ISO BMFF file with an ftyp of HEIC, a meta box whose
// item information and locations name one item of type Exif, and that item
// in an mdat box: the structure a phone writes, without any image.
func heifWithExif(tiff []byte) []byte {
	box := func(typ string, body ...[]byte) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(8+len(bytes.Join(body, nil))))
		return append(append(b, typ...), bytes.Join(body, nil)...)
	}
	ftyp := box("ftyp", []byte("heic\x00\x00\x00\x00mif1heic"))
	infe := box("infe", []byte{2, 0, 0, 0, 0, 1, 0, 0}, []byte("Exif\x00"))
	iinf := box("iinf", []byte{0, 0, 0, 0, 0, 1}, infe)
	iloc := func(off int) []byte {
		b := []byte{0, 0, 0, 0, 0x44, 0x00, 0, 1, 0, 1, 0, 0, 0, 1}
		b = binary.BigEndian.AppendUint32(b, uint32(off))
		b = binary.BigEndian.AppendUint32(b, uint32(4+len(tiff)))
		return box("iloc", b)
	}
	meta := box("meta", []byte{0, 0, 0, 0}, iinf, iloc(0))
	off := len(ftyp) + len(meta) + 8
	meta = box("meta", []byte{0, 0, 0, 0}, iinf, iloc(off))
	return append(append(ftyp, meta...), box("mdat", []byte{0, 0, 0, 0}, tiff)...)
}
