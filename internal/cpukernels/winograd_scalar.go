//go:build !goexperiment.simd

package cpukernels

// winoInput replaces one tile's 4×4 input patch d (16 rows of cin values)
// by Bᵀ d B (row e at d[e·cin:]; each channel's 16 values are read before
// any is written), channel by channel with the operations of the vector
// loop.
func winoInput(d []float32, cin int) {
	for i := 0; i < cin; i++ {
		var t [16]float32
		for j := 0; j < 4; j++ {
			d0, d1, d2, d3 := d[j*cin+i], d[(4+j)*cin+i], d[(8+j)*cin+i], d[(12+j)*cin+i]
			t[j], t[4+j], t[8+j], t[12+j] = d0-d2, d1+d2, d2-d1, d1-d3
		}
		for r := 0; r < 4; r++ {
			x0, x1, x2, x3 := t[4*r], t[4*r+1], t[4*r+2], t[4*r+3]
			d[4*r*cin+i], d[(4*r+1)*cin+i], d[(4*r+2)*cin+i], d[(4*r+3)*cin+i] = x0-x2, x1+x2, x2-x1, x1-x3
		}
	}
}

// winoOutput computes a tile's four output pixels Aᵀ m A from its 16 GEMM
// results (row e at m[e·cout:]) and writes those inside the image
// (pix[r·2+q] ≥ 0) with the epilogue, channel by channel.
func winoOutput(out, m []float32, cout int, pix *[4]int, ep Epilogue) {
	for i := 0; i < cout; i++ {
		var s [8]float32
		for j := 0; j < 4; j++ {
			m0, m1, m2, m3 := m[j*cout+i], m[(4+j)*cout+i], m[(8+j)*cout+i], m[(12+j)*cout+i]
			s[j], s[4+j] = (m0+m1)+m2, (m1-m2)-m3
		}
		var y [4]float32
		for r := 0; r < 2; r++ {
			x0, x1, x2, x3 := s[4*r], s[4*r+1], s[4*r+2], s[4*r+3]
			y[2*r], y[2*r+1] = (x0+x1)+x2, (x1-x2)-x3
		}
		for q, p := range pix {
			if p < 0 {
				continue
			}
			out[p*cout+i] = finishOne(y[q], ep.Bias[i], ep.Res, p*ep.LdRes+i, ep.Act)
		}
	}
}
