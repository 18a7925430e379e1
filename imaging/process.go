package imaging

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
	"io"

	"imagerepo/gallery"
)

// Thumbnail sizes: the longer side fits a box of this many pixels.
const (
	SmallBox = 320
	LargeBox = 1280
)

// JPEGQuality is the quality of JPEG thumbnails.
const JPEGQuality = 85

// Thumbnail is an encoded thumbnail, upright (EXIF orientation applied),
// without metadata.
type Thumbnail struct {
	Bytes         []byte
	ContentType   string // image/jpeg, or image/png for an image with transparency
	Width, Height int
}

// Result is what Process learns from an upload and makes of it.
type Result struct {
	Info         gallery.ImageInfo
	Small, Large Thumbnail // fitting SmallBox and LargeBox, never upscaled
	EXIF         *Exif     // nil when the image has none
	Hash         uint64    // perceptual (dHash); compare with HammingDistance
}

// Process does what an upload needs in one call: it checks the bytes as
// Inspect does, decoding them once, and from that decode makes both
// thumbnails and the perceptual hash; it reads the EXIF from the headers.
// Like Inspect it reads r from its start as many times as it needs.
//
// The errors are Inspect's. The decoded image and the work on it up to the
// large thumbnail count against the Decoder's limits on concurrent decodes
// and pixels in flight, and run under the same recover.
func (d *Decoder) Process(ctx context.Context, r io.ReadSeeker) (*Result, error) {
	p, err := d.probe(ctx, r, true)
	if err != nil {
		return nil, err
	}
	res := &Result{EXIF: parseExif(p.exif)}
	var large image.Image
	var opaque bool
	shift := 0
	if p.ct == JPEG {
		shift = reduction(p.width, p.height, LargeBox)
	}
	if err := d.decodeFully(ctx, p, r, shift, func(img image.Image, full image.Rectangle) error {
		res.Info = p.info(full)
		opaque = isOpaque(img)
		// Scaled as stored, turned after: the thumbnail is far smaller.
		lw, lh := fit(full.Dx(), full.Dy(), LargeBox)
		large = orient(scale(img, lw, lh), p.orientation)
		return nil
	}); err != nil {
		return nil, err
	}
	if err := safely(func() error {
		// The large thumbnail's encoding is the longest step left: the
		// small one is made and encoded beside it.
		var errLarge, errSmall error
		parallel(func(run func(func())) {
			run(func() { res.Large, errLarge = encodeThumb(large, opaque) })
			run(func() {
				sw, sh := fit(res.Info.Width, res.Info.Height, SmallBox)
				small := scale(large, sw, sh)
				res.Hash = dHash(small)
				res.Small, errSmall = encodeThumb(small, opaque)
			})
		})
		return errors.Join(errLarge, errSmall)
	}); err != nil {
		return nil, err
	}
	return res, nil
}

// isOpaque reports whether img has no pixel that is not fully opaque. An
// image that only could hold transparency, an RGBA PNG with every alpha
// 255, is opaque.
func isOpaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	return false
}

// encodeThumb encodes m as JPEG, or as PNG when it keeps transparency.
func encodeThumb(m image.Image, opaque bool) (Thumbnail, error) {
	var b bytes.Buffer
	t := Thumbnail{Width: m.Bounds().Dx(), Height: m.Bounds().Dy()}
	if opaque {
		t.ContentType = JPEG
		if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: JPEGQuality}); err != nil {
			return Thumbnail{}, err
		}
	} else {
		t.ContentType = PNG
		if err := png.Encode(&b, unpremultiply(toRGBA(m))); err != nil {
			return Thumbnail{}, err
		}
	}
	t.Bytes = b.Bytes()
	return t, nil
}

// unpremultiply converts m to NRGBA, which PNG stores; png.Encode would do
// it through At, pixel by pixel.
func unpremultiply(m *image.RGBA) *image.NRGBA {
	n := image.NewNRGBA(m.Rect)
	for i := 0; i+3 < len(m.Pix); i += 4 {
		a := uint32(m.Pix[i+3])
		switch a {
		case 0:
		case 0xFF:
			copy(n.Pix[i:i+4], m.Pix[i:i+4])
		default:
			n.Pix[i+0] = uint8(min(255, (uint32(m.Pix[i+0])*255+a/2)/a))
			n.Pix[i+1] = uint8(min(255, (uint32(m.Pix[i+1])*255+a/2)/a))
			n.Pix[i+2] = uint8(min(255, (uint32(m.Pix[i+2])*255+a/2)/a))
			n.Pix[i+3] = uint8(a)
		}
	}
	return n
}
