package imaging

import (
	"image"
	"io"
)

// SetDecode replaces d's full decode, so that tests can make it block or
// panic, or prove it never ran. A decode that succeeds yields a 1×1 image.
func SetDecode(d *Decoder, decode func(contentType string, r io.Reader) error) {
	d.decode = func(ct string, r io.Reader) (image.Image, error) {
		if err := decode(ct, r); err != nil {
			return nil, err
		}
		return image.NewGray(image.Rect(0, 0, 1, 1)), nil
	}
}

// LimitsOf returns d's limits, defaults filled in.
func LimitsOf(d *Decoder) Limits { return d.limits }

const MaxMarkers = maxMarkers
