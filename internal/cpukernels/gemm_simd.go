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
	for p := p0; p < p1; p++ {
		j0 := p * nr
		cols := min(nr, b.N-j0)
		switch {
		case rows == 1:
			tileRow(c[0], a[0], res[0], b.panel(p), b.K, j0, cols, ep)
		case ap != nil:
			tilePacked(c, res, rows, ap, b.panel(p), j0, cols, ep)
		default:
			tile(c, a, res, rows, b.panel(p), b.K, j0, cols, ep)
		}
	}
}

// tilePacked is tile for rows packed by packRows (ap, [kp][mr]; wasm, see
// packA), two k steps per iteration, with tileEpilogue. The loop tests its
// end at the bottom and madd adds each product right away: Go's scheduler
// then interleaves the multiplies and adds instead of computing all
// products of an iteration first, which would spill accumulators out of
// wasm's 16 vector registers (with the packing 15–20% faster than tile on
// B0's GEMMs in V8).
func tilePacked(c, res *[mr][]float32, rows int, ap, panel []float32, j0, cols int, ep Epilogue) {
	var c00, c01, c10, c11, c20, c21, c30, c31 simd.Float32s
	l := c00.Len()
	nr := 2 * l
	for {
		pa := (*[kStep * mr]float32)(ap)
		pb := panel[:kStep*nr]
		b0 := simd.LoadFloat32s(pb)
		b1 := simd.LoadFloat32s(pb[l:])
		x := simd.BroadcastFloat32s(pa[0])
		c00 = madd(x, b0, c00)
		c01 = madd(x, b1, c01)
		x = simd.BroadcastFloat32s(pa[1])
		c10 = madd(x, b0, c10)
		c11 = madd(x, b1, c11)
		x = simd.BroadcastFloat32s(pa[2])
		c20 = madd(x, b0, c20)
		c21 = madd(x, b1, c21)
		x = simd.BroadcastFloat32s(pa[3])
		c30 = madd(x, b0, c30)
		c31 = madd(x, b1, c31)
		b0 = simd.LoadFloat32s(pb[nr:])
		b1 = simd.LoadFloat32s(pb[nr+l:])
		x = simd.BroadcastFloat32s(pa[4])
		c00 = madd(x, b0, c00)
		c01 = madd(x, b1, c01)
		x = simd.BroadcastFloat32s(pa[5])
		c10 = madd(x, b0, c10)
		c11 = madd(x, b1, c11)
		x = simd.BroadcastFloat32s(pa[6])
		c20 = madd(x, b0, c20)
		c21 = madd(x, b1, c21)
		x = simd.BroadcastFloat32s(pa[7])
		c30 = madd(x, b0, c30)
		c31 = madd(x, b1, c31)
		if len(ap) <= kStep*mr || len(panel) <= kStep*nr {
			break
		}
		ap, panel = ap[kStep*mr:], panel[kStep*nr:]
	}
	acc := [mr][2]simd.Float32s{{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}}
	tileEpilogue(c, res, &acc, rows, j0, cols, ep)
	clearUpper()
}

// tile computes one mr×PanelWidth micro-tile: rows of a (each k long) times
// the k-major panel, then the epilogue for columns [j0, j0+cols) of the
// first rows rows of c.
func tile(c, a, res *[mr][]float32, rows int, panel []float32, k, j0, cols int, ep Epilogue) {
	var c00, c01, c10, c11, c20, c21, c30, c31 simd.Float32s
	l := c00.Len()
	nr := 2 * l
	a0, a1, a2, a3 := a[0][:k], a[1][:k], a[2][:k], a[3][:k]
	panel = panel[:k*nr]
	kk := 0
	for ; kk+2 <= k; kk += 2 { // two steps per iteration halve the loop overhead
		p := panel[kk*nr:][:2*nr]
		b0 := simd.LoadFloat32s(p)
		b1 := simd.LoadFloat32s(p[l:])
		b2 := simd.LoadFloat32s(p[nr:])
		b3 := simd.LoadFloat32s(p[nr+l:])
		x, y := simd.BroadcastFloat32s(a0[kk]), simd.BroadcastFloat32s(a0[kk+1])
		c00 = y.MulAdd(b2, x.MulAdd(b0, c00))
		c01 = y.MulAdd(b3, x.MulAdd(b1, c01))
		x, y = simd.BroadcastFloat32s(a1[kk]), simd.BroadcastFloat32s(a1[kk+1])
		c10 = y.MulAdd(b2, x.MulAdd(b0, c10))
		c11 = y.MulAdd(b3, x.MulAdd(b1, c11))
		x, y = simd.BroadcastFloat32s(a2[kk]), simd.BroadcastFloat32s(a2[kk+1])
		c20 = y.MulAdd(b2, x.MulAdd(b0, c20))
		c21 = y.MulAdd(b3, x.MulAdd(b1, c21))
		x, y = simd.BroadcastFloat32s(a3[kk]), simd.BroadcastFloat32s(a3[kk+1])
		c30 = y.MulAdd(b2, x.MulAdd(b0, c30))
		c31 = y.MulAdd(b3, x.MulAdd(b1, c31))
	}
	if kk < k { // odd k: the last step
		p := panel[kk*nr:][:nr]
		b0, b1 := simd.LoadFloat32s(p), simd.LoadFloat32s(p[l:])
		x := simd.BroadcastFloat32s(a0[kk])
		c00, c01 = x.MulAdd(b0, c00), x.MulAdd(b1, c01)
		x = simd.BroadcastFloat32s(a1[kk])
		c10, c11 = x.MulAdd(b0, c10), x.MulAdd(b1, c11)
		x = simd.BroadcastFloat32s(a2[kk])
		c20, c21 = x.MulAdd(b0, c20), x.MulAdd(b1, c21)
		x = simd.BroadcastFloat32s(a3[kk])
		c30, c31 = x.MulAdd(b0, c30), x.MulAdd(b1, c31)
	}
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

// tileRow is tile for a single row (a linear layer at batch 1), without
// the three repeated rows.
func tileRow(c, a, res, panel []float32, k, j0, cols int, ep Epilogue) {
	var c0, c1 simd.Float32s
	l := c0.Len()
	nr := 2 * l
	panel = panel[:k*nr]
	for kk, v := range a[:k] {
		p := panel[kk*nr:][:nr]
		x := simd.BroadcastFloat32s(v)
		c0, c1 = x.MulAdd(simd.LoadFloat32s(p), c0), x.MulAdd(simd.LoadFloat32s(p[l:]), c1)
	}
	var r0, r1 []float32
	if ep.Res != nil {
		r0 = res[j0:]
	}
	n0, n1 := min(cols, l), cols-l
	finishVec(c0, c[j0:], ep.Bias[j0:], r0, ep.Act, n0)
	if n1 > 0 {
		if r0 != nil {
			r1 = r0[l:]
		}
		finishVec(c1, c[j0+l:], ep.Bias[j0+l:], r1, ep.Act, n1)
	}
	clearUpper()
}
