package imaging

import (
	"math"
	"runtime"
)

// The final step of scaling is a separable Catmull-Rom filter (the cubic
// with B=0, C=½ of Mitchell and Netravali, sharp without visible ringing)
// in fixed point on 8-bit planes or interleaved RGBA. x/image/draw's
// CatmullRom gives the same picture, but it converts a YCbCr source pixel
// for every tap and keeps its intermediate rows in float64 (32 bytes a
// pixel), several times the time and memory of this.

// weightBits is the fixed-point precision of the filter weights.
const weightBits = 14

// taps are the filter weights of one axis: output i reads n source samples
// from start[i], weighed by w[i*n:(i+1)*n], which sum to 1<<weightBits.
type taps struct {
	start []int
	w     []int32
	n     int
}

func catmullRom(x float64) float64 {
	x = math.Abs(x)
	switch {
	case x < 1:
		return (1.5*x-2.5)*x*x + 1
	case x < 2:
		return ((-0.5*x+2.5)*x-4)*x + 2
	}
	return 0
}

// makeTaps computes the weights to resample an axis of srcLen samples to
// dstLen, the kernel widened by the reduction so that every source sample
// counts. Taps that would fall outside the axis are folded onto its edge
// samples.
func makeTaps(srcLen, dstLen int) taps {
	ratio := float64(srcLen) / float64(dstLen)
	stretch := max(ratio, 1)
	support := 2 * stretch
	// The kernel's width in source samples, and the window read, which a
	// short axis cuts to its length.
	fw := make([]float64, int(math.Ceil(2*support))+1)
	n := min(len(fw), srcLen)
	t := taps{start: make([]int, dstLen), w: make([]int32, dstLen*n), n: n}
	for i := range dstLen {
		center := (float64(i)+0.5)*ratio - 0.5
		first := int(math.Floor(center-support)) + 1
		var sum float64
		for j := range fw {
			fw[j] = catmullRom((float64(first+j) - center) / stretch)
			sum += fw[j]
		}
		// Fold taps outside the axis onto the edge and shift the window
		// inside it.
		start := min(max(first, 0), max(srcLen-n, 0))
		w := t.w[i*n : (i+1)*n]
		var total int32
		for j, f := range fw {
			s := min(max(first+j, 0), srcLen-1) - start
			s = min(max(s, 0), n-1)
			q := int32(math.Round(f / sum * (1 << weightBits)))
			w[s] += q
			total += q
		}
		// Rounding leaves the sum a little off 1: put the rest on the
		// largest weight, so that a flat area stays flat.
		big := 0
		for j := range w {
			if w[j] > w[big] {
				big = j
			}
		}
		w[big] += 1<<weightBits - total
		t.start[i] = start
	}
	return t
}

// resample scales the sw×sh image of ch interleaved 8-bit channels in src
// (rows stride apart) to dw×dh in dst (rows dstStride apart): a horizontal
// pass into a dw×sh buffer, then a vertical one, each shared between the
// CPUs by rows.
func resample(dst []uint8, dw, dh, dstStride int, src []uint8, sw, sh, stride, ch int) {
	tmp, tmpStride := src, stride
	if dw != sw {
		tx := makeTaps(sw, dw)
		tmpStride = dw * ch
		tmp = make([]uint8, tmpStride*sh)
		bands(sh, func(lo, hi int) {
			for y := lo; y < hi; y++ {
				resampleRow(tmp[y*tmpStride:(y+1)*tmpStride], src[y*stride:], tx, ch)
			}
		})
	}
	if ch == 4 {
		// Catmull-Rom's lobes can lift a colour above its alpha, which
		// premultiplied RGBA cannot hold.
		defer bands(dh, func(lo, hi int) {
			for y := lo; y < hi; y++ {
				row := dst[y*dstStride : y*dstStride+dw*4]
				for x := 0; x < len(row); x += 4 {
					a := row[x+3]
					row[x], row[x+1], row[x+2] = min(row[x], a), min(row[x+1], a), min(row[x+2], a)
				}
			}
		})
	}
	if dh == sh {
		for y := range dh {
			copy(dst[y*dstStride:y*dstStride+dw*ch], tmp[y*tmpStride:])
		}
		return
	}
	ty := makeTaps(sh, dh)
	bands(dh, func(lo, hi int) {
		acc := make([]int32, dw*ch)
		for y := lo; y < hi; y++ {
			clear(acc)
			for j, wt := range ty.w[y*ty.n : (y+1)*ty.n] {
				if wt == 0 {
					continue
				}
				row := tmp[(ty.start[y]+j)*tmpStride:]
				row = row[:len(acc)]
				for x, v := range row {
					acc[x] += wt * int32(v)
				}
			}
			out := dst[y*dstStride : y*dstStride+len(acc)]
			for x, a := range acc {
				out[x] = clampFixed(a)
			}
		}
	})
}

// resampleRow filters one row of ch interleaved channels along x.
func resampleRow(out, in []uint8, t taps, ch int) {
	dw := len(t.start)
	switch ch {
	case 1:
		for i := range dw {
			w := t.w[i*t.n : (i+1)*t.n]
			s := in[t.start[i] : t.start[i]+len(w)]
			var a int32
			for j, wt := range w {
				a += wt * int32(s[j])
			}
			out[i] = clampFixed(a)
		}
	case 4:
		for i := range dw {
			w := t.w[i*t.n : (i+1)*t.n]
			s := in[4*t.start[i] : 4*(t.start[i]+len(w))]
			var r, g, b, a int32
			for j, wt := range w {
				p := s[4*j : 4*j+4]
				r += wt * int32(p[0])
				g += wt * int32(p[1])
				b += wt * int32(p[2])
				a += wt * int32(p[3])
			}
			o := out[4*i : 4*i+4]
			o[0], o[1], o[2], o[3] = clampFixed(r), clampFixed(g), clampFixed(b), clampFixed(a)
		}
	}
}

// clampFixed rounds a fixed-point sum to a byte; Catmull-Rom's negative
// lobes can take it past either end.
func clampFixed(a int32) uint8 {
	a = (a + 1<<(weightBits-1)) >> weightBits
	return uint8(min(max(a, 0), 255))
}

// bands splits rows 0..n into one band per CPU, at least 32 rows each, and
// runs fn on each in parallel.
func bands(n int, fn func(lo, hi int)) {
	k := min(runtime.GOMAXPROCS(0), max(1, n/32))
	if k == 1 {
		fn(0, n)
		return
	}
	parallel(func(run func(func())) {
		for i := range k {
			lo, hi := n*i/k, n*(i+1)/k
			run(func() { fn(lo, hi) })
		}
	})
}
