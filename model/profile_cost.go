//go:build js || cgo

package model

import (
	"fmt"
	"strings"

	"github.com/lowformer/lowformer-webgpu/kernels"
)

// Cost is the work of one dispatch, derived from its op and the value
// shapes (not from the kernel, so that padded tiles never count as work).
type Cost struct {
	// FLOPs counts 2 per multiply-add of the convolutions, ConvTranspose,
	// attention matmuls and linear layers, and one per element touched by
	// the norms and the pool.
	FLOPs float64
	// Bytes is the compulsory memory traffic: every input, weight and bias
	// read once and the output written once, as float32.
	Bytes float64
}

// StepCosts returns the cost of each step of a plan of g for n images of
// h×w pixels, in Plan.Steps order.
func StepCosts(g *Graph, steps []Step, n, h, w int) ([]Cost, error) {
	shapes, err := g.Shapes(n, h, w)
	if err != nil {
		return nil, err
	}
	out := make([]Cost, len(steps))
	for i, s := range steps {
		if s.Op < 0 || s.Op >= len(g.Ops) {
			return nil, fmt.Errorf("model: step %d refers to op %d of a graph with %d ops", i, s.Op, len(g.Ops))
		}
		out[i] = opCost(g.Ops[s.Op], s.Kernel, shapes)
	}
	return out, nil
}

// OpMACs is the multiply-add count of g for n images of h×w pixels over the
// convolutions, ConvTranspose (at its cropped output size), linear layers
// and attention matmuls: the count the LowFormer paper reports as MACs.
func OpMACs(g *Graph, n, h, w int) (float64, error) {
	shapes, err := g.Shapes(n, h, w)
	if err != nil {
		return 0, err
	}
	var macs float64
	for _, op := range g.Ops {
		switch op.(type) {
		case *Conv, *ConvTranspose, *Linear, *Attention:
			macs += opCost(op, nil, shapes).FLOPs / 2
		}
	}
	return macs, nil
}

// opCost is the cost of op, or of the part of it that kernel k does when
// an op takes several dispatches (GroupNorm: statistics, then apply;
// a Winograd conv: input transform, GEMM, output transform).
func opCost(op Op, k kernels.Kernel, shapes []Shape) Cost {
	const f32 = 4
	numel := func(v Value) float64 { return float64(shapes[v].Numel()) }
	out := numel(op.Output())
	in := numel(op.Inputs()[0])
	res := func(r Value) float64 {
		if r == NoValue {
			return 0
		}
		return numel(r)
	}
	switch o := op.(type) {
	case *Conv:
		taps := float64(o.K * o.K)
		if o.Depthwise {
			return Cost{2 * out * taps, f32 * (in + taps*float64(o.Cin) + float64(o.Cout) + out + res(o.Residual))}
		}
		weights := taps * float64(o.Cin*o.Cout)
		switch k.(type) {
		case kernels.WinogradInput, kernels.WinogradOutput:
			// Winograd's transforms: the conv's arithmetic is credited to
			// its batched GEMM, the transforms move memory.
			return Cost{0, f32 * (in + out + res(o.Residual))}
		}
		cin := float64(o.Cin)
		if o.In == 0 {
			cin = InputChannels - 1 // the zero channel that pads RGB does no work
		}
		return Cost{2 * out * taps * cin, f32 * (in + weights + float64(o.Cout) + out + res(o.Residual))}
	case *ConvTranspose:
		// Each output pixel of a k4 s2 transposed convolution gathers 2×2
		// input pixels.
		return Cost{2 * out * 4 * float64(o.Cin), f32 * (in + 16*float64(o.Cin*o.Cout) + float64(o.Cout) + out + res(o.Residual))}
	case *Attention:
		s := shapes[o.In]
		tokens := float64(s.H * s.W)
		return Cost{4 * float64(s.N*o.Heads*o.HeadDim) * tokens * tokens, f32 * (in + out)}
	case *Linear:
		return Cost{2 * float64(shapes[o.In].N*o.K*o.N), f32 * (in + float64(o.K*o.N+o.N) + out)}
	case *GroupNorm:
		if _, stats := k.(kernels.GroupNormStats); stats {
			return Cost{2 * in, f32 * in}
		}
		c := float64(shapes[o.In].C)
		return Cost{2 * in, f32 * (in + 2*c + out)}
	case *LayerNorm:
		return Cost{4 * in, f32 * (in + 2*float64(len(o.Gamma)) + out)}
	case *MeanPool:
		return Cost{in, f32 * (in + out)}
	}
	return Cost{}
}

// Family is the kernel family of a step: the kernel's Go type name
// (Pointwise, Conv, Depthwise, WinogradInput, WinogradGemm, WinogradOutput,
// ConvTranspose, Attention, GroupNormStats, GroupNormApply, LayerNorm,
// MeanPool, Linear).
func Family(k kernels.Kernel) string {
	s := fmt.Sprintf("%T", k)
	return s[strings.LastIndexByte(s, '.')+1:]
}

// Block names the LowFormer block a layer belongs to, for grouping
// profiles: the layer's dotted name cut after the block index
// ("backbone.stages.3.op_list.1.context_module.main.qkv" gives
// "backbone.stages.3.op_list.1"); names without a block keep their first
// two parts ("head.fc1").
func Block(layer string) string {
	parts := strings.Split(layer, ".")
	for i, p := range parts {
		if p == "op_list" && i+1 < len(parts) {
			return strings.Join(parts[:i+2], ".")
		}
	}
	if len(parts) > 2 {
		parts = parts[:2]
	}
	return strings.Join(parts, ".")
}
