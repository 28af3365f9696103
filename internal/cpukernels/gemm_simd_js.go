//go:build goexperiment.simd && js

package cpukernels

import (
	"fmt"
	"simd"
	"simd/archsimd"
	"unsafe"
)

// packA makes GemmBlock pack each block of mr rows of A k-major
// (packRows) for the micro-tile's wasm loop (tilesPacked), which then
// reads the mr values of a k step with one vector load (packing made the
// loop 15–20% faster in V8 than indexing mr row slices).
const packA = true

// minPackedPanels is the fewest column panels over which packing a block of
// rows pays (B0's stem conv, 2 panels, is faster unpacked).
const minPackedPanels = 3

// vec is the vector at p: wasm SIMD128, 4 float32s.
func vec(p unsafe.Pointer) simd.Float32s { return *(*simd.Float32s)(p) }

// tilesPacked computes the micro-tiles of column panels [p0, p1) for one
// block of rows rows packed by packRows (ap, [kp][mr]) in wasm: for each
// panel, mr×PanelWidth sums over K in blocks of kBlock steps (the order
// of tile), four k steps per iteration, then the epilogue.
//
// Go's wasm code pays for a bounds check or a slice update about as much
// as for a vector operation, and for a call's arguments in memory: the
// loops here read and write through pointers, after one check at entry
// that every operand holds what the loops touch (a mismatch panics with a
// message, before any access), and one call covers all panels of the
// row block, with the epilogue of a full tile inline.
func tilesPacked(c, res *[mr][]float32, rows int, ap []float32, b *PackedB, p0, p1 int, ep Epilogue) {
	const l, nr, f = 4, 8, 4 // lanes, panel width, bytes per float32
	kp := b.kp
	jEnd := min(b.N, p1*nr) // the columns written
	if rows < 1 || rows > mr || p0 < 0 || p1 > b.Panels() || p0 >= p1 || kp%kStep != 0 ||
		len(ap) < kp*mr || len(b.data) < p1*kp*nr || len(ep.Bias) < jEnd || PanelWidth() != nr {
		panic(fmt.Sprintf("cpukernels: packed GEMM block does not match its operands (rows %d, panels [%d, %d) of %d, k %d, packed A %d, bias %d)",
			rows, p0, p1, b.Panels(), kp, len(ap), len(ep.Bias)))
	}
	var dst, rsd [mr]unsafe.Pointer // each row's first column of C and of the residual
	for r := range rows {
		if len(c[r]) < jEnd || ep.Res != nil && len(res[r]) < jEnd {
			panic(fmt.Sprintf("cpukernels: packed GEMM block row %d holds fewer than %d columns", r, jEnd))
		}
		dst[r] = unsafe.Pointer(unsafe.SliceData(c[r]))
		if ep.Res != nil {
			rsd[r] = unsafe.Pointer(unsafe.SliceData(res[r]))
		}
	}
	pa := unsafe.Pointer(unsafe.SliceData(ap))
	bias := unsafe.Pointer(unsafe.SliceData(ep.Bias))
	for p := p0; p < p1; p++ {
		j0 := p * nr
		var tot [2 * mr]archsimd.Float32x4 // running totals, in memory (the k loop keeps the registers)
		if kp > 0 {
			pb := unsafe.Pointer(unsafe.SliceData(b.data[p*kp*nr:]))
			for k0 := 0; k0 < kp; k0 += kBlock {
				// One block of at most kBlock k steps, summed from zero (see kBlock).
				oa, ob := k0*mr*f, k0*nr*f
				end := min(kp, k0+kBlock) * mr * f
				var c00, c01, c10, c11, c20, c21, c30, c31 archsimd.Float32x4
				for {
					// One statement a line, each product added right away:
					// Go's scheduler then keeps the sums in its 16 vector
					// registers (no spills). Four k steps an iteration, two
					// more than kStep: the check between them ends a block of
					// 2 (mod 4) steps (and made V8's code of the loop faster
					// even where it never ends one, measured). A k step's mr
					// values of A come in one vector load, each broadcast
					// from its lane (2–4% faster than four scalar loads).
					b0 := archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(pb, ob)))
					b1 := archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(pb, ob+16)))
					av0 := archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(pa, oa)))
					x := archsimd.BroadcastFloat32x4(av0.GetElem(0))
					c00 = c00.Add(x.Mul(b0))
					c01 = c01.Add(x.Mul(b1))
					x = archsimd.BroadcastFloat32x4(av0.GetElem(1))
					c10 = c10.Add(x.Mul(b0))
					c11 = c11.Add(x.Mul(b1))
					x = archsimd.BroadcastFloat32x4(av0.GetElem(2))
					c20 = c20.Add(x.Mul(b0))
					c21 = c21.Add(x.Mul(b1))
					x = archsimd.BroadcastFloat32x4(av0.GetElem(3))
					c30 = c30.Add(x.Mul(b0))
					c31 = c31.Add(x.Mul(b1))
					b0 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(pb, ob+32)))
					b1 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(pb, ob+48)))
					av1 := archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(pa, oa+16)))
					x = archsimd.BroadcastFloat32x4(av1.GetElem(0))
					c00 = c00.Add(x.Mul(b0))
					c01 = c01.Add(x.Mul(b1))
					x = archsimd.BroadcastFloat32x4(av1.GetElem(1))
					c10 = c10.Add(x.Mul(b0))
					c11 = c11.Add(x.Mul(b1))
					x = archsimd.BroadcastFloat32x4(av1.GetElem(2))
					c20 = c20.Add(x.Mul(b0))
					c21 = c21.Add(x.Mul(b1))
					x = archsimd.BroadcastFloat32x4(av1.GetElem(3))
					c30 = c30.Add(x.Mul(b0))
					c31 = c31.Add(x.Mul(b1))
					if oa+2*mr*f == end { // a block of 2 (mod 4) steps
						break
					}
					b0 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(pb, ob+64)))
					b1 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(pb, ob+80)))
					av2 := archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(pa, oa+32)))
					x = archsimd.BroadcastFloat32x4(av2.GetElem(0))
					c00 = c00.Add(x.Mul(b0))
					c01 = c01.Add(x.Mul(b1))
					x = archsimd.BroadcastFloat32x4(av2.GetElem(1))
					c10 = c10.Add(x.Mul(b0))
					c11 = c11.Add(x.Mul(b1))
					x = archsimd.BroadcastFloat32x4(av2.GetElem(2))
					c20 = c20.Add(x.Mul(b0))
					c21 = c21.Add(x.Mul(b1))
					x = archsimd.BroadcastFloat32x4(av2.GetElem(3))
					c30 = c30.Add(x.Mul(b0))
					c31 = c31.Add(x.Mul(b1))
					b0 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(pb, ob+96)))
					b1 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(pb, ob+112)))
					av3 := archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(pa, oa+48)))
					x = archsimd.BroadcastFloat32x4(av3.GetElem(0))
					c00 = c00.Add(x.Mul(b0))
					c01 = c01.Add(x.Mul(b1))
					x = archsimd.BroadcastFloat32x4(av3.GetElem(1))
					c10 = c10.Add(x.Mul(b0))
					c11 = c11.Add(x.Mul(b1))
					x = archsimd.BroadcastFloat32x4(av3.GetElem(2))
					c20 = c20.Add(x.Mul(b0))
					c21 = c21.Add(x.Mul(b1))
					x = archsimd.BroadcastFloat32x4(av3.GetElem(3))
					c30 = c30.Add(x.Mul(b0))
					c31 = c31.Add(x.Mul(b1))
					oa, ob = oa+4*mr*f, ob+4*nr*f
					if oa == end {
						break
					}
				}
				tot[0], tot[1], tot[2], tot[3] = tot[0].Add(c00), tot[1].Add(c01), tot[2].Add(c10), tot[3].Add(c11)
				tot[4], tot[5], tot[6], tot[7] = tot[4].Add(c20), tot[5].Add(c21), tot[6].Add(c30), tot[7].Add(c31)
			}
		}
		// The epilogue, on the same vectors as simd's type: the last,
		// partial panel with tileEpilogue, full ones inline.
		acc := (*[2 * mr]simd.Float32s)(unsafe.Pointer(&tot))
		if j0+nr > jEnd {
			tileEpilogue(c, res, (*[mr][2]simd.Float32s)(unsafe.Pointer(&tot)), rows, j0, jEnd-j0, ep)
			continue
		}
		bv0, bv1 := vec(unsafe.Add(bias, j0*f)), vec(unsafe.Add(bias, (j0+l)*f))
		for r := range rows {
			v0, v1 := actVec(acc[2*r].Add(bv0), ep.Act), actVec(acc[2*r+1].Add(bv1), ep.Act)
			if ep.Res != nil {
				v0, v1 = v0.Add(vec(unsafe.Add(rsd[r], j0*f))), v1.Add(vec(unsafe.Add(rsd[r], (j0+l)*f)))
			}
			*(*simd.Float32s)(unsafe.Add(dst[r], j0*f)) = v0
			*(*simd.Float32s)(unsafe.Add(dst[r], (j0+l)*f)) = v1
		}
	}
}

// tilesRow computes column panels [p0, p1) of a single row of A (a
// linear layer at batch 1, the last row of a GEMM whose M is not a
// multiple of mr) in wasm: tileRow's sums in tileRow's order (two panels
// at a time, four independent sums), read and written through pointers
// after one check at entry, as tilesPacked.
func tilesRow(c, a, res []float32, b *PackedB, p0, p1 int, ep Epilogue) {
	const l, nr, f = 4, 8, 4 // lanes, panel width, bytes per float32
	k, kp := b.K, b.kp
	jEnd := min(b.N, p1*nr) // the columns written
	if p0 < 0 || p1 > b.Panels() || p0 >= p1 || len(a) < k || len(b.data) < p1*kp*nr || len(c) < jEnd ||
		len(ep.Bias) < jEnd || ep.Res != nil && len(res) < jEnd || PanelWidth() != nr {
		panic(fmt.Sprintf("cpukernels: GEMM row does not match its operands (panels [%d, %d) of %d, k %d, row %d, C %d, bias %d)",
			p0, p1, b.Panels(), k, len(a), len(c), len(ep.Bias)))
	}
	if k == 0 {
		tilesRowSlices(c, a, res, b, p0, p1, ep)
		return
	}
	pa := unsafe.Pointer(unsafe.SliceData(a))
	dst := unsafe.Pointer(unsafe.SliceData(c))
	bias := unsafe.Pointer(unsafe.SliceData(ep.Bias))
	var rsd unsafe.Pointer
	if ep.Res != nil {
		rsd = unsafe.Pointer(unsafe.SliceData(res))
	}
	for p := p0; p < p1; p += 2 {
		q := min(p+1, p1-1) // an odd last panel pairs with itself
		pb, qb := unsafe.Pointer(unsafe.SliceData(b.data[p*kp*nr:])), unsafe.Pointer(unsafe.SliceData(b.data[q*kp*nr:]))
		var sums [4]archsimd.Float32x4 // running totals: panel p's two vectors, then q's
		for k0 := 0; k0 < k; k0 += kBlock {
			oa, ob := k0*f, k0*nr*f
			end := min(k, k0+kBlock) * f
			var s0, s1, s2, s3 archsimd.Float32x4 // this block's sums
			for {
				x := archsimd.BroadcastFloat32x4(*(*float32)(unsafe.Add(pa, oa)))
				s0 = s0.Add(x.Mul(archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(pb, ob)))))
				s1 = s1.Add(x.Mul(archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(pb, ob+16)))))
				s2 = s2.Add(x.Mul(archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(qb, ob)))))
				s3 = s3.Add(x.Mul(archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(qb, ob+16)))))
				oa, ob = oa+f, ob+nr*f
				if oa == end {
					break
				}
			}
			sums[0], sums[1], sums[2], sums[3] = sums[0].Add(s0), sums[1].Add(s1), sums[2].Add(s2), sums[3].Add(s3)
		}
		acc := (*[4]simd.Float32s)(unsafe.Pointer(&sums)) // the same vectors, as simd's type
		for i := range 4 {
			j := p*nr + i*l // panel q's columns follow panel p's: q = p+1, or q = p and dropped
			if i >= 2 && q == p {
				break
			}
			if n := min(l, jEnd-j); n < l { // a partial vector
				if n > 0 {
					var r []float32
					if ep.Res != nil {
						r = res[j:]
					}
					finishVec(acc[i], c[j:], ep.Bias[j:], r, ep.Act, n)
				}
				continue
			}
			v := actVec(acc[i].Add(vec(unsafe.Add(bias, j*f))), ep.Act)
			if ep.Res != nil {
				v = v.Add(vec(unsafe.Add(rsd, j*f)))
			}
			*(*simd.Float32s)(unsafe.Add(dst, j*f)) = v
		}
	}
}
