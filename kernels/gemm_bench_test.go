//go:build js || cgo

package kernels

import (
	"slices"
	"testing"

	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/internal/gputest"
)

// benchDense times k bound to A (aLen random floats), the [wk][wn] weights
// (texture when tex), bias, optional residual and C (outLen floats): each
// iteration submits R back-to-back dispatches in one pass and waits. It
// reports the median over iterations of µs per dispatch (launch cost
// included) and GFLOP/s, the best iteration's GFLOP/s, and cpu-GFLOP/s:
// the FLOPs over half the process CPU time (user+sys of all threads), i.e.
// the speed on 2 otherwise idle cores. The CPU is shared with other work,
// which slows the wall-clock figures but hardly the CPU time; cpu-GFLOP/s
// does not see idle cores, though (a 1-workgroup dispatch looks 2× faster).
func benchDense(b *testing.B, k Kernel, tex, residual bool, aLen, wk, wn, outLen int, flops float64) {
	r := newBenchRun(b, NewCache(gputest.Device(b)), k.Label(), flops, denseOperands(b, k, tex, residual, aLen, wk, wn, outLen))
	var per, cpu []float64
	for b.Loop() {
		wall, c := r.time(b)
		per, cpu = append(per, wall), append(cpu, c)
	}
	slices.Sort(per)
	slices.Sort(cpu)
	med := per[len(per)/2]
	b.ReportMetric(med*1e6, "µs/dispatch")
	b.ReportMetric(flops/med/1e9, "GFLOP/s")
	b.ReportMetric(flops/per[0]/1e9, "best-GFLOP/s")
	b.ReportMetric(flops/(cpu[len(cpu)/2]/2)/1e9, "cpu-GFLOP/s")
	b.ReportMetric(0, "ns/op")
}

// denseOperands binds k to fresh random operands in the dense binding
// order: A, weights, bias, [residual], C.
func denseOperands(b *testing.B, k Kernel, tex, residual bool, aLen, wk, wn, outLen int) benchStep {
	res := []gpu.Resource{benchBuffer(b, aLen, 1), weightRes(b, randomFloats(wk*wn, 2), wk, wn, tex), benchBuffer(b, wn, 3)}
	if residual {
		res = append(res, benchBuffer(b, outLen, 4))
	}
	return benchStep{k, append(res, benchBuffer(b, outLen, 5))}
}

func BenchmarkPointwise(b *testing.B) {
	for _, s := range pointwiseShapes {
		for _, tex := range []bool{true, false} {
			k := s.kernel()
			k.Tex = tex
			b.Run(k.Label(), func(b *testing.B) { benchPointwise(b, k) })
		}
	}
}

// BenchmarkPointwiseTiles times every candidate tile on the tracked
// shapes, to calibrate ChoosePointwise.
func BenchmarkPointwiseTiles(b *testing.B) {
	for _, s := range pointwiseShapes[:3] {
		for _, c := range gemmTiles {
			for _, wg := range []int{16, 32} {
				k := Pointwise{M: s.n * s.h * s.w, K: s.k, N: s.cout, Tile: Tile{c.TM, c.TN, wg}, Tex: true}
				b.Run(k.Label(), func(b *testing.B) { benchPointwise(b, k) })
			}
		}
	}
}

func benchPointwise(b *testing.B, k Pointwise) {
	benchDense(b, k, k.Tex, k.Residual, k.M*k.K, k.K, k.N, k.M*k.N, 2*float64(k.M*k.K*k.N))
}

func BenchmarkConv(b *testing.B) {
	for _, s := range convShapes {
		for _, tex := range []bool{true, false} {
			k := s.kernel()
			k.Tex = tex
			b.Run(k.Label(), func(b *testing.B) { benchConv(b, k) })
		}
	}
}

func benchConv(b *testing.B, k Conv) {
	benchDense(b, k, k.Tex, k.Residual, k.N*k.H*k.W*k.Cin, k.K*k.K*k.Cin, k.Cout, k.Rows()*k.Cout, k.FLOPs())
}

func BenchmarkLinear(b *testing.B) {
	for _, s := range linearShapes {
		for _, tex := range []bool{true, false} {
			k := s.kernel()
			k.Tex = tex
			b.Run(k.Label(), func(b *testing.B) { benchLinear(b, k) })
		}
	}
}

// BenchmarkLinearTiles times every column width at batch 1 and 8, to
// calibrate ChooseLinear.
func BenchmarkLinearTiles(b *testing.B) {
	for _, s := range linearShapes {
		for _, c := range linearTiles {
			for _, wg := range []int{8, 16, 32} {
				k := Linear{Batch: s.batch, K: s.k, N: s.n, Tile: Tile{min(s.batch, 8), c.TN, wg}, Tex: true}
				b.Run(k.Label(), func(b *testing.B) { benchLinear(b, k) })
			}
		}
	}
}

func benchLinear(b *testing.B, k Linear) {
	benchDense(b, k, k.Tex, false, k.Batch*k.K, k.K, 4*k.n4(), k.Batch*k.N, k.FLOPs())
}
