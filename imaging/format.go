package imaging

import (
	"bytes"
	"image"
	"image/draw"
	"image/gif"
	"image/png"
	"io"

	"github.com/gen2brain/avif"
	"github.com/gen2brain/heic"
	"golang.org/x/image/webp"

	"imagerepo/imaging/internal/jpegscaled"
)

// The content types Inspect and Process accept.
const (
	JPEG = "image/jpeg"
	PNG  = "image/png"
	GIF  = "image/gif"
	WebP = "image/webp"
	HEIC = "image/heic"
	AVIF = "image/avif"
)

// AcceptedTypes returns the content types Inspect accepts, e.g. for an
// upload form's accept attribute.
func AcceptedTypes() []string { return []string{JPEG, PNG, GIF, WebP, HEIC, AVIF} }

// acceptedNames is for messages to users, who know the formats by name.
const acceptedNames = "JPEG, PNG, GIF, WebP, HEIC and AVIF"

// sniffLen is the longest prefix sniff needs: an ISO BMFF file type box
// with its major brand, minor version and a few compatible brands.
const sniffLen = 64

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
	case len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "WEBP":
		return WebP
	}
	return sniffHEIF(head)
}

// sniffHEIF names the type of an ISO BMFF file from the brands of its
// leading ftyp box: AVIF when any brand says AVIF (an AVIF may also list
// mif1), else HEIC when a brand says HEIF with HEVC. A truncated box is
// judged by the brands it holds.
func sniffHEIF(head []byte) string {
	if len(head) < 16 || string(head[4:8]) != "ftyp" {
		return ""
	}
	size := int(uint32(head[0])<<24 | uint32(head[1])<<16 | uint32(head[2])<<8 | uint32(head[3]))
	if size < 16 {
		return ""
	}
	box := head[:min(size, len(head))]
	// The major brand at 8, the minor version at 12, compatible brands from 16.
	brands := [][]byte{box[8:12]}
	for i := 16; i+4 <= len(box); i += 4 {
		brands = append(brands, box[i:i+4])
	}
	heif := false
	for _, b := range brands {
		switch string(b) {
		case "avif", "avis":
			return AVIF
		case "heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1":
			heif = true
		}
	}
	if heif {
		return HEIC
	}
	return ""
}

// heifConfigLen is what the HEIC decoder reads for its header: it looks at
// one read of 32 KiB, so it is handed those bytes whole.
const heifConfigLen = 32 << 10

// decodeConfig reads the header of an image of type ct.
func decodeConfig(ct string, r io.Reader) (image.Config, error) {
	switch ct {
	case JPEG:
		return jpegscaled.DecodeConfig(r)
	case PNG:
		return png.DecodeConfig(r)
	case GIF:
		return gif.DecodeConfig(r)
	case WebP:
		return webp.DecodeConfig(r)
	case HEIC:
		head := make([]byte, heifConfigLen)
		n, err := io.ReadFull(r, head)
		if err != nil && err != io.ErrUnexpectedEOF {
			return image.Config{}, err
		}
		return heic.DecodeConfig(bytes.NewReader(head[:n]))
	case AVIF:
		// libavif needs the whole file to find its header; the file was
		// bounded by the caller's upload limit.
		return avif.DecodeConfig(r)
	}
	return image.Config{}, errUnknownType
}

// decodeImage decodes an image of type ct whole, every frame of a GIF, so
// that only a file that can be read to its end is accepted. It returns the
// image as displayed before any EXIF orientation: a GIF's first frame on its
// logical screen, the primary image of a HEIC with its own transformations
// applied. A JPEG is decoded at 1/(1<<shift) of its size, each side rounded
// up, its every coefficient read all the same (see jpegscaled); the other
// types take only shift 0.
func decodeImage(ct string, r io.Reader, shift int) (image.Image, error) {
	if shift != 0 && ct != JPEG {
		return nil, errNoScale
	}
	switch ct {
	case JPEG:
		return jpegscaled.Decode(r, shift)
	case PNG:
		return png.Decode(r)
	case GIF:
		g, err := gif.DecodeAll(r)
		if err != nil {
			return nil, err
		}
		return firstFrame(g), nil
	case WebP:
		return webp.Decode(r)
	case HEIC:
		return heic.Decode(r)
	case AVIF:
		return avif.Decode(r)
	}
	return nil, errUnknownType
}

// firstFrame is what a browser shows of g before it animates: the first
// frame on the logical screen, transparent where the frame does not reach.
func firstFrame(g *gif.GIF) image.Image {
	f := g.Image[0] // DecodeAll refuses a GIF without frames
	screen := image.Rect(0, 0, g.Config.Width, g.Config.Height)
	if f.Rect == screen {
		return f
	}
	m := image.NewNRGBA(screen)
	draw.Draw(m, f.Rect, f, f.Rect.Min, draw.Src)
	return m
}
