//go:build js || cgo

package model

import (
	"fmt"
	"slices"
	"sync"

	"github.com/cogentcore/webgpu/wgpu"
	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/kernels"
)

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
	outs       []Value    // the values read back (the logits for a plan of GPU.Plan)
	copies     []gpu.Copy // their arena ranges, in order
	dispatches []gpu.Dispatch
	// imageRun is dispatches behind room for the preprocessing passes of an
	// image run (runImage fills it under mu, so a frame allocates none).
	imageRun []gpu.Dispatch
	mu       sync.Mutex
	readback *gpu.Readback // logits staging buffer, reused by every run
	nhwc     []float32     // the NHWC input of the last run, reused
	shapes   []Shape
	val      map[Value]*wgpu.Buffer // pinned values
	params   *wgpu.Buffer           // the generic kernels' Params, one slot per step (nil: none)
	// next is the plan that replaced this one (a progressive model's
	// specialized plan); set when this one is retired and released.
	next *Plan
	// generic reports that the plan runs on generic kernels.
	generic bool
	// weights lists the weight tensors the plan binds.
	weights []weightKey
	// onRun, when set, is called after each successful run (outside the
	// plan's lock): a progressive model starts specializing after the
	// first run of a generic plan.
	onRun func()
}

// Step is one dispatch of a plan, with the layer it belongs to.
type Step struct {
	Op     int    // index in Graph.Ops
	Layer  string // the op's label
	Kernel kernels.Kernel
}

// planBuilder turns the lowered steps of a graph into a Plan: arena
// offsets, weights and scratch buffers, pipelines and bind groups.
type planBuilder struct {
	m      *GPU
	target kernels.Target // what the kernels are specialized for
	p      *Plan
	need   []bool  // the ops the plan runs, by index in the graph
	what   string  // "input NxHxW", for errors
	bytes  []int64 // size of each value
	slotOf []int   // arena slot of each value
}

// newPlan compiles the graph for one input shape, reading back the values
// outs (nil: the logits) and computing only the ops they depend on. Pinned
// values keep their own memory to the end of the run so that they can be
// read back. On failure it releases everything the plan created and
// forgets the weights and scratch buffers created for it. Called with m.mu
// held.
func (m *GPU) newPlan(n, h, w int, pinned, outs []Value) (_ *Plan, err error) {
	return m.newPlanFor(m.target, n, h, w, pinned, outs)
}

// newPlanFor is newPlan with kernels specialized for t. Called with m.mu
// held.
func (m *GPU) newPlanFor(t kernels.Target, n, h, w int, pinned, outs []Value) (_ *Plan, err error) {
	g := m.graph
	shapes, err := g.Shapes(n, h, w)
	if err != nil {
		return nil, err
	}
	if outs == nil {
		outs = []Value{g.Logits()}
	}
	need, err := g.needed(append(slices.Clone(outs), pinned...))
	if err != nil {
		return nil, err
	}
	b := &planBuilder{m: m, target: t, need: need, what: fmt.Sprintf("input %dx%dx%d", n, h, w)}
	b.p = &Plan{dev: m.dev, N: n, H: h, W: w, Classes: g.Classes, shapes: shapes, val: map[Value]*wgpu.Buffer{}, outs: slices.Clone(outs)}
	operands, err := b.lower(shapes)
	if err != nil {
		return nil, err
	}
	mk := m.mark()
	defer func() {
		if err != nil {
			b.p.release() // the bind groups go before the buffers they bind
			m.rollback(mk)
		}
	}()
	if err := b.allocArena(append(slices.Clone(outs), pinned...)); err != nil {
		return nil, err
	}
	// Everything the plan creates on the device is checked by one error
	// scope, and all its pipelines are requested together: in the browser
	// that is a few round trips to the GPU process instead of hundreds.
	b.p.generic = t.Generic
	if err := m.dev.Scoped("planning for "+b.what, func() error { return b.bind(operands) }); err != nil {
		return nil, err
	}
	count := 0
	for _, v := range outs {
		b.p.copies = append(b.p.copies, gpu.Copy{Src: b.p.arena[b.slotOf[v]], Count: shapes[v].Numel()})
		count += shapes[v].Numel()
	}
	if b.p.readback, err = m.dev.NewReadback(count); err != nil {
		return nil, err
	}
	b.p.input = b.p.arena[b.slotOf[0]]
	return b.p, nil
}

// lower lowers every op of the graph in order into the plan's steps and
// returns the operands of each step.
func (b *planBuilder) lower(shapes []Shape) ([][]operand, error) {
	var operands [][]operand
	for i, op := range b.m.graph.Ops {
		if !b.need[i] {
			continue
		}
		steps, err := lowerOp(b.target, i, op, shapes)
		if err != nil {
			return nil, b.opErr(i, err)
		}
		for _, s := range steps {
			b.p.Steps = append(b.p.Steps, Step{Op: i, Layer: op.Label(), Kernel: s.k})
			operands = append(operands, s.operands)
		}
	}
	return operands, nil
}

// opErr is err in planning op i.
func (b *planBuilder) opErr(i int, err error) error {
	return fmt.Errorf("model: planning %s (op %d) for %s: %w", b.m.graph.Ops[i].Label(), i, b.what, err)
}

// allocArena creates the activation arena's buffers and the pinned
// values' entries.
func (b *planBuilder) allocArena(pinned []Value) error {
	b.bytes = make([]int64, len(b.p.shapes))
	for v, s := range b.p.shapes {
		b.bytes[v] = int64(4 * s.Numel())
	}
	arena := PlanArena(b.m.graph.pruned(b.need), b.bytes, pinned...)
	b.slotOf = arena.SlotOf
	for i, size := range arena.SlotBytes {
		buf, err := b.m.dev.NewBuffer(fmt.Sprintf("arena%d", i), uint64(size))
		if err != nil {
			return fmt.Errorf("model: allocating the activation arena for %s: %w", b.what, err)
		}
		b.p.arena = append(b.p.arena, buf)
		b.p.arenaBytes += size
	}
	for _, v := range pinned {
		b.p.val[v] = b.p.arena[b.slotOf[v]]
	}
	return nil
}

// bind resolves every step's operands (uploading weights and creating
// scratch buffers on first use), prepares all the plan's pipelines in one
// batch and creates the dispatches.
func (b *planBuilder) bind(operands [][]operand) error {
	res := make([][]gpu.Resource, len(operands))
	ks := make([]kernels.Kernel, len(operands))
	for i, ops := range operands {
		ks[i] = b.p.Steps[i].Kernel
		for _, o := range ops {
			r, err := b.resolve(o)
			if err != nil {
				return b.opErr(b.p.Steps[i].Op, err)
			}
			res[i] = append(res[i], r)
		}
	}
	if err := b.m.cache.Prepare(ks...); err != nil {
		return fmt.Errorf("model: planning for %s: %w", b.what, err)
	}
	if err := b.bindParams(res); err != nil {
		return err
	}
	for i, s := range b.p.Steps {
		d, err := b.m.cache.Dispatch(s.Kernel, res[i]...)
		if err != nil {
			return b.opErr(s.Op, err)
		}
		b.p.dispatches = append(b.p.dispatches, d)
	}
	return nil
}

// paramsStride is the bytes between two steps' Params in a plan's params
// buffer: the WebGPU default of minUniformBufferOffsetAlignment.
const paramsStride = 256

// bindParams uploads the Params of the plan's generic kernels into one
// uniform buffer, a slot per step, and appends each one's slot to its
// resources.
func (b *planBuilder) bindParams(res [][]gpu.Resource) error {
	var words []uint32
	for i, s := range b.p.Steps {
		if ps := kernels.Params(s.Kernel); ps != nil {
			words = append(words, make([]uint32, i*paramsStride/4-len(words))...)
			words = append(words, ps...)
		}
	}
	if words == nil {
		return nil
	}
	u, err := b.m.dev.NewUniform("params", words)
	if err != nil {
		return fmt.Errorf("model: planning for %s: %w", b.what, err)
	}
	b.p.params = u
	for i, s := range b.p.Steps {
		if ps := kernels.Params(s.Kernel); ps != nil {
			res[i] = append(res[i], gpu.Resource{Buffer: u, Offset: uint64(i * paramsStride), Size: uint64(4 * len(ps))})
		}
	}
	return nil
}

// resolve gives the device resource of an operand.
func (b *planBuilder) resolve(o operand) (gpu.Resource, error) {
	switch o.kind {
	case valueOperand:
		return gpu.Resource{Buffer: b.p.arena[b.slotOf[o.value]], Size: uint64(max(16, (b.bytes[o.value]+15)&^15))}, nil
	case weightOperand:
		b.p.weights = append(b.p.weights, o.weight.key)
		return b.m.weights.get(o.weight)
	case scratchOperand:
		return b.m.scratch.get(o.scratch)
	}
	return gpu.Resource{}, fmt.Errorf("operand of unknown kind %d", o.kind)
}

// Run uploads a batch of NCHW RGB images and returns the NHWC activations
// of the plan's outputs, concatenated in order: the logits for a plan of
// GPU.Plan.
func (p *Plan) Run(input []float32) ([]float32, error) {
	out, onRun, err := p.run(input)
	if err == nil && onRun != nil {
		onRun()
	}
	return out, err
}

// run is Run on the live plan (p or the plan that replaced it), returning
// that plan's onRun hook.
func (p *Plan) run(input []float32) ([]float32, func(), error) {
	p = p.acquire()
	defer p.mu.Unlock()
	if p.readback == nil {
		return nil, nil, errClosed
	}
	out, err := p.runLocked(input)
	return out, p.onRun, err
}

// acquire locks and returns the live plan: p, or when p was retired the
// plan that replaced it (a call holding a retired plan runs on its
// successor, so that a swap never tears a run).
func (p *Plan) acquire() *Plan {
	for {
		p.mu.Lock()
		if p.next == nil {
			return p
		}
		n := p.next
		p.mu.Unlock()
		p = n
	}
}

// retire makes next the plan's successor and releases the plan, after any
// run in flight on it has finished.
func (p *Plan) retire(next *Plan) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next = next
	p.release()
}

// runLocked is Run with p.mu held.
func (p *Plan) runLocked(input []float32) ([]float32, error) {
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
	return p.dev.RunReadAll(p.readback, p.dispatches, p.copies)
}

// Dispatches returns the plan's dispatches in order (for profiling).
func (p *Plan) Dispatches() []gpu.Dispatch { return p.dispatches }

// ArenaBytes is the activation memory of the plan.
func (p *Plan) ArenaBytes() int64 { return p.arenaBytes }

// release frees the plan's bind groups, arena and readback buffer (not the
// weights and scratch buffers, which the model owns).
func (p *Plan) release() {
	for _, d := range p.dispatches {
		d.Group.Release()
	}
	p.dispatches = nil
	for _, b := range p.arena {
		b.Release()
	}
	p.arena = nil
	if p.readback != nil {
		p.readback.Release()
		p.readback = nil
	}
	if p.params != nil {
		p.params.Release()
		p.params = nil
	}
}
