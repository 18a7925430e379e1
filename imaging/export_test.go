package imaging

import (
	"image"
	"io"
)

// SetDecode replaces d's full decode, so that tests can make it block or
// panic, or prove it never ran. A decode that succeeds yields a 1×1 image,
// which only an image decoded at full scale (not a JPEG) is taken with.
func SetDecode(d *Decoder, decode func(contentType string, r io.Reader) error) {
	d.decode = func(ct string, r io.Reader, _ int) (image.Image, error) {
		if err := decode(ct, r); err != nil {
			return nil, err
		}
		return image.NewGray(image.Rect(0, 0, 1, 1)), nil
	}
}

// LimitsOf returns d's limits, defaults filled in.
func LimitsOf(d *Decoder) Limits { return d.limits }

const MaxMarkers = maxMarkers

// LargeFromFull is the large thumbnail, oriented, that Process makes of a
// JPEG decoded at full scale: the reference for its scaled decodes.
func LargeFromFull(img image.Image, orientation int) image.Image {
	w, h := fit(img.Bounds().Dx(), img.Bounds().Dy(), LargeBox)
	return orient(scale(img, w, h), orientation)
}

// Reduction is the scale at which Process decodes a w×h JPEG, as a shift.
func Reduction(w, h int) int { return reduction(w, h, LargeBox) }
