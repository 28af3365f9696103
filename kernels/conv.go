//go:build js || cgo

package kernels

import (
	"fmt"

	"github.com/lowformer/lowformer-webgpu/internal/ref"
	"github.com/lowformer/lowformer-webgpu/shaders"
)

// Conv is a dense K×K convolution of an NHWC tensor [N,H,W,Cin] with
// padding K/2 and stride Stride, giving [N,HO,WO,Cout] with
// HO = ref.ConvOutSize(H, K, Stride) (⌈H/Stride⌉ for odd K), as an implicit
// GEMM C[M×Cout] = im2col(X)[M×K·K·Cin]·B with M = N·HO·WO, K order
// (ky, kx, cin) and masked (zero) loads outside the image; epilogue
// C = Act(acc + bias) + residual. The tiling is Pointwise's (register
// tiles, or with Coop workgroup-cooperative ones that stage im2col blocks
// of X in workgroup memory).
// The shader runs one loop over taps × channel groups (two groups per step
// when Cin is a multiple of 8).
//
// Bindings, in order:
//
//	A     [N,H,W,Cin], the input X
//	B     the IR weights [K][K][Cin][Cout] unchanged (no packing): a
//	      storage buffer, or with Tex an rgba32float texture of width
//	      Cout/4 and height K·K·Cin, texel (o4, (ky·K+kx)·Cin+ci)
//	Bias  [Cout]
//	R     [N,HO,WO,Cout], the residual; only when Residual is set
//	C     [N,HO,WO,Cout], the output
type Conv struct {
	N, H, W, Cin, Cout int // Cin and Cout are multiples of 4
	K, Stride          int
	Tile
	Coop Coop // the GPU set's workgroup-cooperative layout; zero: register tiling
	Tex  bool // B is a texture (needs K·K·Cin and Cout/4 ≤ MaxTextureDim)
	Epilogue
	// Generic is the generic flavour (generic.go): the shape, kernel size,
	// stride and activation are read from the Params binding, after C;
	// it covers 1×1 convolutions too.
	Generic bool
}

// OutSize is the output height and width.
func (k Conv) OutSize() (ho, wo int) {
	return ref.ConvOutSize(k.H, k.K, k.Stride), ref.ConvOutSize(k.W, k.K, k.Stride)
}

// Rows is the GEMM row count M = N·HO·WO.
func (k Conv) Rows() int {
	ho, wo := k.OutSize()
	return k.N * ho * wo
}

// FLOPs is the multiply-add count ×2.
func (k Conv) FLOPs() float64 {
	return 2 * float64(k.Rows()) * float64(k.K*k.K*k.Cin) * float64(k.Cout)
}

// Label implements Kernel.
func (k Conv) Label() string {
	if k.Generic {
		return genericLabel("conv", fmt.Sprintf("%s_%s", k.Tile, texLabel(k.Tex)), k.Residual)
	}
	return fmt.Sprintf("conv%dx%d_n%d_%dx%d_%dto%d_s%d_%s%s_%s_%s", k.K, k.K, k.N, k.H, k.W, k.Cin, k.Cout,
		k.Stride, k.Tile, k.Coop.label(), texLabel(k.Tex), k.Epilogue)
}

func (k Conv) validate() error {
	switch {
	case k.N < 1 || k.H < 1 || k.W < 1 || k.Cin < 4 || k.Cout < 4:
		return fmt.Errorf("conv: shape N=%d H=%d W=%d Cin=%d Cout=%d must be positive with Cin, Cout ≥ 4", k.N, k.H, k.W, k.Cin, k.Cout)
	case k.Cin%4 != 0 || k.Cout%4 != 0:
		return fmt.Errorf("conv: Cin=%d and Cout=%d must be multiples of 4", k.Cin, k.Cout)
	case k.K < 1 || k.K > 7 || k.Stride < 1:
		return fmt.Errorf("conv: kernel %d (want 1..7) or stride %d (want ≥ 1) invalid", k.K, k.Stride)
	case k.Tex && !texFits(k.K*k.K*k.Cin, k.Cout):
		return fmt.Errorf("conv: %d×%d weight texture exceeds the %d texture side", k.Cout/4, k.K*k.K*k.Cin, MaxTextureDim)
	}
	if ho, wo := k.OutSize(); ho < 1 || wo < 1 {
		return fmt.Errorf("conv: empty output for a %d×%d input", k.H, k.W)
	}
	if err := k.Tile.validate(); err != nil {
		return fmt.Errorf("conv: %w", err)
	}
	if err := k.Coop.validate(k.Tile); err != nil {
		return fmt.Errorf("conv: %w", err)
	}
	if err := k.Epilogue.validate(); err != nil {
		return fmt.Errorf("conv: %w", err)
	}
	return nil
}

// convData is the template data of conv.wgsl.
type convData struct {
	gemmCore
	H, W, WO, HWO, CI4, K, Stride, Pad int
	Pairs                              bool // two channel groups per loop step
	KB4                                int  // generic: vec4 steps per block of the K sum
	// TapBlocks sums each tap's Cin products from zero and adds them to
	// running totals (blocked summation, see kBlockVec4): on when the K
	// of K²·Cin exceeds one block and a tap has at least 32 channels
	// (fewer would add one vec4 add per < 32 multiply-adds).
	TapBlocks bool
}

func (k Conv) core() gemmCore {
	c := newGemmCore(k.Rows(), k.Cout/4, k.Tile, k.Tex, k.Epilogue, 0).cooperate(k.Coop, k.K*k.K*k.Cin/4)
	if k.Generic {
		c = c.generic(k.Epilogue)
	}
	return c
}

// dims implements generic.
func (k Conv) dims() []dim {
	ho, wo := k.OutSize()
	return append(append(k.core().dims(), i32Dim("H", k.H), i32Dim("W", k.W), i32Dim("S", k.Stride),
		i32Dim("P", k.K/2), u32Dim("KS", k.K), u32Dim("WO", wo), u32Dim("HWO", ho*wo), u32Dim("CI4", k.Cin/4), u32Dim("K4", k.K*k.K*k.Cin/4)),
		actDims(k.Generic, k.Epilogue)...)
}

func (k Conv) isGeneric() bool { return k.Generic }

func (k Conv) pipelineKey() Kernel {
	return Conv{Tile: k.Tile, Tex: k.Tex, Epilogue: Epilogue{Residual: k.Residual}, Generic: true}
}

// Source implements Kernel.
func (k Conv) Source() (string, error) {
	if err := k.validate(); err != nil {
		return "", err
	}
	ho, wo := k.OutSize()
	c := k.core()
	c.Decls = decls(k.Bindings())
	ds := k.dims()
	if k.Generic {
		if err := validateDims(ds); err != nil {
			return "", fmt.Errorf("conv: %w", err)
		}
		c.render(ds)
		return shaders.Render("conv.wgsl", convData{gemmCore: c, KB4: kBlockVec4})
	}
	c.render(ds)
	return shaders.Render("conv.wgsl", convData{gemmCore: c, H: k.H, W: k.W, WO: wo, HWO: ho * wo,
		CI4: k.Cin / 4, K: k.K, Stride: k.Stride, Pad: k.K / 2, Pairs: k.Cin%8 == 0,
		TapBlocks: k.K*k.K*k.Cin > 4*kBlockVec4 && k.Cin >= 32})
}

// Bindings implements Kernel.
func (k Conv) Bindings() []Binding { return withParams(gemmBindings(k.Tex, k.Residual), k.Generic) }

// Workgroups implements Kernel.
func (k Conv) Workgroups() (x, y, z uint32) {
	c := k.core()
	return uint32(c.GX), uint32(c.GY), 1
}

// ChooseConv picks the specialization of a dense k×k convolution of an
// [n,h,w,cin] input: the Pointwise tile choice on the implicit GEMM among
// the lean tiles (no 14-row tile), texture weights whenever they fit
// (+15–20 %), taps not unrolled.
//
// Measured on lavapipe for B0's four stride-2 3×3 convolutions (empty
// driver cache, compile + first dispatch / best run): 14×16 0.83–1.0 s /
// 2.8–3.2 ms, 7×16 0.34–0.36 s / 2.7–3.2 ms, the same speed within noise
// for 2.5× less JIT. Unrolling the taps of the Cin = 4 stem gained nothing
// (14×16 unrolled 2.5 s / 1.0 ms; 8×16 looped 0.28 s / 0.87 ms).
func ChooseConv(n, h, w, cin, cout, k, stride int, e Epilogue) Conv {
	c := Conv{N: n, H: h, W: w, Cin: cin, Cout: cout, K: k, Stride: stride, Epilogue: e,
		Tex: texFits(k*k*cin, cout)}
	c.Tile = chooseGemmTile(c.Rows(), cout/4, leanTiles)
	return c
}
