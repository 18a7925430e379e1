package imaging_test

import (
	"encoding/binary"
	"image"
	"testing"

	"golang.org/x/image/draw"

	"imagerepo/gallery"
)

// TestDecoder_Process_HashOrder checks what similar-image search promises:
// a re-encoded, resized copy of a photo (as a PNG, a smaller JPEG of low
// quality, or turned by EXIF and stored on its side) is nearer to it than
// any other photo, copies of those included.
func TestDecoder_Process_HashOrder(t *testing.T) {
	const n = 6
	hashes := make([]uint64, n)
	copies := make([][]uint64, n)
	for i := range n {
		src := photo(640, 480, uint64(100+i))
		hashes[i] = process(t, encodeJPEG(t, src, 92)).Hash
		small := image.NewRGBA(image.Rect(0, 0, 400, 300))
		draw.BiLinear.Scale(small, small.Rect, src, src.Rect, draw.Src, nil)
		turned := image.NewRGBA(image.Rect(0, 0, 480, 640)) // stored turned clockwise; EXIF 8 sets it upright
		for y := range 480 {
			for x := range 640 {
				turned.Set(479-y, x, src.At(x, y))
			}
		}
		copies[i] = []uint64{
			process(t, encodePNG(t, src)).Hash,
			process(t, encodeJPEG(t, small, 60)).Hash,
			process(t, withSegments(encodeJPEG(t, turned, 80), exifSegment(tiff(binary.LittleEndian, orientationEntry(8))))).Hash,
		}
	}
	for i := range n {
		nearest := 64
		for j := range n {
			if j == i {
				continue
			}
			nearest = min(nearest, gallery.HammingDistance(hashes[i], hashes[j]))
			for _, c := range copies[j] {
				nearest = min(nearest, gallery.HammingDistance(hashes[i], c))
			}
		}
		for k, c := range copies[i] {
			d := gallery.HammingDistance(hashes[i], c)
			t.Logf("photo %d, copy %d: distance %d, nearest other %d", i, k, d, nearest)
			if d >= nearest {
				t.Errorf("photo %d: copy %d at distance %d, another photo at %d", i, k, d, nearest)
			}
		}
	}
}
