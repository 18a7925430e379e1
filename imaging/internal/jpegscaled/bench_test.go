package jpegscaled_test

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"testing"

	"imagerepo/imaging/internal/jpegscaled"
)

// BenchmarkDecode decodes a 4000×3000 baseline 4:2:0 JPEG (quality 90) at
// each scale, and with image/jpeg.
func BenchmarkDecode(b *testing.B) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, texture(4000, 3000), &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.Run("image-jpeg", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
	for shift := 0; shift <= jpegscaled.MaxShift; shift++ {
		b.Run(fmt.Sprintf("1:%d", 1<<shift), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := jpegscaled.Decode(bytes.NewReader(data), shift); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
