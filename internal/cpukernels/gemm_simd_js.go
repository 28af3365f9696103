//go:build goexperiment.simd && js

package cpukernels

import "simd"

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
