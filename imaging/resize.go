package imaging

import (
	"fmt"
	"image"
	"image/color"
	stddraw "image/draw"
	"sync"

	"imagerepo/imaging/internal/jpegscaled"
)

// fit returns the size of a w×h image fitted into a box×box square: the
// aspect kept, the longer side box, and never larger than w×h.
func fit(w, h, box int) (int, int) {
	if w <= box && h <= box {
		return w, h
	}
	if w >= h {
		return box, max(1, (h*box+w/2)/w)
	}
	return max(1, (w*box+h/2)/h), box
}

// reduction returns the scale, as a shift, at which to decode a w×h JPEG
// for thumbnails in a box×box square: the smallest, down to 1/8, that
// still leaves the decoded image at least as large as the thumbnail, so
// that the thumbnail is never made from fewer pixels than it has.
func reduction(w, h, box int) int {
	tw, th := fit(w, h, box)
	s := 0
	for s < jpegscaled.MaxShift && ceilDiv(w, 2<<s) >= tw && ceilDiv(h, 2<<s) >= th {
		s++
	}
	return s
}

// scale returns img resized to exactly tw×th, no larger than img. It
// first averages k×k boxes of the decoded planes, with k the largest whole
// factor that keeps the image at least tw×th, which leaves less than twice
// the target; then Catmull-Rom takes it to the exact size. The box pass is
// cheap and exact for whole factors, so the sharp but costly filter only
// ever sees a small image.
//
// A planar YCbCr image (a JPEG's, a HEIC's) stays in its planes, chroma
// subsampled, and comes back as *image.YCbCr, which the JPEG encoder takes
// without converting; any other comes back as premultiplied *image.RGBA.
func scale(img image.Image, tw, th int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if k := min(w/tw, h/th); k >= 2 {
		img = boxReduce(img, k)
		b = img.Bounds()
		w, h = b.Dx(), b.Dy()
	} else if !planar(img) {
		img = toRGBA(img)
	}
	if w == tw && h == th {
		return img
	}
	switch m := img.(type) {
	case *image.YCbCr:
		dst := image.NewYCbCr(image.Rect(0, 0, tw, th), m.SubsampleRatio)
		cw, ch := chromaSize(w, h, m.SubsampleRatio)
		dcw, dch := chromaSize(tw, th, m.SubsampleRatio)
		resample(dst.Y, tw, th, dst.YStride, m.Y, w, h, m.YStride, 1)
		resample(dst.Cb, dcw, dch, dst.CStride, m.Cb, cw, ch, m.CStride, 1)
		resample(dst.Cr, dcw, dch, dst.CStride, m.Cr, cw, ch, m.CStride, 1)
		return dst
	case *image.RGBA:
		dst := image.NewRGBA(image.Rect(0, 0, tw, th))
		resample(dst.Pix, tw, th, dst.Stride, m.Pix, w, h, m.Stride, 4)
		return dst
	}
	panic(fmt.Sprintf("imaging: scale of %T", img)) // toRGBA made every other type RGBA
}

// planar reports whether img is a YCbCr image that scale and orient keep
// in its planes: at origin 0,0, in a subsampling whose turned form is one
// too.
func planar(img image.Image) bool {
	m, ok := img.(*image.YCbCr)
	if !ok || m.Rect.Min != (image.Point{}) {
		return false
	}
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422,
		image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio440:
		return true
	}
	return false
}

// toRGBA returns img as *image.RGBA at its size, origin 0,0 and rows end to
// end, img itself when it is one already.
func toRGBA(img image.Image) *image.RGBA {
	if m, ok := img.(*image.RGBA); ok && m.Rect.Min == (image.Point{}) && m.Stride == 4*m.Rect.Dx() {
		return m
	}
	b := img.Bounds()
	if m, ok := img.(*image.YCbCr); ok {
		// image/draw converts YCbCr to RGBA without At.
		dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		stddraw.Draw(dst, dst.Rect, m, b.Min, stddraw.Src)
		return dst
	}
	return reduceRGBA(img, 1)
}

// boxReduce averages k×k boxes of img (k ≥ 2) into an image
// ⌈w/k⌉×⌈h/k⌉, the boxes on the right and bottom edges cut short. A planar
// YCbCr image stays in its planes, subsampling and all; every other type
// becomes premultiplied RGBA.
func boxReduce(img image.Image, k int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	ow, oh := ceilDiv(w, k), ceilDiv(h, k)
	if m, ok := img.(*image.YCbCr); ok && planar(m) {
		dst := image.NewYCbCr(image.Rect(0, 0, ow, oh), m.SubsampleRatio)
		cw, ch := chromaSize(w, h, m.SubsampleRatio)
		reducePlane(dst.Y, dst.YStride, m.Y, m.YStride, w, h, k)
		reducePlane(dst.Cb, dst.CStride, m.Cb, m.CStride, cw, ch, k)
		reducePlane(dst.Cr, dst.CStride, m.Cr, m.CStride, cw, ch, k)
		return dst
	}
	return reduceRGBA(img, k)
}

// chromaSize is the size of the chroma planes of a w×h planar YCbCr image,
// as image.NewYCbCr lays them out.
func chromaSize(w, h int, r image.YCbCrSubsampleRatio) (int, int) {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return ceilDiv(w, 2), h
	case image.YCbCrSubsampleRatio420:
		return ceilDiv(w, 2), ceilDiv(h, 2)
	case image.YCbCrSubsampleRatio440:
		return w, ceilDiv(h, 2)
	}
	return w, h
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// reducePlane averages the k×k boxes of the w×h plane src into dst, whose
// rows are ⌈w/k⌉ long and ⌈h/k⌉ many, rounding to nearest. Bands of rows go
// to the CPUs in parallel.
func reducePlane(dst []uint8, dstStride int, src []uint8, srcStride, w, h, k int) {
	ow, oh := ceilDiv(w, k), ceilDiv(h, k)
	bands(oh, func(lo, hi int) {
		acc := make([]uint32, ow)
		for oy := lo; oy < hi; oy++ {
			clear(acc)
			y0, y1 := oy*k, min(oy*k+k, h)
			for y := y0; y < y1; y++ {
				sumRow(acc, src[y*srcStride:y*srcStride+w], k)
			}
			out := dst[oy*dstStride : oy*dstStride+ow]
			rows := uint32(y1 - y0)
			full := rows * uint32(k)
			for ox := range out {
				n := full
				if ox == ow-1 {
					n = rows * uint32(w-ox*k)
				}
				out[ox] = uint8((acc[ox] + n/2) / n)
			}
		}
	})
}

// sumRow adds the sums of k samples of row, box by box, to acc; the last
// box may be short. The common factors have loops of their own, which the
// compiler keeps free of bounds checks.
func sumRow(acc []uint32, row []uint8, k int) {
	full := len(row) / k
	switch k {
	case 2:
		for i := range full {
			p := row[2*i : 2*i+2]
			acc[i] += uint32(p[0]) + uint32(p[1])
		}
	case 3:
		for i := range full {
			p := row[3*i : 3*i+3]
			acc[i] += uint32(p[0]) + uint32(p[1]) + uint32(p[2])
		}
	case 4:
		for i := range full {
			p := row[4*i : 4*i+4]
			acc[i] += uint32(p[0]) + uint32(p[1]) + uint32(p[2]) + uint32(p[3])
		}
	default:
		for i := range full {
			var s uint32
			for _, v := range row[i*k : i*k+k] {
				s += uint32(v)
			}
			acc[i] += s
		}
	}
	if rest := row[full*k:]; len(rest) > 0 {
		var s uint32
		for _, v := range rest {
			s += uint32(v)
		}
		acc[full] += s
	}
}

// reduceRGBA averages k×k boxes of any image into premultiplied RGBA,
// reading img a row at a time through rgbaRows, so that an NRGBA, a
// paletted or a 16-bit image is never converted whole.
func reduceRGBA(img image.Image, k int) *image.RGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	ow, oh := ceilDiv(w, k), ceilDiv(h, k)
	dst := image.NewRGBA(image.Rect(0, 0, ow, oh))
	row := rgbaRows(img)
	bands(oh, func(lo, hi int) {
		buf := make([]uint8, 4*w)
		acc := make([]uint32, 4*ow)
		for oy := lo; oy < hi; oy++ {
			clear(acc)
			y0, y1 := oy*k, min(oy*k+k, h)
			for y := y0; y < y1; y++ {
				px := row(y, buf)
				for ox := range ow {
					p := px[4*ox*k : 4*min(ox*k+k, w)]
					var r, g, bl, a uint32
					for i := 0; i+3 < len(p); i += 4 {
						r += uint32(p[i])
						g += uint32(p[i+1])
						bl += uint32(p[i+2])
						a += uint32(p[i+3])
					}
					acc[4*ox] += r
					acc[4*ox+1] += g
					acc[4*ox+2] += bl
					acc[4*ox+3] += a
				}
			}
			out := dst.Pix[oy*dst.Stride : oy*dst.Stride+4*ow]
			rows := uint32(y1 - y0)
			for i := range out {
				n := rows * uint32(min(k, w-(i/4)*k))
				out[i] = uint8((acc[i] + n/2) / n)
			}
		}
	})
	return dst
}

// rgbaRows returns a function giving row y (from 0) of img as premultiplied
// RGBA bytes, either img's own pixels or buf filled.
func rgbaRows(img image.Image) func(y int, buf []uint8) []uint8 {
	b := img.Bounds()
	w := b.Dx()
	switch m := img.(type) {
	case *image.RGBA:
		return func(y int, _ []uint8) []uint8 {
			i := m.PixOffset(b.Min.X, b.Min.Y+y)
			return m.Pix[i : i+4*w]
		}
	case *image.NRGBA:
		return func(y int, buf []uint8) []uint8 {
			i := m.PixOffset(b.Min.X, b.Min.Y+y)
			src := m.Pix[i : i+4*w]
			for x := 0; x < len(src); x += 4 {
				a := uint32(src[x+3])
				buf[x+0] = uint8((uint32(src[x+0])*a + 127) / 255)
				buf[x+1] = uint8((uint32(src[x+1])*a + 127) / 255)
				buf[x+2] = uint8((uint32(src[x+2])*a + 127) / 255)
				buf[x+3] = uint8(a)
			}
			return buf
		}
	case *image.Paletted:
		var lut [256][4]uint8
		for i, c := range m.Palette {
			r, g, bl, a := c.RGBA()
			lut[i] = [4]uint8{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), uint8(a >> 8)}
		}
		return func(y int, buf []uint8) []uint8 {
			i := m.PixOffset(b.Min.X, b.Min.Y+y)
			for x, ci := range m.Pix[i : i+w] {
				copy(buf[4*x:4*x+4], lut[ci][:])
			}
			return buf
		}
	case *image.Gray:
		return func(y int, buf []uint8) []uint8 {
			i := m.PixOffset(b.Min.X, b.Min.Y+y)
			for x, v := range m.Pix[i : i+w] {
				buf[4*x], buf[4*x+1], buf[4*x+2], buf[4*x+3] = v, v, v, 0xFF
			}
			return buf
		}
	}
	return func(y int, buf []uint8) []uint8 {
		for x := range w {
			c := color.RGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.RGBA)
			buf[4*x], buf[4*x+1], buf[4*x+2], buf[4*x+3] = c.R, c.G, c.B, c.A
		}
		return buf
	}
}

// parallel runs the functions that body hands to run, each in its own
// goroutine, and returns when all have returned. A panic in one is raised
// again in the caller, where the decoder's recover catches it: a goroutine's
// own panic would end the process.
func parallel(body func(run func(func()))) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var panicked any
	body(func(fn func()) {
		wg.Go(func() {
			defer func() {
				if p := recover(); p != nil {
					mu.Lock()
					if panicked == nil {
						panicked = p
					}
					mu.Unlock()
				}
			}()
			fn()
		})
	})
	wg.Wait()
	if panicked != nil {
		panic(fmt.Sprintf("imaging: in a worker: %v", panicked))
	}
}
