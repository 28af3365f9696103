//go:build goexperiment.simd && !js

package cpukernels

import "simd"

// packA: natively the micro-tile reads the rows of A in place (with AVX
// panels of 16 or 32 columns, packing costs more than it saves).
const packA = false

// minPackedPanels: see gemm_simd_js.go.
const minPackedPanels = 0

// madd is c + x·b, fused (only the wasm loop of the micro-tile uses it).
func madd(x, b, c simd.Float32s) simd.Float32s { return x.MulAdd(b, c) }

// tilePacked is never called natively: packA is false, so GemmBlock never
// packs rows of A (the wasm micro-tile is in gemm_simd_js.go).
func tilePacked(c, res *[mr][]float32, rows int, ap, panel []float32, j0, cols int, ep Epilogue) {
	panic("cpukernels: the packed GEMM micro-tile is wasm-only (packA is false natively)")
}
