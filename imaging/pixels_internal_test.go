package imaging

import (
	"math"
	"testing"

	"imagerepo/gallery"
)

// TestDecoder_checkPixels checks the limit at the edges where width×height
// would overflow, which no decoder reaches today but a new one might.
func TestDecoder_checkPixels(t *testing.T) {
	for _, tt := range []struct {
		limit int64
		w, h  int
		ok    bool
	}{
		{100, 10, 10, true},
		{100, 10, 11, false},
		{100, 101, 1, false},
		{100, 1, 100, true},
		{DefaultMaxPixels, math.MaxInt32, math.MaxInt32, false},
		{DefaultMaxPixels, math.MaxInt, 2, false},
		{DefaultMaxPixels, 1 << 32, 1 << 32, false}, // product wraps to 0 in int64
		{math.MaxInt64, math.MaxInt, 1, true},
		{math.MaxInt64, math.MaxInt, 2, false},
	} {
		d := New(Limits{MaxPixels: tt.limit})
		err := d.checkPixels(tt.w, tt.h)
		if ok := err == nil; ok != tt.ok {
			t.Errorf("limit %d, %dx%d: err = %v, want ok %v", tt.limit, tt.w, tt.h, err, tt.ok)
		} else if !ok && gallery.ErrorCode(err) != gallery.EUNPROCESSABLE {
			t.Errorf("limit %d, %dx%d: code = %q", tt.limit, tt.w, tt.h, gallery.ErrorCode(err))
		}
	}
}
