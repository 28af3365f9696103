//go:build js || cgo

package kernels

import (
	"fmt"
	"testing"

	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/internal/ref"
)

func TestMeanPool(t *testing.T) {
	for _, s := range []struct{ n, h, w, c int }{
		{1, 1, 1, 4}, {1, 7, 7, 20}, {3, 15, 15, 40}, {2, 17, 9, 128}, {1, 7, 7, 320}, {32, 7, 7, 1024}, {2, 1, 3, 36},
	} {
		x := &ref.Tensor{N: s.n, H: s.h, W: s.w, C: s.c, Data: randomFloats(s.n*s.h*s.w*s.c, 1)}
		want := ref.MeanPool(x).Data
		for _, k := range []MeanPool{
			ChooseMeanPool(s.n, s.h, s.w, s.c),
			Target{Set: SetGPU}.MeanPool(s.n, s.h, s.w, s.c),
			genericTarget.MeanPool(s.n, s.h, s.w, s.c),
			{N: s.n, H: s.h, W: s.w, C: s.c, WG: 8, PL: 2}, // 4 channel groups of 2 lanes: a partial channel block
		} {
			t.Run(fmt.Sprintf("%dx%dx%dx%d_%s", s.n, s.h, s.w, s.c, k.Label()), func(t *testing.T) {
				checkGuarded(t, k, []gpu.Resource{buffer(t, x.Data, 0).res()}, want)
			})
		}
	}
}

// TestMeanPoolGPUChoiceFitsTheGrid: the GPU set's pool stays within one
// dispatch dimension's 65535 workgroups for large batches.
func TestMeanPoolGPUChoiceFitsTheGrid(t *testing.T) {
	for _, n := range []int{1, 682, 683, 2730, 2731, 20000} {
		k := Target{Set: SetGPU}.MeanPool(n, 7, 7, 1536)
		if err := k.validate(); err != nil {
			t.Errorf("batch %d: %s: %v", n, k.Label(), err)
		}
	}
}

func TestMeanPoolRejectsBadShapes(t *testing.T) {
	for _, k := range []MeanPool{
		{N: 1, H: 7, W: 7, C: 6, WG: 64},
		{N: 0, H: 7, W: 7, C: 8, WG: 64},
		{N: 1, H: 0, W: 7, C: 8, WG: 64},
		{N: 1, H: 7, W: 7, C: 8, WG: 0},
		{N: 1, H: 7, W: 7, C: 8, WG: 512},
		{N: 65536, H: 1, W: 1, C: 4, WG: 1},
		{N: 1, H: 7, W: 7, C: 8, WG: 64, PL: 3},
		{N: 1, H: 7, W: 7, C: 8, WG: 8, PL: 16},
	} {
		if _, err := k.Source(); err == nil {
			t.Errorf("%s: no error", k.Label())
		}
	}
}
