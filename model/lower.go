package model

import (
	"fmt"

	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/kernels"
)

// lowering turns the ops of a graph into kernel dispatches for one input
// shape. It runs with GPU.mu held (it uploads weights on first use).
type lowering struct {
	m      *GPU
	shapes []Shape
	val    func(Value) gpu.Resource // the arena range of a value
}

func (l *lowering) lower(i int, op Op) ([]step, error) {
	switch o := op.(type) {
	case *Conv:
		return l.conv(i, o)
	case *ConvTranspose:
		return l.convTranspose(i, o)
	case *MeanPool:
		s := l.shapes[o.In]
		return []step{{kernels.ChooseMeanPool(s.N, s.H, s.W, s.C), []gpu.Resource{l.val(o.In), l.val(o.Out)}}}, nil
	}
	return l.lowerMore(i, op)
}

// withResidual appends the residual's range when the op has one.
func (l *lowering) withResidual(res []gpu.Resource, r Value) []gpu.Resource {
	if r == NoValue {
		return res
	}
	return append(res, l.val(r))
}

func (l *lowering) conv(i int, o *Conv) ([]step, error) {
	s := l.shapes[o.In]
	bias, err := l.m.weightBuffer(i, "b", o.Bias)
	if err != nil {
		return nil, err
	}
	e := kernels.Epilogue{Act: o.Activation, Residual: o.Residual != NoValue}
	if o.Depthwise {
		k := kernels.ChooseDepthwise(s.N, s.H, s.W, s.C, o.K, o.Stride, e)
		w, err := l.m.weightBuffer(i, "w", o.Weight)
		if err != nil {
			return nil, err
		}
		res := l.withResidual([]gpu.Resource{l.val(o.In), w, bias}, o.Residual)
		return []step{{k, append(res, l.val(o.Out))}}, nil
	}
	if kernels.UseWinograd(s.H, s.W, o.Cin, o.Cout, o.K, o.Stride) {
		return l.winograd(i, o, bias, e)
	}
	var k kernels.Kernel
	var tex bool
	if o.K == 1 && o.Stride == 1 {
		pk := kernels.ChoosePointwise(s.N*s.H*s.W, o.Cin, o.Cout, e)
		k, tex = pk, pk.Tex
	} else {
		ck := kernels.ChooseConv(s.N, s.H, s.W, o.Cin, o.Cout, o.K, o.Stride, e)
		k, tex = ck, ck.Tex
	}
	w, err := l.m.weightsFor(i, o.Weight, o.K*o.K*o.Cin, o.Cout, tex)
	if err != nil {
		return nil, err
	}
	res := l.withResidual([]gpu.Resource{l.val(o.In), w, bias}, o.Residual)
	return []step{{k, append(res, l.val(o.Out))}}, nil
}

// winograd lowers a stride-1 3×3 dense conv to the three Winograd kernels,
// with the transformed weights cached as the op's "winograd" part and
// scratch buffers for V and M shared by every such conv of that size.
func (l *lowering) winograd(i int, o *Conv, bias gpu.Resource, e kernels.Epilogue) ([]step, error) {
	s := l.shapes[o.In]
	k := kernels.ChooseWinograd(s.N, s.H, s.W, o.Cin, o.Cout, e)
	part := fmt.Sprintf("winograd%d", k.TileSide())
	w, ok := l.m.weights[weightKey{i, part, k.Gemm.Tex}]
	if !ok { // transform once per model and tile side, not per plan
		u, err := kernels.WinogradWeights(o.Weight, o.Cin, o.Cout, k.TileSide())
		if err != nil {
			return nil, err
		}
		if k.Gemm.Tex {
			w, err = l.m.weightTexture(i, part, u, k.Gemm.Planes*o.Cin, o.Cout)
		} else {
			w, err = l.m.weightBuffer(i, part, u)
		}
		if err != nil {
			return nil, err
		}
	}
	v, err := l.scratchBuffer("winograd.V", k.VFloats())
	if err != nil {
		return nil, err
	}
	m, err := l.scratchBuffer("winograd.M", k.MFloats())
	if err != nil {
		return nil, err
	}
	out := l.withResidual([]gpu.Resource{m, bias}, o.Residual)
	return []step{
		{k.In, []gpu.Resource{l.val(o.In), v}},
		{k.Gemm, []gpu.Resource{v, w, m}},
		{k.Out, append(out, l.val(o.Out))},
	}, nil
}

// scratchBuffer returns a zeroed buffer of floats float32 for intermediate
// results that live within one op, shared by all ops and plans of the
// model asking for the same role and size (the dispatches of a submit run
// in order, and submits never overlap).
func (l *lowering) scratchBuffer(role string, floats int) (gpu.Resource, error) {
	return l.m.buffer(weightKey{op: -1, part: fmt.Sprintf("%s.%d", role, floats)}, floats, nil)
}

func (l *lowering) convTranspose(i int, o *ConvTranspose) ([]step, error) {
	s, crop := l.shapes[o.In], l.shapes[o.CropTo]
	e := kernels.Epilogue{Residual: o.Residual != NoValue}
	k := kernels.ChooseConvTranspose(s.N, s.H, s.W, o.Cin, o.Cout, crop.H, crop.W, e)
	bias, err := l.m.weightBuffer(i, "b", o.Bias)
	if err != nil {
		return nil, err
	}
	w, err := l.m.weightsFor(i, o.Weight, 16*o.Cin, o.Cout, k.Tex)
	if err != nil {
		return nil, err
	}
	res := l.withResidual([]gpu.Resource{l.val(o.In), w, bias}, o.Residual)
	return []step{{k, append(res, l.val(o.Out))}}, nil
}

func (l *lowering) lowerMore(i int, op Op) ([]step, error) {
	switch o := op.(type) {
	case *Attention:
		s := l.shapes[o.In]
		k := kernels.ChooseAttention(s.N, s.H*s.W, o.Heads, o.HeadDim)
		return []step{{k, []gpu.Resource{l.val(o.In), l.val(o.Out)}}}, nil
	case *Linear:
		return l.linear(i, o)
	case *GroupNorm:
		s := l.shapes[o.In]
		stats, apply := kernels.ChooseGroupNorm(s.N, s.H, s.W, s.C)
		gamma, beta, err := l.affine(i, o.Gamma, o.Beta)
		if err != nil {
			return nil, err
		}
		st, err := l.scratchBuffer("groupnorm.stats", kernels.StatsPerImage*s.N)
		if err != nil {
			return nil, err
		}
		return []step{
			{stats, []gpu.Resource{l.val(o.In), st}},
			{apply, []gpu.Resource{l.val(o.In), st, gamma, beta, l.val(o.Out)}},
		}, nil
	case *LayerNorm:
		s := l.shapes[o.In]
		gamma, beta, err := l.affine(i, o.Gamma, o.Beta)
		if err != nil {
			return nil, err
		}
		k := kernels.ChooseLayerNorm(s.N, s.C, o.Activation)
		return []step{{k, []gpu.Resource{l.val(o.In), gamma, beta, l.val(o.Out)}}}, nil
	}
	return nil, fmt.Errorf("no GPU kernel for %T", op)
}

func (l *lowering) linear(i int, o *Linear) ([]step, error) {
	s := l.shapes[o.In]
	k := kernels.ChooseLinear(s.N, o.K, o.N, o.Activation)
	w, err := k.PackWeights(o.Weight)
	if err != nil {
		return nil, err
	}
	b, err := k.PackBias(o.Bias)
	if err != nil {
		return nil, err
	}
	wr, err := l.m.weightsFor(i, w, o.K, len(w)/o.K, k.Tex)
	if err != nil {
		return nil, err
	}
	br, err := l.m.weightBuffer(i, "b", b)
	if err != nil {
		return nil, err
	}
	return []step{{k, []gpu.Resource{l.val(o.In), wr, br, l.val(o.Out)}}}, nil
}

// affine uploads a norm's per-channel scale and shift.
func (l *lowering) affine(i int, gamma, beta []float32) (g, b gpu.Resource, err error) {
	if g, err = l.m.weightBuffer(i, "gamma", gamma); err != nil {
		return
	}
	b, err = l.m.weightBuffer(i, "beta", beta)
	return
}
