//go:build js || cgo

package kernels

import "github.com/lowformer/lowformer-webgpu/tuning"

// Set names a family of kernel specializations, each shaped for one kind
// of adapter. Both sets compute the same results within f32 rounding; they
// differ in how the work is cut into invocations and workgroups.
type Set string

const (
	// SetCPU is shaped for CPU adapters (lavapipe, SwiftShader): large
	// per-invocation register tiles, 8–32 invocations per workgroup and
	// no workgroup memory, tuned for a few CPU threads.
	SetCPU Set = "cpu"
	// SetGPU is shaped for real GPUs: many invocations in flight,
	// workgroup-cooperative tiles staged in workgroup memory and modest
	// registers per invocation.
	SetGPU Set = "gpu"
)

// Target is what the Choose methods specialize kernels for: the kernel set
// and the optional adapter features the set may use. The zero Target is
// the CPU set without optional features.
//
// The CPU set ignores the optional features. The GPU set's use of them in
// the depthwise, attention, GroupNorm, LayerNorm, ConvTranspose and
// mean-pool families:
//
//   - F16: none. Even the most conservative use, f16 storage of the
//     depthwise weights with f32 accumulation, moves b0's logits 6.0e-3
//     from the reference (E1's 2.5e-4), over the 2e-4 budget (model's
//     TestF16DepthwiseWeightsExceedBudget); f16 activations or math lose
//     more.
//   - Subgroups: the GroupNorm statistics and LayerNorm reduce with
//     subgroupAdd (two workgroup sums instead of a tree), the attention
//     takes its softmax max and sum with subgroupMax and subgroupAdd. Each
//     such kernel is Optional: where its WGSL does not compile, a Cache
//     builds its twin without subgroups.
type Target struct {
	Set Set
	// F16 reports that the adapter offers shader-f16.
	F16 bool
	// Subgroups reports that the adapter offers subgroup operations.
	Subgroups bool
	// MaxInvocations and MaxWorkgroupStorage are the device's
	// maxComputeInvocationsPerWorkgroup and maxComputeWorkgroupStorageSize,
	// which the GPU set's workgroups stay within (a compatibility-mode
	// adapter may offer 128 invocations); zero means the WebGPU defaults,
	// 256 and 16384 bytes.
	MaxInvocations, MaxWorkgroupStorage int
	// Tuned, when set, is the adapter's tuning table: the dense families'
	// Choose methods take its choice for a kernel key it holds when that
	// choice is legal for the shape and limits (see tune.go), and the
	// set's rules otherwise.
	Tuned *tuning.Table
	// Generic, when set, asks for the generic flavour of each family that
	// has one (see generic.go): sizes read at run time, a fixed small tile,
	// no tuning; dense convolutions of any kernel size, 1×1 ones and the
	// Winograd-eligible ones included, are all generic Convs. A progressive
	// plan starts on these.
	Generic bool
}

// Specialized is t without Generic: the target a progressive plan's
// specialized pipelines are chosen for.
func (t Target) Specialized() Target {
	t.Generic = false
	return t
}

// fits reports whether a workgroup of wg invocations using shared bytes of
// workgroup memory fits t's device limits.
func (t Target) fits(wg, shared int) bool {
	inv, mem := t.MaxInvocations, t.MaxWorkgroupStorage
	if inv == 0 {
		inv = 256
	}
	if mem == 0 {
		mem = maxWorkgroupStorage
	}
	return wg <= inv && shared <= mem
}

// GPU reports whether t chooses from the GPU-shaped set.
func (t Target) GPU() bool { return t.Set == SetGPU }

// The Choose methods below are the one place a lowering asks for a
// specialization; each family's rules for the CPU set are its Choose
// function, and the GPU set's rules live beside them.

// Pointwise chooses a 1×1 convolution (an m×k by k×n GEMM).
func (t Target) Pointwise(m, k, n int, e Epilogue) Pointwise {
	if p, ok := t.tunedPointwise(m, k, n, e); ok {
		return p
	}
	if t.GPU() {
		return t.pointwiseGPU(m, k, n, e)
	}
	return ChoosePointwise(m, k, n, e)
}

// Conv chooses a dense k×k convolution.
func (t Target) Conv(n, h, w, cin, cout, k, stride int, e Epilogue) Conv {
	if t.Generic {
		return Conv{N: n, H: h, W: w, Cin: cin, Cout: cout, K: k, Stride: stride, Tile: genericTile, Epilogue: e, Generic: true}
	}
	if d, _, wino, ok := t.tunedConv(n, h, w, cin, cout, k, stride, e); ok && wino == 0 {
		return d
	}
	if t.GPU() {
		return t.convGPU(n, h, w, cin, cout, k, stride, e)
	}
	return ChooseConv(n, h, w, cin, cout, k, stride, e)
}

// UseWinograd reports whether a dense convolution of n images should run
// as Winograd (the CPU set ignores n; see useWinogradGPU for the GPU set).
func (t Target) UseWinograd(n, h, w, cin, cout, k, stride int) bool {
	if t.GPU() {
		return useWinogradGPU(n, h, w, cin, cout, k, stride)
	}
	return UseWinograd(h, w, cin, cout, k, stride)
}

// ConvWinograd reports whether a dense convolution with epilogue e
// should run as Winograd: the tuning table's choice for its key when it
// has a legal one, else UseWinograd.
func (t Target) ConvWinograd(n, h, w, cin, cout, k, stride int, e Epilogue) bool {
	if t.Generic {
		return false
	}
	if _, _, wino, ok := t.tunedConv(n, h, w, cin, cout, k, stride, e); ok {
		return wino > 0
	}
	return t.UseWinograd(n, h, w, cin, cout, k, stride)
}

// Winograd chooses a stride-1 3×3 convolution through Winograd: the
// transforms and tile side of ChooseWinograd, and in the GPU set a
// cooperative tile for its products.
func (t Target) Winograd(n, h, w, cin, cout int, e Epilogue) Winograd {
	if _, wk, wino, ok := t.tunedConv(n, h, w, cin, cout, 3, 1, e); ok && wino > 0 {
		return wk
	}
	k := ChooseWinograd(n, h, w, cin, cout, e)
	if t.GPU() {
		g := &k.Gemm
		g.Tile, g.Coop = t.chooseCoopTile(g.Tiles, g.Cout/4, g.Cin/4, g.Planes)
		g.Tex = false
	}
	return k
}

// Linear chooses a fully connected layer.
func (t Target) Linear(batch, k, n int, e Epilogue) Linear {
	if t.Generic {
		return Linear{Batch: batch, K: k, N: n, Tile: genericTile, Epilogue: e, Generic: true}
	}
	if l, ok := t.tunedLinear(batch, k, n, e); ok {
		return l
	}
	if t.GPU() {
		return t.linearGPU(batch, k, n, e)
	}
	return ChooseLinear(batch, k, n, e)
}

// Depthwise chooses a depthwise k×k convolution.
func (t Target) Depthwise(n, h, w, c, k, stride int, e Epilogue) Depthwise {
	if t.Generic {
		return Depthwise{N: n, H: h, W: w, C: c, K: k, Stride: stride, TX: 4, TY: 1, WG: 32, Epilogue: e, Generic: true}
	}
	if t.GPU() {
		return chooseDepthwiseGPU(n, h, w, c, k, stride, e)
	}
	return ChooseDepthwise(n, h, w, c, k, stride, e)
}

// Attention chooses the slimmed multi-head attention.
func (t Target) Attention(n, l, heads, headDim int) Attention {
	if t.Generic {
		return Attention{N: n, L: l, Heads: heads, HeadDim: headDim, TQ: genericAttentionTQ, WG: 8, Generic: true}
	}
	if t.GPU() {
		return chooseAttentionGPU(n, l, heads, headDim, t.Subgroups)
	}
	return ChooseAttention(n, l, heads, headDim)
}

// GroupNorm chooses the two kernels of a GroupNorm (statistics, apply).
func (t Target) GroupNorm(n, h, w, c int) (GroupNormStats, GroupNormApply) {
	if t.Generic {
		return GroupNormStats{N: n, HW: h * w, C: c, WG: 256, Generic: true},
			GroupNormApply{N: n, HW: h * w, C: c, PX: 4, WG: 64, Generic: true}
	}
	if t.GPU() {
		return chooseGroupNormGPU(n, h, w, c, t.Subgroups)
	}
	return ChooseGroupNorm(n, h, w, c)
}

// LayerNorm chooses a LayerNorm over the channels.
func (t Target) LayerNorm(n, c int, e Epilogue) LayerNorm {
	if t.Generic {
		return LayerNorm{N: n, C: c, WG: 64, Epilogue: e, Generic: true}
	}
	if t.GPU() {
		return chooseLayerNormGPU(n, c, e, t.Subgroups)
	}
	return ChooseLayerNorm(n, c, e)
}

// ConvTranspose chooses a 4×4 stride-2 transposed convolution.
func (t Target) ConvTranspose(n, h, w, cin, cout, cropH, cropW int, e Epilogue) ConvTranspose {
	if t.Generic {
		return ConvTranspose{N: n, H: h, W: w, Cin: cin, Cout: cout, CropH: cropH, CropW: cropW, Tile: genericTile, Epilogue: e, Generic: true}
	}
	if t.GPU() {
		return chooseConvTransposeGPU(n, h, w, cin, cout, cropH, cropW, e)
	}
	return ChooseConvTranspose(n, h, w, cin, cout, cropH, cropW, e)
}

// genericAttentionTQ is the queries per invocation of the generic
// attention: fewer than the CPU set's 4, for a shorter compile.
const genericAttentionTQ = 2

// MeanPool chooses the global mean pool.
func (t Target) MeanPool(n, h, w, c int) MeanPool {
	if t.Generic {
		return MeanPool{N: n, H: h, W: w, C: c, WG: 64, Generic: true}
	}
	if t.GPU() {
		return chooseMeanPoolGPU(n, h, w, c)
	}
	return ChooseMeanPool(n, h, w, c)
}
