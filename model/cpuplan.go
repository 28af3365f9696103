package model

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/lowformer/lowformer-webgpu/internal/cpukernels"
)

// CPUPlan runs a Graph on the CPU for one input shape: every value has its
// place in a static arena (values share memory by lifetime, PlanArena),
// every op is bound to a kernel with its operands, and the per-worker
// scratch is shared by the kernels, so an inference allocates nothing.
// Runs of one plan take turns, and so do runs of a plan and its prefix
// views (prefixView), which share its arena.
type CPUPlan struct {
	n, h, w    int
	classes    int
	vals       [][]float32 // by Value, views into the arena
	steps      []func()
	outs       []Value  // what RunOutputs returns; Run needs the logits alone
	families   []string // the kernel family of each step (for profiles)
	arenaBytes int64
	scratch    *cpukernels.Scratch
	view       bool  // a prefix view: its arena and scratch are another plan's
	slotOf     []int // each value's arena slot (Arena.SlotOf)

	mu *sync.Mutex // shared with the prefix views
}

// newPlan builds the plan of shape (n, h, w) reading back outs, with only
// the ops they depend on. Called with m.mu held.
func (m *CPU) newPlan(n, h, w int, outs []Value) (*CPUPlan, error) {
	shapes, err := m.graph.Shapes(n, h, w)
	if err != nil {
		return nil, err
	}
	need, err := m.graph.needed(outs)
	if err != nil {
		return nil, err
	}
	g := m.graph.pruned(need)
	bytes := make([]int64, len(shapes))
	for v, s := range shapes {
		bytes[v] = 4 * int64(s.Numel())
	}
	arena := PlanArena(g, bytes, outs...)
	slots := make([][]float32, len(arena.SlotBytes))
	for i, b := range arena.SlotBytes {
		slots[i] = make([]float32, b/4)
	}
	p := &CPUPlan{n: n, h: h, w: w, classes: g.Classes, vals: make([][]float32, len(shapes)),
		outs: slices.Clone(outs), arenaBytes: arena.TotalBytes(), slotOf: arena.SlotOf,
		scratch: cpukernels.NewScratch(cpukernels.Workers()), mu: new(sync.Mutex)}
	for v, s := range p.slotOf {
		if s >= 0 {
			p.vals[v] = slots[s][:shapes[v].Numel()]
		}
	}
	for _, op := range g.Ops {
		family, step := m.bind(op, p, shapes)
		p.steps = append(p.steps, step)
		p.families = append(p.families, family)
	}
	return p, nil
}

// prefixView returns the plan that runs only the first ops of p (a plan of
// the whole graph g, in its arena) up to the last one outs depend on, and
// reads outs back, when that is exactly the ops outs need and no op in it
// overwrites an out after writing it; nil otherwise. The view computes what
// a pruned plan would, in the memory and with the kernels of p, so that an
// embedding or a stage costs the prefix of a classification and no second
// arena competes with p's for the cache.
func (p *CPUPlan) prefixView(g *Graph, outs []Value, need []bool) *CPUPlan {
	last := -1
	for i, nd := range need {
		if nd {
			last = i
		}
	}
	if last < 0 || len(p.steps) != len(g.Ops) || slices.Contains(need[:last+1], false) {
		return nil
	}
	for _, v := range outs {
		w := slices.IndexFunc(g.Ops, func(op Op) bool { return op.Output() == v })
		if w < 0 || p.slotOf[v] < 0 {
			return nil
		}
		for _, op := range g.Ops[w+1 : last+1] {
			if p.slotOf[op.Output()] == p.slotOf[v] {
				return nil
			}
		}
	}
	return &CPUPlan{n: p.n, h: p.h, w: p.w, classes: p.classes, vals: p.vals, steps: p.steps[: last+1 : last+1],
		outs: slices.Clone(outs), families: p.families[: last+1 : last+1], scratch: p.scratch, view: true, mu: p.mu}
}

// Run writes the n×Classes logits of the NCHW input into dst (a plan of
// Plan, whose output is the logits).
func (p *CPUPlan) Run(dst, input []float32) error { return p.profile(dst, input, nil, nil) }

// RunOutputs runs the NCHW input and returns a copy of each output's NHWC
// activation.
func (p *CPUPlan) RunOutputs(input []float32) ([][]float32, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.run(input); err != nil {
		return nil, err
	}
	res := make([][]float32, len(p.outs))
	for i, v := range p.outs {
		res[i] = append([]float32(nil), p.vals[v]...)
	}
	return res, nil
}

// run runs the steps on input. Called with p.mu held.
func (p *CPUPlan) run(input []float32) error { return p.runTimed(input, nil, nil) }

// runTimed is run that, when times is not nil, adds the time of the input
// conversion to times["input"] and of each step to its kernel family's
// entry, read from clock (a monotonic time; wall time when nil).
func (p *CPUPlan) runTimed(input []float32, times map[string]time.Duration, clock func() time.Duration) error {
	if times == nil {
		if _, err := inputNHWC4Into(p.vals[0], input, p.n, p.h, p.w); err != nil {
			return err
		}
		for _, step := range p.steps {
			step()
		}
		return nil
	}
	if clock == nil {
		t0 := time.Now()
		clock = func() time.Duration { return time.Since(t0) }
	}
	start := clock()
	if _, err := inputNHWC4Into(p.vals[0], input, p.n, p.h, p.w); err != nil {
		return err
	}
	times["input"] += clock() - start
	for i, step := range p.steps {
		start = clock()
		step()
		times[p.families[i]] += clock() - start
	}
	return nil
}

// profile is Run that also times each step into times (when not nil; see
// runTimed) with clock.
func (p *CPUPlan) profile(dst, input []float32, times map[string]time.Duration, clock func() time.Duration) error {
	if len(p.outs) != 1 || len(dst) != p.n*p.classes || len(p.vals[p.outs[0]]) != len(dst) {
		return fmt.Errorf("model: logits buffer has %d values, want %d", len(dst), p.n*p.classes)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.runTimed(input, times, clock); err != nil {
		return err
	}
	copy(dst, p.vals[p.outs[0]])
	return nil
}

// MemoryBytes is the memory the plan holds: its arena and scratch (none
// for a prefix view, whose memory is its whole plan's).
func (p *CPUPlan) MemoryBytes() int64 {
	if p.view {
		return 0
	}
	return p.arenaBytes + p.scratch.Bytes()
}
