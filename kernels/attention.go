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
// Bindings, in order:
//
//	X  [N][L][3·Heads·HeadDim], the queries, keys and values
//	O  [N][L][Heads·HeadDim], the output
type Attention struct {
	N, L           int // images, tokens per image (H·W)
	Heads, HeadDim int // HeadDim a multiple of 4
	TQ             int // queries per invocation
	WG             int // workgroup size
}

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

// invocations is the number of useful invocations.
func (k Attention) invocations() int { return k.N * k.Heads * ceilDiv(k.L, k.TQ) }

// Label implements Kernel.
func (k Attention) Label() string {
	return fmt.Sprintf("attention_n%d_l%d_h%dx%d_q%d_wg%d", k.N, k.L, k.Heads, k.HeadDim, k.TQ, k.WG)
}

func (k Attention) validate() error {
	switch {
	case k.N < 1 || k.L < 1 || k.Heads < 1:
		return fmt.Errorf("attention: bad shape N=%d L=%d heads=%d", k.N, k.L, k.Heads)
	case k.HeadDim < 4 || k.HeadDim%4 != 0 || k.HeadDim > 128:
		return fmt.Errorf("attention: head dim %d must be a multiple of 4 in 4..128", k.HeadDim)
	case k.TQ < 1 || k.TQ > 16:
		return fmt.Errorf("attention: %d queries per invocation outside 1..16", k.TQ)
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
	return shaders.Render("attention.wgsl", struct {
		Attention
		D4, QB, Total, GX int
		Scale             float64
		Decls             string
	}{k, k.HeadDim / 4, ceilDiv(k.L, k.TQ), k.invocations(), gx, 1 / math.Sqrt(float64(k.HeadDim)), decls(k.Bindings())})
}

// grid is the dispatch grid.
func (k Attention) grid() (x, y int) { return grid(ceilDiv(k.invocations(), k.WG)) }

// Bindings implements Kernel.
func (k Attention) Bindings() []Binding { return []Binding{input("X"), output("O")} }

// Workgroups implements Kernel.
func (k Attention) Workgroups() (x, y, z uint32) {
	gx, gy := k.grid()
	return uint32(gx), uint32(gy), 1
}

// FLOPs is 2 × the multiply-adds of the two matrix products.
func (k Attention) FLOPs() float64 {
	return 4 * float64(k.N*k.Heads*k.L*k.L*k.HeadDim)
}
