//go:build goexperiment.simd && !js

package cpukernels

// packA: natively the micro-tile reads the rows of A in place (with AVX
// panels of 16 or 32 columns, packing costs more than it saves).
const packA = false

// minPackedPanels: see gemm_simd_js.go.
const minPackedPanels = 0

// tilesPacked is never called natively: packA is false, so GemmBlock never
// packs rows of A (the wasm micro-tile is in gemm_simd_js.go).
func tilesPacked(c, res *[mr][]float32, rows int, ap []float32, b *PackedB, p0, p1 int, ep Epilogue) {
	panic("cpukernels: the packed GEMM micro-tile is wasm-only (packA is false natively)")
}

// tilesRow computes column panels [p0, p1) of a single row of A.
func tilesRow(c, a, res []float32, b *PackedB, p0, p1 int, ep Epilogue) {
	tilesRowSlices(c, a, res, b, p0, p1, ep)
}
