//go:build js || cgo

package kernels

import (
	"fmt"

	"github.com/lowformer/lowformer-webgpu/shaders"
)

// Pointwise is a 1×1 convolution of an NHWC tensor as a GEMM
// C[M×N] = A[M×K]·B[K×N] with the fused epilogue
// C = Act(A·B + bias) + residual, where M = images·H·W, K = Cin, N = Cout.
// Each invocation computes a Tile of TM rows × TN columns from vec4 loads
// of A (along K) and B (along N): in the CPU set straight from memory,
// without workgroup memory; with Coop (the GPU set) from blocks of A and B
// that the workgroup stages in workgroup memory.
//
// Bindings, in order:
//
//	A     [M][K] (NHWC activation)
//	B     [K][N] as a storage buffer, or with Tex an rgba32float texture
//	      of width N/4 and height K whose texel (n4, k) is
//	      B[k][4·n4 .. 4·n4+3]; both are the IR layout [Cin][Cout]
//	      unchanged, so there is no packing step
//	Bias  [N]
//	R     [M][N], the residual; only when Residual is set
//	C     [M][N], the output
type Pointwise struct {
	M, K, N int // K and N are multiples of 4
	Tile
	Coop Coop // the GPU set's workgroup-cooperative layout; zero: register tiling
	Tex  bool // B is a texture (needs K ≤ MaxTextureDim and N/4 ≤ MaxTextureDim)
	Epilogue
}

// Label implements Kernel.
func (k Pointwise) Label() string {
	return fmt.Sprintf("pointwise_m%d_k%d_n%d_%s%s_%s_%s", k.M, k.K, k.N, k.Tile, k.Coop.label(), texLabel(k.Tex), k.Epilogue)
}

func (k Pointwise) validate() error {
	switch {
	case k.M < 1 || k.K < 4 || k.N < 4:
		return fmt.Errorf("pointwise: shape M=%d K=%d N=%d must be positive with K, N ≥ 4", k.M, k.K, k.N)
	case k.K%4 != 0 || k.N%4 != 0:
		return fmt.Errorf("pointwise: K=%d and N=%d must be multiples of 4", k.K, k.N)
	case k.Tex && !texFits(k.K, k.N):
		return fmt.Errorf("pointwise: K=%d×N/4=%d weights exceed the %d texture side", k.K, k.N/4, MaxTextureDim)
	}
	if err := k.Tile.validate(); err != nil {
		return fmt.Errorf("pointwise: %w", err)
	}
	if err := k.Coop.validate(k.Tile); err != nil {
		return fmt.Errorf("pointwise: %w", err)
	}
	if err := k.Epilogue.validate(); err != nil {
		return fmt.Errorf("pointwise: %w", err)
	}
	return nil
}

// pointwiseData is the template data of gemm.wgsl.
type pointwiseData struct {
	gemmCore
	K4  int
	KB4 int // vec4 steps per block of the K sum; 0: one chain (K4 ≤ kBlockVec4)
}

// kBlockVec4 is the block of blocked summation in the GEMM kernels'
// K loops, in vec4 steps (64 products per accumulator): K longer than
// that is summed in blocks from zero, each added to a running total
// (shaders/gemm.wgsl, gemm_kloop_open). One chain of K fused multiply-adds
// lets the rounding error grow with K; the heads' Linear layers (K of
// 1536–2560) put our logits 3–7× further from the fp64 truth than
// PyTorch fp32's (issue 13). Shorter K keeps the single chain, bit for bit.
const kBlockVec4 = 16

// newPointwiseData is the template data of a GEMM with k4 vec4 steps.
func newPointwiseData(c gemmCore, k4 int) pointwiseData {
	d := pointwiseData{gemmCore: c, K4: k4}
	if k4 > kBlockVec4 {
		d.KB4 = kBlockVec4
	}
	return d
}

func (k Pointwise) core() gemmCore {
	return newGemmCore(k.M, k.N/4, k.Tile, k.Tex, k.Epilogue, 0).cooperate(k.Coop, k.K/4)
}

// Source implements Kernel.
func (k Pointwise) Source() (string, error) {
	if err := k.validate(); err != nil {
		return "", err
	}
	c := k.core()
	c.Decls = decls(k.Bindings())
	c.render(c.dims())
	return shaders.Render("gemm.wgsl", newPointwiseData(c, k.K/4))
}

// Bindings implements Kernel.
func (k Pointwise) Bindings() []Binding { return gemmBindings(k.Tex, k.Residual) }

// Workgroups implements Kernel.
func (k Pointwise) Workgroups() (x, y, z uint32) {
	c := k.core()
	return uint32(c.GX), uint32(c.GY), 1
}
