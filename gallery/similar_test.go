package gallery_test

import (
	"testing"

	"imagerepo/gallery"
)

func TestHammingDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b uint64
		want int
	}{
		{0, 0, 0},
		{0, 1, 1},
		{0xFF00, 0x00FF, 16},
		{0, ^uint64(0), 64},
		{0x8000_0000_0000_0001, 0x8000_0000_0000_0000, 1},
	} {
		if got := gallery.HammingDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("HammingDistance(%#x, %#x) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
