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
//
// Without Halo (the CPU set) one invocation computes a block of TY output
// rows × TX output columns for 4 channels, loading each of the
// (TX-1)·S+K input columns of an input row once; with TY = 1 the shader
// loops over the kernel rows.
//
// With Halo (the GPU set) one workgroup computes an output tile of TY rows
// × TX columns for CG vec4 channel groups, one output vec4 per invocation
// (WG = TY·TX·CG): the workgroup first stages the tile's input halo,
// ((TY-1)·S+K) × ((TX-1)·S+K) pixels × CG vec4, in workgroup memory, then
// every invocation reads its K×K window from there.
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
	TX, TY     int // output columns and rows per invocation (with Halo: per workgroup)
	WG         int // workgroup size
	Halo       bool
	CG         int // with Halo: vec4 channel groups per workgroup
	Epilogue
	// Generic is the generic flavour (generic.go) of the kernel without
	// Halo: the shape and the activation are read from the Params binding,
	// after Y; K, Stride, the block and the residual stay structural.
	Generic bool
}

// maxHaloVec4 is the workgroup memory of a Halo tile in vec4: 16 KiB, the
// maxComputeWorkgroupStorageSize every WebGPU device supports.
const maxHaloVec4 = 1024

// chooseDepthwiseGPU is the GPU set's choice: a workgroup per output tile
// of up to 8×8 pixels (the whole image on 7×7 maps) × CG vec4 channels,
// CG the largest power of two with at most 256 invocations, a halo that
// fits workgroup memory and no more groups than channels.
func chooseDepthwiseGPU(n, h, w, c, k, stride int, e Epilogue) Depthwise {
	ho, wo := ref.ConvOutSize(h, k, stride), ref.ConvOutSize(w, k, stride)
	d := Depthwise{N: n, H: h, W: w, C: c, K: k, Stride: stride, Halo: true, Epilogue: e,
		TY: pickColumns(ho, 4, 8), TX: pickColumns(wo, 4, 8)}
	d.CG = 1
	for cg := 2; cg <= c/4 && d.TY*d.TX*cg <= 256 && d.haloVec4(cg) <= maxHaloVec4; cg *= 2 {
		d.CG = cg
	}
	d.WG = d.TY * d.TX * d.CG
	return d
}

// haloRows and haloCols are the input rows and columns of a Halo tile.
func (k Depthwise) haloRows() int { return (k.TY-1)*k.Stride + k.K }
func (k Depthwise) haloCols() int { return (k.TX-1)*k.Stride + k.K }

// haloVec4 is the workgroup memory of a Halo tile of cg channel groups.
func (k Depthwise) haloVec4(cg int) int { return k.haloRows() * k.haloCols() * cg }

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

// invocations is the number of useful invocations (with Halo: of
// workgroups × WG).
func (k Depthwise) invocations() int {
	ho, wo := k.outSize()
	if k.Halo {
		return k.tiles() * k.WG
	}
	return k.N * ceilDiv(ho, k.TY) * ceilDiv(wo, k.TX) * k.C / 4
}

// tiles is the number of Halo workgroups: images × tile rows × tile
// columns × channel groups.
func (k Depthwise) tiles() int {
	ho, wo := k.outSize()
	return k.N * ceilDiv(ho, k.TY) * ceilDiv(wo, k.TX) * ceilDiv(k.C/4, max(k.CG, 1))
}

// Label implements Kernel.
func (k Depthwise) Label() string {
	if k.Generic {
		return genericLabel(fmt.Sprintf("dw%dx%d_s%d", k.K, k.K, k.Stride), fmt.Sprintf("r%dx%d_wg%d", k.TY, k.TX, k.WG), k.Residual)
	}
	halo := ""
	if k.Halo {
		halo = fmt.Sprintf("_halo%d", k.CG)
	}
	return fmt.Sprintf("dw%dx%d_s%d_n%d_h%d_w%d_c%d_r%dx%d_wg%d%s_%s", k.K, k.K, k.Stride, k.N, k.H, k.W, k.C,
		k.TY, k.TX, k.WG, halo, k.Epilogue)
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
	case !k.Halo && (k.TX < 1 || k.TX > 16 || k.TY < 1 || k.TY > 8):
		return fmt.Errorf("depthwise: block of %d rows × %d columns per invocation outside 8×16", k.TY, k.TX)
	case k.Halo && (k.TX < 1 || k.TY < 1 || k.CG < 1 || k.WG != k.TY*k.TX*k.CG):
		return fmt.Errorf("depthwise: tile of %d×%d pixels × %d channel groups needs a workgroup of their product, not %d",
			k.TY, k.TX, k.CG, k.WG)
	case k.Generic && (k.Halo || k.TY != 1):
		return fmt.Errorf("depthwise: the generic kernel has no halo and one output row per invocation")
	case k.Halo && k.haloVec4(k.CG) > maxHaloVec4:
		return fmt.Errorf("depthwise: halo of %d vec4 exceeds the %d of workgroup memory", k.haloVec4(k.CG), maxHaloVec4)
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
	ds := k.dims()
	if err := validateDims(ds); err != nil {
		return "", fmt.Errorf("depthwise: %w", err)
	}
	dims, load := renderDims(k.Generic, ds)
	return shaders.Render("depthwise.wgsl", struct {
		Depthwise
		HO, WO, XB, YB, Cols, Rows, Pad, Total, GX, GB, Tiles int
		RowLoop                                               bool
		ActFn, Decls, Dims, LoadDims                          string
	}{k, ho, wo, ceilDiv(wo, k.TX), ceilDiv(ho, k.TY), k.haloCols(), k.haloRows(), k.K / 2,
		k.invocations(), gx, ceilDiv(k.C/4, max(k.CG, 1)), k.tiles(), !k.Halo && k.TY == 1, genericActFn(k.Generic, k.Act),
		decls(k.Bindings()), dims, load})
}

// dims implements generic (the sizes of the kernel without Halo).
func (k Depthwise) dims() []dim {
	ho, wo := k.outSize()
	gx, _ := k.grid()
	ds := append([]dim{i32Dim("H", k.H), i32Dim("W", k.W), u32Dim("C4", k.C/4), u32Dim("HO", ho), u32Dim("WO", wo),
		u32Dim("XB", ceilDiv(wo, k.TX)), u32Dim("YB", ceilDiv(ho, k.TY)), u32Dim("TOTAL", k.invocations()), u32Dim("GX", gx)},
		actDims(k.Generic, k.Epilogue)...)
	if k.Generic {
		// The kernel-row loop's bound (K itself, structural): a run-time
		// value, so that the JIT does not unroll the loop (depthwise.wgsl).
		ds = append(ds, i32Dim("KROWS", k.K))
	}
	return ds
}

func (k Depthwise) isGeneric() bool { return k.Generic }

func (k Depthwise) pipelineKey() Kernel {
	return Depthwise{K: k.K, Stride: k.Stride, TX: k.TX, TY: k.TY, WG: k.WG, Epilogue: Epilogue{Residual: k.Residual}, Generic: true}
}

func (k Depthwise) grid() (x, y int) { return grid(ceilDiv(k.invocations(), k.WG)) }

// Bindings implements Kernel.
func (k Depthwise) Bindings() []Binding {
	return withParams(withEpilogue([]Binding{input("X"), input("Wt"), input("Bias")}, k.Residual, output("Y")), k.Generic)
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
