package model

import (
	"errors"
	"fmt"
	"sync"

	"github.com/cogentcore/webgpu/wgpu"
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

	mu      sync.Mutex
	weights map[weightKey]gpu.Resource
	owned   []releaser  // weight buffers and textures
	created []weightKey // keys of weights, in the order they were uploaded
	plans   map[planKey]*Plan
	closed  bool

	weightBytes int64 // GPU memory of the uploaded weights
}

// errClosed is returned by calls on a closed GPU model.
var errClosed = errors.New("model: the GPU model is closed")

type planKey struct{ n, h, w int }

// weightKey names one uploaded weight tensor: the op, which of its tensors,
// and whether it lives in a texture.
type weightKey struct {
	op   int
	part string
	tex  bool
}

type releaser interface{ Release() }

// NewGPU prepares g for dev. Weights are uploaded, in the layout their
// kernels want, when the first plan that uses them is built, and are then
// shared by every plan.
func NewGPU(dev *gpu.Device, g *Graph) (*GPU, error) {
	m := &GPU{dev: dev, graph: g, cache: kernels.NewCache(dev), weights: map[weightKey]gpu.Resource{}, plans: map[planKey]*Plan{}}
	return m, nil
}

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

// Plan returns the execution plan for a batch of n images of h×w pixels,
// building it on first use.
func (m *GPU) Plan(n, h, w int) (*Plan, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, errClosed
	}
	key := planKey{n, h, w}
	if p, ok := m.plans[key]; ok {
		return p, nil
	}
	p, err := m.newPlan(n, h, w, nil)
	if err != nil {
		return nil, err
	}
	m.plans[key] = p
	return p, nil
}

// MemoryBytes is the GPU memory held: weights, shared scratch buffers and
// every cached plan's arena.
func (m *GPU) MemoryBytes() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.weightBytes
	for _, p := range m.plans {
		t += p.arenaBytes
	}
	return t
}

// Close releases every GPU object of the model (not the device).
func (m *GPU) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	m.closed = true
	for _, p := range m.plans {
		p.release()
	}
	m.plans = nil
	for _, r := range m.owned {
		r.Release()
	}
	m.owned, m.weights, m.created = nil, nil, nil
	m.cache.Release()
}

// weightBuffer returns the storage buffer holding data for (op, part),
// uploading it on first use. Called with m.mu held.
func (m *GPU) weightBuffer(op int, part string, data []float32) (gpu.Resource, error) {
	return m.buffer(weightKey{op, part, false}, max(len(data), 4), data)
}

// buffer returns the storage buffer cached under key, creating it on first
// use with floats values: data, or zeros when data is nil. Called with m.mu
// held; the buffer is counted and released with the weights.
func (m *GPU) buffer(key weightKey, floats int, data []float32) (gpu.Resource, error) {
	if r, ok := m.weights[key]; ok {
		return r, nil
	}
	label := fmt.Sprintf("op%d.%s", key.op, key.part)
	var b *wgpu.Buffer
	var err error
	if len(data) > 0 {
		b, err = m.dev.NewBufferFloats(label, data)
	} else {
		b, err = m.dev.NewBuffer(label, uint64(4*floats))
	}
	if err != nil {
		return gpu.Resource{}, err
	}
	m.owned = append(m.owned, b)
	m.created = append(m.created, key)
	m.weightBytes += int64(4 * floats)
	r := gpu.BufferRes(b)
	m.weights[key] = r
	return r, nil
}

// weightTexture returns an rgba32float texture of width cols/4 and height
// rows holding the row-major [rows][cols] matrix data. Called with m.mu held.
func (m *GPU) weightTexture(op int, part string, data []float32, rows, cols int) (gpu.Resource, error) {
	key := weightKey{op, part, true}
	if r, ok := m.weights[key]; ok {
		return r, nil
	}
	tex, view, err := m.dev.NewTextureFloats(fmt.Sprintf("op%d.%s", op, part), cols/4, rows, data)
	if err != nil {
		return gpu.Resource{}, err
	}
	m.owned = append(m.owned, view, tex)
	m.created = append(m.created, key)
	m.weightBytes += int64(4 * len(data))
	r := gpu.Resource{View: view}
	m.weights[key] = r
	return r, nil
}

// uploadMark is how far the weight cache had grown at some point.
type uploadMark struct {
	owned, keys int
	bytes       int64
}

func (m *GPU) mark() uploadMark { return uploadMark{len(m.owned), len(m.created), m.weightBytes} }

// rollback releases and forgets every weight and scratch buffer created
// since mk: after a failed plan they may be invalid (in the browser the
// plan's one error scope does not say which object failed). Called with
// m.mu held.
func (m *GPU) rollback(mk uploadMark) {
	for _, k := range m.created[mk.keys:] {
		delete(m.weights, k)
	}
	for _, r := range m.owned[mk.owned:] {
		r.Release()
	}
	m.owned, m.created, m.weightBytes = m.owned[:mk.owned], m.created[:mk.keys], mk.bytes
}

// weightsFor binds a dense weight matrix [rows][cols] as a texture or a
// storage buffer, as the kernel's specialization asks.
func (m *GPU) weightsFor(op int, data []float32, rows, cols int, tex bool) (gpu.Resource, error) {
	if tex {
		return m.weightTexture(op, "w", data, rows, cols)
	}
	return m.weightBuffer(op, "w", data)
}

// Plan is the compiled execution of a graph for one input shape: a flat
// list of dispatches over a static activation arena, run with one command
// encoder and one submit, reading back only the logits.
type Plan struct {
	dev        *gpu.Device
	N, H, W    int
	Classes    int
	Steps      []Step
	arena      []*wgpu.Buffer
	arenaBytes int64
	input      *wgpu.Buffer
	output     *wgpu.Buffer
	dispatches []gpu.Dispatch
	mu         sync.Mutex
	readback   *gpu.Readback // logits staging buffer, reused by every run
	nhwc       []float32     // the NHWC input of the last run, reused
	shapes     []Shape
	val        map[Value]*wgpu.Buffer // pinned values
}

// Step is one dispatch of a plan, with the layer it belongs to.
type Step struct {
	Op     int    // index in Graph.Ops
	Layer  string // the op's label
	Kernel kernels.Kernel
}

// step is a kernel with its resources, before binding.
type step struct {
	k   kernels.Kernel
	res []gpu.Resource
}

// newPlan compiles the graph for one input shape. Pinned values keep their
// own memory to the end of the run so that they can be read back.
func (m *GPU) newPlan(n, h, w int, pinned []Value) (*Plan, error) {
	g := m.graph
	shapes, err := g.Shapes(n, h, w)
	if err != nil {
		return nil, err
	}
	bytes := make([]int64, len(shapes))
	for v, s := range shapes {
		bytes[v] = int64(4 * s.Numel())
	}
	arena := PlanArena(g, bytes, pinned...)
	p := &Plan{dev: m.dev, N: n, H: h, W: w, Classes: g.Classes, shapes: shapes, val: map[Value]*wgpu.Buffer{}}
	ok := false
	defer func() {
		if !ok {
			p.release()
		}
	}()
	for i, b := range arena.SlotBytes {
		buf, err := m.dev.NewBuffer(fmt.Sprintf("arena%d", i), uint64(b))
		if err != nil {
			return nil, fmt.Errorf("model: allocating the activation arena for %dx%dx%d: %w", n, h, w, err)
		}
		p.arena = append(p.arena, buf)
		p.arenaBytes += b
	}
	for _, v := range pinned {
		p.val[v] = p.arena[arena.SlotOf[v]]
	}
	val := func(v Value) gpu.Resource {
		return gpu.Resource{Buffer: p.arena[arena.SlotOf[v]], Size: uint64(max(16, (bytes[v]+15)&^15))}
	}
	// Everything the plan creates on the device is checked by one error
	// scope, and all its pipelines are requested together: in the browser
	// that is a few round trips to the GPU process instead of hundreds.
	mk := m.mark()
	err = m.dev.Scoped(fmt.Sprintf("planning for input %dx%dx%d", n, h, w), func() error {
		lw := lowering{m: m, shapes: shapes, val: val}
		var steps []step
		var ks []kernels.Kernel
		for i, op := range g.Ops {
			s, err := lw.lower(i, op)
			if err != nil {
				return fmt.Errorf("model: planning %s (op %d) for input %dx%dx%d: %w", op.Label(), i, n, h, w, err)
			}
			for _, st := range s {
				steps = append(steps, st)
				ks = append(ks, st.k)
				p.Steps = append(p.Steps, Step{Op: i, Layer: op.Label(), Kernel: st.k})
			}
		}
		if err := m.cache.Prepare(ks...); err != nil {
			return fmt.Errorf("model: planning for input %dx%dx%d: %w", n, h, w, err)
		}
		for i, st := range steps {
			d, err := m.cache.Dispatch(st.k, st.res...)
			if err != nil {
				return fmt.Errorf("model: planning %s (op %d): %w", p.Steps[i].Layer, p.Steps[i].Op, err)
			}
			p.dispatches = append(p.dispatches, d)
		}
		return nil
	})
	if err != nil {
		p.release() // the bind groups go before the buffers they bind
		m.rollback(mk)
		return nil, err
	}
	if p.readback, err = m.dev.NewReadback(n * g.Classes); err != nil {
		return nil, err
	}
	p.input = p.arena[arena.SlotOf[0]]
	p.output = p.arena[arena.SlotOf[g.Ops[len(g.Ops)-1].Output()]]
	ok = true
	return p, nil
}

// Run uploads a batch of NCHW RGB images and returns the logits.
func (p *Plan) Run(input []float32) ([]float32, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(input) != p.N*3*p.H*p.W {
		return nil, fmt.Errorf("model: input has %d values, the plan for %d images of %dx%d needs %d", len(input), p.N, p.H, p.W, p.N*3*p.H*p.W)
	}
	x, err := inputNHWC4Into(p.nhwc, input, p.N, p.H, p.W)
	if err != nil {
		return nil, err
	}
	p.nhwc = x
	if err := p.dev.WriteFloats(p.input, 0, x); err != nil {
		return nil, err
	}
	return p.dev.RunRead(p.readback, p.dispatches, p.output, 0, p.N*p.Classes)
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
	p, err := m.newPlan(n, h, w, keep)
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

// Dispatches returns the plan's dispatches in order (for profiling).
func (p *Plan) Dispatches() []gpu.Dispatch { return p.dispatches }

// ArenaBytes is the activation memory of the plan.
func (p *Plan) ArenaBytes() int64 { return p.arenaBytes }

func (p *Plan) release() {
	for _, d := range p.dispatches {
		d.Group.Release()
	}
	p.dispatches = nil
	for _, b := range p.arena {
		b.Release()
	}
	p.arena = nil
	p.readback.Release()
}
