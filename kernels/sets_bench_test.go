//go:build js || cgo

package kernels

import (
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/internal/gputest"
)

// bufStep is k with one buffer of sizes[i] random floats per binding.
func bufStep(b *testing.B, k Kernel, sizes ...int) benchStep {
	res := make([]gpu.Resource, len(sizes))
	for i, n := range sizes {
		res[i] = benchBuffer(b, n, uint64(i+1))
	}
	return benchStep{k, res}
}

// setRuns builds the benchmark run of one op in the CPU and the GPU kernel
// set: steps gives the chain of an op's kernels for a target.
func setRuns(b *testing.B, flops float64, steps func(Target) []benchStep) []*benchRun {
	var runs []*benchRun
	for _, t := range []Target{{Set: SetCPU}, {Set: SetGPU}} {
		s := steps(t)
		labels := make([]string, len(s))
		for i, st := range s {
			labels[i] = st.k.Label()
		}
		runs = append(runs, newBenchRun(b, NewCache(gputest.Device(b)), string(t.Set)+" "+strings.Join(labels, " + "), flops, s...))
	}
	return runs
}

// BenchmarkKernelSets times B0's (224×224, batch 1) depthwise,
// attention, GroupNorm, LayerNorm, ConvTranspose and mean-pool layers in
// the CPU and the GPU kernel set, interleaved (benchCompare):
// median-ratio1 < 1 means the GPU set is faster on this adapter.
func BenchmarkKernelSets(b *testing.B) {
	const rounds = 5
	for _, s := range []depthwiseCase{
		{1, 7, 7, 1024, 3, 1, Epilogue{Act: hs}, 0, 0, 0},
		{1, 7, 7, 256, 3, 1, Epilogue{}, 0, 0, 0},
		{1, 14, 14, 128, 5, 2, Epilogue{}, 0, 0, 0},
	} {
		b.Run("depthwise", func(b *testing.B) {
			k0 := s.kernel()
			ho, wo := k0.outSize()
			benchCompare(b, rounds, setRuns(b, k0.FLOPs(), func(t Target) []benchStep {
				return []benchStep{bufStep(b, t.Depthwise(s.n, s.h, s.w, s.c, s.k, s.stride, s.e),
					s.n*s.h*s.w*s.c, s.k*s.k*s.c, s.c, s.n*ho*wo*s.c)}
			})...)
		})
	}
	for _, heads := range []int{2, 4} {
		b.Run("attention", func(b *testing.B) {
			k0 := ChooseAttention(1, 49, heads, 32)
			benchCompare(b, rounds, setRuns(b, k0.FLOPs(), func(t Target) []benchStep {
				return []benchStep{bufStep(b, t.Attention(1, 49, heads, 32), 49*3*heads*32, 49*heads*32)}
			})...)
		})
	}
	for _, s := range groupNormShapes {
		b.Run("groupnorm", func(b *testing.B) {
			size := s.n * s.h * s.w * s.c
			benchCompare(b, rounds, setRuns(b, 5*float64(size), func(t Target) []benchStep {
				sk, ak := t.GroupNorm(s.n, s.h, s.w, s.c)
				x, st := benchBuffer(b, size, 1), benchBuffer(b, sk.StatsFloats(), 2)
				return []benchStep{{sk, []gpu.Resource{x, st}},
					{ak, []gpu.Resource{x, st, benchBuffer(b, s.c, 3), benchBuffer(b, s.c, 4), benchBuffer(b, size, 5)}}}
			})...)
		})
	}
	b.Run("layernorm", func(b *testing.B) {
		benchCompare(b, rounds, setRuns(b, 8*1600, func(t Target) []benchStep {
			return []benchStep{bufStep(b, t.LayerNorm(1, 1600, Epilogue{Act: hs}), 1600, 1600, 1600, 1600)}
		})...)
	})
	b.Run("convtranspose", func(b *testing.B) {
		k0 := ChooseConvTranspose(1, 7, 7, 64, 128, 14, 14, Epilogue{Residual: true})
		benchCompare(b, rounds, setRuns(b, k0.FLOPs(), func(t Target) []benchStep {
			k := t.ConvTranspose(1, 7, 7, 64, 128, 14, 14, Epilogue{Residual: true})
			return []benchStep{denseOperands(b, k, k.Tex, true, 49*64, 16*64, 128, 14*14*128)}
		})...)
	})
	b.Run("meanpool", func(b *testing.B) {
		benchCompare(b, rounds, setRuns(b, 49*1536, func(t Target) []benchStep {
			return []benchStep{bufStep(b, t.MeanPool(1, 7, 7, 1536), 49*1536, 1536)}
		})...)
	})
}
