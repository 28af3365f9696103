//go:build goexperiment.simd

package cpukernels

import "simd"

// dwOutRow computes one output row of a depthwise convolution (see
// dwGeom) with the epilogue ep (rows from the row's first pixel on),
// one vector of channels at a time: for each, the output pixels in
// blocks of dwBlock where their taps lie inside the image, one by one at
// the borders, every sum kernel row by kernel row, tap by tap, in
// registers, then the epilogue inlined. No calls in the loops: in wasm a
// call costs as much as a vector's arithmetic.
func dwOutRow(out, x, w []float32, g dwGeom, ep Epilogue) {
	var zero simd.Float32s
	l := zero.Len()
	c, k := g.c, g.k
	i := 0
	for ; i+l <= c; i += l {
		bias := simd.LoadFloat32s(ep.Bias[i:])
		for ox := 0; ox < g.wo; {
			for next := g.interior(ox); ox < next; ox++ { // border pixels, one at a time
				ix0, kx0, kx1 := g.taps(ox)
				var acc simd.Float32s
				for r := 0; r < g.rows; r++ {
					xr := x[(r*g.width+ix0+kx0)*c+i:]
					wr := w[(r*k+kx0)*c+i:]
					for t := 0; t < kx1-kx0; t++ {
						acc = simd.LoadFloat32s(xr[t*c:]).MulAdd(simd.LoadFloat32s(wr[t*c:]), acc)
					}
				}
				var res []float32
				if ep.Res != nil {
					res = ep.Res[ox*c+i:]
				}
				finishFull(acc, bias, out[ox*c+i:], res, ep.Act)
			}
			if ox == g.wo {
				break
			}
			// dwBlock pixels, all taps inside: four sums, each weight loaded once.
			ix0 := ox*g.stride - k/2
			var a0, a1, a2, a3 simd.Float32s
			s := g.stride * c
			for r := 0; r < g.rows; r++ {
				xr := x[(r*g.width+ix0)*c+i:]
				wr := w[r*k*c+i:]
				for kx := 0; kx < k; kx++ {
					wv := simd.LoadFloat32s(wr[kx*c:])
					xk := xr[kx*c:]
					a0 = simd.LoadFloat32s(xk).MulAdd(wv, a0)
					a1 = simd.LoadFloat32s(xk[s:]).MulAdd(wv, a1)
					a2 = simd.LoadFloat32s(xk[2*s:]).MulAdd(wv, a2)
					a3 = simd.LoadFloat32s(xk[3*s:]).MulAdd(wv, a3)
				}
			}
			p := ox*c + i
			var r0, r1, r2, r3 []float32
			if ep.Res != nil {
				r0, r1, r2, r3 = ep.Res[p:], ep.Res[p+c:], ep.Res[p+2*c:], ep.Res[p+3*c:]
			}
			finishFull(a0, bias, out[p:], r0, ep.Act)
			finishFull(a1, bias, out[p+c:], r1, ep.Act)
			finishFull(a2, bias, out[p+2*c:], r2, ep.Act)
			finishFull(a3, bias, out[p+3*c:], r3, ep.Act)
			ox += dwBlock
		}
	}
	if i < c { // the channel tail with partial vectors
		n := c - i
		for ox := 0; ox < g.wo; ox++ {
			ix0, kx0, kx1 := g.taps(ox)
			var acc simd.Float32s
			for r := 0; r < g.rows; r++ {
				for kx := kx0; kx < kx1; kx++ {
					xv, _ := simd.LoadFloat32sPart(x[(r*g.width+ix0+kx)*c+i:][:n])
					wv, _ := simd.LoadFloat32sPart(w[(r*k+kx)*c+i:][:n])
					acc = xv.MulAdd(wv, acc)
				}
			}
			var res []float32
			if ep.Res != nil {
				res = ep.Res[ox*c+i:]
			}
			finishVec(acc, out[ox*c+i:], ep.Bias[i:], res, ep.Act, n)
		}
	}
}
