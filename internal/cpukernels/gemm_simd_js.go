//go:build goexperiment.simd && js

package cpukernels

import (
	"simd"
	"simd/archsimd"
	"unsafe"
)

// packA makes GemmBlock pack each block of mr rows of A k-major
// (packRows) for the micro-tile's wasm loop, which then reads the mr
// values of a k step from one place with one bounds check instead of
// indexing mr row slices (with tilePacked's loop 15–20% faster in V8).
const packA = true

// minPackedPanels is the fewest column panels over which packing a block of
// rows pays (B0's stem conv, 2 panels, is faster unpacked).
const minPackedPanels = 3

// madd is c + x·b for the GEMM micro-tile's wasm loop. Wasm SIMD128 has
// no fused multiply-add (MulAdd is a multiply and an add there too);
// written as two operations the product is added right away, which keeps
// Go's scheduler from computing all of a micro-tile's products before its
// sums and spilling accumulators out of the 16 vector registers.
func madd(x, b, c simd.Float32s) simd.Float32s { return c.Add(x.Mul(b)) }

// tilePacked is tile for rows packed by packRows (ap, [kp][mr]) in wasm:
// EXPERIMENT.
func tilePacked(c, res *[mr][]float32, rows int, ap, panel []float32, j0, cols int, ep Epilogue) {
	const nr, f = 8, 4 // panel width, bytes per float32
	kp := len(ap) / mr
	if len(ap) != kp*mr || kp%kStep != 0 || len(panel) < kp*nr {
		panic("cpukernels: packed micro-tile operands do not match")
	}
	var tot [2 * mr]archsimd.Float32x4 // running totals, in memory
	if kp > 0 {
		pa := unsafe.Pointer(unsafe.SliceData(ap))
		pb := unsafe.Pointer(unsafe.SliceData(panel))
		for k0 := 0; k0 < kp; k0 += kBlock {
			// One block of at most kBlock k steps, summed from zero (see kBlock).
			oa, ob := k0*mr*f, k0*nr*f
			end := min(kp, k0+kBlock) * mr * f
			var c00, c01, c10, c11, c20, c21, c30, c31 archsimd.Float32x4
			for {
				b0 := archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(pb, ob)))
				b1 := archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(pb, ob+16)))
				x := archsimd.BroadcastFloat32x4(*(*float32)(unsafe.Add(pa, oa)))
				c00 = c00.Add(x.Mul(b0))
				c01 = c01.Add(x.Mul(b1))
				x = archsimd.BroadcastFloat32x4(*(*float32)(unsafe.Add(pa, oa+4)))
				c10 = c10.Add(x.Mul(b0))
				c11 = c11.Add(x.Mul(b1))
				x = archsimd.BroadcastFloat32x4(*(*float32)(unsafe.Add(pa, oa+8)))
				c20 = c20.Add(x.Mul(b0))
				c21 = c21.Add(x.Mul(b1))
				x = archsimd.BroadcastFloat32x4(*(*float32)(unsafe.Add(pa, oa+12)))
				c30 = c30.Add(x.Mul(b0))
				c31 = c31.Add(x.Mul(b1))
				b0 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(pb, ob+32)))
				b1 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(pb, ob+48)))
				x = archsimd.BroadcastFloat32x4(*(*float32)(unsafe.Add(pa, oa+16)))
				c00 = c00.Add(x.Mul(b0))
				c01 = c01.Add(x.Mul(b1))
				x = archsimd.BroadcastFloat32x4(*(*float32)(unsafe.Add(pa, oa+20)))
				c10 = c10.Add(x.Mul(b0))
				c11 = c11.Add(x.Mul(b1))
				x = archsimd.BroadcastFloat32x4(*(*float32)(unsafe.Add(pa, oa+24)))
				c20 = c20.Add(x.Mul(b0))
				c21 = c21.Add(x.Mul(b1))
				x = archsimd.BroadcastFloat32x4(*(*float32)(unsafe.Add(pa, oa+28)))
				c30 = c30.Add(x.Mul(b0))
				c31 = c31.Add(x.Mul(b1))
				if oa+2*mr*f == end {
					break
				}
				b0 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(pb, ob+64)))
				b1 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(pb, ob+80)))
				x = archsimd.BroadcastFloat32x4(*(*float32)(unsafe.Add(pa, oa+32)))
				c00 = c00.Add(x.Mul(b0))
				c01 = c01.Add(x.Mul(b1))
				x = archsimd.BroadcastFloat32x4(*(*float32)(unsafe.Add(pa, oa+36)))
				c10 = c10.Add(x.Mul(b0))
				c11 = c11.Add(x.Mul(b1))
				x = archsimd.BroadcastFloat32x4(*(*float32)(unsafe.Add(pa, oa+40)))
				c20 = c20.Add(x.Mul(b0))
				c21 = c21.Add(x.Mul(b1))
				x = archsimd.BroadcastFloat32x4(*(*float32)(unsafe.Add(pa, oa+44)))
				c30 = c30.Add(x.Mul(b0))
				c31 = c31.Add(x.Mul(b1))
				b0 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(pb, ob+96)))
				b1 = archsimd.LoadFloat32x4Array((*[4]float32)(unsafe.Add(pb, ob+112)))
				x = archsimd.BroadcastFloat32x4(*(*float32)(unsafe.Add(pa, oa+48)))
				c00 = c00.Add(x.Mul(b0))
				c01 = c01.Add(x.Mul(b1))
				x = archsimd.BroadcastFloat32x4(*(*float32)(unsafe.Add(pa, oa+52)))
				c10 = c10.Add(x.Mul(b0))
				c11 = c11.Add(x.Mul(b1))
				x = archsimd.BroadcastFloat32x4(*(*float32)(unsafe.Add(pa, oa+56)))
				c20 = c20.Add(x.Mul(b0))
				c21 = c21.Add(x.Mul(b1))
				x = archsimd.BroadcastFloat32x4(*(*float32)(unsafe.Add(pa, oa+60)))
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
	tileEpilogue(c, res, (*[mr][2]simd.Float32s)(unsafe.Pointer(&tot)), rows, j0, cols, ep)
}
