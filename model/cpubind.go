package model

import (
	"fmt"

	"github.com/lowformer/lowformer-webgpu/act"
	"github.com/lowformer/lowformer-webgpu/internal/cpukernels"
)

// maxWinogradFloats bounds the shared scratch of a Winograd conv (16 MiB):
// larger 3×3 stride-1 convs (high-resolution stem blocks) use im2col.
const maxWinogradFloats = 4 << 20

// bind returns the step that runs op with the plan's operands and the name
// of the kernel family that runs it (for profiles). Called with m.mu held
// (it packs weights on first use).
func (m *CPU) bind(op Op, p *CPUPlan, shapes []Shape) (string, func()) {
	in := shapes[op.Inputs()[0]]
	x, out := p.vals[op.Inputs()[0]], p.vals[op.Output()]
	geom := cpukernels.Geom{N: in.N, H: in.H, W: in.W, C: in.C}
	switch o := op.(type) {
	case *Conv:
		ep := epilogue(o.Bias, o.Activation, p, o.Residual, o.Cout)
		switch {
		case o.Depthwise:
			return "depthwise", cpukernels.NewDepthwise(x, geom, o.K, o.Stride, o.Weight, out, ep).Run
		case o.K == 1 && o.Stride == 1:
			b := m.packedB(o, o.Weight, o.Cin, o.Cout)
			return "pointwise", cpukernels.NewGemm(out, o.Cout, x, o.Cin, geom.Pixels(), b, ep, p.scratch).Run
		case o.K == 3 && o.Stride == 1 && cpukernels.WinogradSharedFloats(geom, o.Cout) <= maxWinogradFloats:
			u := m.packed(o, func() any { return cpukernels.PackWinograd(o.Weight, o.Cin, o.Cout) }).(*cpukernels.WinogradWeights)
			return "winograd", cpukernels.NewWinograd(x, geom, out, u, ep, p.scratch).Run
		default:
			b := m.packedB(o, o.Weight, o.K*o.K*o.Cin, o.Cout)
			return "conv", cpukernels.NewConv(x, geom, o.K, o.Stride, out, b, ep, p.scratch).Run
		}
	case *ConvTranspose:
		b := m.packed(o, func() any { return cpukernels.PackConvT(o.Weight, o.Cin, o.Cout) }).([2][2]*cpukernels.PackedB)
		crop := shapes[o.CropTo]
		ep := epilogue(o.Bias, act.None, p, o.Residual, o.Cout)
		return "convt", cpukernels.NewConvT(x, geom, out, crop.H, crop.W, b, ep, p.scratch).Run
	case *Attention:
		return "attention", cpukernels.NewAttention(x, geom, out, o.Heads, o.HeadDim, p.scratch).Run
	case *GroupNorm:
		scale := make([]float32, in.C)
		return "groupnorm", func() { cpukernels.GroupNorm(x, out, in.N, in.H*in.W*in.C, o.Gamma, o.Beta, scale) }
	case *MeanPool:
		return "meanpool", func() { cpukernels.MeanPool(x, out, in.N, in.H*in.W, in.C) }
	case *Linear:
		b := m.packedB(o, o.Weight, o.K, o.N)
		ep := cpukernels.Epilogue{Bias: o.Bias, Act: o.Activation}
		return "linear", cpukernels.NewGemm(out, o.N, x, o.K, in.N, b, ep, p.scratch).Run
	case *LayerNorm:
		return "layernorm", func() { cpukernels.LayerNorm(x, out, in.N, o.Gamma, o.Beta, o.Activation) }
	}
	panic(fmt.Sprintf("model: unknown op type %T after Shapes accepted it", op))
}

// epilogue is the kernel epilogue of an op with the given bias, activation
// and optional residual value (cout channels).
func epilogue(bias []float32, fn act.Func, p *CPUPlan, res Value, cout int) cpukernels.Epilogue {
	ep := cpukernels.Epilogue{Bias: bias, Act: fn}
	if res != NoValue {
		ep.Res, ep.LdRes = p.vals[res], cout
	}
	return ep
}
