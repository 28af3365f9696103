//go:build goexperiment.simd

package cpukernels

import "simd"

// winoInput replaces one tile's 4×4 input patch d (16 rows of cin values,
// row-major over the patch) by Bᵀ d B (row e of the 16 transformed inputs
// at d[e·cin:]; each channel's 16 values are read before any is written),
// Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1],
// one vector of channels at a time with the whole transform in registers
// (no call per row of values: calls are costly in wasm). The transform
// only adds and subtracts.
func winoInput(d []float32, cin int) {
	defer clearUpper()
	var zero simd.Float32s
	l := zero.Len()
	for i := 0; i < cin; i += l {
		n := min(l, cin-i)
		var t [16]simd.Float32s
		for j := 0; j < 4; j++ { // t = Bᵀ d, column by column
			d0, d1 := loadN(d[j*cin+i:], n, l), loadN(d[(4+j)*cin+i:], n, l)
			d2, d3 := loadN(d[(8+j)*cin+i:], n, l), loadN(d[(12+j)*cin+i:], n, l)
			t[j], t[4+j], t[8+j], t[12+j] = d0.Sub(d2), d1.Add(d2), d2.Sub(d1), d1.Sub(d3)
		}
		for r := 0; r < 4; r++ { // v = t B, row by row
			x0, x1, x2, x3 := t[4*r], t[4*r+1], t[4*r+2], t[4*r+3]
			storeN(x0.Sub(x2), d[4*r*cin+i:], n, l)
			storeN(x1.Add(x2), d[(4*r+1)*cin+i:], n, l)
			storeN(x2.Sub(x1), d[(4*r+2)*cin+i:], n, l)
			storeN(x1.Sub(x3), d[(4*r+3)*cin+i:], n, l)
		}
	}
}

// winoOutput computes a tile's four output pixels Aᵀ m A from its 16 GEMM
// results (row e at m[e·cout:]), Aᵀ = [1 1 1 0; 0 1 −1 −1],
// and writes those inside the image (pix[r·2+q] ≥ 0, the pixel index of
// (r, q)) with the epilogue, one vector of channels at a time with the
// transform and epilogue in registers.
func winoOutput(out, m []float32, cout int, pix *[4]int, ep Epilogue) {
	defer clearUpper()
	var zero simd.Float32s
	l := zero.Len()
	for i := 0; i < cout; i += l {
		n := min(l, cout-i)
		var s [8]simd.Float32s
		for j := 0; j < 4; j++ { // s = Aᵀ m, column by column
			m0, m1 := loadN(m[j*cout+i:], n, l), loadN(m[(4+j)*cout+i:], n, l)
			m2, m3 := loadN(m[(8+j)*cout+i:], n, l), loadN(m[(12+j)*cout+i:], n, l)
			s[j], s[4+j] = m0.Add(m1).Add(m2), m1.Sub(m2).Sub(m3)
		}
		var y [4]simd.Float32s
		for r := 0; r < 2; r++ { // y = s A, row by row
			x0, x1, x2, x3 := s[4*r], s[4*r+1], s[4*r+2], s[4*r+3]
			y[2*r], y[2*r+1] = x0.Add(x1).Add(x2), x1.Sub(x2).Sub(x3)
		}
		for q, p := range pix {
			if p < 0 {
				continue
			}
			var res []float32
			if ep.Res != nil {
				res = ep.Res[p*ep.LdRes+i:]
			}
			if n == l {
				finishFull(y[q], simd.LoadFloat32s(ep.Bias[i:]), out[p*cout+i:], res, ep.Act)
			} else {
				finishVec(y[q], out[p*cout+i:], ep.Bias[i:], res, ep.Act, n)
			}
		}
	}
}

// loadN loads the first n ≤ l values of s (l = the vector length), the
// rest zero.
func loadN(s []float32, n, l int) simd.Float32s {
	if n == l {
		return simd.LoadFloat32s(s)
	}
	v, _ := simd.LoadFloat32sPart(s[:n])
	return v
}

// storeN stores the first n ≤ l values of v to s.
func storeN(v simd.Float32s, s []float32, n, l int) {
	if n == l {
		v.Store(s)
		return
	}
	v.StorePart(s[:n])
}
