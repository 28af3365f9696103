//go:build js || cgo

package kernels

import (
	"fmt"

	"github.com/lowformer/lowformer-webgpu/internal/ref"
	"github.com/lowformer/lowformer-webgpu/shaders"
)

// Depthwise is a depthwise (groups == C) k×k convolution of an NHWC tensor
// [N,H,W,C] with padding k/2 and stride S, giving [N,HO,WO,C] with
// HO = ⌈H/S⌉, WO = ⌈W/S⌉ (k odd): Y = act(conv(X) + Bias) + R.
// One invocation computes a block of TY output rows × TX output columns for
// 4 channels, loading each of the (TX-1)·S+K input columns of an input row
// once; with TY = 1 the shader loops over the kernel rows.
//
// Bindings, in order (that of the dense families):
//
//	X     [N][H][W][C]
//	Wt    [K][K][C], the weights
//	Bias  [C]
//	R     [N][HO][WO][C], the residual; only when Residual is set
//	Y     [N][HO][WO][C], the output
type Depthwise struct {
	N, H, W, C int // C is a multiple of 4
	K, Stride  int // K odd
	TX, TY     int // output columns and rows per invocation
	WG         int // workgroup size
	Epilogue
}

// ChooseDepthwise picks the specialization for a shape: one output row
// (TY = 1, the shader then loops over the kernel rows instead of unrolling
// them) of TX in 4..7 columns (the least waste in the last block, the
// largest on ties), and a workgroup size giving at least 4 workgroups where
// possible.
//
// Taller unrolled blocks reuse each loaded input row for more output rows
// and run a little faster, but lavapipe's shader JIT pays for every
// unrolled load: on an empty driver cache, compile + first dispatch took
// 3.2 s for 14×14×128 5×5 s2 at TY×TX 7×7 (run 0.08 ms) against 0.13 s for
// the row loop at 1×7 (run 0.08 ms), and 0.42 s against 0.15 s for
// 7×7×1024 3×3 at 4×7 (run 0.15 ms against 0.17 ms).
func ChooseDepthwise(n, h, w, c, k, stride int, e Epilogue) Depthwise {
	wo := ref.ConvOutSize(w, k, stride)
	d := Depthwise{N: n, H: h, W: w, C: c, K: k, Stride: stride, TX: pickColumns(wo, 4, 7), TY: 1, Epilogue: e}
	d.WG = pickWorkgroup(d.invocations(), 32, 8)
	return d
}

// outSize is the output height and width.
func (k Depthwise) outSize() (ho, wo int) {
	return ref.ConvOutSize(k.H, k.K, k.Stride), ref.ConvOutSize(k.W, k.K, k.Stride)
}

// invocations is the number of useful invocations.
func (k Depthwise) invocations() int {
	ho, wo := k.outSize()
	return k.N * ceilDiv(ho, k.TY) * ceilDiv(wo, k.TX) * k.C / 4
}

// Label implements Kernel.
func (k Depthwise) Label() string {
	return fmt.Sprintf("dw%dx%d_s%d_n%d_h%d_w%d_c%d_r%dx%d_wg%d_%s", k.K, k.K, k.Stride, k.N, k.H, k.W, k.C,
		k.TY, k.TX, k.WG, k.Epilogue)
}

func (k Depthwise) validate() error {
	switch {
	case k.N < 1 || k.H < 1 || k.W < 1 || k.C < 4:
		return fmt.Errorf("depthwise: bad shape N=%d H=%d W=%d C=%d", k.N, k.H, k.W, k.C)
	case k.C%4 != 0:
		return fmt.Errorf("depthwise: channels %d not a multiple of 4", k.C)
	case k.K < 1 || k.K%2 == 0:
		return fmt.Errorf("depthwise: kernel size %d must be odd and positive", k.K)
	case k.Stride < 1:
		return fmt.Errorf("depthwise: stride %d must be positive", k.Stride)
	case k.TX < 1 || k.TX > 16 || k.TY < 1 || k.TY > 8:
		return fmt.Errorf("depthwise: block of %d rows × %d columns per invocation outside 8×16", k.TY, k.TX)
	}
	if err := validateWorkgroup(k.WG); err != nil {
		return fmt.Errorf("depthwise: %w", err)
	}
	if err := k.Epilogue.validate(); err != nil {
		return fmt.Errorf("depthwise: %w", err)
	}
	return nil
}

// Source implements Kernel.
func (k Depthwise) Source() (string, error) {
	if err := k.validate(); err != nil {
		return "", err
	}
	ho, wo := k.outSize()
	gx, _ := k.grid()
	return shaders.Render("depthwise.wgsl", struct {
		Depthwise
		HO, WO, XB, YB, Cols, Rows, Pad, Total, GX int
		RowLoop                                    bool
		ActFn, Decls                               string
	}{k, ho, wo, ceilDiv(wo, k.TX), ceilDiv(ho, k.TY), (k.TX-1)*k.Stride + k.K, (k.TY-1)*k.Stride + k.K, k.K / 2,
		k.invocations(), gx, k.TY == 1, wgslAct(k.Act), decls(k.Bindings())})
}

// grid is the dispatch grid.
func (k Depthwise) grid() (x, y int) { return grid(ceilDiv(k.invocations(), k.WG)) }

// Bindings implements Kernel.
func (k Depthwise) Bindings() []Binding {
	return withEpilogue([]Binding{input("X"), input("Wt"), input("Bias")}, k.Residual, output("Y"))
}

// Workgroups implements Kernel.
func (k Depthwise) Workgroups() (x, y, z uint32) {
	gx, gy := k.grid()
	return uint32(gx), uint32(gy), 1
}

// FLOPs is the number of multiply-adds ×2 of one dispatch.
func (k Depthwise) FLOPs() float64 {
	ho, wo := k.outSize()
	return 2 * float64(k.N*ho*wo*k.C*k.K*k.K)
}
