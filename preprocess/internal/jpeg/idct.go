package jpeg

// This file reproduces libjpeg-turbo's jpeg_idct_islow (jidctint.c), the
// accurate integer inverse DCT that libjpeg uses by default and that Pillow
// therefore uses. Its SIMD versions are bit-exact with this C code.

// blockSize is the number of coefficients in an 8x8 block.
const blockSize = 8 * 8

// block holds one 8x8 block of DCT coefficients in natural (row-major) order.
type block [blockSize]int32

// block16 stores a block between progressive scans in 16 bits per
// coefficient, as libjpeg's JCOEF does, halving the memory of large images.
type block16 [blockSize]int16

func (b *block) narrow() (n block16) {
	for i, v := range b {
		n[i] = int16(v)
	}
	return n
}

func (n *block16) widen() (b block) {
	for i, v := range n {
		b[i] = int32(v)
	}
	return b
}

const (
	constBits = 13
	pass1Bits = 2

	fix0298631336 = 2446  // FIX(0.298631336)
	fix0390180644 = 3196  // FIX(0.390180644)
	fix0541196100 = 4433  // FIX(0.541196100)
	fix0765366865 = 6270  // FIX(0.765366865)
	fix0899976223 = 7373  // FIX(0.899976223)
	fix1175875602 = 9633  // FIX(1.175875602)
	fix1501321110 = 12299 // FIX(1.501321110)
	fix1847759065 = 15137 // FIX(1.847759065)
	fix1961570560 = 16069 // FIX(1.961570560)
	fix2053119869 = 16819 // FIX(2.053119869)
	fix2562915447 = 20995 // FIX(2.562915447)
	fix3072711026 = 25172 // FIX(3.072711026)
)

// descale is libjpeg's DESCALE: a rounding arithmetic right shift.
func descale(x int64, n uint) int64 { return (x + 1<<(n-1)) >> n }

// idctRangeLimit is libjpeg's post-IDCT range-limit table lookup
// (prepare_range_limit_table in jdmaster.c, indexed with RANGE_MASK): it adds
// the +128 level shift and clamps, wrapping exactly as the table does for
// out-of-range values.
func idctRangeLimit(x int64) byte {
	m := x & 1023
	switch {
	case m < 128:
		return byte(m + 128)
	case m < 512:
		return 255
	case m < 896:
		return 0
	default:
		return byte(m - 896)
	}
}

// idct1D is one 8-point pass of the islow IDCT on in[0..7] (already
// dequantized / from the work array). It returns the eight outputs before
// their final descale: out[i] must be shifted by the caller.
func idct1D(in [8]int64) (out [8]int64) {
	// Even part.
	z2, z3 := in[2], in[6]
	z1 := (z2 + z3) * fix0541196100
	tmp2 := z1 + z3*(-fix1847759065)
	tmp3 := z1 + z2*fix0765366865

	tmp0 := (in[0] + in[4]) << constBits
	tmp1 := (in[0] - in[4]) << constBits

	tmp10, tmp13 := tmp0+tmp3, tmp0-tmp3
	tmp11, tmp12 := tmp1+tmp2, tmp1-tmp2

	// Odd part.
	tmp0, tmp1, tmp2, tmp3 = in[7], in[5], in[3], in[1]
	z1 = tmp0 + tmp3
	z2 = tmp1 + tmp2
	z3 = tmp0 + tmp2
	z4 := tmp1 + tmp3
	z5 := (z3 + z4) * fix1175875602

	tmp0 *= fix0298631336
	tmp1 *= fix2053119869
	tmp2 *= fix3072711026
	tmp3 *= fix1501321110
	z1 *= -fix0899976223
	z2 *= -fix2562915447
	z3 *= -fix1961570560
	z4 *= -fix0390180644

	z3 += z5
	z4 += z5

	tmp0 += z1 + z3
	tmp1 += z2 + z4
	tmp2 += z2 + z3
	tmp3 += z1 + z4

	return [8]int64{
		tmp10 + tmp3, tmp11 + tmp2, tmp12 + tmp1, tmp13 + tmp0,
		tmp13 - tmp0, tmp12 - tmp1, tmp11 - tmp2, tmp10 - tmp3,
	}
}

// idctIslow dequantizes b with the zig-zag ordered table q, runs the islow
// inverse DCT and writes the 8x8 level-shifted, range-limited samples to dst
// (row stride stride). Coefficients and quantizers are truncated to 16 bits
// first, as libjpeg stores them (JCOEF and ISLOW_MULT_TYPE are shorts).
func idctIslow(b *block, q *block, dst []byte, stride int) {
	var coef [blockSize]int64
	for zig := 0; zig < blockSize; zig++ {
		k := unzig[zig]
		coef[k] = int64(int32(int16(b[k])) * int32(int16(q[zig])))
	}

	// Pass 1: columns, into a work array scaled up by 2**pass1Bits. The
	// all-AC-zero shortcut of jidctint.c gives identical results and is
	// omitted.
	var ws [blockSize]int32
	for c := 0; c < 8; c++ {
		var in [8]int64
		for r := 0; r < 8; r++ {
			in[r] = coef[8*r+c]
		}
		out := idct1D(in)
		for r := 0; r < 8; r++ {
			ws[8*r+c] = int32(descale(out[r], constBits-pass1Bits))
		}
	}

	// Pass 2: rows, descaled by 8 and by the pass-1 scaling.
	for r := 0; r < 8; r++ {
		var in [8]int64
		for c := 0; c < 8; c++ {
			in[c] = int64(ws[8*r+c])
		}
		out := idct1D(in)
		row := dst[r*stride : r*stride+8]
		for c := 0; c < 8; c++ {
			row[c] = idctRangeLimit(descale(out[c], constBits+pass1Bits+3))
		}
	}
}
