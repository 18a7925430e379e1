package imaging

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"

	"imagerepo/gallery"
)

// maxContainerExif bounds the EXIF read from a PNG, WebP, HEIC or AVIF: a
// camera's, an embedded thumbnail included, is well under it.
const maxContainerExif = 256 << 10

// maxChunks bounds the chunks or boxes walked to find the EXIF, each a
// header read and a skip.
const maxChunks = 1 << 14

// readContainerExif returns the TIFF structure of the EXIF of a PNG (eXIf
// chunk), WebP (EXIF chunk), HEIC or AVIF (Exif item), nil when there is
// none or the container is malformed on the way to it. Its errors are those
// of r and ctx.
func readContainerExif(ctx context.Context, ct string, r io.ReadSeeker) ([]byte, error) {
	var tiff []byte
	err := readPass(ctx, r, func(br *bufio.Reader) error {
		var err error
		switch ct {
		case PNG:
			tiff, err = pngExif(br)
		case WebP:
			tiff, err = webpExif(br)
		case HEIC, AVIF:
			tiff, err = heifExif(br)
		}
		return err
	})
	if gallery.ErrorCode(err) == gallery.EUNPROCESSABLE {
		// readPass calls a malformed container unprocessable; here that
		// only means that there is no EXIF to be had.
		return nil, nil
	}
	return tiff, err
}

var errMalformed = errors.New("imaging: malformed container")

// pngExif finds the eXIf chunk, before or after the image data.
func pngExif(br *bufio.Reader) ([]byte, error) {
	if _, err := br.Discard(8); err != nil { // signature
		return nil, errMalformed
	}
	var hdr [8]byte
	for range maxChunks {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return nil, errMalformed
		}
		n := int64(binary.BigEndian.Uint32(hdr[:]))
		switch string(hdr[4:]) {
		case "eXIf":
			if n > maxContainerExif {
				return nil, nil
			}
			b := make([]byte, n)
			if _, err := io.ReadFull(br, b); err != nil {
				return nil, errMalformed
			}
			return b, nil
		case "IEND":
			return nil, nil
		}
		if err := discard(br, n+4); err != nil { // data and CRC
			return nil, err
		}
	}
	return nil, nil
}

// webpExif finds the EXIF chunk of an extended WebP.
func webpExif(br *bufio.Reader) ([]byte, error) {
	if _, err := br.Discard(12); err != nil { // RIFF, size, WEBP
		return nil, errMalformed
	}
	var hdr [8]byte
	for range maxChunks {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return nil, errMalformed
		}
		n := int64(binary.LittleEndian.Uint32(hdr[4:]))
		if string(hdr[:4]) == "EXIF" {
			if n > maxContainerExif {
				return nil, nil
			}
			b := make([]byte, n)
			if _, err := io.ReadFull(br, b); err != nil {
				return nil, errMalformed
			}
			// Some writers keep the JPEG segment's identifier.
			return bytes.TrimPrefix(b, []byte(exifHeader)), nil
		}
		if err := discard(br, n+n&1); err != nil { // chunks are padded to even
			return nil, err
		}
	}
	return nil, nil
}

// discard skips n bytes, an error for a file that ends first.
func discard(br *bufio.Reader, n int64) error {
	if _, err := io.CopyN(io.Discard, br, n); err != nil {
		return errMalformed
	}
	return nil
}
