//go:build js || cgo

package kernels

// Specialization choice for the dense families (Pointwise, Conv, Linear,
// the Winograd GEMM), kept apart from the WGSL generation.

// gemmTile is a candidate register tile with its speed per useful FMA
// relative to 14×16, measured on lavapipe (process CPU time, texture
// weights, 196×128×512 and 49×1024×256; the ceilings doc agrees): bigger
// tiles do more FMAs per storage load, which is what lavapipe pays for.
type gemmTile struct {
	TM, TN int
	speed  float64
}

// gemmTiles are the tiles the Choose functions consider. 14×8 serves
// column counts N/4 ≡ 2 (mod 4), e.g. 40 channels.
var gemmTiles = []gemmTile{
	{14, 16, 1.00},
	{8, 16, 0.90},
	{7, 16, 0.88},
	{14, 8, 0.85},
	{4, 16, 0.70},
	{4, 8, 0.55},
}

// leanTiles are gemmTiles without the 14-row tiles. lavapipe's shader JIT
// time grows with the unrolled register block: on an empty driver cache a
// 14×16 GEMM took 0.53–0.62 s to compile and dispatch once, 8×16 0.28–0.33
// s and 7×16 0.23–0.25 s. The 14-row tiles are worth that only where they
// run clearly faster.
var leanTiles = func() (lean []gemmTile) {
	for _, t := range gemmTiles {
		if t.TM < 14 {
			lean = append(lean, t)
		}
	}
	return lean
}()

// gemmGroupTarget is the workgroup count a dispatch should reach: lavapipe
// spreads workgroups over its threads, so fewer than this leaves cores idle.
const gemmGroupTarget = 4

// chooseGemmTile picks the tile and workgroup size for an M×(4·n4) output
// among tiles: the best estimated speed, counting the padded (wasted)
// rows and columns and the cores left idle by too few workgroups.
func chooseGemmTile(m, n4 int, tiles []gemmTile) Tile {
	t, _ := scoreGemmTileBatch(m, n4, 1, tiles)
	return t
}

// scoreGemmTileBatch is chooseGemmTile for batch independent GEMMs of the
// same shape in one dispatch (workgroups = batch × those of one), with the
// chosen tile's score: its estimated speed relative to a perfectly used
// 14×16 tile.
func scoreGemmTileBatch(m, n4, batch int, tiles []gemmTile) (Tile, float64) {
	var best Tile
	bestScore := -1.0
	for _, c := range tiles {
		tn4 := c.TN / 4
		rb, cb := ceilDiv(m, c.TM), ceilDiv(n4, tn4)
		inv := rb * cb
		util := float64(m*n4) / float64(rb*c.TM*cb*tn4)
		wg := gemmWorkgroup(inv, batch)
		groups := ceilDiv(inv, wg)
		lanes := float64(inv) / float64(groups*wg) // invocations doing work
		score := c.speed * util * lanes * gemmParallelism(batch*groups)
		if score > bestScore+1e-9 {
			best, bestScore = Tile{TM: c.TM, TN: c.TN, WG: wg}, score
		}
	}
	return best, bestScore
}

// gemmWorkgroup picks 32, 16 or 8 invocations per workgroup for batch
// dispatches of invocations each: among the sizes giving at least
// gemmGroupTarget workgroups (8 when none does), the one that keeps
// lavapipe's threads busiest and wastes the fewest lanes of the last
// workgroup of each dispatch, the largest on ties. (Fewer than 8 would
// leave lanes of llvmpipe's 8-wide vectors idle: wg 4 measured 1.7–2×
// slower than 8, 16 and 32, which measured alike.)
func gemmWorkgroup(invocations, batch int) int {
	best, bestPar := 8, -1.0
	for _, wg := range []int{32, 16, 8} {
		groups := ceilDiv(invocations, wg)
		if batch*groups < gemmGroupTarget && wg > 8 {
			continue
		}
		lanes := float64(invocations) / float64(groups*wg)
		if p := gemmParallelism(batch*groups) * lanes; p > bestPar+1e-9 {
			best, bestPar = wg, p
		}
	}
	return best
}

// gemmParallelism is the fraction of lavapipe's 2 threads kept busy by
// groups equal workgroups: 1 group uses one thread, 3 groups take two rounds.
func gemmParallelism(groups int) float64 {
	const threads = 2
	rounds := ceilDiv(groups, threads)
	return float64(groups) / float64(threads*rounds)
}

// ChoosePointwise picks the specialization of a 1×1 convolution
// C[m×n] = A[m×k]·B[k×n] with the given epilogue: the register tile with
// the best estimated throughput and weights in a texture whenever they fit.
// It considers the 14-row tiles only for GEMMs of at least wideTileRows
// rows and wideTileFLOPs: on B0's seven 49-row shapes 7×16 ran as fast as
// 14×16 (within ±10 %, either way), while at 196 rows 14×16 ran 8–12 %
// faster; but a 14-row tile costs about 0.3 s more shader compilation, which
// only the larger GEMMs win back (0.1–0.15 ms a run for B0's 25.7-MFLOP
// ones, 0.04–0.1 ms for its 12.8-MFLOP ones).
func ChoosePointwise(m, k, n int, e Epilogue) Pointwise {
	tiles := gemmTiles
	if m < wideTileRows || 2*m*k*n < wideTileFLOPs {
		tiles = leanTiles
	}
	return Pointwise{M: m, K: k, N: n, Tile: chooseGemmTile(m, n/4, tiles), Tex: texFits(k, n), Epilogue: e}
}

// The least rows and FLOPs for which ChoosePointwise considers the 14-row
// tiles.
const (
	wideTileRows  = 196
	wideTileFLOPs = 20e6
)

// The GPU set's dense tiles. Facts from the anchors' GPU kernels (no code):
// tfjs-backend-webgpu's matmul_packed_webgpu.ts and conv2d_mm_webgpu.ts
// run 8×8 invocations × 4×4 outputs (32×32 blocks) with a 32-wide K chunk
// in workgroup memory and vec4 loads; ONNX Runtime's WebGPU MatMul uses the
// same 8×8×(4×4) shape; ggml's WebGPU mul_mat stages tiles in workgroup
// memory too and reduces GEMV-like products (few rows) across invocations.
// A GPU hides memory latency only with many workgroups in flight: a layer
// should give every compute unit at least about 4 of them. WebGPU does not
// report the number of compute units, so the choice assumes
// gpuComputeUnits (a mid-range discrete GPU; integrated ones have fewer, and
// a bigger GPU is underfilled at batch 1 whatever the tile).
const (
	gpuComputeUnits = 32
	gpuGroupTarget  = 4 * gpuComputeUnits
)

// coopTile is a candidate tile of the GPU set: the invocation tile with
// its cooperative layout.
type coopTile struct {
	Tile
	Coop
}

// coopTiles are the GPU set's tiles, from the most reuse per staged value
// (largest block) to the most parallelism; all have 64–256 invocations of
// 4×4 or 8×4 outputs and fit 16 KiB of workgroup memory:
//
//	64×64 block, 16×16 invocations, K chunk 16 (8 KiB)
//	64×32 block,  8×8 invocations of 8×4, K chunk 16 (6 KiB)
//	32×32 block,  8×8 invocations, K chunk 32 (8 KiB): tfjs's shape
//	32×16 block,  8×4 invocations × 2 K groups of 16 (8 KiB)
//	16×16 block,  4×4 invocations × 4 K groups of 8 (7 KiB)
//
// The split-K blocks serve B0's 7×7 stages at batch 1 (49 rows): the
// 32×32 block gives 2 × N/32 workgroups there (16 for N = 256), the 16×16
// split-K block 4 × N/16 (64), each of its 64 invocations doing a quarter
// of K.
var coopTiles = []coopTile{
	{Tile{TM: 4, TN: 4, WG: 256}, Coop{WM: 16, WN: 16, KS: 1, KC: 16}},
	{Tile{TM: 8, TN: 4, WG: 64}, Coop{WM: 8, WN: 8, KS: 1, KC: 16}},
	{Tile{TM: 4, TN: 4, WG: 64}, Coop{WM: 8, WN: 8, KS: 1, KC: 32}},
	{Tile{TM: 4, TN: 4, WG: 64}, Coop{WM: 8, WN: 4, KS: 2, KC: 16}},
	{Tile{TM: 4, TN: 4, WG: 64}, Coop{WM: 4, WN: 4, KS: 4, KC: 8}},
}

// chooseCoopTile picks the GPU-set tile, among those within t's limits, of batch GEMMs of M×(4·n4) outputs
// and k4 vec4s along K: the first of coopTiles (the most reuse) that fills
// gpuGroupTarget workgroups with at least 3/4 of its block outputs used
// (a split-K tile only when K spans at least two staged steps, else its
// groups would idle); when none does, the one with
// the most useful parallel work (workgroups × used fraction), the earlier on
// ties. This is a rule from the anchors' facts and FLOP/bandwidth counts,
// not a measurement: no GPU was at hand (see the package README).
func (t Target) chooseCoopTile(m, n4, k4, batch int) (Tile, Coop) {
	best, bestWork := coopTiles[len(coopTiles)-1], -1.0
	for _, c := range coopTiles {
		if c.KS > 1 && k4 < c.KS*c.KC/4*2 {
			continue // too little K to split: fewer than two staged steps
		}
		if !t.fits(c.WG, c.sharedBytes(c.Tile)) {
			continue // over the device's limits (all fit the WebGPU defaults but 64×64's 256 invocations)
		}
		bm, bn4 := c.WM*c.TM, c.WN*c.TN/4
		rb, cb := ceilDiv(m, bm), ceilDiv(n4, bn4)
		groups := batch * rb * cb
		util := float64(m*n4) / float64(rb*bm*cb*bn4)
		if groups >= gpuGroupTarget && util >= 0.75 {
			return c.Tile, c.Coop
		}
		if w := float64(min(groups, gpuGroupTarget)) * util; w > bestWork+1e-9 {
			best, bestWork = c, w
		}
	}
	return best.Tile, best.Coop
}

// pointwiseGPU is the GPU set's 1×1 convolution: a cooperative tile and
// the weights in a storage buffer (staged through workgroup memory with
// coalesced vec4 loads, no texture-size limit).
func (t Target) pointwiseGPU(m, k, n int, e Epilogue) Pointwise {
	tile, co := t.chooseCoopTile(m, n/4, k/4, 1)
	return Pointwise{M: m, K: k, N: n, Tile: tile, Coop: co, Epilogue: e}
}

// convGPU is the GPU set's dense k×k convolution (implicit GEMM).
func (t Target) convGPU(n, h, w, cin, cout, k, stride int, e Epilogue) Conv {
	c := Conv{N: n, H: h, W: w, Cin: cin, Cout: cout, K: k, Stride: stride, Epilogue: e}
	c.Tile, c.Coop = t.chooseCoopTile(c.Rows(), cout/4, k*k*cin/4, 1)
	return c
}

// linearGPU is the GPU set's fully connected layer.
func (t Target) linearGPU(batch, k, n int, e Epilogue) Linear {
	tile, co := t.chooseCoopTile(batch, ceilDiv(n, 4), k/4, 1)
	return Linear{Batch: batch, K: k, N: n, Tile: tile, Coop: co, Epilogue: e}
}
