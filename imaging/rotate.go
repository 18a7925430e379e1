package imaging

import (
	"encoding/binary"
	"image"
)

// orient returns m, as scale makes it (planar YCbCr or RGBA), as displayed
// under EXIF orientation o: turned and mirrored so that its first row is
// the top of the picture. Orientations other than 2 to 8 return m itself.
func orient(m image.Image, o int) image.Image {
	if o < 2 || o > 8 {
		return m
	}
	w, h := m.Bounds().Dx(), m.Bounds().Dy()
	dw, dh := w, h
	if swapsAxes(o) {
		dw, dh = h, w
	}
	switch m := m.(type) {
	case *image.YCbCr:
		ratio := m.SubsampleRatio
		if swapsAxes(o) {
			// Turned, chroma halved across becomes chroma halved down.
			switch ratio {
			case image.YCbCrSubsampleRatio422:
				ratio = image.YCbCrSubsampleRatio440
			case image.YCbCrSubsampleRatio440:
				ratio = image.YCbCrSubsampleRatio422
			}
		}
		dst := image.NewYCbCr(image.Rect(0, 0, dw, dh), ratio)
		cw, ch := chromaSize(w, h, m.SubsampleRatio)
		orientPlane(dst.Y, dst.YStride, m.Y, m.YStride, w, h, 1, o)
		orientPlane(dst.Cb, dst.CStride, m.Cb, m.CStride, cw, ch, 1, o)
		orientPlane(dst.Cr, dst.CStride, m.Cr, m.CStride, cw, ch, 1, o)
		return dst
	case *image.RGBA:
		dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
		orientPlane(dst.Pix, dst.Stride, m.Pix, m.Stride, w, h, 4, o)
		return dst
	}
	return orient(toRGBA(m), o)
}

// orientPlane writes the w×h plane src, of samples size bytes each (1 or
// 4), to dst as displayed under orientation o (2 to 8).
func orientPlane(dst []uint8, dstStride int, src []uint8, srcStride, w, h, size, o int) {
	dw, dh := w, h
	if swapsAxes(o) {
		dw, dh = h, w
	}
	// at returns the stored sample shown at (dx, dy), after the table of
	// the TIFF 6.0 Orientation tag: the stored row 0 is the displayed top
	// (1 to 4), or the left or right side (5 to 8).
	var at func(dx, dy int) (int, int)
	switch o {
	case 2: // mirrored left to right
		at = func(dx, dy int) (int, int) { return w - 1 - dx, dy }
	case 3: // turned half
		at = func(dx, dy int) (int, int) { return w - 1 - dx, h - 1 - dy }
	case 4: // mirrored top to bottom
		at = func(dx, dy int) (int, int) { return dx, h - 1 - dy }
	case 5: // transposed
		at = func(dx, dy int) (int, int) { return dy, dx }
	case 6: // to be turned a quarter clockwise
		at = func(dx, dy int) (int, int) { return dy, h - 1 - dx }
	case 7: // transversed
		at = func(dx, dy int) (int, int) { return w - 1 - dy, h - 1 - dx }
	case 8: // to be turned a quarter counter-clockwise
		at = func(dx, dy int) (int, int) { return w - 1 - dy, dx }
	default:
		panic("imaging: orientPlane with orientation 1")
	}
	le := binary.LittleEndian
	for dy := range dh {
		row := dst[dy*dstStride : dy*dstStride+dw*size]
		for dx := range dw {
			sx, sy := at(dx, dy)
			i := sy*srcStride + sx*size
			if size == 4 {
				le.PutUint32(row[4*dx:], le.Uint32(src[i:]))
			} else {
				row[dx] = src[i]
			}
		}
	}
}

func swapsAxes(orientation int) bool { return orientation >= 5 && orientation <= 8 }
