package imaging

import (
	"bufio"
	"encoding/binary"
	"io"
)

// maxMetaBox bounds the meta box read whole to find the EXIF item: a
// phone's, with a grid of tiles, is a few KiB.
const maxMetaBox = 1 << 20

// heifExif finds the Exif item of a HEIC or AVIF and returns its TIFF
// structure.
func heifExif(br *bufio.Reader) ([]byte, error) {
	off, n, pos, err := heifExifItem(br)
	if err != nil || n == 0 {
		return nil, err
	}
	// The item lies after the meta box, as writers place it (in mdat).
	if err := discard(br, int64(off)-pos); err != nil {
		return nil, err
	}
	item := make([]byte, n)
	if _, err := io.ReadFull(br, item); err != nil {
		return nil, errMalformed
	}
	return itemTIFF(item), nil
}

// itemTIFF returns the TIFF structure in the bytes of an Exif item, which
// begin with its offset; nil when the offset points outside.
func itemTIFF(item []byte) []byte {
	if len(item) < 4 {
		return nil
	}
	start := uint64(binary.BigEndian.Uint32(item)) + 4
	if start >= uint64(len(item)) {
		return nil
	}
	return item[start:]
}

// heifExifItem finds the Exif item of a HEIC or AVIF (ISO/IEC 23008-12):
// its number in the meta box's item information (iinf), its place in the
// file in the item locations (iloc). It returns the item's offset and
// length in the file, n = 0 when there is none to read, and pos, the bytes
// of br consumed. Only an item stored in the file as one extent, after the
// meta box, is found, as cameras write it.
func heifExifItem(br *bufio.Reader) (off, n uint64, pos int64, err error) {
	var meta []byte
	for range maxChunks {
		typ, size, hdr, err := boxHeader(br)
		if err != nil {
			return 0, 0, pos, errMalformed
		}
		pos += hdr
		if typ == "meta" {
			if size > maxMetaBox {
				return 0, 0, pos, nil
			}
			meta = make([]byte, size)
			if _, err := io.ReadFull(br, meta); err != nil {
				return 0, 0, pos, errMalformed
			}
			pos += size
			break
		}
		if err := discard(br, size); err != nil {
			return 0, 0, pos, err
		}
		pos += size
	}
	if len(meta) < 4 {
		return 0, 0, pos, nil
	}
	boxes := childBoxes(meta[4:]) // after the full box's version and flags
	id, ok := exifItemID(boxes["iinf"])
	if !ok {
		return 0, 0, pos, nil
	}
	off, n, ok = itemExtent(boxes["iloc"], id)
	if !ok || n < 8 || n > maxContainerExif || off < uint64(pos) {
		return 0, 0, pos, nil
	}
	return off, n, pos, nil
}

// boxHeader reads the header of a box: its type, the size of its body, and
// the bytes of the header itself.
func boxHeader(br *bufio.Reader) (typ string, size, hdr int64, err error) {
	var b [16]byte
	if _, err := io.ReadFull(br, b[:8]); err != nil {
		return "", 0, 0, err
	}
	typ, hdr = string(b[4:8]), 8
	size = int64(binary.BigEndian.Uint32(b[:]))
	switch size {
	case 0: // to the end of the file: no box follows
		return typ, 1 << 62, hdr, nil
	case 1:
		if _, err := io.ReadFull(br, b[8:16]); err != nil {
			return "", 0, 0, err
		}
		hdr = 16
		large := binary.BigEndian.Uint64(b[8:])
		if large > 1<<62 {
			return "", 0, 0, errMalformed
		}
		size = int64(large)
	}
	if size < hdr {
		return "", 0, 0, errMalformed
	}
	return typ, size - hdr, hdr, nil
}

// childBoxes returns the bodies of the boxes in b by type, the first of
// each, with 32-bit sizes only (as the boxes of a meta box are).
func childBoxes(b []byte) map[string][]byte {
	boxes := map[string][]byte{}
	for i := 0; i < maxChunks && len(b) >= 8; i++ {
		size := uint64(binary.BigEndian.Uint32(b))
		if size < 8 || size > uint64(len(b)) {
			break
		}
		typ := string(b[4:8])
		if _, seen := boxes[typ]; !seen {
			boxes[typ] = b[8:size]
		}
		b = b[size:]
	}
	return boxes
}

// exifItemID finds the item of type Exif in the body of an iinf box.
func exifItemID(b []byte) (uint32, bool) {
	r := byteReader{b: b}
	version := r.u8()
	r.skip(3)
	if version == 0 {
		r.u16()
	} else {
		r.u32()
	}
	for i := 0; i < maxChunks && !r.bad && len(r.b) >= 8; i++ {
		size := uint64(binary.BigEndian.Uint32(r.b))
		if size < 8 || size > uint64(len(r.b)) {
			break
		}
		if string(r.b[4:8]) == "infe" {
			e := byteReader{b: r.b[8:size]}
			v := e.u8()
			e.skip(3)
			if v >= 2 {
				var id uint32
				if v == 2 {
					id = uint32(e.u16())
				} else {
					id = e.u32()
				}
				e.u16() // protection index
				if typ := e.n(4); !e.bad && string(typ) == "Exif" {
					return id, true
				}
			}
		}
		r.b = r.b[size:]
	}
	return 0, false
}

// itemExtent finds the file offset and length of item id in the body of an
// iloc box, when it is one extent stored in the file itself.
func itemExtent(b []byte, id uint32) (off, n uint64, ok bool) {
	r := byteReader{b: b}
	version := r.u8()
	r.skip(3)
	sizes := r.u16()
	offSize, lenSize, baseSize := int(sizes>>12), int(sizes>>8&0xF), int(sizes>>4&0xF)
	indexSize := 0
	if version == 1 || version == 2 {
		indexSize = int(sizes & 0xF)
	}
	var count uint32
	if version < 2 {
		count = uint32(r.u16())
	} else {
		count = r.u32()
	}
	for i := uint32(0); i < count && i < maxChunks && !r.bad; i++ {
		var item uint32
		if version < 2 {
			item = uint32(r.u16())
		} else {
			item = r.u32()
		}
		method := uint16(0)
		if version == 1 || version == 2 {
			method = r.u16() & 0xF
		}
		r.u16() // data reference index
		base := r.uint(baseSize)
		extents := r.u16()
		for j := uint16(0); j < extents && !r.bad; j++ {
			r.uint(indexSize)
			eOff, eLen := r.uint(offSize), r.uint(lenSize)
			if item == id && j == 0 && extents == 1 && method == 0 && !r.bad {
				if base > 1<<62 || eOff > 1<<62 {
					return 0, 0, false
				}
				return base + eOff, eLen, true
			}
		}
	}
	return 0, 0, false
}

// byteReader reads big-endian fields from b, turning bad on the first read
// past its end (and reading zeros after).
type byteReader struct {
	b   []byte
	bad bool
}

func (r *byteReader) n(k int) []byte {
	if r.bad || k > len(r.b) {
		r.bad = true
		return make([]byte, k)
	}
	v := r.b[:k]
	r.b = r.b[k:]
	return v
}

func (r *byteReader) skip(k int)  { r.n(k) }
func (r *byteReader) u8() uint8   { return r.n(1)[0] }
func (r *byteReader) u16() uint16 { return binary.BigEndian.Uint16(r.n(2)) }
func (r *byteReader) u32() uint32 { return binary.BigEndian.Uint32(r.n(4)) }

// uint reads an unsigned field of k bytes (0, 4 or 8, as iloc sizes are).
func (r *byteReader) uint(k int) uint64 {
	switch k {
	case 0:
		return 0
	case 4:
		return uint64(r.u32())
	case 8:
		return binary.BigEndian.Uint64(r.n(8))
	}
	r.bad = true
	return 0
}
