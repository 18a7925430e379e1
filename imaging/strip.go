package imaging

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"

	"imagerepo/gallery"
)

// StripLocation copies the image read from r to w without its location:
// the GPS IFD of its EXIF is removed (the pointer to it and its bytes, the
// other tags kept), and so is any XMP, which may repeat the position. The
// pixels are copied as they are, byte for byte. It is for serving an
// original to someone other than its owner.
//
// By type: a JPEG also loses its IPTC (APP13, which may name the place),
// its MPF index (APP2) and whatever follows its end marker, where phones
// keep extra images with metadata of their own; a PNG its eXIf GPS and XMP
// text chunks; a WebP its EXIF GPS and its XMP chunk; a HEIC or AVIF the
// GPS of its Exif item, rewritten in place (its XMP is kept: see the package
// Caveats); a GIF, which has no location, is copied whole.
//
// EUNSUPPORTED for any other type, EUNPROCESSABLE for a file whose
// structure cannot be followed; errors of r and w are returned as they are.
// On an error, w may have had part of the output: write to a buffer or a
// temporary file, not to a client.
func StripLocation(r io.ReadSeeker, w io.Writer) error {
	var head [sniffLen]byte
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return err
	}
	n, err := io.ReadFull(r, head[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return err
	}
	ct := sniff(head[:n])
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, passBufferSize)
	br := bufio.NewReaderSize(r, passBufferSize)
	switch ct {
	case JPEG:
		err = stripJPEG(br, bw)
	case PNG:
		err = stripPNG(br, bw)
	case WebP:
		err = stripWebP(r, bw)
	case HEIC, AVIF:
		err = stripHEIF(r, bw)
	case GIF:
		_, err = io.Copy(bw, br)
	default:
		return gallery.Errorf(gallery.EUNSUPPORTED, "unsupported image type: the accepted types are %s", acceptedNames)
	}
	if errors.Is(err, errMalformed) || errors.Is(err, io.ErrUnexpectedEOF) {
		return gallery.Errorf(gallery.EUNPROCESSABLE, "the image could not be read: its structure is broken")
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}

// stripGPS removes the GPS IFD from the TIFF structure b in place, keeping
// its length and so every offset: the GPS values and the IFD are zeroed,
// and the entry that points to it is taken out of IFD0, the entries after
// it moved up. It returns false when b is not a TIFF structure whose IFD0
// it can read whole, for the caller to drop it.
func stripGPS(b []byte) bool {
	t, off0, ok := newTIFF(b)
	if !ok {
		return false
	}
	o := uint64(off0)
	if o < 8 || o+2 > uint64(len(b)) {
		return false
	}
	n := int(t.bo.Uint16(b[o:]))
	end := o + 2 + uint64(n)*ifdEntrySize
	if end > uint64(len(b)) {
		return false
	}
	if end+4 <= uint64(len(b)) {
		end += 4 // the offset of the next IFD moves up with the entries
	}
	for i := 0; i < n; {
		at := o + 2 + uint64(i)*ifdEntrySize
		e := b[at : at+ifdEntrySize]
		if t.bo.Uint16(e) != tagGPSIFD {
			i++
			continue
		}
		if v, ok := t.uint(tiffEntry{typ: t.bo.Uint16(e[2:]), count: t.bo.Uint32(e[4:]), field: e[8:12]}); ok {
			t.zeroIFD(v)
		}
		copy(b[at:end-ifdEntrySize], b[at+ifdEntrySize:end])
		clear(b[end-ifdEntrySize : end])
		end -= ifdEntrySize
		n--
		t.bo.PutUint16(b[o:], uint16(n))
	}
	return true
}

// zeroIFD zeroes the IFD at off and the values it points to.
func (t tiffData) zeroIFD(off uint32) {
	entries := t.ifd(off)
	for _, e := range entries {
		if v, ok := t.value(e); ok && len(v) > 4 {
			clear(v)
		}
	}
	o := uint64(off)
	if o >= 8 && o < uint64(len(t.b)) {
		clear(t.b[o:min(uint64(len(t.b)), o+2+uint64(len(entries))*ifdEntrySize+4)])
	}
}

// XMP identifiers: the APP1 segments of a JPEG, the keyword of a PNG text
// chunk.
var (
	xmpJPEG         = []byte("http://ns.adobe.com/xap/1.0/\x00")
	xmpJPEGExtended = []byte("http://ns.adobe.com/xmp/extension/\x00")
	xmpPNGKeyword   = []byte("XML:com.adobe.xmp\x00")
)

const (
	markerAPP2  = 0xE2
	markerAPP13 = 0xED
)

// stripJPEG copies a JPEG segment by segment, the entropy-coded data
// between them as it is, and stops at the end marker.
func stripJPEG(br *bufio.Reader, w *bufio.Writer) error {
	var b [4]byte
	if _, err := io.ReadFull(br, b[:2]); err != nil || b[0] != 0xFF || b[1] != markerSOI {
		return errMalformed
	}
	w.Write(b[:2])
	payload := make([]byte, 0xFFFF)
	marker := -1 // a marker already read by the copy of entropy-coded data
	for {
		if marker < 0 {
			m, err := readMarker(br)
			if err != nil {
				return err
			}
			marker = int(m)
		}
		m := byte(marker)
		marker = -1
		switch {
		case m == markerEOI:
			w.Write([]byte{0xFF, markerEOI})
			return nil // what follows is no part of this image
		case m == markerSOI, m == markerTEM, m >= markerRST0 && m <= markerRST7:
			w.Write([]byte{0xFF, m})
			continue
		}
		if _, err := io.ReadFull(br, b[:2]); err != nil {
			return errMalformed
		}
		size := int(binary.BigEndian.Uint16(b[:2])) - 2
		if size < 0 {
			return errMalformed
		}
		p := payload[:size]
		if _, err := io.ReadFull(br, p); err != nil {
			return errMalformed
		}
		keep := true
		switch m {
		case markerAPP1:
			switch {
			case bytes.HasPrefix(p, []byte(exifHeader)):
				keep = stripGPS(p[len(exifHeader):])
			case bytes.HasPrefix(p, xmpJPEG), bytes.HasPrefix(p, xmpJPEGExtended):
				keep = false
			}
		case markerAPP13:
			keep = false
		case markerAPP2:
			keep = !bytes.HasPrefix(p, []byte("MPF\x00"))
		}
		if keep {
			w.Write([]byte{0xFF, m})
			w.Write(b[:2])
			w.Write(p)
		}
		if m == markerSOS {
			next, err := copyEntropy(br, w)
			if err != nil {
				return err
			}
			marker = int(next)
		}
	}
}

// readMarker reads a marker, skipping the fill bytes before it.
func readMarker(br *bufio.Reader) (byte, error) {
	c, err := br.ReadByte()
	if err != nil || c != 0xFF {
		return 0, errMalformed
	}
	for {
		c, err = br.ReadByte()
		if err != nil {
			return 0, errMalformed
		}
		if c != 0xFF {
			if c == 0 {
				return 0, errMalformed
			}
			return c, nil
		}
	}
}

// copyEntropy copies entropy-coded data, with its stuffed bytes and restart
// markers, up to the next other marker, which it consumes and returns.
func copyEntropy(br *bufio.Reader, w *bufio.Writer) (byte, error) {
	for {
		chunk, err := br.ReadSlice(0xFF)
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			w.Write(chunk)
			continue
		case err != nil:
			return 0, errMalformed
		}
		w.Write(chunk[:len(chunk)-1])
		next, err := br.ReadByte()
		for err == nil && next == 0xFF { // fill bytes before a marker
			next, err = br.ReadByte()
		}
		switch {
		case err != nil:
			return 0, errMalformed
		case next == 0, next >= markerRST0 && next <= markerRST7:
			w.Write([]byte{0xFF, next})
		default:
			return next, nil
		}
	}
}

// stripPNG copies a PNG chunk by chunk: eXIf without its GPS (its CRC made
// anew), no XMP text chunk, nothing after IEND.
func stripPNG(br *bufio.Reader, w *bufio.Writer) error {
	var sig [8]byte
	if _, err := io.ReadFull(br, sig[:]); err != nil {
		return errMalformed
	}
	w.Write(sig[:])
	var hdr [8]byte
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return errMalformed
		}
		n := int64(binary.BigEndian.Uint32(hdr[:]))
		typ := string(hdr[4:])
		switch typ {
		case "eXIf":
			if n > maxContainerExif { // no camera writes one: drop it
				if err := discard(br, n+4); err != nil {
					return err
				}
				continue
			}
			data := make([]byte, n+4) // and the CRC
			if _, err := io.ReadFull(br, data); err != nil {
				return errMalformed
			}
			if stripGPS(data[:n]) {
				binary.BigEndian.PutUint32(data[n:], pngCRC(hdr[4:], data[:n]))
				w.Write(hdr[:])
				w.Write(data)
			}
			continue
		case "iTXt", "tEXt", "zTXt":
			key, err := br.Peek(int(min(n, int64(len(xmpPNGKeyword)))))
			if err != nil {
				return errMalformed
			}
			if bytes.Equal(key, xmpPNGKeyword) {
				if err := discard(br, n+4); err != nil {
					return err
				}
				continue
			}
		}
		w.Write(hdr[:])
		if _, err := io.CopyN(w, br, n+4); err != nil {
			return errMalformed
		}
		if typ == "IEND" {
			return nil
		}
	}
}
