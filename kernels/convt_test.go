//go:build js || cgo

package kernels

import (
	"fmt"
	"testing"

	"github.com/lowformer/lowformer-webgpu/act"
	"github.com/lowformer/lowformer-webgpu/internal/ref"
)

// convTransposeCase is a ConvTranspose conformance case: an [n,h,w,cin]
// input to cout channels, cropped to cropH×cropW.
type convTransposeCase struct {
	n, h, w, cin, cout, cropH, cropW int
	e                                Epilogue
	tile                             Tile // zero: as chosen
	buf                              bool // storage-buffer weights instead of the chosen texture
}

func (s convTransposeCase) kernel() ConvTranspose {
	k := ChooseConvTranspose(s.n, s.h, s.w, s.cin, s.cout, s.cropH, s.cropW, s.e)
	if s.tile != (Tile{}) {
		k.Tile = s.tile
	}
	k.Tex = k.Tex && !s.buf
	return k
}

// convTransposeShapes are the stage-4 attention upsamplings of LowFormer
// that BenchmarkConvTranspose times (with either weight source) and
// TestConvTranspose checks.
var convTransposeShapes = []convTransposeCase{
	{1, 7, 7, 64, 128, 14, 14, Epilogue{Residual: true}, Tile{}, false},
	{1, 7, 7, 80, 160, 14, 14, Epilogue{Residual: true}, Tile{}, false},
}

// convTransposeCases are the conformance cases: edge cases of the crop,
// the tiling and the epilogue, then convTransposeShapes.
var convTransposeCases = append([]convTransposeCase{
	{1, 7, 7, 64, 128, 14, 14, Epilogue{}, Tile{}, true},
	{3, 8, 8, 80, 160, 15, 15, Epilogue{Residual: true}, Tile{}, false},
	{2, 9, 5, 20, 40, 17, 9, Epilogue{Act: act.HSwish}, Tile{}, true},
	{1, 1, 1, 4, 4, 1, 1, Epilogue{Residual: true}, Tile{}, false},
	{1, 1, 1, 4, 4, 2, 2, Epilogue{}, Tile{}, false},
	{1, 4, 4, 40, 20, 7, 8, Epilogue{Residual: true}, Tile{}, false},
	{1, 7, 7, 64, 128, 13, 14, Epilogue{}, Tile{5, 8, 16}, false},                           // padded row blocks, TN 8
	{2, 4, 4, 8, 320, 8, 7, Epilogue{Act: act.GELU, Residual: true}, Tile{8, 12, 32}, true}, // ragged columns
	{1, 3, 5, 4, 12, 6, 9, Epilogue{}, Tile{3, 4, 8}, false},
}, convTransposeShapes...)

// convTransposeGPUCases are GPU-set tiles forced to edge cases (a
// partial row block per parity, ragged columns, one row per invocation)
// and a shape large enough for the chosen 4 rows per invocation.
var convTransposeGPUCases = []convTransposeCase{
	{2, 5, 3, 12, 20, 10, 5, Epilogue{Act: act.HSwish, Residual: true}, Tile{4, 8, 64}, true},
	{1, 7, 7, 16, 36, 13, 14, Epilogue{}, Tile{1, 4, 256}, true},
	{4, 14, 14, 8, 128, 28, 27, Epilogue{Residual: true}, Tile{}, true}, // as chosen: 4 rows per invocation
}

func TestConvTranspose(t *testing.T) {
	var ks []ConvTranspose
	var cs []convTransposeCase
	for _, s := range convTransposeCases {
		ks, cs = append(ks, s.kernel()), append(cs, s)
		if s.tile == (Tile{}) && !s.buf {
			ks, cs = append(ks, Target{Set: SetGPU}.ConvTranspose(s.n, s.h, s.w, s.cin, s.cout, s.cropH, s.cropW, s.e)), append(cs, s)
		}
	}
	for _, s := range convTransposeCases { // the generic flavour of every case
		ks, cs = append(ks, genericTarget.ConvTranspose(s.n, s.h, s.w, s.cin, s.cout, s.cropH, s.cropW, s.e)), append(cs, s)
	}
	for _, s := range convTransposeGPUCases {
		k := Target{Set: SetGPU}.ConvTranspose(s.n, s.h, s.w, s.cin, s.cout, s.cropH, s.cropW, s.e)
		if s.tile != (Tile{}) {
			k.Tile = s.tile
		}
		ks, cs = append(ks, k), append(cs, s)
	}
	for i, k := range ks {
		s := cs[i]
		t.Run(fmt.Sprintf("%d_%s", i, k.Label()), func(t *testing.T) {
			c := newDenseCase(s.n, s.h, s.w, s.cin, 16*s.cin*s.cout, s.cout, s.e.Residual, [4]int{s.n, s.cropH, s.cropW, s.cout}, 1)
			want := ref.ConvTranspose4x4S2(c.x, c.w, c.bias, s.cout, s.cropH, s.cropW, c.res)
			if s.e.Act != act.None { // the reference has no activation: apply it before the residual
				want = ref.ConvTranspose4x4S2(c.x, c.w, c.bias, s.cout, s.cropH, s.cropW, nil)
				for i, v := range want.Data {
					want.Data[i] = s.e.Act.Apply(v)
					if c.res != nil {
						want.Data[i] += c.res.Data[i]
					}
				}
			}
			checkGuarded(t, k, c.inputs(t, k.Tex, 16*s.cin, s.cout), want.Data)
		})
	}
}

func TestConvTransposeRejectsBadShapes(t *testing.T) {
	tile := Tile{7, 8, 32}
	for _, k := range []ConvTranspose{
		{N: 1, H: 7, W: 7, Cin: 6, Cout: 8, CropH: 14, CropW: 14, Tile: tile},
		{N: 1, H: 7, W: 7, Cin: 8, Cout: 8, CropH: 15, CropW: 14, Tile: tile},
		{N: 1, H: 7, W: 7, Cin: 8, Cout: 8, CropH: 14, CropW: 0, Tile: tile},
		{N: 1, H: 7, W: 7, Cin: 8, Cout: 8, CropH: 14, CropW: 14, Tile: Tile{0, 8, 32}},
		{N: 1, H: 7, W: 7, Cin: 1024, Cout: 8, CropH: 14, CropW: 14, Tile: tile, Tex: true},
		{N: 1, H: 7, W: 7, Cin: 8, Cout: 8, CropH: 14, CropW: 14, Tile: tile, Epilogue: Epilogue{Act: -1}},
	} {
		if _, err := k.Source(); err == nil {
			t.Errorf("%s: no error", k.Label())
		}
	}
}

func BenchmarkConvTranspose(b *testing.B) {
	for _, s := range convTransposeShapes {
		for _, tex := range []bool{true, false} {
			k := s.kernel()
			k.Tex = tex
			b.Run(k.Label(), func(b *testing.B) {
				benchDense(b, k, tex, k.Residual, s.n*s.h*s.w*s.cin, 16*s.cin, s.cout, s.n*s.cropH*s.cropW*s.cout, k.FLOPs())
			})
		}
	}
}
