//go:build !goexperiment.simd

package cpukernels

// packA: the scalar micro-tile reads the rows of A in place.
const packA = false

// minPackedPanels: see gemm_simd_js.go.
const minPackedPanels = 0

// tiles computes the micro-tiles of column panels [p0, p1) for one block
// of rows rows of a (ap is unused: packA is off).
func tiles(c, a, res *[mr][]float32, rows int, _ []float32, b *PackedB, p0, p1 int, ep Epilogue) {
	nr := PanelWidth()
	for p := p0; p < p1; p++ {
		j0 := p * nr
		tile(c, a, res, rows, b.panel(p), b.K, j0, min(nr, b.N-j0), ep)
	}
}

// tile computes one mr×PanelWidth micro-tile: rows of a (each k long) times
// the k-major panel, then the epilogue for columns [j0, j0+cols) of the
// first rows rows of c. Each row keeps its eight sums in locals, summed
// in blocks of kBlock steps as the SIMD tile does.
func tile(c, a, res *[mr][]float32, rows int, panel []float32, k, j0, cols int, ep Epilogue) {
	const nr = 8 // 2·lanes()
	panel = panel[:k*nr]
	for r := 0; r < rows; r++ {
		var acc [nr]float32 // running totals over blocks of kBlock steps (see kBlock)
		for k0 := 0; k0 < k; k0 += kBlock {
			var s0, s1, s2, s3, s4, s5, s6, s7 float32 // this block's sums
			for kk, x := range a[r][k0:min(k, k0+kBlock)] {
				p := (*[nr]float32)(panel[(k0+kk)*nr:])
				s0 += x * p[0]
				s1 += x * p[1]
				s2 += x * p[2]
				s3 += x * p[3]
				s4 += x * p[4]
				s5 += x * p[5]
				s6 += x * p[6]
				s7 += x * p[7]
			}
			acc[0], acc[1], acc[2], acc[3] = acc[0]+s0, acc[1]+s1, acc[2]+s2, acc[3]+s3
			acc[4], acc[5], acc[6], acc[7] = acc[4]+s4, acc[5]+s5, acc[6]+s6, acc[7]+s7
		}
		var rr []float32
		if ep.Res != nil {
			rr = res[r][j0:][:cols]
		}
		finishRow(c[r][j0:][:cols], acc[:cols], ep.Bias[j0:][:cols], rr, ep.Act)
	}
}
