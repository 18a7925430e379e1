package imaging

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"runtime"

	"imagerepo/gallery"
	"imagerepo/imaging/internal/jpegscaled"
)

// Limits bound the work and memory one decode may take. New replaces a zero
// (or negative) field by its default.
type Limits struct {
	MaxPixels     int64 // width×height; default 100_000_000
	MaxGIFFrames  int   // default 1000
	MaxConcurrent int   // full decodes at once; default runtime.NumCPU()
	// MaxPixelsInFlight bounds the pixels of all full decodes at once, so
	// that memory follows the size of the images and not only their number;
	// default MaxPixels (one decode of the largest image at a time, or many
	// small ones side by side).
	MaxPixelsInFlight int64
}

// Defaults for the zero fields of Limits.
const (
	DefaultMaxPixels    = 100_000_000
	DefaultMaxGIFFrames = 1000
)

// gifPixelsFactor bounds the pixels of all a GIF's frames together, in units
// of MaxPixels: gif.DecodeAll holds every frame at a byte a pixel, so 4 keeps
// a GIF to the memory of the largest still image at 4 bytes a pixel.
const gifPixelsFactor = 4

// Decoder inspects and processes uploads under its Limits. It is safe for
// concurrent use; its limits on concurrent decodes hold across all callers.
type Decoder struct {
	limits Limits
	sem    chan struct{} // a slot per concurrent full decode
	budget *pixelBudget  // the pixels of the full decodes in flight

	// decode is decodeImage, replaced by tests to make the full decode block
	// or panic.
	decode func(contentType string, r io.Reader, shift int) (image.Image, error)
}

// New returns a Decoder with the limits l, defaults filled in.
func New(l Limits) *Decoder {
	if l.MaxPixels <= 0 {
		l.MaxPixels = DefaultMaxPixels
	}
	if l.MaxGIFFrames <= 0 {
		l.MaxGIFFrames = DefaultMaxGIFFrames
	}
	if l.MaxConcurrent <= 0 {
		l.MaxConcurrent = runtime.NumCPU()
	}
	if l.MaxPixelsInFlight <= 0 {
		l.MaxPixelsInFlight = l.MaxPixels
	}
	return &Decoder{
		limits: l,
		sem:    make(chan struct{}, l.MaxConcurrent),
		budget: &pixelBudget{size: l.MaxPixelsInFlight},
		decode: decodeImage,
	}
}

// Inspect reads an upload's bytes and says what image it is: its content
// type and its size as displayed. It decodes the image whole, to prove it
// readable, and drops the pixels; Process does the same and keeps them. A
// JPEG is decoded at 1/8 of its size, which reads every coefficient but
// makes only one pixel of each 8×8 block. It reads r from the start, as many
// times as it needs, and leaves r at an unspecified offset.
//
// EUNSUPPORTED when the bytes are not JPEG, PNG, GIF, WebP, HEIC or AVIF;
// EUNPROCESSABLE when they cannot be read whole, have no pixels, or exceed
// the limits. Errors of r itself and ctx.Err() are returned as they are.
func (d *Decoder) Inspect(ctx context.Context, r io.ReadSeeker) (gallery.ImageInfo, error) {
	p, err := d.probe(ctx, r, false)
	if err != nil {
		return gallery.ImageInfo{}, err
	}
	var info gallery.ImageInfo
	shift := 0
	if p.ct == JPEG {
		shift = jpegscaled.MaxShift
	}
	if err := d.decodeFully(ctx, p, r, shift, func(_ image.Image, full image.Rectangle) error {
		info = p.info(full)
		return nil
	}); err != nil {
		return gallery.ImageInfo{}, err
	}
	return info, nil
}

// probe is what an upload's headers say, learnt before any full decode.
type probe struct {
	ct            string
	width, height int    // as stored, from the header
	orientation   int    // 1 to 8; applied to JPEG only
	exif          []byte // the TIFF structure of the EXIF, nil when none was read
}

// info is the ImageInfo of an image of this probe decoded to bounds b.
func (p probe) info(b image.Rectangle) gallery.ImageInfo {
	info := gallery.ImageInfo{ContentType: p.ct, Width: b.Dx(), Height: b.Dy()}
	if swapsAxes(p.orientation) {
		info.Width, info.Height = info.Height, info.Width
	}
	return info
}

// probe sniffs the type, reads the header and checks it against the
// limits, reads the EXIF (for JPEG always, for the other types when
// wantExif) and walks a GIF's frames, all without decoding pixels.
func (d *Decoder) probe(ctx context.Context, r io.ReadSeeker, wantExif bool) (probe, error) {
	if err := ctx.Err(); err != nil {
		return probe{}, err
	}

	var head [sniffLen]byte
	var n int
	if err := readPass(ctx, r, func(br *bufio.Reader) (err error) {
		n, err = io.ReadFull(br, head[:])
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = nil // short files are judged by their magic, like any other
		}
		return err
	}); err != nil {
		return probe{}, err
	}
	p := probe{ct: sniff(head[:n]), orientation: 1}
	if p.ct == "" {
		return probe{}, gallery.Errorf(gallery.EUNSUPPORTED,
			"unsupported image type: the accepted types are %s", acceptedNames)
	}

	if err := readPass(ctx, r, func(br *bufio.Reader) error {
		cfg, err := decodeConfig(p.ct, br)
		p.width, p.height = cfg.Width, cfg.Height
		return err
	}); err != nil {
		return probe{}, err
	}
	if p.width <= 0 || p.height <= 0 {
		return probe{}, gallery.Errorf(gallery.EUNPROCESSABLE,
			"the image could not be read: it has no pixels")
	}
	if err := d.checkPixels(p.width, p.height); err != nil {
		return probe{}, err
	}

	switch p.ct {
	case JPEG:
		tiff, err := readJPEGExif(r)
		if err != nil {
			return probe{}, err
		}
		p.exif, p.orientation = tiff, exifOrientation(tiff)
	case GIF:
		if err := readPass(ctx, r, func(br *bufio.Reader) error {
			return walkGIF(br, d.gifLimits())
		}); err != nil {
			return probe{}, err
		}
	default:
		if wantExif {
			// The orientation of these types is left alone: browsers
			// differ on it, and HEIC's own transformations are applied
			// by its decoder.
			tiff, err := readContainerExif(ctx, p.ct, r)
			if err != nil {
				return probe{}, err
			}
			p.exif = tiff
		}
	}
	return p, nil
}

// checkPixels refuses w×h above MaxPixels. It divides rather than multiplies
// so that no header can overflow the check.
func (d *Decoder) checkPixels(w, h int) error {
	if int64(w) > d.limits.MaxPixels/int64(h) {
		return tooManyPixels(w, h, d.limits.MaxPixels)
	}
	return nil
}

func tooManyPixels(w, h int, limit int64) error {
	return gallery.Errorf(gallery.EUNPROCESSABLE,
		"the image is too large: %dx%d pixels is more than the limit of %d pixels", w, h, limit)
}

func (d *Decoder) gifLimits() gifLimits {
	total := int64(math.MaxInt64)
	if d.limits.MaxPixels <= math.MaxInt64/gifPixelsFactor {
		total = d.limits.MaxPixels * gifPixelsFactor
	}
	return gifLimits{
		maxFrames:   d.limits.MaxGIFFrames,
		maxPixels:   d.limits.MaxPixels,
		totalPixels: total,
	}
}

// decodeFully decodes the whole image in one of the Decoder's slots and
// within its pixel budget, waiting no longer than ctx allows, and hands the
// image to use while it still holds them: use runs under the same recover
// as the decoder, and the memory of the image it works on is counted.
//
// A JPEG may be decoded at 1/(1<<shift) of its size (decodeImage); use is
// given the image as decoded and the bounds of the whole image, the
// header's, which the decoded size must match. The budget counts the whole
// image's pixels all the same: a progressive JPEG keeps every coefficient
// whatever the scale.
func (d *Decoder) decodeFully(ctx context.Context, p probe, r io.ReadSeeker, shift int, use func(img image.Image, full image.Rectangle) error) error {
	// A free slot and a done ctx may both be ready; a cancelled request must
	// not start a decode.
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case d.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-d.sem }()
	pixels := int64(p.width) * int64(p.height) // below MaxPixels: checked
	if err := d.budget.acquire(ctx, pixels); err != nil {
		return err
	}
	defer d.budget.release(pixels)
	return readPass(ctx, r, func(br *bufio.Reader) error {
		img, err := d.decode(p.ct, br, shift)
		if err != nil {
			return err
		}
		if img == nil {
			return errors.New("imaging: the decoder returned no image")
		}
		b := img.Bounds()
		if b.Empty() {
			return gallery.Errorf(gallery.EUNPROCESSABLE, "the image could not be read: it has no pixels")
		}
		if shift > 0 {
			// The scaled decoder reads the size from the same frame header
			// as the probe did.
			full := image.Rect(0, 0, p.width, p.height)
			if want := image.Rect(0, 0, ceilDiv(p.width, 1<<shift), ceilDiv(p.height, 1<<shift)); b != want {
				return fmt.Errorf("imaging: decoded %v at 1/%d of a %dx%d image", b, 1<<shift, p.width, p.height)
			}
			return use(img, full)
		}
		// The WebAssembly decoders may find another size in the data than
		// in the header: what was decoded is what counts.
		if err := d.checkPixels(b.Dx(), b.Dy()); err != nil {
			return err
		}
		return use(img, b)
	})
}
