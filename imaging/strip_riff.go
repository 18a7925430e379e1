package imaging

import (
	"bufio"
	"encoding/binary"
	"hash/crc32"
	"io"
)

// pngCRC is the CRC of a PNG chunk: over its type and data.
func pngCRC(typ, data []byte) uint32 {
	return crc32.Update(crc32.ChecksumIEEE(typ), crc32.IEEETable, data)
}

// webpXMPFlag is the VP8X flag that says an XMP chunk follows.
const webpXMPFlag = 0x04

// stripWebP copies a WebP chunk by chunk: EXIF without its GPS, no XMP
// chunk, the VP8X flags and the RIFF size made to match. A first pass
// lists the chunks, because the size comes before them.
func stripWebP(r io.ReadSeeker, w *bufio.Writer) error {
	type chunk struct {
		typ  string
		off  int64 // of the data
		size int64 // of the data, without the padding byte
	}
	var chunks []chunk
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return errMalformed
	}
	riffEnd := 8 + int64(binary.LittleEndian.Uint32(hdr[4:]))
	total := int64(4) // "WEBP"
	for off := int64(12); off+8 <= riffEnd && len(chunks) < maxChunks; {
		var ch [8]byte
		if _, err := r.Seek(off, io.SeekStart); err != nil {
			return err
		}
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			return errMalformed
		}
		c := chunk{typ: string(ch[:4]), off: off + 8, size: int64(binary.LittleEndian.Uint32(ch[4:]))}
		padded := c.size + c.size&1
		if c.off+padded > riffEnd {
			return errMalformed
		}
		if c.typ != "XMP " {
			chunks = append(chunks, c)
			total += 8 + padded
		}
		off = c.off + padded
	}
	w.Write([]byte("RIFF"))
	binary.Write(w, binary.LittleEndian, uint32(total))
	w.Write([]byte("WEBP"))
	for _, c := range chunks {
		if _, err := r.Seek(c.off, io.SeekStart); err != nil {
			return err
		}
		padded := c.size + c.size&1
		w.Write([]byte(c.typ))
		binary.Write(w, binary.LittleEndian, uint32(c.size))
		switch {
		case c.typ == "EXIF" && padded > maxContainerExif:
			// Too large to be a camera's: keep its size, not its bytes.
			if _, err := io.CopyN(w, zeroReader{}, padded); err != nil {
				return err
			}
		case c.typ == "EXIF" || c.typ == "VP8X":
			data := make([]byte, padded)
			if _, err := io.ReadFull(r, data); err != nil {
				return errMalformed
			}
			if c.typ == "VP8X" {
				data[0] &^= webpXMPFlag
			} else {
				tiff := data[:c.size]
				if len(tiff) >= len(exifHeader) && string(tiff[:len(exifHeader)]) == exifHeader {
					tiff = tiff[len(exifHeader):]
				}
				if !stripGPS(tiff) {
					clear(data) // unreadable: keep the chunk, empty
				}
			}
			w.Write(data)
		default:
			if _, err := io.CopyN(w, r, padded); err != nil {
				return errMalformed
			}
		}
	}
	return nil
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// stripHEIF copies a HEIC or AVIF byte for byte but for its Exif item,
// whose GPS is removed in place: the item keeps its length, so no offset
// in the file changes.
func stripHEIF(r io.ReadSeeker, w *bufio.Writer) error {
	off, n, _, err := heifExifItem(bufio.NewReaderSize(r, passBufferSize))
	if err != nil {
		return err
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if n == 0 {
		_, err := io.Copy(w, r)
		return err
	}
	if _, err := io.CopyN(w, r, int64(off)); err != nil {
		return errMalformed
	}
	item := make([]byte, n)
	if _, err := io.ReadFull(r, item); err != nil {
		return errMalformed
	}
	if tiff := itemTIFF(item); tiff == nil || !stripGPS(tiff) {
		clear(item[4:]) // unreadable: keep the item, empty
	}
	w.Write(item)
	_, err = io.Copy(w, r)
	return err
}
