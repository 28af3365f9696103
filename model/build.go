package model

import (
	"fmt"
	"slices"

	"github.com/lowformer/lowformer-webgpu/model/checkpoint"
)

// Build validates the state dict sd strictly against cfg and returns the
// network as a Graph: every expected entry (num_batches_tracked included)
// must be present with its exact shape and a float dtype, and sd may hold
// no other entry. BatchNorms are folded (in float64), weights are put into
// the layouts of graph.go, the stride-1 ConvTranspose becomes a flipped
// conv and the stem conv gets a zero fourth input channel. sd is not
// modified and the graph does not alias its slices except for GroupNorm,
// LayerNorm and ConvTranspose bias vectors.
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
		g.Ops = append(g.Ops, l.op(get))
	}
	return g, nil
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
