//go:build js || cgo

package model

import (
	"errors"
	"reflect"
	"slices"

	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/kernels"
)

// Precompiled is the start of a progressive model before its checkpoint is
// read: the generic pipelines of its first plan, compiling
// (PrecompileGeneric). NewProgressiveGPUFrom hands them to the model;
// Release frees them when no model takes them.
type Precompiled struct {
	m         *GPU // a progressive model of the configuration's Structure
	pipelines int
}

// PrecompileGeneric starts compiling, on dev, the generic pipelines the
// first plan of a progressive model of cfg with kernels for t will run —
// the plan for a batch of n images of h×w pixels — from the network's
// structure alone (Structure: no weights needed), and returns without
// waiting for the compiler (GPU.Precompile). Called before the checkpoint
// is parsed and the graph built, a driver that compiles at the first
// dispatch (lavapipe, natively and in Chromium's GPU process) compiles
// them meanwhile. An error means nothing was started; the model then
// compiles its pipelines at its first run, as without it.
func PrecompileGeneric(dev *gpu.Device, cfg Config, t kernels.Target, n, h, w int) (*Precompiled, error) {
	g, err := Structure(cfg)
	if err != nil {
		return nil, err
	}
	m := NewProgressiveGPU(dev, g, t, nil)
	count, err := m.Precompile(n, h, w)
	if err != nil {
		m.Close()
		return nil, err
	}
	return &Precompiled{m: m, pipelines: count}, nil
}

// Pipelines is how many pipelines PrecompileGeneric started.
func (p *Precompiled) Pipelines() int { return p.pipelines }

// Release frees the precompiled pipelines (not the device); a no-op once
// NewProgressiveGPUFrom has taken them.
func (p *Precompiled) Release() {
	if p.m != nil {
		p.m.Close()
		p.m = nil
	}
}

// NewProgressiveGPUFrom is NewProgressiveGPU on p's device and target for
// g, the graph Build made for p's configuration, starting with p's
// pipelines (p is used up). A g of another structure is refused (p is
// then released).
func NewProgressiveGPUFrom(p *Precompiled, g *Graph, onPhase func(Phase)) (*GPU, error) {
	if p.m == nil {
		return nil, errors.New("model: the precompiled pipelines were released or used already")
	}
	pm := p.m
	p.m = nil
	if !sameStructure(pm.graph, g) {
		pm.Close()
		return nil, errors.New("model: the graph is not the one the pipelines were precompiled for")
	}
	m := NewProgressiveGPU(pm.dev, g, pm.target, onPhase)
	m.cache = pm.cache // pm never built a plan: its cache is all it holds
	return m, nil
}

// sameStructure reports whether a and b have the same ops (type, layer,
// inputs and output, in order) and classes, as Build and Structure give
// for one configuration.
func sameStructure(a, b *Graph) bool {
	if len(a.Ops) != len(b.Ops) || a.Classes != b.Classes {
		return false
	}
	for i, x := range a.Ops {
		y := b.Ops[i]
		if reflect.TypeOf(x) != reflect.TypeOf(y) || x.Label() != y.Label() || x.Output() != y.Output() || !slices.Equal(x.Inputs(), y.Inputs()) {
			return false
		}
	}
	return true
}
