//go:build !goexperiment.simd

package cpukernels

// dwPixel computes one depthwise output pixel at out offset o over the taps
// ky ∈ [ky0, ky1), kx ∈ [kx0, kx1) (those inside the image).
func dwPixel(d *Depthwise, n, iy0, ix0, ky0, ky1, kx0, kx1, o int, ep Epilogue) {
	c, k := d.In.C, d.K
	acc := d.Out[o:][:c]
	clear(acc)
	for ky := ky0; ky < ky1; ky++ {
		for kx := kx0; kx < kx1; kx++ {
			xs := d.X[d.tapOffset(n, iy0, ix0, ky, kx):][:c]
			ws := d.W[(ky*k+kx)*c:][:c]
			for ch, x := range xs {
				acc[ch] += x * ws[ch]
			}
		}
	}
	var res []float32
	if ep.Res != nil {
		res = ep.Res[:c]
	}
	finishRow(acc, acc, ep.Bias, res, ep.Act)
}
