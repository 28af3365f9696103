//go:build !goexperiment.simd

package cpukernels

// dwOutRow computes one output row of a depthwise convolution (see
// dwGeom) with the epilogue ep (rows from the row's first pixel on), a
// channel at a time in the order of the vector loop: each pixel's sum
// kernel row by kernel row, tap by tap, then the epilogue.
func dwOutRow(out, x, w []float32, g dwGeom, ep Epilogue) {
	c, k := g.c, g.k
	for ox := 0; ox < g.wo; ox++ {
		ix0, kx0, kx1 := g.taps(ox)
		for i := 0; i < c; i++ {
			var s float32
			for r := 0; r < g.rows; r++ {
				for kx := kx0; kx < kx1; kx++ {
					s += x[(r*g.width+ix0+kx)*c+i] * w[(r*k+kx)*c+i]
				}
			}
			out[ox*c+i] = finishOne(s, ep.Bias[i], ep.Res, ox*c+i, ep.Act)
		}
	}
}
