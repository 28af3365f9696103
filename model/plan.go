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

// planBuilder turns the lowered steps of a graph into a Plan: arena
// offsets, weights and scratch buffers, pipelines and bind groups.
type planBuilder struct {
	m      *GPU
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
	b := &planBuilder{m: m, need: need, what: fmt.Sprintf("input %dx%dx%d", n, h, w)}
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
		steps, err := lowerOp(b.m.target, i, op, shapes)
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
	for i, s := range b.p.Steps {
		d, err := b.m.cache.Dispatch(s.Kernel, res[i]...)
		if err != nil {
			return b.opErr(s.Op, err)
		}
		b.p.dispatches = append(b.p.dispatches, d)
	}
	return nil
}

// resolve gives the device resource of an operand.
func (b *planBuilder) resolve(o operand) (gpu.Resource, error) {
	switch o.kind {
	case valueOperand:
		return gpu.Resource{Buffer: b.p.arena[b.slotOf[o.value]], Size: uint64(max(16, (b.bytes[o.value]+15)&^15))}, nil
	case weightOperand:
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
	p.readback.Release()
	p.readback = nil
}
