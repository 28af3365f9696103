//go:build js || cgo

package model

import (
	"errors"
	"sync"

	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/internal/ref"
	"github.com/lowformer/lowformer-webgpu/kernels"
)

// GPU runs a Graph on a WebGPU device. Weights are uploaded once; each input
// shape (batch, height, width) gets its own Plan, built on first use and
// cached. GPU is safe for concurrent use.
type GPU struct {
	dev   *gpu.Device
	graph *Graph
	cache *kernels.Cache
	// target is what the plans' kernels are specialized for.
	target kernels.Target

	mu      sync.Mutex
	weights weightStore
	scratch scratchStore
	plans   map[planKey]*Plan
	closed  bool
	pre     map[preKey]*preprocessor // GPU preprocessing (gpuimage.go)
	images  []*gpu.ImageTexture      // textures images are copied into
	imgMu   sync.Mutex               // held from filling an image texture to its run

	// Progressive plans (progressive.go): the phase, its observer, and the
	// background specialization's state.
	phase        Phase
	onPhase      func(Phase)
	specializing bool           // the background goroutine runs
	specErr      error          // why the last attempt failed
	specialized  chan struct{}  // closed on entering PhaseSpecialized (nil: made by NewGPU)
	specDone     chan struct{}  // closed (and replaced) when an attempt ends
	bg           sync.WaitGroup // the background goroutine, which Close waits for
}

// errClosed is returned by calls on a closed GPU model.
var errClosed = errors.New("model: the GPU model is closed")

// NewGPU prepares g for dev, with kernels specialized for t. Weights are uploaded, in the layout their
// kernels want, when the first plan that uses them is built, and are then
// shared by every plan.
func NewGPU(dev *gpu.Device, g *Graph, t kernels.Target) *GPU {
	return &GPU{
		dev: dev, graph: g, cache: kernels.NewCache(dev), target: t,
		weights: weightStore{dev: dev}, scratch: scratchStore{dev: dev},
		plans: map[planKey]*Plan{}, pre: map[preKey]*preprocessor{},
		phase: PhaseSpecialized,
	}
}

// Target is what the model's kernels are specialized for.
func (m *GPU) Target() kernels.Target { return m.target }

// Device is the device the model runs on.
func (m *GPU) Device() *gpu.Device { return m.dev }

// Logits runs a batch of n NCHW RGB images of h×w pixels (normalized
// float32) and returns the n×Classes logits.
func (m *GPU) Logits(input []float32, n, h, w int) ([]float32, error) {
	p, err := m.Plan(n, h, w)
	if err != nil {
		return nil, err
	}
	return p.Run(input)
}

// Outputs runs a batch of n NCHW RGB images of h×w pixels and returns the
// NHWC activations of the values outs, in that order (Graph.Embedding,
// Graph.Stage, Graph.Logits give them), computing only the ops they depend
// on.
func (m *GPU) Outputs(input []float32, n, h, w int, outs []Value) ([][]float32, error) {
	p, err := m.plan(n, h, w, outs)
	if err != nil {
		return nil, err
	}
	flat, err := p.Run(input)
	if err != nil {
		return nil, err
	}
	return p.split(flat, outs), nil
}

// split cuts the plan's read-back values into the activations of outs
// (the values the plan reads back, in order).
func (p *Plan) split(flat []float32, outs []Value) [][]float32 {
	res := make([][]float32, len(outs))
	for i, v := range outs {
		k := p.shapes[v].Numel()
		res[i], flat = flat[:k:k], flat[k:]
	}
	return res
}

// Plan returns the execution plan for a batch of n images of h×w pixels,
// building it on first use.
func (m *GPU) Plan(n, h, w int) (*Plan, error) {
	return m.plan(n, h, w, []Value{m.graph.Logits()})
}

// plan returns the plan reading back outs, building it on first use.
func (m *GPU) plan(n, h, w int, outs []Value) (*Plan, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, errClosed
	}
	key := planKey{n, h, w, m.graph.outsKey(outs)}
	if p, ok := m.plans[key]; ok {
		return p, nil
	}
	p, err := m.newPlanFor(m.planTarget(), n, h, w, nil, outs)
	if err != nil {
		return nil, err
	}
	if p.generic {
		p.onRun = m.specializeAfterRun
	}
	m.plans[key] = p
	return p, nil
}

// MemoryBytes is the GPU memory held: weights, shared scratch buffers and
// every cached plan's arena.
func (m *GPU) MemoryBytes() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.weights.bytes + m.scratch.bytes
	for _, p := range m.plans {
		t += p.arenaBytes
	}
	return t
}

// Close releases every GPU object of the model (not the device). It waits
// for a progressive model's background compilation to stop (it stops
// after the pipelines being compiled, a few at a time).
func (m *GPU) Close() {
	m.mu.Lock()
	already := m.closed
	m.closed = true
	m.mu.Unlock()
	// The background specialization sees closed between two steps and
	// stops; until it has, it may be dispatching pipelines of the cache
	// (warm), so nothing is released before it returns.
	m.bg.Wait()
	if already {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range m.plans {
		p.release()
	}
	m.plans = nil
	m.releaseImages()
	m.weights.release()
	m.scratch.release()
	m.cache.Release()
}

// storeMark is how far the weight and scratch stores had grown at some
// point.
type storeMark struct{ weights, scratch int }

// mark notes how far the stores have grown. Called with m.mu held.
func (m *GPU) mark() storeMark { return storeMark{m.weights.mark(), m.scratch.mark()} }

// rollback releases and forgets every weight and scratch buffer created
// since mk. Called with m.mu held.
func (m *GPU) rollback(mk storeMark) {
	m.weights.rollback(mk.weights)
	m.scratch.rollback(mk.scratch)
}

// runActs runs the graph once for a batch of n NCHW RGB images of h×w
// pixels on a fresh, uncached plan that keeps the values in keep alive, and
// returns the logits with those values' activations (for divergence
// reports in tests and debugging).
func (m *GPU) runActs(input []float32, n, h, w int, keep []Value) ([]float32, map[Value]*ref.Tensor, error) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, nil, errClosed
	}
	p, err := m.newPlan(n, h, w, keep, nil)
	m.mu.Unlock()
	if err != nil {
		return nil, nil, err
	}
	defer p.release()
	logits, err := p.Run(input)
	if err != nil {
		return nil, nil, err
	}
	acts := map[Value]*ref.Tensor{}
	for _, v := range keep {
		s := p.shapes[v]
		data, err := m.dev.ReadFloats(p.val[v], 0, s.Numel())
		if err != nil {
			return nil, nil, err
		}
		acts[v] = &ref.Tensor{N: s.N, H: s.H, W: s.W, C: s.C, Data: data}
	}
	return logits, acts, nil
}

// Kernels lists the kernels whose pipelines the model has built so far (one
// per pipeline), by label.
func (m *GPU) Kernels() []kernels.Kernel { return m.cache.Kernels() }

// Fallbacks lists the kernels with an optional feature (subgroups) that
// the device could not compile and that run as their twin without it, as
// "kernel → twin" labels (kernels.Cache.Fallbacks).
func (m *GPU) Fallbacks() []string { return m.cache.Fallbacks() }
