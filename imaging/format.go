package imaging

import (
	"bytes"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/webp"
)

// The content types Inspect accepts.
const (
	JPEG = "image/jpeg"
	PNG  = "image/png"
	GIF  = "image/gif"
	WebP = "image/webp"
)

// AcceptedTypes returns the content types Inspect accepts, e.g. for an
// upload form's accept attribute.
func AcceptedTypes() []string { return []string{JPEG, PNG, GIF, WebP} }

// acceptedNames is for messages to users, who know the formats by name.
const acceptedNames = "JPEG, PNG, GIF and WebP"

// sniffLen is the longest prefix sniff needs: WebP's "RIFF", a size, "WEBP".
const sniffLen = 12

// sniff returns the content type that head's magic number names, or "".
// The type comes from the bytes only: never from a file name or a client's
// Content-Type, which an attacker chooses.
func sniff(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return JPEG
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return PNG
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return GIF
	case len(head) >= sniffLen && string(head[:4]) == "RIFF" && string(head[8:12]) == "WEBP":
		return WebP
	}
	return ""
}

// decodeConfig reads the header of an image of type ct.
func decodeConfig(ct string, r io.Reader) (image.Config, error) {
	switch ct {
	case JPEG:
		return jpeg.DecodeConfig(r)
	case PNG:
		return png.DecodeConfig(r)
	case GIF:
		return gif.DecodeConfig(r)
	case WebP:
		return webp.DecodeConfig(r)
	}
	return image.Config{}, errUnknownType
}

// decodeWhole decodes a whole image of type ct, every frame of a GIF, only to
// prove that it can be read; the pixels are dropped.
func decodeWhole(ct string, r io.Reader) error {
	var err error
	switch ct {
	case JPEG:
		_, err = jpeg.Decode(r)
	case PNG:
		_, err = png.Decode(r)
	case GIF:
		_, err = gif.DecodeAll(r)
	case WebP:
		_, err = webp.Decode(r)
	default:
		err = errUnknownType
	}
	return err
}
