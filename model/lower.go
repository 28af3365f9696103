//go:build js || cgo

package model

import (
	"fmt"

	"github.com/lowformer/lowformer-webgpu/kernels"
)

// Lowering turns each op of a graph, for the value shapes of one input
// shape, into the kernel specializations that compute it and the operands
// each kernel binds. It touches no device: the operands are described
// symbolically and the plan builder (plan.go) turns them into arena ranges,
// uploaded weights and scratch buffers. Adding a specialization to an op
// means changing its case in lowerOp and nothing else.

// step is one kernel of a lowered op with its operands in binding order.
type step struct {
	k        kernels.Kernel
	operands []operand
}

// operandKind says where an operand's memory comes from.
type operandKind int

const (
	valueOperand   operandKind = iota // a graph value in the plan's arena
	weightOperand                     // a weight tensor of the model, uploaded once
	scratchOperand                    // a scratch buffer shared by role and size
)

// operand is one binding of a step: exactly one of value, weight and
// scratch is meaningful, as kind says.
type operand struct {
	kind    operandKind
	value   Value
	weight  weightSpec
	scratch scratchKey
}

// weightSpec names a weight tensor and says how to make its device copy:
// key is the op, the part ("w", "b", "gamma", "winograd4", ...) and the
// layout; data gives the floats, raw or transformed, and is only called
// when the tensor is first uploaded.
type weightSpec struct {
	key  weightKey
	rows int // texture height (layout texture only); width is len(data)/rows/4
	data func() ([]float32, error)
}

// weightKey names one uploaded weight tensor: the op, which of its tensors,
// and whether it lives in a texture (rgba32float) or a storage buffer.
type weightKey struct {
	op   int
	part string
	tex  bool
}

// scratchKey names a scratch buffer of float32 values for intermediate
// results that live within one op, shared by all ops and plans asking for
// the same role and size (the dispatches of a submit run in order, and
// submits never overlap).
type scratchKey struct {
	role   string
	floats int
}

// val is the operand of a graph value.
func val(v Value) operand { return operand{kind: valueOperand, value: v} }

// vals lists the operands of the values vs.
func vals(vs ...Value) []operand {
	out := make([]operand, len(vs))
	for i, v := range vs {
		out[i] = val(v)
	}
	return out
}

// thenOutput is the operands front, then the residual when the op has one,
// then the output out: the binding order of every kernel with an epilogue.
func thenOutput(front []operand, residual, out Value) []operand {
	if residual != NoValue {
		front = append(front, val(residual))
	}
	return append(front, val(out))
}

// buffer is the operand of weight tensor part of op i stored raw in a
// storage buffer.
func buffer(i int, part string, data []float32) operand {
	return matrix(i, part, false, 0, func() ([]float32, error) { return data, nil })
}

// matrix is the operand of a row-major weight matrix of the given rows,
// part of op i, held in a texture when tex is set and in a storage buffer
// otherwise; data makes its floats on first upload.
func matrix(i int, part string, tex bool, rows int, data func() ([]float32, error)) operand {
	return operand{kind: weightOperand, weight: weightSpec{key: weightKey{i, part, tex}, rows: rows, data: data}}
}

// rawMatrix is matrix with the floats as they are.
func rawMatrix(i int, part string, tex bool, rows int, data []float32) operand {
	return matrix(i, part, tex, rows, func() ([]float32, error) { return data, nil })
}

// scratch is the operand of the shared scratch buffer of a role and size.
func scratch(role string, floats int) operand {
	return operand{kind: scratchOperand, scratch: scratchKey{role, floats}}
}

// single is a lowering to one kernel.
func single(k kernels.Kernel, operands ...operand) []step {
	return []step{{k, operands}}
}

// lowerOp lowers op i of a graph whose values have the given shapes.
func lowerOp(t kernels.Target, i int, op Op, shapes []Shape) ([]step, error) {
	switch o := op.(type) {
	case *Conv:
		return lowerConv(t, i, o, shapes[o.In]), nil
	case *ConvTranspose:
		s, crop := shapes[o.In], shapes[o.CropTo]
		k := t.ConvTranspose(s.N, s.H, s.W, o.Cin, o.Cout, crop.H, crop.W, kernels.Epilogue{Residual: o.Residual != NoValue})
		w := rawMatrix(i, "w", k.Tex, 16*o.Cin, o.Weight)
		return single(k, thenOutput([]operand{val(o.In), w, buffer(i, "b", o.Bias)}, o.Residual, o.Out)...), nil
	case *MeanPool:
		s := shapes[o.In]
		return single(t.MeanPool(s.N, s.H, s.W, s.C), vals(o.In, o.Out)...), nil
	case *Attention:
		s := shapes[o.In]
		return single(t.Attention(s.N, s.H*s.W, o.Heads, o.HeadDim), vals(o.In, o.Out)...), nil
	case *Linear:
		return lowerLinear(t, i, o, shapes[o.In])
	case *GroupNorm:
		s := shapes[o.In]
		stats, apply := t.GroupNorm(s.N, s.H, s.W, s.C)
		st := scratch("groupnorm.stats", stats.StatsFloats())
		return []step{
			{stats, []operand{val(o.In), st}},
			{apply, []operand{val(o.In), st, buffer(i, "gamma", o.Gamma), buffer(i, "beta", o.Beta), val(o.Out)}},
		}, nil
	case *LayerNorm:
		s := shapes[o.In]
		k := t.LayerNorm(s.N, s.C, kernels.Epilogue{Act: o.Activation})
		return single(k, val(o.In), buffer(i, "gamma", o.Gamma), buffer(i, "beta", o.Beta), val(o.Out)), nil
	}
	return nil, fmt.Errorf("no GPU kernel for %T", op)
}

// lowerConv lowers a convolution whose input has shape s: depthwise, a
// generic conv (a generic target), a stride-1 3×3 Winograd conv, a
// pointwise GEMM or a direct conv.
func lowerConv(t kernels.Target, i int, o *Conv, s Shape) []step {
	e := kernels.Epilogue{Act: o.Activation, Residual: o.Residual != NoValue}
	bias := buffer(i, "b", o.Bias)
	out := func(k kernels.Kernel, w operand) []step {
		return single(k, thenOutput([]operand{val(o.In), w, bias}, o.Residual, o.Out)...)
	}
	switch {
	case o.Depthwise:
		k := t.Depthwise(s.N, s.H, s.W, s.C, o.K, o.Stride, e)
		return out(k, buffer(i, "w", o.Weight))
	case t.Generic:
		// One generic Conv serves every dense convolution, 1×1 included.
		k := t.Conv(s.N, s.H, s.W, o.Cin, o.Cout, o.K, o.Stride, e)
		return out(k, rawMatrix(i, "w", k.Tex, o.K*o.K*o.Cin, o.Weight))
	case t.ConvWinograd(s.N, s.H, s.W, o.Cin, o.Cout, o.K, o.Stride, e):
		return lowerWinograd(t, i, o, s, bias, e)
	case o.K == 1 && o.Stride == 1:
		k := t.Pointwise(s.N*s.H*s.W, o.Cin, o.Cout, e)
		return out(k, rawMatrix(i, "w", k.Tex, o.Cin, o.Weight))
	default:
		k := t.Conv(s.N, s.H, s.W, o.Cin, o.Cout, o.K, o.Stride, e)
		return out(k, rawMatrix(i, "w", k.Tex, o.K*o.K*o.Cin, o.Weight))
	}
}

// lowerWinograd lowers a stride-1 3×3 dense conv to the three Winograd
// kernels, with the transformed weights as the op's "winograd<m>" part
// (transformed once per model and tile side m, not per plan) and scratch
// buffers for V and M shared by every such conv of that size.
func lowerWinograd(t kernels.Target, i int, o *Conv, s Shape, bias operand, e kernels.Epilogue) []step {
	k := t.Winograd(s.N, s.H, s.W, o.Cin, o.Cout, e)
	m := k.TileSide()
	u := matrix(i, fmt.Sprintf("winograd%d", m), k.Gemm.Tex, k.Gemm.Planes*o.Cin, func() ([]float32, error) {
		return kernels.WinogradWeights(o.Weight, o.Cin, o.Cout, m)
	})
	v, mm := scratch("winograd.V", k.VFloats()), scratch("winograd.M", k.MFloats())
	return []step{
		{k.In, []operand{val(o.In), v}},
		{k.Gemm, []operand{v, u, mm}},
		{k.Out, thenOutput([]operand{mm, bias}, o.Residual, o.Out)},
	}
}

// lowerLinear lowers a fully connected layer whose input has shape s, with
// weights and bias packed as the kernel reads them.
func lowerLinear(t kernels.Target, i int, o *Linear, s Shape) ([]step, error) {
	k := t.Linear(s.N, o.K, o.N, kernels.Epilogue{Act: o.Activation})
	// The weights are packed (and their size checked) on first upload, as
	// Winograd's are: a graph made by Structure, lowered only to list its
	// kernels, has none.
	w := matrix(i, "w", k.Tex, o.K, func() ([]float32, error) { return k.PackWeights(o.Weight) })
	b, err := k.PackBias(o.Bias)
	if err != nil {
		return nil, err
	}
	return single(k, val(o.In), w, buffer(i, "b", b), val(o.Out)), nil
}
