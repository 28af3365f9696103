//go:build js || cgo

package kernels

import (
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
