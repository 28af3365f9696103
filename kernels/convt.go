//go:build js || cgo

package kernels

import (
	"fmt"

	"github.com/lowformer/lowformer-webgpu/shaders"
)

// ConvTranspose is the dense ConvTranspose2d with kernel 4, stride 2 and
// padding 1 of the stride-2 attention: [N,H,W,Cin] → [N,2H,2W,Cout],
// cropped to the top-left CropH×CropW, with the fused epilogue
// Y = Act(crop(convT(X)) + bias) + residual (the attention uses act.None).
//
// Each output parity (oy mod 2, ox mod 2) = (py, px) is a 2×2 convolution
// of the input: output (2m+py, 2n+px) reads input (m-1+py+dy, n-1+px+dx)
// through kernel tap (3-py-2dy, 3-px-2dx), dy, dx ∈ {0, 1}. The kernel runs
// the four parities as one implicit GEMM on the shared GEMM core of
// shaders/gemm.wgsl: rows are parity-major input pixels (each parity padded
// to whole row blocks so that a tile never mixes parities), K is 4 taps ×
// Cin, columns are Cout.
//
// Bindings, in order:
//
//	A     [N][H][W][Cin], the input X
//	B     [4][4][Cin][Cout] (W[ky][kx][i][o] = torch W[i][o][ky][kx]) as
//	      a storage buffer, or with Tex the same as an rgba32float texture
//	      of width Cout/4 and height 16·Cin
//	Bias  [Cout]
//	R     [N][CropH][CropW][Cout], the residual; only when Residual is set
//	C     [N][CropH][CropW][Cout], the output
type ConvTranspose struct {
	N, H, W      int
	Cin, Cout    int // multiples of 4
	CropH, CropW int // 1..2H × 1..2W (the attention crops at most one row and column)
	Tile
	Tex bool
	Epilogue
	// Generic is the generic flavour (generic.go): the shape and the
	// activation are read from the Params binding, after C.
	Generic bool
}

// ChooseConvTranspose picks the specialization for a shape: TN 16 (or 8, 4
// where Cout needs it), TM in 4..8 with the least per-parity padding,
// texture weights where they fit, and ≥ 4 workgroups where possible.
func ChooseConvTranspose(n, h, w, cin, cout, cropH, cropW int, e Epilogue) ConvTranspose {
	k := ConvTranspose{N: n, H: h, W: w, Cin: cin, Cout: cout, CropH: cropH, CropW: cropW, Epilogue: e,
		Tex: texFits(16*cin, cout)}
	k.TN = 4
	for _, tn := range []int{16, 8} {
		if cout%tn == 0 {
			k.TN = tn
			break
		}
	}
	k.TM = pickColumns(n*h*w, 4, 8)
	k.WG = pickWorkgroup(4*k.rowBlocks()*ceilDiv(cout, k.TN), 16, 8)
	return k
}

// chooseConvTransposeGPU is the GPU set's choice: 4 columns and 4 rows per
// invocation (4 vec4 accumulators), fewer rows (down to 1) where 4 would
// leave fewer than 16384 invocations (B0's 7×7→14×14 at batch 1 gets 1
// row: 6272 invocations instead of 1664), storage-buffer weights read as
// coalesced vec4 rows by neighbouring invocations, and workgroups of 256
// invocations, halved down to 64 to make at least 4 workgroups.
func chooseConvTransposeGPU(n, h, w, cin, cout, cropH, cropW int, e Epilogue) ConvTranspose {
	k := ConvTranspose{N: n, H: h, W: w, Cin: cin, Cout: cout, CropH: cropH, CropW: cropW, Epilogue: e}
	k.TM, k.TN = min(4, n*h*w), 4
	invocations := func() int { return 4 * k.rowBlocks() * ceilDiv(cout, k.TN) }
	for k.TM > 1 && invocations() < 16384 {
		k.TM /= 2
	}
	k.WG = pickWorkgroup(invocations(), 256, 64)
	return k
}

// rowBlocks is the number of row blocks of one parity.
func (k ConvTranspose) rowBlocks() int { return ceilDiv(k.N*k.H*k.W, k.TM) }

// core is the GEMM geometry: 4 parities × rowBlocks·TM rows, Cout/4 vec4 columns.
func (k ConvTranspose) core() gemmCore {
	c := newGemmCore(4*k.rowBlocks()*k.TM, k.Cout/4, k.Tile, k.Tex, k.Epilogue, 0)
	if k.Generic {
		c = c.generic(k.Epilogue)
	}
	return c
}

// dims implements generic.
func (k ConvTranspose) dims() []dim {
	return append(append(k.core().dims(), i32Dim("H", k.H), i32Dim("W", k.W), u32Dim("NHW", k.N*k.H*k.W),
		u32Dim("PROWS", k.rowBlocks()*k.TM), u32Dim("CI4", k.Cin/4), u32Dim("CROPH", k.CropH), u32Dim("CROPW", k.CropW)),
		actDims(k.Generic, k.Epilogue)...)
}

func (k ConvTranspose) isGeneric() bool { return k.Generic }

func (k ConvTranspose) pipelineKey() Kernel {
	return ConvTranspose{Tile: k.Tile, Tex: k.Tex, Epilogue: Epilogue{Residual: k.Residual}, Generic: true}
}

// Label implements Kernel.
func (k ConvTranspose) Label() string {
	if k.Generic {
		return genericLabel("convt4x4s2", fmt.Sprintf("%s_%s", k.Tile, texLabel(k.Tex)), k.Residual)
	}
	return fmt.Sprintf("convt4x4s2_n%d_h%d_w%d_%dto%d_crop%dx%d_%s_%s_%s", k.N, k.H, k.W, k.Cin, k.Cout,
		k.CropH, k.CropW, k.Tile, texLabel(k.Tex), k.Epilogue)
}

func (k ConvTranspose) validate() error {
	switch {
	case k.N < 1 || k.H < 1 || k.W < 1:
		return fmt.Errorf("convtranspose: bad input shape N=%d H=%d W=%d", k.N, k.H, k.W)
	case k.Cin < 4 || k.Cin%4 != 0 || k.Cout < 4 || k.Cout%4 != 0:
		return fmt.Errorf("convtranspose: channels %d→%d must be positive multiples of 4", k.Cin, k.Cout)
	case k.CropH < 1 || k.CropH > 2*k.H || k.CropW < 1 || k.CropW > 2*k.W:
		return fmt.Errorf("convtranspose: crop %d×%d outside the %d×%d output", k.CropH, k.CropW, 2*k.H, 2*k.W)
	case k.Tex && !texFits(16*k.Cin, k.Cout):
		return fmt.Errorf("convtranspose: %d×%d weight texture exceeds the %d texture side", k.Cout/4, 16*k.Cin, MaxTextureDim)
	}
	if err := k.Tile.validate(); err != nil {
		return fmt.Errorf("convtranspose: %w", err)
	}
	if err := k.Epilogue.validate(); err != nil {
		return fmt.Errorf("convtranspose: %w", err)
	}
	return nil
}

// Source implements Kernel.
func (k ConvTranspose) Source() (string, error) {
	if err := k.validate(); err != nil {
		return "", err
	}
	c := k.core()
	c.Decls = decls(k.Bindings())
	ds := k.dims()
	if err := validateDims(ds); err != nil {
		return "", fmt.Errorf("convtranspose: %w", err)
	}
	c.render(ds)
	return shaders.Render("convt.wgsl", c)
}

// Bindings implements Kernel.
func (k ConvTranspose) Bindings() []Binding {
	return withParams(gemmBindings(k.Tex, k.Residual), k.Generic)
}

// Workgroups implements Kernel.
func (k ConvTranspose) Workgroups() (x, y, z uint32) {
	c := k.core()
	return uint32(c.GX), uint32(c.GY), 1
}

// FLOPs is 2 × the multiply-adds of the uncropped transposed convolution
// (each output pixel gathers 2×2 input pixels).
func (k ConvTranspose) FLOPs() float64 {
	return 2 * float64(4*k.N*k.H*k.W) * float64(4*k.Cin*k.Cout)
}
