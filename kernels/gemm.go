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

// Coop is the workgroup-cooperative layout of the GPU kernel set: a
// workgroup of WM×WN×KS invocations computes a block of BM = WM·TM rows ×
// BN = WN·TN columns (TM×TN the Tile of each invocation). Per step it
// stages the A block [BM × KC·KS] and the B block [KC·KS × BN] in
// workgroup memory with coalesced vec4 loads (every invocation loads a
// strided share), waits at a barrier, and each of the KS groups of WM×WN
// invocations multiplies its own KC-wide slice of K. With KS > 1 (split-K
// inside the workgroup) the groups' partial sums meet in workgroup memory
// after the last step and group 0 adds them and runs the epilogue; so a
// small output (B0's 7×7 stages: 49 rows) still fills many workgroups of
// at least 64 invocations. The zero Coop is the register tiling of the CPU
// set (no workgroup memory).
type Coop struct {
	WM, WN int // invocations along the rows and along the columns
	KS     int // K split across groups of WM×WN invocations (1, 2, 4 or 8)
	KC     int // K values per group and step, a multiple of 4 in 4..32
}

// On reports whether c is a cooperative layout (else the register tiling).
func (c Coop) On() bool { return c.WM > 0 }

// label is the part of a kernel label that c adds after the Tile's (empty
// for the register tiling, so CPU-set labels are unchanged), e.g.
// "_co8x8_kc32" or "_co4x4_kc8_ks4".
func (c Coop) label() string {
	if !c.On() {
		return ""
	}
	s := fmt.Sprintf("_co%dx%d_kc%d", c.WM, c.WN, c.KC)
	if c.KS > 1 {
		s += fmt.Sprintf("_ks%d", c.KS)
	}
	return s
}

// maxWorkgroupStorage is the workgroup memory every WebGPU device offers
// (maxComputeWorkgroupStorageSize default), which a Coop block must fit.
const maxWorkgroupStorage = 16384

// sharedBytes is the workgroup memory of c with tile t: the A block, the B
// block and, with KS > 1, the partial sums of groups 1..KS-1.
func (c Coop) sharedBytes(t Tile) int {
	kt := c.KC * c.KS
	a := c.WM * t.TM * kt / 4
	b := kt * c.WN * t.TN / 4
	red := (c.KS - 1) * c.WM * c.WN * t.TM * t.TN / 4
	return 16 * (a + b + red)
}

// validate checks c with the tile t it extends (nothing when c is off).
func (c Coop) validate(t Tile) error {
	if !c.On() {
		return nil
	}
	switch {
	case c.WM < 1 || c.WN < 1:
		return fmt.Errorf("cooperative tile of %d×%d invocations: want at least 1×1", c.WM, c.WN)
	case c.KS != 1 && c.KS != 2 && c.KS != 4 && c.KS != 8:
		return fmt.Errorf("K split %d: want 1, 2, 4 or 8", c.KS)
	case c.KC < 4 || c.KC > 32 || c.KC%4 != 0:
		return fmt.Errorf("K chunk %d: want a multiple of 4 in 4..32", c.KC)
	case t.TM > 8:
		return fmt.Errorf("cooperative tile rows %d: want at most 8 per invocation", t.TM)
	case t.WG != c.WM*c.WN*c.KS:
		return fmt.Errorf("workgroup size %d ≠ %d×%d×%d invocations of the cooperative tile", t.WG, c.WM, c.WN, c.KS)
	case c.sharedBytes(t) > maxWorkgroupStorage:
		return fmt.Errorf("cooperative tile needs %d bytes of workgroup memory, over %d", c.sharedBytes(t), maxWorkgroupStorage)
	}
	return nil
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
	// Generic: the generic flavour (see generic.go); Dims declares the
	// sizes (constants, or private variables that LoadDims, at the top of
	// main, reads from Params), rendered by renderDims.
	Generic        bool
	Dims, LoadDims string
	// With Coop set (see cooperate): the layout, K4 vec4s along K, the
	// block of BM rows × BN4 vec4 columns, KT4 vec4s of K staged per step,
	// NCBW column blocks and TotalWG workgroups (per gid.z when Batched).
	Coop              bool
	WM, WN, KS, KC4   int
	KV4, BM, BN4, KT4 int
	NCBW, TotalWG     int
	// KBS > 0: blocked summation (see kBlockVec4), the sums added to the
	// totals every KBS steps of KC products; on when a group's share of
	// K exceeds one block.
	KBS int
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

// dims lists the core's sizes (see renderDims); a family appends its own.
func (c gemmCore) dims() []dim {
	var ds []dim
	if c.NOut > 0 {
		ds = append(ds, u32Dim("NOUT", c.NOut))
	}
	return append(ds, u32Dim("M", c.M), u32Dim("N4", c.N4), u32Dim("NCB", c.NCB),
		u32Dim("TOTAL", c.Total), u32Dim("GXI", c.GXI))
}

// generic turns c into the generic flavour with epilogue e: the rows and
// columns may be ragged, the activation is a dim.
func (c gemmCore) generic(e Epilogue) gemmCore {
	c.Generic, c.RaggedRows, c.RaggedCols, c.ActFn = true, true, true, genericActFn(true, e.Act)
	return c
}

// render sets Dims and LoadDims from ds.
func (c *gemmCore) render(ds []dim) {
	c.Dims, c.LoadDims = renderDims(c.Generic, ds)
}

// cooperate turns c into the cooperative layout co of a GEMM with kv4
// vec4s along K (a no-op when co is off).
func (c gemmCore) cooperate(co Coop, kv4 int) gemmCore {
	if !co.On() {
		return c
	}
	c.Coop, c.WM, c.WN, c.KS, c.KC4, c.KV4 = true, co.WM, co.WN, co.KS, co.KC/4, kv4
	c.BM, c.BN4, c.KT4 = co.WM*c.TM, co.WN*c.TN4, co.KS*co.KC/4
	c.NCBW = ceilDiv(c.N4, c.BN4)
	c.TotalWG = ceilDiv(c.M, c.BM) * c.NCBW
	c.RaggedRows, c.RaggedCols = c.M%c.BM != 0, c.N4%c.BN4 != 0
	c.GX, c.GY = grid(c.TotalWG)
	if kv4 > co.KS*kBlockVec4 {
		c.KBS = max(1, kBlockVec4/c.KC4)
	}
	return c
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
