package imaging

import (
	"image"
)

// dHash is the 64-bit difference hash of m: m reduced to 9×8 cells of
// average luma, and each bit set where a cell is brighter than its
// right-hand neighbour (row by row, the top left first, in the highest bit).
// Averaging whole cells makes it stable across resizing and re-encoding;
// comparing neighbours makes it stable across changes of brightness.
func dHash(m image.Image) uint64 {
	const cols, rows = 9, 8
	pix, stride, w, h := luma(m)
	var lum [rows][cols]float64
	for cy := range rows {
		y0 := cy * h / rows
		y1 := min(h, max(y0+1, (cy+1)*h/rows))
		for cx := range cols {
			x0 := cx * w / cols
			x1 := min(w, max(x0+1, (cx+1)*w/cols))
			var sum uint64
			for y := y0; y < y1; y++ {
				for _, v := range pix[y*stride+x0 : y*stride+x1] {
					sum += uint64(v)
				}
			}
			lum[cy][cx] = float64(sum) / float64((y1-y0)*(x1-x0))
		}
	}
	var hash uint64
	for cy := range rows {
		for cx := range cols - 1 {
			hash <<= 1
			if lum[cy][cx] > lum[cy][cx+1] {
				hash |= 1
			}
		}
	}
	return hash
}

// luma returns the luma plane of m: a YCbCr image's own Y, or one computed
// from RGBA with the same ITU-R BT.601 weights that JPEG uses, so that a
// JPEG and a PNG of one picture hash alike.
func luma(m image.Image) (pix []uint8, stride, w, h int) {
	b := m.Bounds()
	w, h = b.Dx(), b.Dy()
	if y, ok := m.(*image.YCbCr); ok && planar(y) {
		return y.Y, y.YStride, w, h
	}
	rgba := toRGBA(m)
	pix = make([]uint8, w*h)
	for i := range pix {
		p := rgba.Pix[4*i : 4*i+3]
		pix[i] = uint8((19595*uint32(p[0]) + 38470*uint32(p[1]) + 7471*uint32(p[2]) + 1<<15) >> 16)
	}
	return pix, w, w, h
}
