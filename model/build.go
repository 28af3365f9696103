package model

import (
	"fmt"
	"math"
	"slices"

	"github.com/lowformer/lowformer-webgpu/model/checkpoint"
)

// Build validates the state dict sd strictly against cfg and returns the
// network as a Graph: every expected entry (num_batches_tracked included)
// must be present with its exact shape and a float dtype, and sd may hold
// no other entry. BatchNorms are folded (in float64), weights are put into
// the layouts of graph.go, the stride-1 ConvTranspose becomes a flipped
// conv and the stem conv gets a zero fourth input channel; subnormal
// weights become zeros (flushSubnormals). sd is not
// modified and the graph does not alias its slices except for the GroupNorm
// and LayerNorm vectors and the biases of ConvTranspose, Linear and the
// convs without a BatchNorm.
func Build(cfg Config, sd *checkpoint.StateDict) (*Graph, error) {
	if sd == nil || sd.Tensors == nil {
		return nil, fmt.Errorf("model: Build needs a state dict, got none")
	}
	a, err := newArch(cfg)
	if err != nil {
		return nil, err
	}
	if err := a.check(sd); err != nil {
		return nil, err
	}
	get := func(key string) []float32 { return sd.Tensors[key].F32 }
	g := &Graph{Classes: cfg.Classes, Taps: a.taps}
	for _, l := range a.layers {
		op := l.op(get)
		flushSubnormals(op)
		g.Ops = append(g.Ops, op)
	}
	return g, nil
}

// Structure is the graph of cfg without its weights: the ops, values and
// shapes Build makes for any checkpoint of cfg, with every weight slice nil
// and zero biases. It is enough to lower the network into kernels (which
// pipelines its plans need: PrecompileGeneric) before a checkpoint is read,
// not to run it.
func Structure(cfg Config) (*Graph, error) {
	a, err := newArch(cfg)
	if err != nil {
		return nil, err
	}
	g := &Graph{Classes: cfg.Classes, Taps: a.taps, weightless: true}
	none := func(string) []float32 { return nil }
	for _, l := range a.layers {
		g.Ops = append(g.Ops, l.op(none))
	}
	return g, nil
}

// flushSubnormals replaces the subnormal values (|x| < 2⁻¹²⁶, not zero) of
// op's weights with zeros, copying a slice before changing it (some alias
// the state dict). CPUs without flush-to-zero, lavapipe among them, take a
// slow path for every multiply with a subnormal operand: a GEMM fed
// subnormal values ran 9–27× slower there. The change to any result is
// below 2⁻¹²⁶ times an activation.
func flushSubnormals(op Op) {
	for _, w := range weightSlices(op) {
		copied := false
		for i, v := range *w {
			// Nonzero with a zero exponent: a subnormal (|v| < 0x1p-126).
			if b := math.Float32bits(v) &^ (1 << 31); b != 0 && b < 1<<23 {
				if !copied {
					*w, copied = slices.Clone(*w), true
				}
				(*w)[i] = 0
			}
		}
	}
}

// weightSlices points at the float tensors of op.
func weightSlices(op Op) []*[]float32 {
	switch o := op.(type) {
	case *Conv:
		return []*[]float32{&o.Weight, &o.Bias}
	case *ConvTranspose:
		return []*[]float32{&o.Weight, &o.Bias}
	case *Linear:
		return []*[]float32{&o.Weight, &o.Bias}
	case *GroupNorm:
		return []*[]float32{&o.Gamma, &o.Beta}
	case *LayerNorm:
		return []*[]float32{&o.Gamma, &o.Beta}
	}
	return nil
}

// check compares sd with the entries the network expects. It reports the
// first problem (in state-dict order, missing or mis-shaped entries before
// unexpected ones), how many more there are, and which variant sd looks
// like when that differs from the configuration.
func (a *arch) check(sd *checkpoint.StateDict) error {
	name := a.cfg.label()
	var problems []string
	expected := map[string]bool{}
	for _, l := range a.layers {
		for _, p := range l.params() {
			expected[p.Key] = true
			t, ok := sd.Tensors[p.Key]
			switch {
			case !ok || t == nil:
				problems = append(problems, fmt.Sprintf("key %q is missing from the checkpoint (%s expects shape %v)", p.Key, name, p.Shape))
			case !slices.Equal(t.Shape, p.Shape):
				problems = append(problems, fmt.Sprintf("key %q: checkpoint has shape %v, %s expects %v", p.Key, t.Shape, name, p.Shape))
			case !p.Int && len(t.F32) != p.Numel():
				problems = append(problems, fmt.Sprintf("key %q has dtype %s, %s expects a float tensor", p.Key, t.DType, name))
			}
		}
	}
	keys := sd.Keys
	if len(keys) != len(sd.Tensors) {
		keys = sortedKeys(sd.Tensors)
	}
	for _, k := range keys {
		if !expected[k] {
			shape := []int(nil)
			if t := sd.Tensors[k]; t != nil {
				shape = t.Shape
			}
			problems = append(problems, fmt.Sprintf("unexpected key %q (shape %v) in the checkpoint: %s has no such entry", k, shape, name))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	msg := "model: " + problems[0]
	if n := len(problems) - 1; n > 0 {
		msg += fmt.Sprintf(" (and %d more problems)", n)
	}
	if det, err := DetectConfig(sd); err == nil && !det.SameArchitecture(a.cfg) {
		msg += fmt.Sprintf("; the checkpoint looks like %s", det)
	}
	return fmt.Errorf("%s", msg)
}
