package imaging

import "encoding/binary"

// The TIFF structure of an EXIF block, walked with every offset checked: the
// location stripper (strip.go) edits it in place, and the orientation is
// read from it before decoding (orientation.go); the camera fields are read
// by bep/imagemeta (exif.go).

// TIFF values used by EXIF (TIFF 6.0, section 2; EXIF 2.32, 4.6.3).
const (
	tiffMagic      = 42
	tagOrientation = 0x0112
	tagGPSIFD      = 0x8825 // points from IFD0 to the GPS IFD
	typeShort      = 3
	typeLong       = 4
	ifdEntrySize   = 12 // tag, type, count, value
)

// maxIFDEntries bounds the entries read from one IFD. Cameras write a few
// dozen; a count of 65535 in a 64 KiB segment is a lie the bound makes cheap.
const maxIFDEntries = 1024

// tiffData is a TIFF structure, every offset into it checked.
type tiffData struct {
	b  []byte
	bo binary.ByteOrder
}

type tiffEntry struct {
	tag, typ uint16
	count    uint32
	field    []byte // the 4-byte value or offset field
}

// newTIFF checks the header of b and returns it with the offset of IFD0.
func newTIFF(b []byte) (tiffData, uint32, bool) {
	if len(b) < 8 {
		return tiffData{}, 0, false
	}
	var t tiffData
	switch string(b[:2]) {
	case "II":
		t.bo = binary.LittleEndian
	case "MM":
		t.bo = binary.BigEndian
	default:
		return tiffData{}, 0, false
	}
	if t.bo.Uint16(b[2:]) != tiffMagic {
		return tiffData{}, 0, false
	}
	t.b = b
	return t, t.bo.Uint32(b[4:]), true
}

// ifd returns the entries of the IFD at off, as many as the data holds and
// at most maxIFDEntries; nil for an offset outside the data.
func (t tiffData) ifd(off uint32) []tiffEntry {
	o := uint64(off) // no sum of two uint32 wraps in uint64
	if o < 8 || o+2 > uint64(len(t.b)) {
		return nil
	}
	n := int(t.bo.Uint16(t.b[o:]))
	n = min(n, (len(t.b)-int(o)-2)/ifdEntrySize, maxIFDEntries)
	entries := make([]tiffEntry, n)
	for i := range entries {
		e := t.b[int(o)+2+i*ifdEntrySize:]
		entries[i] = tiffEntry{
			tag:   t.bo.Uint16(e[0:]),
			typ:   t.bo.Uint16(e[2:]),
			count: t.bo.Uint32(e[4:]),
			field: e[8:12],
		}
	}
	return entries
}

// typeSizes are the bytes of one value of each TIFF type, 0 when unknown.
var typeSizes = [...]uint64{1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}

// value returns the bytes of e's values, inline or at their offset; false
// when the type is unknown or they lie outside the data.
func (t tiffData) value(e tiffEntry) ([]byte, bool) {
	if int(e.typ) >= len(typeSizes) || typeSizes[e.typ] == 0 || e.count == 0 {
		return nil, false
	}
	size := typeSizes[e.typ] * uint64(e.count) // < 2^36: no overflow
	if size <= 4 {
		return e.field[:size], true
	}
	off := uint64(t.bo.Uint32(e.field))
	if off+size > uint64(len(t.b)) {
		return nil, false
	}
	return t.b[off : off+size], true
}

func (t tiffData) uint(e tiffEntry) (uint32, bool) {
	v, ok := t.value(e)
	switch {
	case !ok:
		return 0, false
	case e.typ == typeShort:
		return uint32(t.bo.Uint16(v)), true
	case e.typ == typeLong:
		return t.bo.Uint32(v), true
	}
	return 0, false
}
