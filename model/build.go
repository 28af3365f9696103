package model

import (
	"fmt"
	"math"
	"slices"
	"unsafe"

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
		op := l.op()
		l.setWeights(op, get)
		flushSubnormals(op)
		g.Ops = append(g.Ops, op)
	}
	return g, nil
}

// Structure is the graph of cfg without its weights: the ops, values and
// shapes Build makes for any checkpoint of cfg, with every weight and bias
// slice nil. It is enough to lower the network into kernels (which
// pipelines its plans need: PrecompileGeneric) before a checkpoint is read,
// not to run it.
func Structure(cfg Config) (*Graph, error) {
	a, err := newArch(cfg)
	if err != nil {
		return nil, err
	}
	g := &Graph{Classes: cfg.Classes, Taps: a.taps, weightless: true}
	for _, l := range a.layers {
		g.Ops = append(g.Ops, l.op())
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
		i := firstSubnormal(*w)
		if i < 0 {
			continue
		}
		*w = slices.Clone(*w)
		for ; i < len(*w); i++ {
			if subnormal((*w)[i]) {
				(*w)[i] = 0
			}
		}
	}
}

// subnormal reports whether v is nonzero with a zero exponent: a
// subnormal, |v| < 2⁻¹²⁶.
func subnormal(v float32) bool {
	b := math.Float32bits(v) &^ (1 << 31)
	return b != 0 && b < 1<<23
}

// firstSubnormal is the index of w's first subnormal value, -1 if none.
// It tests two values at a time (8-byte words, where w's memory is
// aligned to them): only a pair with a zero exponent is looked at
// closely. A scan of every weight at each Build, ~2.5× faster in wasm
// than one value at a time.
func firstSubnormal(w []float32) int {
	i := 0
	if len(w) > 0 && uintptr(unsafe.Pointer(&w[0]))%8 != 0 {
		if subnormal(w[0]) {
			return 0
		}
		i = 1
	}
	pairs := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(w[i:]))), (len(w)-i)/2)
	for j, x := range pairs {
		// Both exponents nonzero (the host's byte order puts one value
		// in each half): no subnormal.
		if x&0x7f800000 != 0 && x&0x7f80000000000000 != 0 {
			continue
		}
		if k := i + 2*j; subnormal(w[k]) {
			return k
		} else if subnormal(w[k+1]) {
			return k + 1
		}
	}
	for k := i + 2*len(pairs); k < len(w); k++ {
		if subnormal(w[k]) {
			return k
		}
	}
	return -1
}

// weightSlices points at the float tensors of op (weight and bias, or
// gamma and beta).
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
