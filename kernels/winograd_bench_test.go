//go:build js || cgo

package kernels

import (
	"fmt"
	"testing"

	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/internal/gputest"
)

// BenchmarkWinograd times the Winograd chain against the direct
// convolution ChooseConv picks, alternately (best-ratio1 < 1: Winograd is
// faster).
func BenchmarkWinograd(b *testing.B) {
	for _, s := range winogradShapes {
		direct := ChooseConv(s.n, s.h, s.w, s.cin, s.cout, 3, 1, s.e)
		wino := ChooseWinograd(s.n, s.h, s.w, s.cin, s.cout, s.e)
		b.Run(fmt.Sprintf("n%d_%dx%d_%dto%d", s.n, s.h, s.w, s.cin, s.cout), func(b *testing.B) {
			benchCompare(b, 4, convRun(b, direct), winogradRun(b, wino))
		})
	}
}

// BenchmarkWinogradTileSide times F(2×2,3×3) against F(4×4,3×3)
// alternately (best-ratio1 < 1: 4×4 tiles are faster), to calibrate
// ChooseWinograd.
func BenchmarkWinogradTileSide(b *testing.B) {
	for _, s := range winogradShapes {
		f2, f4 := s.kernels(2), s.kernels(4)
		b.Run(fmt.Sprintf("n%d_%dx%d_%dto%d", s.n, s.h, s.w, s.cin, s.cout), func(b *testing.B) {
			benchCompare(b, 4, winogradRun(b, f2), winogradRun(b, f4))
		})
	}
}

// convRun prepares a direct convolution for benchCompare.
func convRun(b *testing.B, k Conv) *benchRun {
	ops := denseOperands(b, k, k.Tex, k.Residual, k.N*k.H*k.W*k.Cin, k.K*k.K*k.Cin, k.Cout, k.Rows()*k.Cout)
	return newBenchRun(b, NewCache(gputest.Device(b)), k.Label(), k.FLOPs(), ops)
}

// winogradRun prepares the three kernels of k for benchCompare, with the
// FLOPs of the direct convolution (so that GFLOP/s compare).
func winogradRun(b *testing.B, k Winograd) *benchRun {
	g, o := k.Gemm, k.Out
	u, err := WinogradWeights(randomFloats(9*g.Cin*g.Cout, 2), g.Cin, g.Cout, k.TileSide())
	if err != nil {
		b.Fatal(err)
	}
	outLen := o.N * o.H * o.W * o.C
	v, m, y := benchBuffer(b, k.VFloats(), 1), benchBuffer(b, k.MFloats(), 2), benchBuffer(b, outLen, 3)
	out := benchStep{o, []gpu.Resource{m, benchBuffer(b, o.C, 4)}}
	if o.Residual {
		out.res = append(out.res, benchBuffer(b, outLen, 5))
	}
	out.res = append(out.res, y)
	flops := 2 * float64(outLen) * 9 * float64(g.Cin)
	return newBenchRun(b, NewCache(gputest.Device(b)), g.Label(), flops,
		benchStep{k.In, []gpu.Resource{benchBuffer(b, k.In.N*k.In.H*k.In.W*k.In.C, 6), v}},
		benchStep{g, []gpu.Resource{v, weightRes(b, u, g.Planes*g.Cin, g.Cout, g.Tex), m}},
		out)
}
