package imaging

import "io"

// SetDecode replaces d's full decode, so that tests can make it block or
// panic, or prove it never ran.
func SetDecode(d *Decoder, decode func(contentType string, r io.Reader) error) { d.decode = decode }

// LimitsOf returns d's limits, defaults filled in.
func LimitsOf(d *Decoder) Limits { return d.limits }

const MaxMarkers = maxMarkers
