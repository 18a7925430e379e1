package imaging_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"testing"

	"imagerepo/imaging"
)

func TestOrientation_Values(t *testing.T) {
	jpg := jpegBytes(t, 4, 2)
	for _, bo := range []byteOrder{binary.LittleEndian, binary.BigEndian} {
		for o := range uint16(8) {
			o++
			t.Run(fmt.Sprintf("%v %d", bo, o), func(t *testing.T) {
				for _, entry := range []ifdEntry{orientationEntry(o), {0x0112, 4, 1, uint32(o)}} {
					data := withSegments(jpg, exifSegment(tiff(bo, entry)))
					if got := imaging.Orientation(bytes.NewReader(data)); got != int(o) {
						t.Errorf("type %d: Orientation = %d, want %d", entry.typ, got, o)
					}
				}
			})
		}
	}
}

func TestOrientation_Cases(t *testing.T) {
	le, be := binary.LittleEndian, binary.BigEndian
	jpg := jpegBytes(t, 4, 2)
	exif6 := exifSegment(tiff(le, orientationEntry(6)))
	width := ifdEntry{0x0100, 3, 1, 4} // ImageWidth, before Orientation as tags sort
	app0 := segment(0xE0, []byte("JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"))
	xmp := segment(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta/>"))
	badTIFF := func(mutate func(b []byte)) []byte {
		b := tiff(le, orientationEntry(6))
		mutate(b)
		return withSegments(jpg, exifSegment(b))
	}
	soi := []byte{0xFF, 0xD8}
	for _, tt := range []struct {
		name string
		data []byte
		want int
	}{
		{"empty", nil, 1},
		{"not a jpeg", pngBytes(t, 2, 2), 1},
		{"no exif", jpg, 1},
		{"after JFIF", withSegments(jpg, app0, exif6), 6},
		{"after XMP", withSegments(jpg, xmp, exif6), 6},
		{"second of two entries", withSegments(jpg, exifSegment(tiff(be, width, orientationEntry(8)))), 8},
		{"first exif wins", withSegments(jpg, exif6, exifSegment(tiff(le, orientationEntry(3)))), 6},
		{"a fill byte before the marker", append(append(bytes.Clone(soi), 0xFF), exif6...), 6},
		{"two fill bytes before the marker", append(append(bytes.Clone(soi), 0xFF, 0xFF), exif6...), 6},
		{"standalone markers before", append(append(bytes.Clone(soi), 0xFF, 0x01, 0xFF, 0xD0), exif6...), 6},
		{"exif after the image data", append(append(bytes.Clone(soi), segment(0xDA, []byte{1, 2, 3})...), exif6...), 1},
		{"exif after EOI", append(append(bytes.Clone(soi), 0xFF, 0xD9), exif6...), 1},
		{"garbage instead of a marker", append(append(bytes.Clone(soi), 0x00, 0x00), exif6...), 1},
		{"marker 0xFF00", append(append(bytes.Clone(soi), 0xFF, 0x00), exif6...), 1},
		{"segment length 1", append(append(bytes.Clone(soi), 0xFF, 0xE0, 0x00, 0x01), exif6...), 1},
		{"segment length past the end", append(bytes.Clone(soi), 0xFF, 0xE0, 0xFF, 0xFF, 1, 2), 1},
		{"exif segment cut short", append(bytes.Clone(soi), exif6[:len(exif6)-3]...), 1},
		{"exif header only", withSegments(jpg, segment(0xE1, []byte("Exif\x00\x00"))), 1},
		{"exif header cut", withSegments(jpg, segment(0xE1, []byte("Exif"))), 1},
		{"byte order unknown", badTIFF(func(b []byte) { copy(b, "XX") }), 1},
		{"byte order mixed", badTIFF(func(b []byte) { copy(b, "IM") }), 1},
		{"magic wrong", badTIFF(func(b []byte) { b[2] = 43 }), 1},
		{"ifd offset past the end", badTIFF(func(b []byte) { le.PutUint32(b[4:], uint32(len(b))) }), 1},
		{"ifd offset at the last byte", badTIFF(func(b []byte) { le.PutUint32(b[4:], uint32(len(b)-1)) }), 1},
		{"ifd offset 2^32-1", badTIFF(func(b []byte) { le.PutUint32(b[4:], 1<<32-1) }), 1},
		{"ifd offset inside the header", badTIFF(func(b []byte) { le.PutUint32(b[4:], 2) }), 1},
		{"entry count past the end", badTIFF(func(b []byte) { le.PutUint16(b[8:], 0xFFFF); le.PutUint16(b[10:], 0x0100) }), 1},
		{"entry count zero", badTIFF(func(b []byte) { le.PutUint16(b[8:], 0) }), 1},
		{"entry cut short", badTIFF(func(b []byte) { le.PutUint16(b[8:], 1) })[:2+4+6+8+2+10], 1},
		{"value count zero", badTIFF(func(b []byte) { le.PutUint32(b[14:], 0) }), 1},
		{"value type ASCII", badTIFF(func(b []byte) { le.PutUint16(b[12:], 2) }), 1},
		{"value 0", withSegments(jpg, exifSegment(tiff(le, orientationEntry(0)))), 1},
		{"value 9", withSegments(jpg, exifSegment(tiff(le, orientationEntry(9)))), 1},
		{"long value 2^32-1", withSegments(jpg, exifSegment(tiff(le, ifdEntry{0x0112, 4, 1, 1<<32 - 1}))), 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := imaging.Orientation(bytes.NewReader(tt.data)); got != tt.want {
				t.Errorf("Orientation = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestOrientation_ReadsFromStart(t *testing.T) {
	r := bytes.NewReader(jpegOriented(t, 4, 2, binary.LittleEndian, 6))
	if _, err := r.Seek(0, io.SeekEnd); err != nil {
		t.Fatal(err)
	}
	if got := imaging.Orientation(r); got != 6 {
		t.Errorf("Orientation = %d, want 6", got)
	}
}

func TestOrientation_ReaderError(t *testing.T) {
	data := jpegOriented(t, 4, 2, binary.LittleEndian, 6)
	for _, r := range []*failing{
		{Reader: bytes.NewReader(data), failAt: 1 << 30, seekFails: 0},
		{Reader: bytes.NewReader(data), failAt: 8, seekFails: -1},
	} {
		if got := imaging.Orientation(r); got != 1 {
			t.Errorf("Orientation of a failing reader = %d, want 1", got)
		}
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	io.ReadSeeker
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.ReadSeeker.Read(p)
	c.n += int64(n)
	return n, err
}

// maxOrientationRead bounds what Orientation may read: SOI, each marker with
// its length and an APP1's identifier, and one whole segment.
const maxOrientationRead = 2 + imaging.MaxMarkers*(4+6) + 1<<16

// TestOrientation_Bounded checks that hostile headers cannot make
// Orientation read more than it promises, however long the file.
func TestOrientation_Bounded(t *testing.T) {
	soi := []byte{0xFF, 0xD8}
	big := func(unit []byte) []byte { return append(bytes.Clone(soi), bytes.Repeat(unit, 1<<20/len(unit))...) }
	for _, tt := range []struct {
		name string
		data []byte
	}{
		{"empty segments", big([]byte{0xFF, 0xFE, 0x00, 0x02})},
		{"largest segments", big(append([]byte{0xFF, 0xFE, 0xFF, 0xFF}, make([]byte, 0xFFFD)...))},
		{"largest APP1 without exif", big(append([]byte{0xFF, 0xE1, 0xFF, 0xFF}, make([]byte, 0xFFFD)...))},
		{"fill bytes", big([]byte{0xFF})},
		{"standalone markers", big([]byte{0xFF, 0xD0})},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := &countingReader{ReadSeeker: bytes.NewReader(tt.data)}
			if got := imaging.Orientation(r); got != 1 {
				t.Errorf("Orientation = %d, want 1", got)
			}
			if r.n > maxOrientationRead {
				t.Errorf("read %d bytes, more than %d", r.n, maxOrientationRead)
			}
		})
	}
}
