//go:build js || cgo

package kernels

import (
	"slices"
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/ref"
)

// gpuSet is the target of the GPU kernel set.
var gpuSet = Target{Set: SetGPU}

// coopShapes are GEMM shapes [n,h,w,k→cout] for the cooperative tiles:
// ragged rows (49, 75 = 3·25), ragged vec4 columns (N/4 = 9, 5), K shorter
// than one staged chunk and not a multiple of it (20, 36, 100), batch > 1.
var coopShapes = [][5]int{
	{1, 7, 7, 128, 256},
	{3, 5, 5, 20, 36},
	{2, 9, 7, 100, 20},
	{1, 1, 1, 4, 4},
	{2, 8, 8, 64, 64},
}

// TestPointwiseCoop runs every cooperative tile of the GPU set on every
// shape of coopShapes, with each epilogue and both weight sources.
func TestPointwiseCoop(t *testing.T) {
	epis := []Epilogue{{hs, true}, {ge, false}, {none, true}}
	i := 0
	for _, c := range coopTiles {
		for _, s := range coopShapes {
			i++
			e, tex := epis[i%len(epis)], i%2 == 0
			n, h, w, kk, cout := s[0], s[1], s[2], s[3], s[4]
			k := Pointwise{M: n * h * w, K: kk, N: cout, Tile: c.Tile, Coop: c.Coop, Tex: tex, Epilogue: e}
			t.Run(k.Label(), func(t *testing.T) {
				dc := newDenseCase(n, h, w, kk, kk*cout, cout, e.Residual, [4]int{n, h, w, cout}, uint64(i))
				dc.run(t, k, tex, kk, cout, ref.Conv2D(dc.x, dc.w, dc.bias, 1, 1, cout, e.Act, dc.res).Data)
			})
		}
	}
}

// TestPointwiseGPUChoice runs the GPU set's choice for B0's shapes and the
// conformance edge cases, at batch 1 and 2.
func TestPointwiseGPUChoice(t *testing.T) {
	for _, s := range pointwiseCases {
		for _, batch := range []int{1, 2} {
			if s.n*batch*s.h*s.w > 20000 {
				continue // the 112×112 stem shape at batch 2: slow on lavapipe, covered at batch 1
			}
			n := s.n * batch
			k := gpuSet.Pointwise(n*s.h*s.w, s.k, s.cout, s.e)
			if !k.Coop.On() || k.Tex {
				t.Fatalf("%s: the GPU set chose a register tile or texture weights", k.Label())
			}
			t.Run(k.Label(), func(t *testing.T) {
				c := newDenseCase(n, s.h, s.w, s.k, s.k*s.cout, s.cout, s.e.Residual, [4]int{n, s.h, s.w, s.cout}, 11)
				c.run(t, k, false, s.k, s.cout, ref.Conv2D(c.x, c.w, c.bias, 1, 1, s.cout, s.e.Act, c.res).Data)
			})
		}
	}
}

// TestCoopRejectsBad checks that invalid cooperative layouts fail Source
// with an error, not a broken shader.
func TestCoopRejectsBad(t *testing.T) {
	ok := Coop{WM: 8, WN: 8, KS: 1, KC: 32}
	t4 := Tile{TM: 4, TN: 4, WG: 64}
	for _, c := range []struct {
		tile Tile
		coop Coop
		want string
	}{
		{t4, Coop{WM: 8, WN: 8, KS: 3, KC: 32}, "K split 3"},
		{t4, Coop{WM: 8, WN: 8, KS: 1, KC: 6}, "K chunk 6"},
		{t4, Coop{WM: 8, WN: 8, KS: 1, KC: 64}, "K chunk 64"},
		{Tile{TM: 4, TN: 4, WG: 32}, ok, "workgroup size 32"},
		{Tile{TM: 16, TN: 4, WG: 64}, ok, "rows 16"},
		{Tile{TM: 8, TN: 16, WG: 256}, Coop{WM: 16, WN: 16, KS: 1, KC: 32}, "workgroup memory"},
		{t4, Coop{WM: 0, WN: 8, KS: 1, KC: 8}, ""}, // off: the register tiling, valid
	} {
		k := Pointwise{M: 49, K: 64, N: 64, Tile: c.tile, Coop: c.coop}
		_, err := k.Source()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%+v: %v", c.coop, err)
		case c.want != "" && (err == nil || !contains(err.Error(), c.want)):
			t.Errorf("%+v %+v: error %v, want one mentioning %q", c.tile, c.coop, err, c.want)
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// TestConvCoop runs the GPU set's implicit-GEMM convolution on every
// conformance shape of TestConv, and every cooperative tile on ragged
// shapes (strides 1 and 2, 1×1/3×3/5×5 taps, batch > 1).
func TestConvCoop(t *testing.T) {
	type cc struct {
		s    convCase
		tile coopTile // zero: the GPU set's choice
	}
	var cases []cc
	for _, s := range convCases {
		if s.n*s.h*s.w <= 224*224/4 { // the 224×224 stem: slow on lavapipe, its shape is in the model tests
			cases = append(cases, cc{s: s})
		}
	}
	ragged := []convCase{
		{3, 15, 15, 20, 40, 3, 1, Tile{}, false, Epilogue{ge, true}},
		{2, 17, 9, 40, 12, 3, 2, Tile{}, false, Epilogue{hs, false}},
		{1, 15, 15, 20, 20, 5, 2, Tile{}, false, Epilogue{none, true}},
	}
	for i, c := range coopTiles {
		cases = append(cases, cc{ragged[i%len(ragged)], c}, cc{ragged[(i+1)%len(ragged)], c})
	}
	for _, c := range cases {
		s := c.s
		k := gpuSet.Conv(s.n, s.h, s.w, s.cin, s.cout, s.k, s.stride, s.e)
		if c.tile != (coopTile{}) {
			k.Tile, k.Coop = c.tile.Tile, c.tile.Coop
		}
		if !k.Coop.On() {
			t.Fatalf("%s: not a cooperative tile", k.Label())
		}
		t.Run(k.Label(), func(t *testing.T) {
			ho, wo := k.OutSize()
			dc := newDenseCase(s.n, s.h, s.w, s.cin, s.k*s.k*s.cin*s.cout, s.cout, s.e.Residual, [4]int{s.n, ho, wo, s.cout}, 11)
			want := ref.Conv2D(dc.x, dc.w, dc.bias, s.k, s.stride, s.cout, s.e.Act, dc.res).Data
			dc.run(t, k, k.Tex, s.k*s.k*s.cin, s.cout, want)
		})
	}
}

// TestLinearCoop runs the GPU set's Linear on every conformance shape of
// TestLinear (padded columns, batch 1–9) and at batch 32.
func TestLinearCoop(t *testing.T) {
	cases := append(slices.Clone(linearCases), linearCase{32, 320, 1000, Tile{}, false, hs})
	for _, s := range cases {
		k := gpuSet.Linear(s.batch, s.k, s.n, Epilogue{Act: s.act})
		if !k.Coop.On() || k.Tex {
			t.Fatalf("%s: the GPU set chose a register tile or texture weights", k.Label())
		}
		t.Run(k.Label(), func(t *testing.T) {
			c := newDenseCase(s.batch, 1, 1, s.k, s.k*s.n, s.n, false, [4]int{}, 5)
			want := ref.Linear(c.x, c.w, c.bias, s.n, s.act).Data
			var err error
			if c.w, err = k.PackWeights(c.w); err != nil {
				t.Fatal(err)
			}
			if c.bias, err = k.PackBias(c.bias); err != nil {
				t.Fatal(err)
			}
			c.run(t, k, false, s.k, 4*k.n4(), want)
		})
	}
}

// TestWinogradCoop runs Winograd with the GPU set's cooperative products
// on every conformance shape of TestWinograd, for both tile sides.
func TestWinogradCoop(t *testing.T) {
	for _, s := range winogradCases {
		for _, m := range winogradTileSizes {
			k := s.kernels(m)
			g := &k.Gemm
			g.Tile, g.Coop = gpuSet.chooseCoopTile(g.Tiles, g.Cout/4, g.Cin/4, g.Planes)
			g.Tex = false
			t.Run(k.Gemm.Label()+"_"+k.Out.Label(), func(t *testing.T) {
				c := newDenseCase(s.n, s.h, s.w, s.cin, 9*s.cin*s.cout, s.cout, s.e.Residual, [4]int{s.n, s.h, s.w, s.cout}, 13)
				want := ref.Conv2D(c.x, c.w, c.bias, 3, 1, s.cout, s.e.Act, c.res).Data
				checkClose(t, k.Gemm.Label(), runWinograd(t, k, c, len(want)), want)
			})
		}
	}
	// The target's choice: the GPU set's tile for the products.
	k := gpuSet.Winograd(2, 14, 14, 128, 512, Epilogue{})
	if !k.Gemm.Coop.On() || k.Gemm.Tex {
		t.Errorf("%s: the GPU set chose a register tile or texture weights", k.Gemm.Label())
	}
}
