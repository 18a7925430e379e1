package imaging_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// The images of these tests are made here, small, or kept in ../testdata.

// pattern is a w×h image whose pixels differ, so that encoders cannot
// collapse it into something trivially short.
func pattern(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.Set(x, y, color.NRGBA{uint8(x * 40), uint8(y * 40), uint8(x ^ y), 0xFF})
		}
	}
	return m
}

func pngBytes(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, pattern(w, h)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func jpegBytes(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, pattern(w, h), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// gifBytes encodes frames frames of w×h on a w×h screen.
func gifBytes(t testing.TB, w, h, frames int) []byte {
	t.Helper()
	g := &gif.GIF{}
	for i := range frames {
		m := image.NewPaletted(image.Rect(0, 0, w, h), palette.Plan9)
		for j := range m.Pix {
			m.Pix[j] = uint8(i + j)
		}
		g.Image = append(g.Image, m)
		g.Delay = append(g.Delay, 10)
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, g); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// rawGIF is a GIF89a with a screenW×screenH logical screen and one image
// descriptor per frame (left, top, width, height), each with a token of image
// data. The data does not decode; it is for tests that must stop before.
func rawGIF(screenW, screenH int, frames ...[4]int) []byte {
	b := []byte("GIF89a")
	b = binary.LittleEndian.AppendUint16(b, uint16(screenW))
	b = binary.LittleEndian.AppendUint16(b, uint16(screenH))
	b = append(b, 0x80, 0, 0)             // a global color table of 2 entries
	b = append(b, 0, 0, 0, 255, 255, 255) // black, white
	for _, f := range frames {
		b = append(b, 0x21, 0xF9, 4, 0, 10, 0, 0, 0) // graphic control extension
		b = append(b, 0x2C)
		for _, v := range f {
			b = binary.LittleEndian.AppendUint16(b, uint16(v))
		}
		b = append(b, 0)                   // no local color table
		b = append(b, 2, 2, 0x4C, 0x01, 0) // code size, one sub-block, end
	}
	return append(b, 0x3B)
}

func webpBytes(t testing.TB) []byte {
	t.Helper()
	// 3×2, lossless (VP8L), one colour: made by hand, see testdata/README.md.
	b, err := os.ReadFile(filepath.Join("..", "testdata", "3x2.lossless.webp"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// webpVP8X is a WebP with only an extended header for a w×h canvas and no
// image data, as an animated WebP looks to a decoder of still images.
func webpVP8X(w, h int, flags byte) []byte {
	chunk := []byte("VP8X\x0a\x00\x00\x00")
	chunk = append(chunk, flags, 0, 0, 0)
	chunk = append(chunk, byte(w-1), byte((w-1)>>8), byte((w-1)>>16))
	chunk = append(chunk, byte(h-1), byte((h-1)>>8), byte((h-1)>>16))
	b := []byte("RIFF")
	b = binary.LittleEndian.AppendUint32(b, uint32(4+len(chunk)))
	b = append(b, "WEBP"...)
	return append(b, chunk...)
}

// pngHeader is a PNG signature and a valid IHDR for w×h, 8-bit RGBA,
// followed by bytes that are no PNG at all: only a decoder that stops at the
// header can call it anything but unreadable.
func pngHeader(w, h uint32) []byte {
	ihdr := []byte("IHDR")
	ihdr = binary.BigEndian.AppendUint32(ihdr, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0) // depth, RGBA, deflate, no filter, no interlace
	b := []byte("\x89PNG\r\n\x1a\n")
	b = binary.BigEndian.AppendUint32(b, 13)
	b = append(b, ihdr...)
	b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(ihdr))
	return append(b, bytes.Repeat([]byte("garbage!"), 64)...)
}

// jpegWithSize rewrites the frame header (SOF0) of a JPEG to claim w×h.
func jpegWithSize(t testing.TB, jpg []byte, w, h uint16) []byte {
	t.Helper()
	b := bytes.Clone(jpg)
	for i := 2; i+9 <= len(b); {
		if b[i] != 0xFF {
			t.Fatalf("no marker at %d", i)
		}
		if b[i+1] == 0xC0 {
			binary.BigEndian.PutUint16(b[i+5:], h)
			binary.BigEndian.PutUint16(b[i+7:], w)
			return b
		}
		i += 2 + int(binary.BigEndian.Uint16(b[i+2:]))
	}
	t.Fatal("no SOF0 in the JPEG")
	return nil
}

// gifWithScreen rewrites the logical screen size of a GIF.
func gifWithScreen(g []byte, w, h uint16) []byte {
	b := bytes.Clone(g)
	binary.LittleEndian.PutUint16(b[6:], w)
	binary.LittleEndian.PutUint16(b[8:], h)
	return b
}

// ifdEntry is one entry of an EXIF IFD0; value fills the 4-byte value field
// left-justified, as a SHORT (type 3) or a LONG (type 4) would.
type ifdEntry struct {
	tag, typ uint16
	count    uint32
	value    uint32
}

func orientationEntry(v uint16) ifdEntry { return ifdEntry{0x0112, 3, 1, uint32(v)} }

// byteOrder is binary.LittleEndian or binary.BigEndian.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// tiff is the TIFF structure of an EXIF segment with IFD0 holding entries.
func tiff(bo byteOrder, entries ...ifdEntry) []byte {
	b := []byte("II")
	if bo.String() == binary.BigEndian.String() {
		b = []byte("MM")
	}
	b = bo.AppendUint16(b, 42)
	b = bo.AppendUint32(b, 8)
	b = bo.AppendUint16(b, uint16(len(entries)))
	for _, e := range entries {
		b = bo.AppendUint16(b, e.tag)
		b = bo.AppendUint16(b, e.typ)
		b = bo.AppendUint32(b, e.count)
		if e.typ == 3 {
			b = bo.AppendUint16(b, uint16(e.value))
			b = append(b, 0, 0)
		} else {
			b = bo.AppendUint32(b, e.value)
		}
	}
	return bo.AppendUint32(b, 0) // no next IFD
}

// segment is a JPEG marker segment with its length.
func segment(marker byte, payload []byte) []byte {
	b := []byte{0xFF, marker}
	b = binary.BigEndian.AppendUint16(b, uint16(2+len(payload)))
	return append(b, payload...)
}

func exifSegment(tiff []byte) []byte { return segment(0xE1, append([]byte("Exif\x00\x00"), tiff...)) }

// withSegments splices segments into a JPEG right after its SOI marker.
func withSegments(jpg []byte, segs ...[]byte) []byte {
	b := append([]byte(nil), jpg[:2]...)
	for _, s := range segs {
		b = append(b, s...)
	}
	return append(b, jpg[2:]...)
}

// jpegOriented is a w×h JPEG whose EXIF says orientation o.
func jpegOriented(t testing.TB, w, h int, bo byteOrder, o uint16) []byte {
	t.Helper()
	return withSegments(jpegBytes(t, w, h), exifSegment(tiff(bo, orientationEntry(o))))
}
