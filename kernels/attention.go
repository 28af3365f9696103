//go:build js || cgo

package kernels

import (
	"fmt"
	"math"

	"github.com/lowformer/lowformer-webgpu/shaders"
)

// Attention is plain softmax attention per (image, head) over the L tokens
// of an NHWC tensor: O_j = softmax(q_j·k_jᵀ/√HeadDim)·v_j. The input has
// 3·Heads·HeadDim channels ordered [head][q|k|v][d], the output
// Heads·HeadDim channels ordered [head][d].
//
// One invocation handles TQ queries of one (image, head) and streams over
// all keys with an online softmax (running max, sum and output per query,
// rescaled as the max grows), so any L works without an L×L matrix. K and V
// are read from storage directly; the TQ queries share every K/V load. No
// workgroup memory: staging all of K/V of a head in workgroup memory (one
// workgroup per head, one barrier) measured the same on lavapipe (164 vs
// 168 µs at L 49, 4×32), and blocks of several keys per softmax rescale
// were slower (more live registers) and much slower to compile.
//
// With Tiled (the GPU set) one workgroup handles TQ queries of one (image,
// head), one output vec4 per invocation (WG = TQ·HeadDim/4), and walks the
// keys in chunks of KB: it stages the queries once and each chunk's keys
// and values in workgroup memory, computes the TQ×KB scores cooperatively
// into workgroup memory, and every invocation then takes its query's
// running max over the chunk's scores and accumulates exp(s − max)·V and
// the softmax sum from there (an online softmax over chunks, as above).
// With Subgroups as well (an adapter with the subgroups feature; the
// fallback twin is the same kernel without), subgroups compute each
// query's chunk max and sum with subgroupMax and subgroupAdd and turn the
// scores into probabilities once, instead of every invocation of the
// query taking the max and the exponentials itself.
//
// Bindings, in order:
//
//	X  [N][L][3·Heads·HeadDim], the queries, keys and values
//	O  [N][L][Heads·HeadDim], the output
type Attention struct {
	N, L           int // images, tokens per image (H·W)
	Heads, HeadDim int // HeadDim a multiple of 4
	TQ             int // queries per invocation (Tiled: per workgroup)
	WG             int // workgroup size
	Tiled          bool
	KB             int  // Tiled: keys per chunk
	Subgroups      bool // Tiled: softmax statistics by subgroup reductions
	// Generic is the generic flavour (generic.go) of the untiled kernel:
	// N, L and Heads are read from the Params binding, after O; the head
	// size, TQ and WG stay structural.
	Generic bool
}

// chooseAttentionGPU is the GPU set's choice: a workgroup of 8 or 16
// queries (the one wasting fewer query slots on L, 16 on ties; fewer for
// head dims over 64, so that WG ≤ 256) × HeadDim/4, and chunks of 16..32
// keys (the least waste on L, as large as workgroup memory allows).
func chooseAttentionGPU(n, l, heads, headDim int, subgroups bool) Attention {
	d4 := headDim / 4
	k := Attention{N: n, L: l, Heads: heads, HeadDim: headDim, Tiled: true, Subgroups: subgroups}
	k.TQ = 16
	if ceilDiv(l, 8)*8 < ceilDiv(l, 16)*16 {
		k.TQ = 8
	}
	k.TQ = max(1, min(k.TQ, 256/max(d4, 1), l))
	k.KB = pickColumns(l, 16, 32)
	for k.KB > 1 && k.sharedBytes() > maxSharedBytes {
		k.KB--
	}
	k.WG = k.TQ * d4
	return k
}

// maxSharedBytes is the workgroup memory every WebGPU device supports
// (maxComputeWorkgroupStorageSize).
const maxSharedBytes = 16384

// sharedBytes is the workgroup memory of a Tiled kernel: the queries, a
// chunk of keys (rows padded by a vec4) and values and the chunk's scores.
func (k Attention) sharedBytes() int {
	d4 := k.HeadDim / 4
	return 16*(k.TQ*d4+k.KB*(2*d4+1)) + 4*k.TQ*k.KB + 12*k.TQ + 4 // + Subgroups' row statistics and counter
}

// workgroups is the number of workgroups of a Tiled kernel.
func (k Attention) workgroups() int { return k.N * k.Heads * ceilDiv(k.L, k.TQ) }

// ChooseAttention picks the specialization for a shape: 4 queries per
// invocation and a workgroup
// of 8 (one llvmpipe SIMD row), fewer only when needed for 4 workgroups.
// At L = 49 (224 px) 7 queries ran fastest (4 took 1.3× and 8 1.15× as
// long: B0's 7 attention dispatches 1.34 ms at 7, 1.7 ms at 4), but lavapipe
// compiled the 7-query kernel in 0.88 s and the 4-query one in 0.5 s on an
// empty driver cache; 0.4 ms a run is not worth 0.4 s a compile per shape.
func ChooseAttention(n, l, heads, headDim int) Attention {
	k := Attention{N: n, L: l, Heads: heads, HeadDim: headDim, TQ: min(4, l)}
	k.WG = pickWorkgroup(k.invocations(), 8, 4)
	return k
}

// invocations is the number of useful invocations (Tiled: workgroups ×
// WG).
func (k Attention) invocations() int {
	if k.Tiled {
		return k.workgroups() * k.WG
	}
	return k.N * k.Heads * ceilDiv(k.L, k.TQ)
}

// Label implements Kernel.
func (k Attention) Label() string {
	if k.Generic {
		return genericLabel("attention", fmt.Sprintf("d%d_q%d_wg%d", k.HeadDim, k.TQ, k.WG), false)
	}
	tiled := ""
	if k.Tiled {
		tiled = fmt.Sprintf("_tiled_kb%d%s", k.KB, subgroupsLabel(k.Subgroups))
	}
	return fmt.Sprintf("attention_n%d_l%d_h%dx%d_q%d_wg%d%s", k.N, k.L, k.Heads, k.HeadDim, k.TQ, k.WG, tiled)
}

func (k Attention) validate() error {
	switch {
	case k.N < 1 || k.L < 1 || k.Heads < 1:
		return fmt.Errorf("attention: bad shape N=%d L=%d heads=%d", k.N, k.L, k.Heads)
	case k.HeadDim < 4 || k.HeadDim%4 != 0 || k.HeadDim > 128:
		return fmt.Errorf("attention: head dim %d must be a multiple of 4 in 4..128", k.HeadDim)
	case !k.Tiled && (k.TQ < 1 || k.TQ > 16):
		return fmt.Errorf("attention: %d queries per invocation outside 1..16", k.TQ)
	case k.Tiled && (k.TQ < 1 || k.KB < 1 || k.WG != k.TQ*k.HeadDim/4):
		return fmt.Errorf("attention: %d queries × %d keys per chunk with a workgroup of %d, want queries × head dim/4 = %d",
			k.TQ, k.KB, k.WG, k.TQ*k.HeadDim/4)
	case k.Subgroups && !k.Tiled:
		return fmt.Errorf("attention: subgroups only in the tiled kernel")
	case k.Generic && k.Tiled:
		return fmt.Errorf("attention: no generic tiled kernel")
	case k.Tiled && k.sharedBytes() > maxSharedBytes:
		return fmt.Errorf("attention: %d bytes of workgroup memory exceed %d", k.sharedBytes(), maxSharedBytes)
	}
	if err := validateWorkgroup(k.WG); err != nil {
		return fmt.Errorf("attention: %w", err)
	}
	return nil
}

// Source implements Kernel.
func (k Attention) Source() (string, error) {
	if err := k.validate(); err != nil {
		return "", err
	}
	gx, _ := k.grid()
	ds := k.dims()
	if err := validateDims(ds); err != nil {
		return "", fmt.Errorf("attention: %w", err)
	}
	dims, load := renderDims(k.Generic, ds)
	return shaders.Render("attention.wgsl", struct {
		Attention
		D4, QB, Total, GX, Tiles int
		Scale                    float64
		Decls, Enable            string
		Dims, LoadDims           string
	}{k, k.HeadDim / 4, ceilDiv(k.L, k.TQ), k.invocations(), gx, k.workgroups(), 1 / math.Sqrt(float64(k.HeadDim)),
		decls(k.Bindings()), enables(k.Subgroups), dims, load})
}

// dims implements generic (the untiled kernel's sizes).
func (k Attention) dims() []dim {
	d4 := k.HeadDim / 4
	gx, _ := k.grid()
	return []dim{u32Dim("L", k.L), u32Dim("CI4", k.Heads*3*d4), u32Dim("CO4", k.Heads*d4), u32Dim("QB", ceilDiv(k.L, k.TQ)),
		u32Dim("HEADS", k.Heads), u32Dim("TOTAL", k.invocations()), u32Dim("GX", gx)}
}

func (k Attention) isGeneric() bool { return k.Generic }

func (k Attention) pipelineKey() Kernel {
	return Attention{HeadDim: k.HeadDim, TQ: k.TQ, WG: k.WG, Generic: true}
}

// Fallback implements Optional: with Subgroups, the same kernel without.
func (k Attention) Fallback() (Kernel, bool) {
	ok := k.Subgroups
	k.Subgroups = false
	return k, ok
}

// grid is the dispatch grid.
func (k Attention) grid() (x, y int) { return grid(ceilDiv(k.invocations(), k.WG)) }

// Bindings implements Kernel.
func (k Attention) Bindings() []Binding {
	return withParams([]Binding{input("X"), output("O")}, k.Generic)
}

// Workgroups implements Kernel.
func (k Attention) Workgroups() (x, y, z uint32) {
	gx, gy := k.grid()
	return uint32(gx), uint32(gy), 1
}

// FLOPs is 2 × the multiply-adds of the two matrix products.
func (k Attention) FLOPs() float64 {
	return 4 * float64(k.N*k.Heads*k.L*k.L*k.HeadDim)
}
