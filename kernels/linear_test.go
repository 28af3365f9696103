//go:build js || cgo

package kernels

import (
	"fmt"
	"slices"
	"testing"

	"github.com/lowformer/lowformer-webgpu/act"
	"github.com/lowformer/lowformer-webgpu/internal/ref"
)

// linearCase is a Linear conformance case: batch vectors of k features to n.
type linearCase struct {
	batch, k, n int
	tile        Tile // zero: ChooseLinear's
	tex         bool
	act         act.Func
}

func (s linearCase) kernel() Linear {
	k := ChooseLinear(s.batch, s.k, s.n, Epilogue{Act: s.act})
	if s.tile != (Tile{}) {
		k.Tile = s.tile
	}
	k.Tex = s.tex
	return k
}

// linearShapes are the classifier heads: B0/B1 (1536→1600→1000) and
// B1.5/E1 (2304→2560→1000), at batch 1 and 8. BenchmarkLinear times them
// (with either weight source), TestLinear checks them.
var linearShapes = []linearCase{
	{1, 1536, 1600, Tile{}, true, none}, {1, 1600, 1000, Tile{}, true, none},
	{1, 2304, 2560, Tile{}, true, none}, {1, 2560, 1000, Tile{}, true, none},
	{8, 1536, 1600, Tile{}, true, none}, {8, 1600, 1000, Tile{}, true, none},
}

// linearCases are the conformance cases: edge cases of the tiling, the
// padded columns and the activation, then linearShapes.
var linearCases = append([]linearCase{
	{1, 4, 4, Tile{}, false, none},
	{1, 320, 1000, Tile{}, true, none},
	{1, 320, 1000, Tile{1, 8, 16}, false, hs},
	{3, 40, 37, Tile{}, true, ge},
	{3, 40, 37, Tile{3, 16, 8}, false, hs},
	{2, 128, 1, Tile{}, false, none},
	{9, 128, 20, Tile{8, 4, 16}, true, hs},
	{9, 320, 130, Tile{4, 16, 8}, false, ge},
	{5, 1536, 1600, Tile{}, true, hs},
}, linearShapes...)

func TestLinear(t *testing.T) {
	var ks []Linear
	var cs []linearCase
	for _, s := range linearCases {
		ks, cs = append(ks, s.kernel()), append(cs, s)
	}
	for _, s := range linearCases { // the generic flavour of every case
		s.tex = false
		ks, cs = append(ks, genericTarget.Linear(s.batch, s.k, s.n, Epilogue{Act: s.act})), append(cs, s)
	}
	for i, k := range ks {
		s := cs[i]
		t.Run(fmt.Sprintf("%d_%s", i, k.Label()), func(t *testing.T) {
			c := newDenseCase(s.batch, 1, 1, s.k, s.k*s.n, s.n, false, [4]int{}, 5)
			want := ref.Linear(c.x, c.w, c.bias, s.n, s.act).Data
			var err error
			if c.w, err = k.PackWeights(c.w); err != nil {
				t.Fatal(err)
			}
			if c.bias, err = k.PackBias(c.bias); err != nil {
				t.Fatal(err)
			}
			c.run(t, k, s.tex, s.k, 4*k.n4(), want)
		})
	}
}

func TestLinearPacking(t *testing.T) {
	k := Linear{Batch: 1, K: 2, N: 3}
	w, err := k.PackWeights([]float32{1, 2, 3, 4, 5, 6})
	if want := []float32{1, 2, 3, 0, 4, 5, 6, 0}; err != nil || !slices.Equal(w, want) {
		t.Errorf("PackWeights = %v, %v; want %v", w, err, want)
	}
	b, err := k.PackBias([]float32{7, 8, 9})
	if want := []float32{7, 8, 9, 0}; err != nil || !slices.Equal(b, want) {
		t.Errorf("PackBias = %v, %v; want %v", b, err, want)
	}
	if b, err := k.PackBias(nil); err != nil || !slices.Equal(b, make([]float32, 4)) {
		t.Errorf("PackBias(nil) = %v, %v; want 4 zeros", b, err)
	}
	if _, err := k.PackWeights(make([]float32, 5)); err == nil {
		t.Error("PackWeights accepted 5 weights for K·N = 6")
	}
	if _, err := k.PackBias(make([]float32, 4)); err == nil {
		t.Error("PackBias accepted 4 values for N = 3")
	}
	aligned := Linear{Batch: 1, K: 1, N: 4}
	if w, err := aligned.PackWeights([]float32{1, 2, 3, 4}); err != nil || !slices.Equal(w, []float32{1, 2, 3, 4}) {
		t.Errorf("PackWeights = %v, %v for N a multiple of 4; want the weights unchanged", w, err)
	}
}

func TestLinearRejectsBadShapes(t *testing.T) {
	ok := Tile{1, 8, 16}
	for _, k := range []Linear{
		{Batch: 1, K: 6, N: 16, Tile: ok},
		{Batch: 0, K: 16, N: 16, Tile: ok},
		{Batch: 1, K: 16, N: 0, Tile: ok},
		{Batch: 1, K: 16384, N: 16, Tile: ok, Tex: true},
		{Batch: 1, K: 16, N: 16, Tile: Tile{1, 10, 16}},
		{Batch: 1, K: 16, N: 16, Tile: ok, Epilogue: Epilogue{Act: 9}},
		{Batch: 1, K: 16, N: 16, Tile: ok, Epilogue: Epilogue{Residual: true}},
	} {
		if _, err := k.Source(); err == nil {
			t.Errorf("%s: Source accepted an invalid specialization", k.Label())
		}
	}
}
