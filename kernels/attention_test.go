//go:build js || cgo

package kernels

import (
	"testing"

	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/internal/ref"
)

// attentionCase is an Attention conformance case: heads heads of hd
// channels over the h·w tokens of each of n images.
type attentionCase struct {
	n, h, w, heads, hd int
	tq, wg             int // 0: as chosen
}

func (s attentionCase) kernel() Attention {
	k := ChooseAttention(s.n, s.h*s.w, s.heads, s.hd)
	if s.tq != 0 {
		k.TQ = s.tq
	}
	if s.wg != 0 {
		k.WG = s.wg
	}
	return k
}

// attentionShapes are LowFormer's attention shapes that BenchmarkAttention
// times and TestAttention checks.
var attentionShapes = []attentionCase{
	{1, 7, 7, 4, 32, 0, 0},
	{1, 7, 7, 2, 32, 0, 0},
	{1, 14, 14, 4, 32, 0, 0},
}

// attentionCases are the conformance cases: edge cases of the query
// blocks and the grid, then attentionShapes.
var attentionCases = append([]attentionCase{
	{2, 8, 8, 5, 32, 0, 0},
	{1, 12, 12, 2, 40, 0, 0},
	{1, 16, 16, 8, 32, 0, 0},
	{1, 17, 9, 2, 32, 0, 0}, // L 153: a partial query block
	{3, 1, 1, 2, 32, 0, 0},
	{1, 7, 7, 2, 40, 2, 64},  // partial block, one workgroup
	{2, 3, 5, 1, 4, 16, 0},   // a query block longer than L
	{168, 7, 7, 8, 32, 1, 1}, // 65856 workgroups: a 2-D grid
}, attentionShapes...)

// attentionTiledCases are GPU-set (Tiled) specializations forced to edge
// cases: a partial query block and a partial key chunk, one query, one key
// per chunk, a chunk longer than L, the largest head dim.
var attentionTiledCases = []Attention{
	{N: 2, L: 49, Heads: 3, HeadDim: 32, TQ: 16, KB: 20, WG: 128, Tiled: true},
	{N: 1, L: 7, Heads: 2, HeadDim: 8, TQ: 1, KB: 1, WG: 2, Tiled: true},
	{N: 1, L: 5, Heads: 1, HeadDim: 16, TQ: 3, KB: 8, WG: 12, Tiled: true},
	{N: 2, L: 30, Heads: 1, HeadDim: 128, TQ: 2, KB: 9, WG: 64, Tiled: true},
	{N: 168, L: 49, Heads: 8, HeadDim: 32, TQ: 1, KB: 25, WG: 8, Tiled: true}, // 65856 workgroups: a 2-D grid
}

func TestAttention(t *testing.T) {
	var ks []Attention
	for _, s := range attentionCases {
		if s.n > 100 && testing.Short() {
			continue
		}
		ks = append(ks, s.kernel(), genericTarget.Attention(s.n, s.h*s.w, s.heads, s.hd))
		if s.tq == 0 && s.wg == 0 {
			ks = append(ks, Target{Set: SetGPU}.Attention(s.n, s.h*s.w, s.heads, s.hd))
		}
	}
	for _, k := range attentionTiledCases {
		if k.N > 100 && testing.Short() {
			continue
		}
		ks = append(ks, k)
	}
	for _, k := range ks {
		testAttention(t, k)
	}
}

// testAttention checks k on random input against internal/ref.
func testAttention(t *testing.T, k Attention) {
	t.Helper()
	t.Run(k.Label(), func(t *testing.T) {
		c := 3 * k.Heads * k.HeadDim
		x := &ref.Tensor{N: k.N, H: 1, W: k.L, C: c, Data: randomFloats(k.N*k.L*c, 1)}
		for i := range x.Data { // spread the scores so that the softmax is far from uniform
			x.Data[i] *= 3
		}
		want := ref.Attention(x, k.Heads, k.HeadDim).Data
		checkGuarded(t, k, []gpu.Resource{buffer(t, x.Data, 0).res()}, want)
	})
}

func TestAttentionRejectsBadShapes(t *testing.T) {
	for _, k := range []Attention{
		{N: 1, L: 49, Heads: 2, HeadDim: 30, TQ: 7, WG: 8},
		{N: 1, L: 0, Heads: 2, HeadDim: 32, TQ: 7, WG: 8},
		{N: 1, L: 49, Heads: 2, HeadDim: 32, TQ: 0, WG: 8},
		{N: 1, L: 49, Heads: 2, HeadDim: 32, TQ: 4, WG: 0},
	} {
		if _, err := k.Source(); err == nil {
			t.Errorf("%s: no error", k.Label())
		}
	}
}

func BenchmarkAttention(b *testing.B) {
	for _, s := range attentionShapes {
		k := s.kernel()
		b.Run(k.Label(), func(b *testing.B) {
			benchKernel(b, k, k.FLOPs(), k.N*k.L*3*s.heads*s.hd, k.N*k.L*s.heads*s.hd)
		})
	}
}
