//go:build js || cgo

package kernels

import (
	"math"
	"testing"

	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/internal/ref"
)

// runWinograd runs k's three kernels on c's operands and returns the output.
func runWinograd(t *testing.T, k Winograd, c denseCase, outLen int) []float32 {
	t.Helper()
	u, err := WinogradWeights(c.w, k.Gemm.Cin, k.Gemm.Cout, k.TileSide())
	if err != nil {
		t.Fatal(err)
	}
	in, out := buffer(t, c.x.Data, 0), buffer(t, nil, outLen)
	v, m := buffer(t, nil, k.VFloats()), buffer(t, nil, k.MFloats())
	outRes := []gpu.Resource{m.res(), buffer(t, c.bias, 0).res()}
	if c.res != nil {
		outRes = append(outRes, buffer(t, c.res.Data, 0).res())
	}
	return runKernels(t, k.Kernels(), [][]gpu.Resource{
		{in.res(), v.res()},
		{v.res(), weightRes(t, u, k.Gemm.Planes*k.Gemm.Cin, k.Gemm.Cout, k.Gemm.Tex), m.res()},
		append(outRes, out.res()),
	}, out, outLen)
}

// winogradCase is a Winograd conformance case: a stride-1 3×3 convolution
// of an [n,h,w,cin] input to cout channels.
type winogradCase struct {
	n, h, w, cin, cout int
	tile               Tile // zero: ChooseWinograd's
	tex                bool
	e                  Epilogue
}

// kernels is the case's Winograd convolution with m×m output tiles.
func (s winogradCase) kernels(m int) Winograd {
	k, _ := winogradFor(s.n, s.h, s.w, s.cin, s.cout, m, s.e)
	if s.tile != (Tile{}) {
		k.Gemm.Tile = s.tile
	}
	k.Gemm.Tex = s.tex && texFits(k.Gemm.Planes*s.cin, s.cout)
	return k
}

// winogradShapes are stride-1 3×3 convolutions: B0's stage-3 local conv
// and stage-4 attention conv (ConvTranspose k3 s1), at batch 1 and 2, and
// smaller channel counts at higher resolutions. The benchmarks time them,
// TestWinograd checks them.
var winogradShapes = []winogradCase{
	{1, 14, 14, 128, 512, Tile{}, true, Epilogue{hs, true}},
	{1, 7, 7, 128, 256, Tile{}, true, Epilogue{hs, true}},
	{2, 14, 14, 128, 512, Tile{}, true, Epilogue{hs, true}},
	{2, 7, 7, 128, 256, Tile{}, true, Epilogue{hs, true}},
	{1, 28, 28, 64, 256, Tile{}, true, Epilogue{hs, true}},
	{1, 56, 56, 32, 128, Tile{}, true, Epilogue{hs, true}},
	{1, 14, 14, 32, 64, Tile{}, true, Epilogue{hs, true}},
}

// winogradCases are the conformance cases: edge cases of the tiles, the
// GEMM tiling and the epilogue, then winogradShapes.
var winogradCases = append([]winogradCase{
	{1, 1, 1, 4, 4, Tile{}, false, Epilogue{none, false}},
	{1, 1, 1, 40, 20, Tile{}, true, Epilogue{hs, true}},
	{1, 7, 7, 128, 256, Tile{}, true, Epilogue{none, true}},
	{1, 7, 7, 128, 320, Tile{14, 16, 16}, false, Epilogue{hs, true}},
	{3, 7, 7, 128, 128, Tile{}, true, Epilogue{ge, false}},
	{1, 15, 15, 20, 40, Tile{7, 8, 8}, true, Epilogue{ge, true}},
	{3, 15, 15, 40, 20, Tile{}, false, Epilogue{hs, false}},
	{1, 17, 9, 4, 128, Tile{4, 16, 16}, true, Epilogue{ge, false}},
	{3, 17, 9, 128, 4, Tile{}, true, Epilogue{none, true}},
	{2, 8, 6, 20, 20, Tile{3, 4, 8}, false, Epilogue{hs, true}},
	{1, 2, 3, 8, 8, Tile{}, false, Epilogue{none, true}},
	{1, 7, 7, 64, 128, Tile{}, true, Epilogue{ge, false}},
}, winogradShapes...)

// TestWinograd checks the three kernels together against the direct
// convolution of internal/ref, for both output tile sides, with the
// tolerance of the direct kernels: F(2×2,3×3) adds only a few roundings per
// product (transform sums of ≤ 4 terms with coefficients ±1, ½), and its
// channel sums are 9× shorter than the direct kernel's (measured: ≤ 6.1e-7
// of max|ref|, direct conv ≤ 1.3e-6); F(4×4,3×3)'s sums of ≤ 6 terms with
// coefficients up to 8 stay within it too.
func TestWinograd(t *testing.T) {
	for _, s := range winogradCases {
		for _, m := range winogradTileSizes {
			k := s.kernels(m)
			t.Run(k.Gemm.Label()+"_"+k.Out.Label(), func(t *testing.T) {
				outShape := [4]int{s.n, s.h, s.w, s.cout}
				c := newDenseCase(s.n, s.h, s.w, s.cin, 9*s.cin*s.cout, s.cout, s.e.Residual, outShape, 13)
				want := ref.Conv2D(c.x, c.w, c.bias, 3, 1, s.cout, s.e.Act, c.res).Data
				got := runWinograd(t, k, c, len(want))
				checkClose(t, k.Gemm.Label(), got, want)
			})
		}
	}
}

// TestWinogradMatrices checks the 1-D identity behind both tile sides in
// float64: Aᵀ[(G g) ⊙ (Bᵀ d)] is the correlation of the α inputs d with
// the 3 taps g, m outputs.
func TestWinogradMatrices(t *testing.T) {
	for _, m := range winogradTileSizes {
		bt, g, at, err := winogradMatrices(m)
		if err != nil {
			t.Fatal(err)
		}
		alpha := m + 2
		d := []float64{0.3, -1.2, 2.5, 0.7, -0.4, 1.9}[:alpha]
		taps := []float64{0.8, -0.6, 1.3}
		prod := make([]float64, alpha)
		for i := range alpha {
			var gi, di float64
			for k := range 3 {
				gi += g[i][k] * taps[k]
			}
			for k := range alpha {
				di += bt[i][k] * d[k]
			}
			prod[i] = gi * di
		}
		for r := range m {
			var got, want float64
			for k := range alpha {
				got += at[r][k] * prod[k]
			}
			for k := range 3 {
				want += d[r+k] * taps[k]
			}
			if math.Abs(got-want) > 1e-12 {
				t.Errorf("F(%d,3) output %d = %v, want %v", m, r, got, want)
			}
		}
	}
	if _, _, _, err := winogradMatrices(3); err == nil {
		t.Error("F(3,3): want an error")
	}
}

func TestWinogradWeights(t *testing.T) {
	// One (cin, cout) pair: U = G g Gᵀ by hand for g = 1..9.
	g := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}
	u, err := WinogradWeights(g, 1, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{
		1, 3, 1, 3,
		6, 11.25, 3.75, 9,
		2, 3.75, 1.25, 3,
		7, 12, 4, 9,
	}
	for i := range want {
		if u[i] != want[i] {
			t.Fatalf("U = %v, want %v", u, want)
		}
	}
	if _, err := WinogradWeights(g, 2, 1, 2); err == nil {
		t.Error("9 weights for 2→1 channels: want an error")
	}
	if _, err := WinogradWeights(g, 1, 1, 3); err == nil {
		t.Error("output tile side 3: want an error")
	}
}

func TestWinogradRejectsBadShapes(t *testing.T) {
	ok := Tile{8, 16, 32}
	for _, k := range []Kernel{
		WinogradInput{N: 1, H: 7, W: 7, C: 6, M: 2, WG: 64},
		WinogradInput{N: 0, H: 7, W: 7, C: 8, M: 2, WG: 64},
		WinogradInput{N: 1, H: 7, W: 7, C: 8, M: 3, WG: 64},
		WinogradOutput{N: 1, H: 7, W: 7, C: 8, M: 4, WG: 0},
		WinogradOutput{N: 1, H: 7, W: 7, C: 8, M: 0, WG: 64},
		WinogradOutput{N: 1, H: 7, W: 7, C: 8, M: 2, WG: 64, Epilogue: Epilogue{Act: 9}},
		WinogradGemm{Planes: 16, Tiles: 16, Cin: 6, Cout: 8, Tile: ok},
		WinogradGemm{Planes: 16, Tiles: 16, Cin: 1024, Cout: 8, Tile: ok, Tex: true},
		WinogradGemm{Planes: 36, Tiles: 16, Cin: 512, Cout: 8, Tile: ok, Tex: true},
		WinogradGemm{Planes: 16, Tiles: 16, Cin: 8, Cout: 8, Tile: Tile{8, 16, 0}},
		WinogradGemm{Planes: 25, Tiles: 16, Cin: 8, Cout: 8, Tile: ok},
	} {
		if _, err := k.Source(); err == nil {
			t.Errorf("%s: Source accepted an invalid specialization", k.Label())
		}
	}
}

// TestChooseWinograd checks, for every case's shape, that the batched
// GEMM's workgroups hold no idle lanes where a smaller size avoids them
// (7×7 images give 16 tiles: one 16-invocation block per product at
// 64→128 channels).
func TestChooseWinograd(t *testing.T) {
	for _, s := range winogradCases {
		k := ChooseWinograd(s.n, s.h, s.w, s.cin, s.cout, Epilogue{})
		g := k.Gemm
		inv := ceilDiv(g.Tiles, g.TM) * ceilDiv(g.Cout, g.TN)
		if inv >= 8 && inv%g.WG != 0 && inv%8 == 0 {
			t.Errorf("%s: %d invocations per product in workgroups of %d leave idle lanes", g.Label(), inv, g.WG)
		}
		for _, k := range k.Kernels() {
			if _, err := k.Source(); err != nil {
				t.Errorf("%+v: %v", s, err)
			}
		}
	}
}

func TestUseWinograd(t *testing.T) {
	for _, s := range []struct {
		h, w, cin, cout, k, stride int
		want                       bool
	}{
		{14, 14, 128, 512, 3, 1, true},
		{7, 7, 128, 256, 3, 1, true},
		{4, 4, 64, 64, 3, 1, true},
		{14, 14, 128, 512, 3, 2, false},
		{14, 14, 128, 512, 1, 1, false},
		{14, 14, 128, 512, 5, 1, false},
		{56, 56, 32, 128, 3, 1, false},
		{3, 2, 128, 512, 3, 1, false},
	} {
		if got := UseWinograd(s.h, s.w, s.cin, s.cout, s.k, s.stride); got != s.want {
			t.Errorf("UseWinograd%v = %v, want %v", s, got, s.want)
		}
	}
}
