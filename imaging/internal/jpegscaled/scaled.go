package jpegscaled

// This file is new in the fork; the rest is image/jpeg's, under Go's licence
// (LICENSE).

// The scaled inverse DCTs. An 8×8 block's coefficients F(u, v) (u across,
// v down, dequantized) give its pixels as
//
//	f(x, y) = 1/4 Σ C(u) C(v) F(u, v) cos((2x+1)uπ/16) cos((2y+1)vπ/16)
//
// with C(0) = 1/√2 and C(k) = 1 otherwise, u and v from 0 to 7. Keeping
// only the N×N lowest frequencies (N = 4, 2, 1) and reading them as the
// coefficients of an N-point DCT gives an N×N block with the same mean,
//
//	f_N(x, y) = 1/4 Σ C(u) C(v) F(u, v) cos((2x+1)uπ/2N) cos((2y+1)vπ/2N),
//
// u and v from 0 to N-1: the block low-passed to its new Nyquist frequency
// and sampled N times a side, which is what libjpeg's scaled decoding does
// (jidctint.c's jpeg_idct_4x4, 2x2, 1x1). The same 1/4 holds at every N
// because an N-point DCT of the JPEG's scaling has coefficients N/8 of the
// 8-point one's. For N = 1 it is the DC alone, F(0, 0)/8.

// zigOf maps a coefficient's natural position (v*8+u) to its place in the
// zig-zag order of the quantization tables: the inverse of unzig.
var zigOf = func() (z [blockSize]int) {
	for zig, n := range unzig {
		z[n] = zig
	}
	return z
}()

// Fixed-point constants of the 4-point transform, 13 fractional bits.
const (
	fixBits = 13
	fixR2   = 5793 // 2^13 / √2
	fixC1   = 7568 // 2^13 cos(π/8)
	fixC3   = 3135 // 2^13 cos(3π/8)
)

// idct4x4 writes the 4×4 block of b (coefficients not yet dequantized, qt
// in zig-zag order) to dst, rows stride apart, level-shifted and clamped.
// It computes in int, so that no coefficient a hostile file can hold (up to
// 2^11 times a quantizer of up to 2^16) overflows on a 64-bit machine.
func idct4x4(b *block, qt *block, dst []byte, stride int) {
	var f [4][4]int // f[v][u], dequantized
	ac := 0
	for v := range 4 {
		for u := range 4 {
			n := v*8 + u
			f[v][u] = int(b[n]) * int(qt[zigOf[n]])
			if n != 0 {
				ac |= f[v][u]
			}
		}
	}
	if ac == 0 {
		// A flat block, common in skies and walls: the DC alone.
		p := level(f[0][0], 3)
		for y := range 4 {
			row := dst[y*stride : y*stride+4]
			row[0], row[1], row[2], row[3] = p, p, p, p
		}
		return
	}
	// Columns: t[y][u], scaled by 2^13.
	var t [4][4]int
	for u := range 4 {
		e0 := (f[0][u] + f[2][u]) * fixR2
		e1 := (f[0][u] - f[2][u]) * fixR2
		o0 := f[1][u]*fixC1 + f[3][u]*fixC3
		o1 := f[1][u]*fixC3 - f[3][u]*fixC1
		t[0][u], t[3][u] = e0+o0, e0-o0
		t[1][u], t[2][u] = e1+o1, e1-o1
	}
	// Rows, scaled by 2^26; then the 1/4 of the transform.
	const shift = 2*fixBits + 2
	for y := range 4 {
		r := &t[y]
		e0 := (r[0] + r[2]) * fixR2
		e1 := (r[0] - r[2]) * fixR2
		o0 := r[1]*fixC1 + r[3]*fixC3
		o1 := r[1]*fixC3 - r[3]*fixC1
		row := dst[y*stride : y*stride+4]
		row[0], row[3] = level(e0+o0, shift), level(e0-o0, shift)
		row[1], row[2] = level(e1+o1, shift), level(e1-o1, shift)
	}
}

// idct2x2 writes the 2×2 block of b to dst: with cos(π/4) = -cos(3π/4) =
// 1/√2 every term is ±F/8.
func idct2x2(b *block, qt *block, dst []byte, stride int) {
	dc := int(b[0]) * int(qt[0])
	h := int(b[1]) * int(qt[zigOf[1]]) // u = 1: across
	v := int(b[8]) * int(qt[zigOf[8]]) // v = 1: down
	hv := int(b[9]) * int(qt[zigOf[9]])
	r0, r1 := dst[:2], dst[stride:stride+2]
	r0[0] = level(dc+h+v+hv, 3)
	r0[1] = level(dc-h+v-hv, 3)
	r1[0] = level(dc+h-v-hv, 3)
	r1[1] = level(dc-h-v+hv, 3)
}

// idct1x1 writes the block's mean, F(0, 0)/8, to dst[0].
func idct1x1(b *block, qt *block, dst []byte) {
	dst[0] = level(int(b[0])*int(qt[0]), 3)
}

// level rounds x / 2^shift to the nearest integer, adds the level shift of
// 128 and clamps to a byte.
func level(x int, shift uint) byte {
	x = (x+1<<(shift-1))>>shift + 128
	return byte(min(max(x, 0), 255))
}
