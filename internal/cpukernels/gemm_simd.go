//go:build goexperiment.simd

package cpukernels

import "simd"

// tiles computes the micro-tiles of column panels [p0, p1) for one block
// of rows rows of A (a, or ap when GemmBlock packed them). One call per
// row block keeps the calls, and in wasm the simd dispatch of each call,
// out of the panel loop.
func tiles(c, a, res *[mr][]float32, rows int, ap []float32, b *PackedB, p0, p1 int, ep Epilogue) {
	var v simd.Float32s
	nr := 2 * v.Len()
	if rows == 1 {
		tilesRow(c[0], a[0], res[0], b, p0, p1, ep)
		return
	}
	if ap != nil {
		tilesPacked(c, res, rows, ap, b, p0, p1, ep)
		return
	}
	for p := p0; p < p1; p++ {
		j0 := p * nr
		tile(c, a, res, rows, b.panel(p), b.K, j0, min(nr, b.N-j0), ep)
	}
}

// tile computes one mr×PanelWidth micro-tile: rows of a (each k long) times
// the k-major panel, then the epilogue for columns [j0, j0+cols) of the
// first rows rows of c.
func tile(c, a, res *[mr][]float32, rows int, panel []float32, k, j0, cols int, ep Epilogue) {
	// The running totals live in memory (an array Go does not keep in
	// registers), so that the k loop keeps all registers for its sums.
	var tot [2 * mr]simd.Float32s
	l := tot[0].Len()
	nr := 2 * l
	a0, a1, a2, a3 := a[0][:k], a[1][:k], a[2][:k], a[3][:k]
	panel = panel[:k*nr]
	for k0 := 0; k0 < k; k0 += kBlock {
		k1 := min(k, k0+kBlock)
		var s00, s01, s10, s11, s20, s21, s30, s31 simd.Float32s // this block's sums
		kk := k0
		for ; kk+2 <= k1; kk += 2 { // two steps per iteration halve the loop overhead
			p := panel[kk*nr:][:2*nr]
			b0 := simd.LoadFloat32s(p)
			b1 := simd.LoadFloat32s(p[l:])
			b2 := simd.LoadFloat32s(p[nr:])
			b3 := simd.LoadFloat32s(p[nr+l:])
			x, y := simd.BroadcastFloat32s(a0[kk]), simd.BroadcastFloat32s(a0[kk+1])
			s00 = y.MulAdd(b2, x.MulAdd(b0, s00))
			s01 = y.MulAdd(b3, x.MulAdd(b1, s01))
			x, y = simd.BroadcastFloat32s(a1[kk]), simd.BroadcastFloat32s(a1[kk+1])
			s10 = y.MulAdd(b2, x.MulAdd(b0, s10))
			s11 = y.MulAdd(b3, x.MulAdd(b1, s11))
			x, y = simd.BroadcastFloat32s(a2[kk]), simd.BroadcastFloat32s(a2[kk+1])
			s20 = y.MulAdd(b2, x.MulAdd(b0, s20))
			s21 = y.MulAdd(b3, x.MulAdd(b1, s21))
			x, y = simd.BroadcastFloat32s(a3[kk]), simd.BroadcastFloat32s(a3[kk+1])
			s30 = y.MulAdd(b2, x.MulAdd(b0, s30))
			s31 = y.MulAdd(b3, x.MulAdd(b1, s31))
		}
		if kk < k1 { // odd k: the last step
			p := panel[kk*nr:][:nr]
			b0, b1 := simd.LoadFloat32s(p), simd.LoadFloat32s(p[l:])
			x := simd.BroadcastFloat32s(a0[kk])
			s00, s01 = x.MulAdd(b0, s00), x.MulAdd(b1, s01)
			x = simd.BroadcastFloat32s(a1[kk])
			s10, s11 = x.MulAdd(b0, s10), x.MulAdd(b1, s11)
			x = simd.BroadcastFloat32s(a2[kk])
			s20, s21 = x.MulAdd(b0, s20), x.MulAdd(b1, s21)
			x = simd.BroadcastFloat32s(a3[kk])
			s30, s31 = x.MulAdd(b0, s30), x.MulAdd(b1, s31)
		}
		tot[0], tot[1], tot[2], tot[3] = tot[0].Add(s00), tot[1].Add(s01), tot[2].Add(s10), tot[3].Add(s11)
		tot[4], tot[5], tot[6], tot[7] = tot[4].Add(s20), tot[5].Add(s21), tot[6].Add(s30), tot[7].Add(s31)
	}
	c00, c01, c10, c11, c20, c21, c30, c31 := tot[0], tot[1], tot[2], tot[3], tot[4], tot[5], tot[6], tot[7]
	if separateEpilogue {
		acc := [mr][2]simd.Float32s{{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}}
		tileEpilogue(c, res, &acc, rows, j0, cols, ep)
		clearUpper()
		return
	}
	n0, n1 := min(cols, l), cols-l
	bias := ep.Bias[j0:]
	store := func(r int, v0, v1 simd.Float32s) {
		var r0, r1 []float32
		if ep.Res != nil {
			r0 = res[r][j0:]
			if n1 > 0 {
				r1 = r0[l:]
			}
		}
		dst := c[r][j0:]
		finishVec(v0, dst, bias, r0, ep.Act, n0)
		if n1 > 0 {
			finishVec(v1, dst[l:], bias[l:], r1, ep.Act, n1)
		}
	}
	store(0, c00, c01)
	if rows > 1 {
		store(1, c10, c11)
	}
	if rows > 2 {
		store(2, c20, c21)
	}
	if rows > 3 {
		store(3, c30, c31)
	}
	clearUpper() // tiles passes structs with SSE moves (not a defer: costly in wasm)
}

// tileEpilogue is tile's epilogue where separateEpilogue is set (wasm):
// one call per tile instead of one finishVec call per vector (calls are
// costly in Go's wasm code), full tiles with the bias loaded once and
// finishFull inlined, and tile itself stays small, which keeps its k loop
// fast.
func tileEpilogue(c, res *[mr][]float32, acc *[mr][2]simd.Float32s, rows, j0, cols int, ep Epilogue) {
	l := acc[0][0].Len()
	nr := 2 * l
	if cols == nr { // full tile: the bias loaded once, finishFull inlined
		bias := ep.Bias[j0:][:nr]
		bv0, bv1 := simd.LoadFloat32s(bias), simd.LoadFloat32s(bias[l:])
		for r := range rows {
			var r0, r1 []float32
			if ep.Res != nil {
				r0 = res[r][j0:][:nr]
				r1 = r0[l:]
			}
			dst := c[r][j0:][:nr]
			finishFull(acc[r][0], bv0, dst, r0, ep.Act)
			finishFull(acc[r][1], bv1, dst[l:], r1, ep.Act)
		}
		return
	}
	for r := range rows { // the last, partial panel
		for j := j0; j < j0+cols; j += l {
			var rr []float32
			if ep.Res != nil {
				rr = res[r][j:]
			}
			finishVec(acc[r][(j-j0)/l], c[r][j:], ep.Bias[j:], rr, ep.Act, min(l, j0+cols-j))
		}
	}
}

// tilesRowSlices computes panels [p0, p1) of a single row (natively; see
// tilesRow): two panels per call of tileRow, four independent sums.
func tilesRowSlices(c, a, res []float32, b *PackedB, p0, p1 int, ep Epilogue) {
	nr := PanelWidth()
	for p := p0; p < p1; p += 2 {
		q := min(p+1, p1-1) // an odd last panel pairs with itself
		cols := 0
		if q > p {
			cols = min(nr, b.N-q*nr)
		}
		tileRow(c, a, res, b.panel(p), b.panel(q), b.K, p*nr, min(nr, b.N-p*nr), cols, ep)
	}
}

// tileRow is tile for a single row (a linear layer at batch 1, the last
// row of a GEMM whose M is not a multiple of mr), without the three
// repeated rows, for two panels at once: panel p0 gives columns
// [j0, j0+cols0), the next panel p1 the cols1 columns after them (0: p1
// is computed and dropped). Four sums, each column's in the order of
// tile, run side by side: one panel's two would wait on the latency of
// their adds.
func tileRow(c, a, res, p0, p1 []float32, k, j0, cols0, cols1 int, ep Epilogue) {
	var c0, c1, c2, c3 simd.Float32s // running totals
	l := c0.Len()
	nr := 2 * l
	p0, p1 = p0[:k*nr], p1[:k*nr]
	for k0 := 0; k0 < k; k0 += kBlock {
		var s0, s1, s2, s3 simd.Float32s // this block's sums
		for kk, v := range a[k0:min(k, k0+kBlock)] {
			x := simd.BroadcastFloat32s(v)
			p, q := p0[(k0+kk)*nr:][:nr], p1[(k0+kk)*nr:][:nr]
			s0, s1 = x.MulAdd(simd.LoadFloat32s(p), s0), x.MulAdd(simd.LoadFloat32s(p[l:]), s1)
			s2, s3 = x.MulAdd(simd.LoadFloat32s(q), s2), x.MulAdd(simd.LoadFloat32s(q[l:]), s3)
		}
		c0, c1, c2, c3 = c0.Add(s0), c1.Add(s1), c2.Add(s2), c3.Add(s3)
	}
	for i, v := range [4]simd.Float32s{c0, c1, c2, c3} {
		n := min(l, cols0-i*l)
		if i >= 2 {
			n = min(l, cols1-(i-2)*l)
		}
		if n <= 0 {
			continue
		}
		j := j0 + i*l
		if i >= 2 {
			j = j0 + cols0 + (i-2)*l
		}
		var r []float32
		if ep.Res != nil {
			r = res[j:]
		}
		finishVec(v, c[j:], ep.Bias[j:], r, ep.Act, n)
	}
	clearUpper()
}
