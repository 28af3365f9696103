package model

import (
	"fmt"

	"github.com/lowformer/lowformer-webgpu/internal/ref"
)

// InputNHWC4 converts a batch of n normalized RGB images in NCHW order
// (n×3×h×w float32, as PyTorch takes them) into the graph input: NHWC with
// InputChannels channels, the fourth zero.
func InputNHWC4(input []float32, n, h, w int) ([]float32, error) {
	return inputNHWC4Into(nil, input, n, h, w)
}

// inputNHWC4Into is InputNHWC4 writing into dst when it has the right
// length (a plan reuses one buffer for every inference).
func inputNHWC4Into(dst, input []float32, n, h, w int) ([]float32, error) {
	if err := checkInputLen(input, n, h, w); err != nil {
		return nil, err
	}
	out := dst
	if len(out) != n*h*w*InputChannels {
		out = make([]float32, n*h*w*InputChannels)
	}
	hw := h * w
	for b := 0; b < n; b++ {
		for c := 0; c < 3; c++ {
			for p, v := range input[(b*3+c)*hw:][:hw] {
				out[(b*hw+p)*InputChannels+c] = v
			}
		}
	}
	return out, nil
}

// checkInputLen checks that input holds n NCHW RGB images of h×w pixels.
func checkInputLen(input []float32, n, h, w int) error {
	if n < 1 || h < 1 || w < 1 || n > len(input)/(3*h*w) || len(input) != n*3*h*w {
		return fmt.Errorf("model: input has %d values, a batch of %d RGB images of %dx%d needs %d", len(input), n, h, w, n*3*h*w)
	}
	return nil
}

// runCPUActs runs the graph op by op with the internal/ref oracle (float64
// accumulators) and returns the logits and the activations of the values for
// which keep returns true (every value when keep is nil), for comparisons
// with reference activations. Other values are dropped after their last use.
func runCPUActs(g *Graph, input []float32, n, h, w int, keep func(Value) bool) ([]float32, map[Value]*ref.Tensor, error) {
	x, err := InputNHWC4(input, n, h, w)
	if err != nil {
		return nil, nil, err
	}
	shapes, err := g.Shapes(n, h, w)
	if err != nil {
		return nil, nil, err
	}
	if keep == nil {
		keep = func(Value) bool { return true }
	}
	lastUse := map[Value]int{}
	for i, op := range g.Ops {
		for _, v := range op.Inputs() {
			lastUse[v] = i
		}
	}
	vals := map[Value]*ref.Tensor{0: {N: n, H: h, W: w, C: InputChannels, Data: x}}
	kept := map[Value]*ref.Tensor{}
	if keep(0) {
		kept[0] = vals[0]
	}
	var out *ref.Tensor
	for i, op := range g.Ops {
		out = runOp(op, vals, shapes)
		vals[op.Output()] = out
		if keep(op.Output()) {
			kept[op.Output()] = out
		}
		for _, v := range op.Inputs() {
			if lastUse[v] == i {
				delete(vals, v)
			}
		}
	}
	return out.Data, kept, nil
}

// runOp executes one op of a graph that passed Shapes.
func runOp(op Op, vals map[Value]*ref.Tensor, shapes []Shape) *ref.Tensor {
	res := func(v Value) *ref.Tensor {
		if v == NoValue {
			return nil
		}
		return vals[v]
	}
	switch o := op.(type) {
	case *Conv:
		if o.Depthwise {
			return ref.DepthwiseConv2D(vals[o.In], o.Weight, o.Bias, o.K, o.Stride, o.Activation, res(o.Residual))
		}
		return ref.Conv2D(vals[o.In], o.Weight, o.Bias, o.K, o.Stride, o.Cout, o.Activation, res(o.Residual))
	case *ConvTranspose:
		crop := shapes[o.CropTo] // CropTo itself may be freed already
		return ref.ConvTranspose4x4S2(vals[o.In], o.Weight, o.Bias, o.Cout, crop.H, crop.W, res(o.Residual))
	case *Attention:
		return ref.Attention(vals[o.In], o.Heads, o.HeadDim)
	case *GroupNorm:
		return ref.GroupNorm(vals[o.In], o.Gamma, o.Beta)
	case *MeanPool:
		return ref.MeanPool(vals[o.In])
	case *Linear:
		return ref.Linear(vals[o.In], o.Weight, o.Bias, o.N, o.Activation)
	case *LayerNorm:
		return ref.LayerNorm(vals[o.In], o.Gamma, o.Beta, o.Activation)
	}
	panic(fmt.Sprintf("model: unknown op type %T after Shapes accepted it", op))
}
