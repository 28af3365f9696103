//go:build js || cgo

package kernels

import (
	"fmt"
	"math"
	"testing"

	"github.com/lowformer/lowformer-webgpu/act"
	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/internal/ref"
)

// normInput is n images of size values with c channels (innermost): offset
// plus a per-channel shift in [-1, 1) (so that per-channel and global
// statistics differ) plus noise in [-1, 1).
func normInput(n, size, c int, offset float32) []float32 {
	x := randomFloats(n*size, 1)
	shift := randomFloats(c, 9)
	for i := range x {
		x[i] += offset + shift[i%c]
	}
	return x
}

// checkStats compares GPU (mean, rstd) pairs against float64 statistics of
// each image: the mean to 1e-6 of the values' spread and the variance
// (from rstd) to 2e-6 relative.
func checkStats(t *testing.T, got, x []float32, n int) {
	t.Helper()
	size := len(x) / n
	for b := 0; b < n; b++ {
		var sum, sq float64
		img := x[b*size : (b+1)*size]
		for _, v := range img {
			sum += float64(v)
		}
		mean := sum / float64(size)
		for _, v := range img {
			sq += (float64(v) - mean) * (float64(v) - mean)
		}
		variance := sq / float64(size)
		gm, gr := float64(got[2*b]), float64(got[2*b+1])
		gvar := 1/(gr*gr) - 1e-5
		if math.Abs(gm-mean) > 1e-6*math.Sqrt(variance)+1e-7*math.Abs(mean) || math.Abs(gvar-variance) > 2e-6*variance {
			t.Errorf("image %d: mean %.9g variance %.9g, want %.9g and %.9g (variance error %.2g relative)",
				b, gm, gvar, mean, variance, math.Abs(gvar-variance)/variance)
		}
		t.Logf("image %d: mean error %.2g, variance error %.2g relative", b, math.Abs(gm-mean), math.Abs(gvar-variance)/variance)
	}
}

// statsOf is the (mean, rstd) pairs of GroupNormStats k's output got:
// got itself, or with parts the parts merged in float64 by Chan's formula.
func statsOf(k GroupNormStats, got []float32) []float32 {
	if k.Parts <= 1 {
		return got
	}
	out := make([]float32, 0, StatsPerImage*k.N)
	for n := range k.N {
		var cnt, mean, m2 float64
		for p := range k.Parts {
			b := got[4*(n*k.Parts+p):]
			bn, bm, bm2 := float64(b[0]), float64(b[1]), float64(b[2])
			if cnt+bn == 0 {
				continue
			}
			d := bm - mean
			f := bn / (cnt + bn)
			mean, m2, cnt = mean+d*f, m2+bm2+d*d*cnt*f, cnt+bn
		}
		shift := float64(got[4*n*k.Parts+3])
		out = append(out, float32(shift+mean), float32(1/math.Sqrt(m2/cnt+1e-5)))
	}
	return out
}

// groupNormCase is a GroupNorm conformance case: n images of h×w×c values
// around offset.
type groupNormCase struct {
	n, h, w, c    int
	offset, spike float32 // spike: added to each image's first value
}

// groupNormShapes are LowFormer's GroupNorm shapes that BenchmarkGroupNorm
// times and TestGroupNorm checks.
var groupNormShapes = []groupNormCase{
	{1, 14, 14, 128, 0, 0},
	{1, 7, 7, 256, 0, 0},
}

// groupNormCases are the conformance cases: edge cases of the statistics
// and the grid, then groupNormShapes.
var groupNormCases = append([]groupNormCase{
	{1, 14, 14, 128, 100, 0}, // large mean: the variance must not cancel
	{3, 15, 15, 40, 1000, 0},
	{2, 17, 9, 20, -50, 0},
	{1, 1, 1, 4, 0, 0},
	{1, 7, 7, 320, 3, 0},
	{2, 7, 7, 1024, 100, 0},
	{2, 14, 14, 128, 100, 300}, // an outlier first value, whose shift is far from the mean
	{2, 56, 56, 64, 0, 0},      // with the apply forced to 100352 workgroups: a 2-D grid
}, groupNormShapes...)

func TestGroupNorm(t *testing.T) {
	for _, s := range groupNormCases {
		for _, tg := range []Target{{Set: SetCPU}, {Set: SetGPU}, genericTarget} {
			set := tg.Set
			sk, ak := tg.GroupNorm(s.n, s.h, s.w, s.c)
			if s.h == 56 && set == SetCPU {
				ak.PX, ak.WG = 1, 1
			}
			testGroupNorm(t, s, sk, ak)
		}
	}
	// GPU-set statistics with loads past the image's (or part's) end in
	// every step but the first, a workgroup larger than the image, a last
	// part shorter than the others, one value per part.
	for _, c := range []struct {
		s                groupNormCase
		wg, loads, parts int
	}{
		{groupNormCase{2, 5, 7, 20, 3, 0}, 32, 3, 1},
		{groupNormCase{1, 3, 3, 4, 0, 0}, 32, 3, 1},
		{groupNormCase{1, 17, 13, 36, 50, 10}, 32, 3, 1},
		{groupNormCase{3, 17, 13, 36, 50, 10}, 32, 3, 7},
		{groupNormCase{2, 14, 14, 128, 100, 300}, 64, 2, 5},
		{groupNormCase{2, 1, 3, 4, -5, 0}, 1, 1, 3},
	} {
		sk, ak := Target{Set: SetGPU}.GroupNorm(c.s.n, c.s.h, c.s.w, c.s.c)
		sk.WG, sk.Loads, sk.Parts, ak.Parts = c.wg, c.loads, c.parts, c.parts
		testGroupNorm(t, c.s, sk, ak)
	}
}

// testGroupNorm checks the statistics sk of the case against float64
// ones and the apply ak against internal/ref.
func testGroupNorm(t *testing.T, s groupNormCase, sk GroupNormStats, ak GroupNormApply) {
	t.Helper()
	t.Run(fmt.Sprintf("%s_%s_offset%g_spike%g", sk.Label(), ak.Label(), s.offset, s.spike), func(t *testing.T) {
		x := &ref.Tensor{N: s.n, H: s.h, W: s.w, C: s.c, Data: normInput(s.n, s.h*s.w*s.c, s.c, s.offset)}
		for b := 0; b < s.n; b++ {
			x.Data[b*s.h*s.w*s.c] += s.spike
		}
		gamma, beta := randomFloats(s.c, 2), randomFloats(s.c, 3)
		want := ref.GroupNorm(x, gamma, beta).Data
		in, stats := buffer(t, x.Data, 0), buffer(t, nil, sk.StatsFloats())
		got := runKernels(t, []Kernel{sk}, [][]gpu.Resource{{in.res(), stats.res()}}, stats, sk.StatsFloats())
		checkStats(t, statsOf(sk, got), x.Data, s.n)
		if math.Abs(float64(s.offset)) > 100 {
			// The f32 mean itself is off by up to half an ulp (3e-5 at
			// 1000), more than the output tolerance allows: statistics only.
			return
		}
		checkGuarded(t, ak, []gpu.Resource{in.res(), stats.res(), buffer(t, gamma, 0).res(), buffer(t, beta, 0).res()},
			want, pass{sk, []gpu.Resource{in.res(), stats.res()}})
	})
}

// layerNormCase is a LayerNorm conformance case: n images of c values
// around offset.
type layerNormCase struct {
	n, c   int
	act    act.Func
	offset float32
	wg     int // 0: as chosen
}

func (s layerNormCase) kernel() LayerNorm {
	k := ChooseLayerNorm(s.n, s.c, Epilogue{Act: s.act})
	if s.wg != 0 {
		k.WG = s.wg
	}
	return k
}

// layerNormShapes are LowFormer's LayerNorm shapes that BenchmarkLayerNorm
// times and TestLayerNorm checks.
var layerNormShapes = []layerNormCase{{1, 1600, hs, 0, 0}}

// layerNormCases are the conformance cases: edge cases of the statistics,
// the workgroup and the activation, then layerNormShapes.
var layerNormCases = append([]layerNormCase{
	{3, 2560, none, 100, 0},
	{2, 20, ge, -30, 0},
	{1, 4, hs, 0, 0},
	{2, 1600, hs, 10, 2}, // a small workgroup: many values per invocation
}, layerNormShapes...)

func TestLayerNorm(t *testing.T) {
	for _, s := range layerNormCases {
		testLayerNorm(t, s, s.kernel())
		testLayerNorm(t, s, genericTarget.LayerNorm(s.n, s.c, Epilogue{Act: s.act}))
		if s.wg == 0 {
			testLayerNorm(t, s, Target{Set: SetGPU}.LayerNorm(s.n, s.c, Epilogue{Act: s.act}))
		}
	}
}

// testLayerNorm checks k, a LayerNorm of the case, against internal/ref.
func testLayerNorm(t *testing.T, s layerNormCase, k LayerNorm) {
	t.Helper()
	t.Run(fmt.Sprintf("%s_offset%g", k.Label(), s.offset), func(t *testing.T) {
		x := &ref.Tensor{N: s.n, H: 1, W: 1, C: s.c, Data: normInput(s.n, s.c, s.c, s.offset)}
		gamma, beta := randomFloats(s.c, 2), randomFloats(s.c, 3)
		want := ref.LayerNorm(x, gamma, beta, s.act).Data
		checkGuarded(t, k, []gpu.Resource{buffer(t, x.Data, 0).res(), buffer(t, gamma, 0).res(), buffer(t, beta, 0).res()}, want)
	})
}

func TestNormRejectsBadShapes(t *testing.T) {
	for _, k := range []Kernel{
		GroupNormStats{N: 1, HW: 49, C: 6, WG: 64},
		GroupNormStats{N: 1, HW: 49, C: 8, WG: 48},
		GroupNormStats{N: 1, HW: 49, C: 8, WG: 64, Loads: 9},
		GroupNormStats{N: 1, HW: 3, C: 12, WG: 64, Parts: 8}, // ⌈9/8⌉ = 2 vec4 per part: the 6th to 8th are empty
		GroupNormStats{N: 20000, HW: 49, C: 8, WG: 64, Parts: 4},
		GroupNormApply{N: 1, HW: 49, C: 8, PX: 4, WG: 64, Parts: 65},
		GroupNormApply{N: 1, HW: 49, C: 8, PX: 0, WG: 64},
		GroupNormApply{N: 1, HW: 49, C: 8, PX: 4, WG: 512},
		LayerNorm{N: 1, C: 1600, WG: 64, Epilogue: Epilogue{Act: 9}},
		LayerNorm{N: 1, C: 1600, WG: 64, Epilogue: Epilogue{Residual: true}},
		LayerNorm{N: 0, C: 1600, WG: 64},
	} {
		if _, err := k.Source(); err == nil {
			t.Errorf("%s: no error", k.Label())
		}
	}
}

func BenchmarkGroupNorm(b *testing.B) {
	for _, s := range groupNormShapes {
		sk, ak := ChooseGroupNorm(s.n, s.h, s.w, s.c)
		size := s.n * s.h * s.w * s.c
		b.Run(sk.Label(), func(b *testing.B) { benchKernel(b, sk, 3*float64(size), size, sk.StatsFloats()) })
		b.Run(ak.Label(), func(b *testing.B) {
			benchKernel(b, ak, 2*float64(size), size, sk.StatsFloats(), s.c, s.c, size)
		})
	}
}

func BenchmarkLayerNorm(b *testing.B) {
	for _, s := range layerNormShapes {
		k := s.kernel()
		size := s.n * s.c
		b.Run(k.Label(), func(b *testing.B) { benchKernel(b, k, 8*float64(size), size, s.c, s.c, size) })
	}
}
