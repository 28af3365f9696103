//go:build goexperiment.simd

package cpukernels

import "simd"

// dwPixel computes one depthwise output pixel at out offset o over the taps
// ky ∈ [ky0, ky1), kx ∈ [kx0, kx1) (those inside the image), one vector of
// channels at a time, then applies the epilogue to the whole pixel.
func dwPixel(d *Depthwise, n, iy0, ix0, ky0, ky1, kx0, kx1, o int, ep Epilogue) {
	defer clearUpper()
	c, k := d.In.C, d.K
	out := d.Out[o:][:c]
	var zero simd.Float32s
	l := zero.Len()
	for c0 := 0; c0 < c; c0 += l {
		cn := min(l, c-c0)
		acc := zero
		for ky := ky0; ky < ky1; ky++ {
			for kx := kx0; kx < kx1; kx++ {
				xs := d.X[d.tapOffset(n, iy0, ix0, ky, kx)+c0:]
				ws := d.W[(ky*k+kx)*c+c0:]
				if cn == l {
					acc = simd.LoadFloat32s(xs).MulAdd(simd.LoadFloat32s(ws), acc)
				} else {
					xv, _ := simd.LoadFloat32sPart(xs[:cn])
					wv, _ := simd.LoadFloat32sPart(ws[:cn])
					acc = xv.MulAdd(wv, acc)
				}
			}
		}
		acc.StorePart(out[c0:][:cn])
	}
	var res []float32
	if ep.Res != nil {
		res = ep.Res[:c]
	}
	finishRow(out, out, ep.Bias, res, ep.Act)
}
