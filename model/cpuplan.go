package model

import (
	"fmt"
	"sync"
	"time"

	"github.com/lowformer/lowformer-webgpu/internal/cpukernels"
)

// CPUPlan runs a Graph on the CPU for one input shape: every value has its
// place in a static arena (values share memory by lifetime, PlanArena),
// every op is bound to a kernel with its operands, and the per-worker
// scratch is shared by the kernels, so an inference allocates nothing.
// Runs of one plan take turns.
type CPUPlan struct {
	n, h, w    int
	classes    int
	vals       [][]float32 // by Value, views into the arena
	steps      []func()
	families   []string // the kernel family of each step (for profiles)
	out        Value
	arenaBytes int64
	scratch    *cpukernels.Scratch

	mu sync.Mutex
}

// newPlan builds the plan of shape (n, h, w). Called with m.mu held.
func (m *CPU) newPlan(n, h, w int) (*CPUPlan, error) {
	g := m.graph
	shapes, err := g.Shapes(n, h, w)
	if err != nil {
		return nil, err
	}
	bytes := make([]int64, len(shapes))
	for v, s := range shapes {
		bytes[v] = 4 * int64(s.Numel())
	}
	arena := PlanArena(g, bytes)
	slots := make([][]float32, len(arena.SlotBytes))
	for i, b := range arena.SlotBytes {
		slots[i] = make([]float32, b/4)
	}
	p := &CPUPlan{n: n, h: h, w: w, classes: g.Classes, vals: make([][]float32, len(shapes)),
		out: g.Ops[len(g.Ops)-1].Output(), arenaBytes: arena.TotalBytes(),
		scratch: cpukernels.NewScratch(cpukernels.Workers())}
	for v, s := range arena.SlotOf {
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

// Run writes the n×Classes logits of the NCHW input into dst.
func (p *CPUPlan) Run(dst, input []float32) error {
	if len(dst) != p.n*p.classes {
		return fmt.Errorf("model: logits buffer has %d values, want %d", len(dst), p.n*p.classes)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := inputNHWC4Into(p.vals[0], input, p.n, p.h, p.w); err != nil {
		return err
	}
	for _, step := range p.steps {
		step()
	}
	copy(dst, p.vals[p.out])
	return nil
}

// profile runs the plan once like Run and adds the time of each step to
// its kernel family's entry of times.
func (p *CPUPlan) profile(dst, input []float32, times map[string]time.Duration) error {
	if len(dst) != p.n*p.classes {
		return fmt.Errorf("model: logits buffer has %d values, want %d", len(dst), p.n*p.classes)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	start := time.Now()
	if _, err := inputNHWC4Into(p.vals[0], input, p.n, p.h, p.w); err != nil {
		return err
	}
	times["input"] += time.Since(start)
	for i, step := range p.steps {
		start = time.Now()
		step()
		times[p.families[i]] += time.Since(start)
	}
	copy(dst, p.vals[p.out])
	return nil
}

// MemoryBytes is the memory the plan holds: its arena and scratch.
func (p *CPUPlan) MemoryBytes() int64 { return p.arenaBytes + p.scratch.Bytes() }
