package model

import (
	"fmt"

	"github.com/lowformer/lowformer-webgpu/internal/ref"
)

// InputChannels is the channel count of the graph input (Value 0): RGB
// plus one zero channel, so that channel loops can read vec4.
const InputChannels = 4

// MinInputSize is the smallest input height and width (the network's
// total stride).
const MinInputSize = 32

// Shape is the NHWC shape of a value.
type Shape struct{ N, H, W, C int }

// Numel returns N·H·W·C.
func (s Shape) Numel() int { return s.N * s.H * s.W * s.C }

// String formats the shape as [N H W C].
func (s Shape) String() string { return fmt.Sprintf("[%d %d %d %d]", s.N, s.H, s.W, s.C) }

// Shapes returns the NHWC shape of every value (indexed by Value) for a
// batch of n images of h×w pixels; h and w may differ and must be at least
// MinInputSize. It also checks that the graph is consistent: every op reads
// values that exist, writes a new value, and has weights and channel counts
// that fit its inputs. A graph that passes runs on the CPU without panics.
func (g *Graph) Shapes(n, h, w int) ([]Shape, error) {
	if n < 1 || h < MinInputSize || w < MinInputSize {
		return nil, fmt.Errorf("model: input batch %d of %dx%d: need at least one image of at least %dx%d pixels", n, h, w, MinInputSize, MinInputSize)
	}
	// Bounds that keep every element count far from overflowing an int
	// (n·h·w ≤ 2^34 and channels ≤ 8192 give at most 2^47 elements).
	if n > 1<<16 || h > 1<<16 || w > 1<<16 || n*h*w > 1<<34 {
		return nil, fmt.Errorf("model: input batch %d of %dx%d is too large", n, h, w)
	}
	if len(g.Ops) == 0 {
		return nil, fmt.Errorf("model: the graph has no operations")
	}
	shapes := []Shape{{n, h, w, InputChannels}}
	known := func(v Value) bool { return v >= 0 && int(v) < len(shapes) && shapes[v].N > 0 }
	for i, op := range g.Ops {
		for _, v := range op.Inputs() {
			if !known(v) {
				return nil, fmt.Errorf("model: op %d (%s) reads value %d before it is written", i, op.Label(), v)
			}
		}
		out := op.Output()
		if out < 0 || (int(out) < len(shapes) && shapes[out].N > 0) {
			return nil, fmt.Errorf("model: op %d (%s) writes value %d, which is not a new value", i, op.Label(), out)
		}
		s, err := opShape(op, shapes, known)
		if err == nil && !g.weightless {
			err = checkWeights(op, shapes[op.Inputs()[0]])
		}
		if err != nil {
			return nil, fmt.Errorf("model: op %d (%s): %w", i, op.Label(), err)
		}
		for int(out) >= len(shapes) {
			shapes = append(shapes, Shape{})
		}
		shapes[out] = s
	}
	last := shapes[g.Ops[len(g.Ops)-1].Output()]
	if last.H != 1 || last.W != 1 || last.C != g.Classes {
		return nil, fmt.Errorf("model: the last op gives %v, want logits [%d 1 1 %d]", last, n, g.Classes)
	}
	return shapes, nil
}

// opShape checks one op's parameters against its input shapes and returns
// its output shape; checkWeights checks its weights.
func opShape(op Op, shapes []Shape, known func(Value) bool) (Shape, error) {
	in := shapes[op.Inputs()[0]]
	var out Shape
	switch o := op.(type) {
	case *Conv:
		if o.K < 1 || o.K%2 == 0 || o.Stride < 1 || o.Cout < 1 {
			return out, fmt.Errorf("unsupported kernel %d / stride %d / %d outputs", o.K, o.Stride, o.Cout)
		}
		if o.Depthwise && o.Cin != o.Cout {
			return out, fmt.Errorf("depthwise conv with %d inputs and %d outputs", o.Cin, o.Cout)
		}
		if in.C != o.Cin {
			return out, errChannels(in.C, o.Cin)
		}
		out = Shape{in.N, ref.ConvOutSize(in.H, o.K, o.Stride), ref.ConvOutSize(in.W, o.K, o.Stride), o.Cout}
		return out, checkResidual(shapes, o.Residual, out)
	case *ConvTranspose:
		if in.C != o.Cin {
			return out, errChannels(in.C, o.Cin)
		}
		if !known(o.CropTo) {
			return out, fmt.Errorf("crops to value %d, which is not written yet", o.CropTo)
		}
		crop := shapes[o.CropTo]
		if crop.H > 2*in.H || crop.W > 2*in.W {
			return out, fmt.Errorf("cannot crop its %dx%d output to %dx%d", 2*in.H, 2*in.W, crop.H, crop.W)
		}
		out = Shape{in.N, crop.H, crop.W, o.Cout}
		return out, checkResidual(shapes, o.Residual, out)
	case *Attention:
		if o.Heads < 1 || o.HeadDim < 1 || in.C != 3*o.Heads*o.HeadDim {
			return out, fmt.Errorf("input has %d channels, %d heads of size %d need %d", in.C, o.Heads, o.HeadDim, 3*o.Heads*o.HeadDim)
		}
		return Shape{in.N, in.H, in.W, o.Heads * o.HeadDim}, nil
	case *GroupNorm:
		return in, nil
	case *MeanPool:
		return Shape{in.N, 1, 1, in.C}, nil
	case *Linear:
		if in.H*in.W*in.C != o.K || o.N < 1 {
			return out, fmt.Errorf("input %v does not fit K %d, N %d", in, o.K, o.N)
		}
		return Shape{in.N, 1, 1, o.N}, nil
	case *LayerNorm:
		if in.H != 1 || in.W != 1 {
			return out, fmt.Errorf("input %v is not [N 1 1 C]", in)
		}
		return in, nil
	}
	return out, fmt.Errorf("unknown op type %T", op)
}

// errChannels is the error of an op that expects cin input channels and
// gets inC.
func errChannels(inC, cin int) error {
	return fmt.Errorf("input has %d channels, the op expects %d", inC, cin)
}

// checkWeights checks the length of each weight slice of op (whose input
// has shape in, already checked by opShape). A graph made by Structure has
// none to check.
func checkWeights(op Op, in Shape) error {
	var names [2]string
	var want [2]int
	switch o := op.(type) {
	case *Conv:
		names, want = [2]string{"weight", "bias"}, [2]int{o.K * o.K * o.Cin * o.Cout, o.Cout}
		if o.Depthwise {
			want[0] = o.K * o.K * o.Cin
		}
	case *ConvTranspose:
		names, want = [2]string{"weight", "bias"}, [2]int{16 * o.Cin * o.Cout, o.Cout}
	case *Linear:
		names, want = [2]string{"weight", "bias"}, [2]int{o.K * o.N, o.N}
	case *GroupNorm, *LayerNorm:
		names, want = [2]string{"gamma", "beta"}, [2]int{in.C, in.C}
	}
	for i, w := range weightSlices(op) {
		if len(*w) != want[i] {
			return fmt.Errorf("%s has %d values, want %d", names[i], len(*w), want[i])
		}
	}
	return nil
}

// checkResidual checks that an optional residual has the output's shape.
func checkResidual(shapes []Shape, res Value, out Shape) error {
	if res != NoValue && shapes[res] != out {
		return fmt.Errorf("residual %v does not match the output %v", shapes[res], out)
	}
	return nil
}

// planKey is the input shape (batch, height, width) and the output set
// (Graph.outsKey: "" for the logits) a plan is built for; the GPU and CPU
// models cache one plan per key.
type planKey struct {
	n, h, w int
	outs    string
}
