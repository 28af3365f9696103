//go:build js || cgo

package kernels

import (
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/ref"
)

// convCase is a Conv conformance case: a k×k convolution of an
// [n,h,w,cin] input to cout channels.
type convCase struct {
	n, h, w, cin, cout, k, stride int
	tile                          Tile // zero: ChooseConv's
	tex                           bool
	e                             Epilogue
}

func (s convCase) kernel() Conv {
	k := ChooseConv(s.n, s.h, s.w, s.cin, s.cout, s.k, s.stride, s.e)
	if s.tile != (Tile{}) {
		k.Tile = s.tile
	}
	k.Tex = s.tex
	return k
}

// convShapes are LowFormer's dense convolutions at 224 px (B0): the
// stage-3 local conv the team tracks first, then the stem, the stride-2
// downsamplers and the stage-4 attention's 3×3 ConvTranspose as a conv.
// BenchmarkConv times them (with either weight source), TestConv checks
// them.
var convShapes = []convCase{
	{1, 14, 14, 128, 512, 3, 1, Tile{}, true, Epilogue{Act: hs}},
	{1, 224, 224, 4, 16, 3, 2, Tile{}, true, Epilogue{Act: hs}},
	{1, 112, 112, 16, 64, 3, 2, Tile{}, true, Epilogue{Act: hs}},
	{1, 56, 56, 32, 128, 3, 2, Tile{}, true, Epilogue{Act: hs}},
	{1, 28, 28, 64, 256, 3, 2, Tile{}, true, Epilogue{Act: hs}},
	{1, 14, 14, 128, 512, 3, 2, Tile{}, true, Epilogue{Act: hs}},
	{1, 7, 7, 128, 256, 3, 1, Tile{}, true, Epilogue{Act: hs}},
}

// convCases are the conformance cases: edge cases of the tiling, the
// taps and the epilogue, then convShapes.
var convCases = append([]convCase{
	{1, 17, 9, 4, 16, 3, 2, Tile{4, 16, 8}, true, Epilogue{hs, false}},
	{1, 17, 9, 4, 16, 3, 2, Tile{}, true, Epilogue{ge, true}},
	{2, 15, 15, 4, 20, 3, 2, Tile{4, 16, 16}, false, Epilogue{none, false}},
	{2, 15, 15, 4, 20, 3, 2, Tile{8, 16, 16}, true, Epilogue{ge, false}},
	{3, 15, 15, 20, 40, 3, 1, Tile{8, 16, 16}, true, Epilogue{ge, true}},
	{1, 7, 7, 128, 320, 3, 1, Tile{14, 16, 16}, true, Epilogue{hs, true}},
	{1, 7, 7, 128, 320, 3, 1, Tile{7, 16, 32}, false, Epilogue{none, false}},
	{1, 1, 1, 40, 20, 3, 1, Tile{}, false, Epilogue{hs, true}},
	{3, 17, 9, 320, 40, 3, 2, Tile{4, 16, 16}, false, Epilogue{ge, false}},
	{1, 15, 15, 20, 20, 5, 2, Tile{4, 8, 16}, true, Epilogue{hs, false}},
	{1, 9, 9, 8, 12, 3, 1, Tile{2, 8, 8}, true, Epilogue{ge, false}},
	{1, 15, 15, 20, 20, 5, 1, Tile{7, 16, 8}, false, Epilogue{none, true}},
	{2, 17, 9, 40, 128, 1, 2, Tile{}, true, Epilogue{none, false}},
	{1, 14, 14, 128, 512, 3, 1, Tile{}, true, Epilogue{hs, true}},
	{1, 7, 7, 128, 256, 3, 1, Tile{}, true, Epilogue{none, true}},
}, convShapes...)

func TestConv(t *testing.T) {
	for _, s := range convCases {
		k := s.kernel()
		t.Run(k.Label(), func(t *testing.T) {
			ho, wo := k.OutSize()
			c := newDenseCase(s.n, s.h, s.w, s.cin, s.k*s.k*s.cin*s.cout, s.cout, s.e.Residual, [4]int{s.n, ho, wo, s.cout}, 11)
			want := ref.Conv2D(c.x, c.w, c.bias, s.k, s.stride, s.cout, s.e.Act, c.res).Data
			c.run(t, k, s.tex, s.k*s.k*s.cin, s.cout, want)
		})
	}
}

func TestConvRejectsBadShapes(t *testing.T) {
	ok := Tile{8, 16, 32}
	for _, k := range []Conv{
		{N: 1, H: 7, W: 7, Cin: 3, Cout: 16, K: 3, Stride: 1, Tile: ok},
		{N: 1, H: 7, W: 7, Cin: 4, Cout: 18, K: 3, Stride: 1, Tile: ok},
		{N: 1, H: 7, W: 7, Cin: 4, Cout: 16, K: 3, Stride: 0, Tile: ok},
		{N: 1, H: 7, W: 7, Cin: 4, Cout: 16, K: 0, Stride: 1, Tile: ok},
		{N: 0, H: 7, W: 7, Cin: 4, Cout: 16, K: 3, Stride: 1, Tile: ok},
		{N: 1, H: 7, W: 7, Cin: 1024, Cout: 16, K: 3, Stride: 1, Tile: ok, Tex: true},
		{N: 1, H: 7, W: 7, Cin: 4, Cout: 16, K: 3, Stride: 1, Tile: Tile{8, 16, 0}},
		{N: 1, H: 7, W: 7, Cin: 4, Cout: 16, K: 3, Stride: 1, Tile: ok, Epilogue: Epilogue{Act: 3}},
	} {
		if _, err := k.Source(); err == nil {
			t.Errorf("%s: Source accepted an invalid specialization", k.Label())
		}
	}
}
