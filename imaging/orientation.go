package imaging

import (
	"encoding/binary"
	"errors"
	"io"
)

// Orientation returns the EXIF orientation of a JPEG, 1 to 8, reading r from
// its start; 1 (as stored) when r is not a JPEG, has no EXIF orientation, or
// cannot be read. Orientations 5 to 8 turn the image a quarter, so that its
// displayed width is its stored height.
//
// However hostile the input, it reads at most ten bytes for each of a
// bounded number of markers and one EXIF segment (under 64 KiB).
func Orientation(r io.ReadSeeker) int {
	tiff, _ := readJPEGExif(r)
	return exifOrientation(tiff)
}

// maxMarkers bounds the markers read before giving up. The EXIF segment comes
// first by convention; a JPEG rarely has more than a few dozen segments
// before its image data, an ICC profile split in many parts included.
const maxMarkers = 256

// JPEG markers that matter here.
const (
	markerTEM  = 0x01
	markerRST0 = 0xD0
	markerRST7 = 0xD7
	markerSOI  = 0xD8
	markerEOI  = 0xD9
	markerSOS  = 0xDA
	markerAPP1 = 0xE1
)

const exifHeader = "Exif\x00\x00"

// readJPEGExif returns the TIFF structure of a JPEG's first EXIF segment,
// nil when r is not a JPEG, has none before its image data, or is cut short.
// Its errors are those of r itself, not those of a short or malformed file,
// for Inspect to report.
func readJPEGExif(r io.ReadSeeker) ([]byte, error) {
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	var b [2]byte
	if _, err := io.ReadFull(r, b[:]); err != nil || b != [2]byte{0xFF, markerSOI} {
		return nil, readErr(err)
	}
	for range maxMarkers {
		if _, err := io.ReadFull(r, b[:]); err != nil || b[0] != 0xFF {
			return nil, readErr(err)
		}
		marker := b[1]
		switch {
		case marker == 0xFF:
			// Fill bytes may precede a marker: step back onto the second
			// 0xFF so that it is read as the start of one.
			if _, err := r.Seek(-1, io.SeekCurrent); err != nil {
				return nil, err
			}
			continue
		case marker == markerTEM, marker == markerSOI, marker >= markerRST0 && marker <= markerRST7:
			continue // markers without a segment
		case marker == markerSOS, marker == markerEOI, marker == 0:
			return nil, nil // past the headers, or not a marker: no EXIF
		}
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, readErr(err)
		}
		size := int(binary.BigEndian.Uint16(b[:])) - 2 // the length counts itself
		if size < 0 {
			return nil, nil
		}
		if marker == markerAPP1 && size >= len(exifHeader) {
			// Only the first EXIF segment is read whole; other APP1 segments
			// (XMP) are skipped, so that many of them cost no more than
			// their headers.
			var id [len(exifHeader)]byte
			if _, err := io.ReadFull(r, id[:]); err != nil {
				return nil, readErr(err)
			}
			size -= len(id)
			if string(id[:]) == exifHeader {
				tiff := make([]byte, size)
				if _, err := io.ReadFull(r, tiff); err != nil {
					return nil, readErr(err)
				}
				return tiff, nil
			}
		}
		if _, err := r.Seek(int64(size), io.SeekCurrent); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// readErr keeps an error of the reader itself and drops the end of a short
// file, which only means there is no orientation to find.
func readErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil
	}
	return err
}

// exifOrientation finds the Orientation tag in IFD0 of the TIFF structure
// tiff: 1 to 8, else 1.
func exifOrientation(tiff []byte) int {
	t, off0, ok := newTIFF(tiff)
	if !ok {
		return 1
	}
	for _, e := range t.ifd(off0) {
		if e.tag != tagOrientation {
			continue
		}
		// SHORT is what the standard says; LONG is what some writers do.
		if v, ok := t.uint(e); ok && v >= 1 && v <= 8 {
			return int(v)
		}
		return 1
	}
	return 1
}
