package imaging

import (
	"bufio"
	"context"
	"errors"
	"io"
	"math"
	"runtime"

	"imagerepo/gallery"
)

// Limits bound the work and memory one decode may take. New replaces a zero
// (or negative) field by its default.
type Limits struct {
	MaxPixels     int64 // width×height; default 100_000_000
	MaxGIFFrames  int   // default 1000
	MaxConcurrent int   // full decodes at once; default runtime.NumCPU()
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

// Decoder inspects uploads under its Limits. It is safe for concurrent use;
// its limit on concurrent decodes holds across all callers.
type Decoder struct {
	limits Limits
	sem    chan struct{} // a slot per concurrent full decode

	// decode is decodeWhole, replaced by tests to make the full decode block
	// or panic.
	decode func(contentType string, r io.Reader) error
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
	return &Decoder{
		limits: l,
		sem:    make(chan struct{}, l.MaxConcurrent),
		decode: decodeWhole,
	}
}

// Inspect reads an upload's bytes and says what image it is: its content
// type and its size as displayed. It reads r from the start, as many times
// as it needs, and leaves r at an unspecified offset.
//
// EUNSUPPORTED when the bytes are not JPEG, PNG, GIF or WebP; EUNPROCESSABLE
// when they cannot be read whole, have no pixels, or exceed the limits.
// Errors of r itself and ctx.Err() are returned as they are.
func (d *Decoder) Inspect(ctx context.Context, r io.ReadSeeker) (gallery.ImageInfo, error) {
	if err := ctx.Err(); err != nil {
		return gallery.ImageInfo{}, err
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
		return gallery.ImageInfo{}, err
	}
	ct := sniff(head[:n])
	if ct == "" {
		return gallery.ImageInfo{}, gallery.Errorf(gallery.EUNSUPPORTED,
			"unsupported image type: the accepted types are %s", acceptedNames)
	}

	var w, h int
	if err := readPass(ctx, r, func(br *bufio.Reader) error {
		cfg, err := decodeConfig(ct, br)
		w, h = cfg.Width, cfg.Height
		return err
	}); err != nil {
		return gallery.ImageInfo{}, err
	}
	if w <= 0 || h <= 0 {
		return gallery.ImageInfo{}, gallery.Errorf(gallery.EUNPROCESSABLE,
			"the image could not be read: it has no pixels")
	}
	if err := d.checkPixels(w, h); err != nil {
		return gallery.ImageInfo{}, err
	}
	info := gallery.ImageInfo{ContentType: ct, Width: w, Height: h}

	switch ct {
	case JPEG:
		o, err := readOrientation(r)
		if err != nil {
			return gallery.ImageInfo{}, err
		}
		if swapsAxes(o) {
			info.Width, info.Height = info.Height, info.Width
		}
	case GIF:
		if err := readPass(ctx, r, func(br *bufio.Reader) error {
			return walkGIF(br, d.gifLimits())
		}); err != nil {
			return gallery.ImageInfo{}, err
		}
	}

	if err := d.decodeFully(ctx, ct, r); err != nil {
		return gallery.ImageInfo{}, err
	}
	return info, nil
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

// decodeFully decodes the whole image in one of the Decoder's slots, waiting
// for a slot no longer than ctx allows.
func (d *Decoder) decodeFully(ctx context.Context, ct string, r io.ReadSeeker) error {
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
	return readPass(ctx, r, func(br *bufio.Reader) error { return d.decode(ct, br) })
}
