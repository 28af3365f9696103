//go:build js || cgo

package model

import (
	"errors"
	"sync"

	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/kernels"
)

// Precompiled is the start of a progressive model before its checkpoint is
// read: a pipeline cache on a device, holding the generic pipelines of a
// first plan, compiling (PrecompileGeneric). NewProgressiveGPUFrom hands
// them to the model; Release frees them when no model takes them.
type Precompiled struct {
	dev       *gpu.Device
	target    kernels.Target
	pipelines int

	mu    sync.Mutex
	cache *kernels.Cache // nil once taken or released
}

// PrecompileGeneric starts compiling, on dev, the generic pipelines the
// first plan of a progressive model of cfg with kernels for t will run —
// the plan for a batch of n images of h×w pixels — from the network's
// structure alone (Structure: no weights needed), and returns without
// waiting for the compiler (kernels.Cache.Precompile). Called before the
// checkpoint is parsed and the graph built, a driver that compiles at the
// first dispatch (lavapipe, natively and in Chromium's GPU process)
// compiles them meanwhile. An error means nothing was started; the model
// then compiles its pipelines at its first run, as without it.
//
// cfg need only be a guess: the generic pipelines hold no sizes, so the
// released variants share most of them (B0's are those of B1 and B3, and
// include E1's and E2's), and a model of another configuration takes the
// ones its plans use and builds the rest (NewProgressiveGPUFrom).
func PrecompileGeneric(dev *gpu.Device, cfg Config, t kernels.Target, n, h, w int) (*Precompiled, error) {
	g, err := Structure(cfg)
	if err != nil {
		return nil, err
	}
	gt := t.Specialized()
	gt.Generic = true
	cache := kernels.NewCache(dev)
	ks, err := missingKernels(g, cache, gt, n, h, w, []Value{g.Logits()})
	if err != nil {
		return nil, err
	}
	count, err := cache.Precompile(ks...)
	if err != nil {
		cache.Release()
		return nil, err
	}
	return &Precompiled{dev: dev, target: t.Specialized(), pipelines: count, cache: cache}, nil
}

// Pipelines is how many pipelines PrecompileGeneric started.
func (p *Precompiled) Pipelines() int { return p.pipelines }

// Device is the device the pipelines are compiled on.
func (p *Precompiled) Device() *gpu.Device { return p.dev }

// Target is what the pipelines' kernels are chosen for (specialized; the
// pipelines are its generic flavour).
func (p *Precompiled) Target() kernels.Target { return p.target }

// take hands out the cache once; nil when it was taken or released.
func (p *Precompiled) take() *kernels.Cache {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.cache
	p.cache = nil
	return c
}

// Release frees the precompiled pipelines (not the device); a no-op once
// NewProgressiveGPUFrom has taken them.
func (p *Precompiled) Release() {
	if c := p.take(); c != nil {
		c.Release()
	}
}

// NewProgressiveGPUFrom is NewProgressiveGPU on p's device and target for
// g, starting with p's pipelines (p is used up): its plans use those that
// match their kernels and build the others, and the ones no plan uses go
// with the generic pipelines at the swap. A used or released p is refused.
func NewProgressiveGPUFrom(p *Precompiled, g *Graph, onPhase func(Phase)) (*GPU, error) {
	c := p.take()
	if c == nil {
		return nil, errors.New("model: the precompiled pipelines were released or used already")
	}
	m := NewProgressiveGPU(p.dev, g, p.target, onPhase)
	m.cache = c
	return m, nil
}
