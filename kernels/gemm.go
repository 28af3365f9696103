//go:build js || cgo

package kernels

import "fmt"

// This file holds what the dense families (Pointwise, Conv, Linear,
// ConvTranspose, WinogradGemm) share: the register tile, the fused
// epilogue, and the template data of the common GEMM core in
// shaders/gemm.wgsl.

// MaxTextureDim is the 2-D texture side every WebGPU device supports
// (maxTextureDimension2D default). Weights go into a texture only when both
// of its sides fit.
const MaxTextureDim = 8192

// Tile is the register block of one invocation: TM output rows × TN output
// columns (TN a multiple of 4, held as TN/4 vec4 accumulators per row),
// with WG invocations per (1-D) workgroup. Invocation i computes column
// block i mod ⌈N/TN⌉ of row block i div ⌈N/TN⌉; blocks that run past M or N
// are clamped on load and masked on store, so any M and N work.
type Tile struct {
	TM, TN, WG int
}

// String names the tile for labels, e.g. "r14x16_wg32".
func (t Tile) String() string { return fmt.Sprintf("r%dx%d_wg%d", t.TM, t.TN, t.WG) }

func (t Tile) validate() error {
	switch {
	case t.TM < 1 || t.TM > 32:
		return fmt.Errorf("tile rows %d outside 1..32", t.TM)
	case t.TN < 4 || t.TN > 32 || t.TN%4 != 0:
		return fmt.Errorf("tile columns %d not a multiple of 4 in 4..32", t.TN)
	}
	return validateWorkgroup(t.WG)
}

// gemmCore is the template data of the shared GEMM core: rows M of the
// output, N4 vec4 output columns, the tile, the B source and the epilogue.
type gemmCore struct {
	M, N4, TM, TN4, WG int
	NCB, Total, GXI    int    // column blocks, invocations, invocations per grid row
	RaggedRows         bool   // TM does not divide M
	RaggedCols         bool   // TN/4 does not divide N4
	Tex                bool   // B is an rgba32float texture, texel (n4, k)
	ActFn              string // the activation's WGSL function, "" for none
	Residual           bool
	NOut               int    // > 0: scalar stores of NOut columns (N not a multiple of 4)
	Batched            bool   // gid.z selects one of several GEMMs; raw accumulators, no bias
	GX, GY             int    // dispatch grid
	Decls              string // the WGSL declarations of the bindings
}

// newGemmCore derives the dispatch geometry of an M×(4·n4) output.
func newGemmCore(m, n4 int, t Tile, tex bool, e Epilogue, nOut int) gemmCore {
	tn4 := t.TN / 4
	ncb := ceilDiv(n4, tn4)
	total := ceilDiv(m, t.TM) * ncb
	gx, gy := grid(ceilDiv(total, t.WG))
	return gemmCore{
		M: m, N4: n4, TM: t.TM, TN4: tn4, WG: t.WG,
		NCB: ncb, Total: total, GXI: gx * t.WG,
		RaggedRows: m%t.TM != 0, RaggedCols: n4%tn4 != 0,
		Tex: tex, ActFn: wgslAct(e.Act), Residual: e.Residual, NOut: nOut,
		GX: gx, GY: gy,
	}
}

// gemmBindings is the binding list shared by the dense families: the
// input A, the weights B (a texture when tex), Bias, the residual R (when
// residual) and the output C.
func gemmBindings(tex, residual bool) []Binding {
	return withEpilogue([]Binding{input("A"), weights("B", tex), input("Bias")}, residual, output("C"))
}

// texFits reports whether a [k][n] weight matrix fits an rgba32float
// texture of width ⌈n/4⌉ and height k.
func texFits(k, n int) bool { return k <= MaxTextureDim && ceilDiv(n, 4) <= MaxTextureDim }

// texLabel is the label part of the B source.
func texLabel(tex bool) string {
	if tex {
		return "tex"
	}
	return "buf"
}
