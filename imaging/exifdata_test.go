package imaging_test

import (
	"encoding/binary"
)

// exifTag is one entry of an IFD built by exifTIFF: a type and its values,
// already encoded in the byte order, or a pointer to another IFD.
type exifTag struct {
	tag   uint16
	typ   uint16
	count uint32
	data  []byte // encoded values; for a pointer, ignored
	ifd   int    // 1 + the index of the IFD this LONG points to; 0 when none
}

// exifTIFF lays out a TIFF structure: the header, then the IFDs in order,
// each followed by the values that do not fit in its entries. ifds[0] is
// IFD0; pointers name the others by index.
func exifTIFF(bo byteOrder, ifds ...[]exifTag) []byte {
	// First pass: the offset of each IFD.
	offs := make([]int, len(ifds))
	off := 8
	for i, ifd := range ifds {
		offs[i] = off
		off += 2 + 12*len(ifd) + 4
		for _, e := range ifd {
			if len(e.data) > 4 {
				off += len(e.data) + len(e.data)&1
			}
		}
	}
	b := []byte("II")
	if bo.String() == binary.BigEndian.String() {
		b = []byte("MM")
	}
	b = bo.AppendUint16(b, 42)
	b = bo.AppendUint32(b, 8)
	for i, ifd := range ifds {
		b = bo.AppendUint16(b, uint16(len(ifd)))
		extra := offs[i] + 2 + 12*len(ifd) + 4
		var values []byte
		for _, e := range ifd {
			b = bo.AppendUint16(b, e.tag)
			b = bo.AppendUint16(b, e.typ)
			b = bo.AppendUint32(b, e.count)
			switch {
			case e.ifd > 0:
				b = bo.AppendUint32(b, uint32(offs[e.ifd-1]))
			case len(e.data) > 4:
				b = bo.AppendUint32(b, uint32(extra+len(values)))
				values = append(values, e.data...)
				if len(e.data)&1 == 1 {
					values = append(values, 0)
				}
			default:
				v := [4]byte{}
				copy(v[:], e.data)
				b = append(b, v[:]...)
			}
		}
		b = bo.AppendUint32(b, 0) // no next IFD
		b = append(b, values...)
	}
	return b
}

func asciiTag(bo byteOrder, tag uint16, s string) exifTag {
	return exifTag{tag: tag, typ: 2, count: uint32(len(s) + 1), data: append([]byte(s), 0)}
}

func shortTag(bo byteOrder, tag uint16, v uint16) exifTag {
	return exifTag{tag: tag, typ: 3, count: 1, data: bo.AppendUint16(nil, v)}
}

func rationalTag(bo byteOrder, tag uint16, v ...[2]uint32) exifTag {
	var d []byte
	for _, r := range v {
		d = bo.AppendUint32(d, r[0])
		d = bo.AppendUint32(d, r[1])
	}
	return exifTag{tag: tag, typ: 5, count: uint32(len(v)), data: d}
}

func pointerTag(tag uint16, ifd int) exifTag {
	return exifTag{tag: tag, typ: 4, count: 1, ifd: ifd + 1}
}

// cameraTIFF is the EXIF of a camera-like photo: make, model, orientation,
// the time taken with its offset, exposure, lens and a GPS position
// (48°51'24" N, 2°21'3" E).
func cameraTIFF(bo byteOrder, orientation uint16) []byte {
	return exifTIFF(bo,
		[]exifTag{
			asciiTag(bo, 0x010F, "Canon"),
			asciiTag(bo, 0x0110, "Canon EOS 5D Mark IV"),
			shortTag(bo, 0x0112, orientation),
			asciiTag(bo, 0x0132, "2024:01:02 10:00:00"),
			pointerTag(0x8769, 1),
			pointerTag(0x8825, 2),
		},
		[]exifTag{
			rationalTag(bo, 0x829A, [2]uint32{1, 250}),
			rationalTag(bo, 0x829D, [2]uint32{28, 10}),
			shortTag(bo, 0x8827, 200),
			asciiTag(bo, 0x9003, "2023:07:14 18:30:05"),
			asciiTag(bo, 0x9011, "+02:00"),
			rationalTag(bo, 0x920A, [2]uint32{50, 1}),
			asciiTag(bo, 0xA434, "EF50mm f/1.8 STM"),
		},
		[]exifTag{
			asciiTag(bo, 1, "N"),
			rationalTag(bo, 2, [2]uint32{48, 1}, [2]uint32{51, 1}, [2]uint32{2400, 100}),
			asciiTag(bo, 3, "E"),
			rationalTag(bo, 4, [2]uint32{2, 1}, [2]uint32{21, 1}, [2]uint32{300, 100}),
		},
	)
}
