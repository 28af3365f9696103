package model

import (
	"sync"

	"github.com/lowformer/lowformer-webgpu/internal/cpukernels"
)

// CPU runs a Graph on the CPU with the kernels of internal/cpukernels.
// Weights are packed for their kernels once, when the first plan that uses
// them is built; each input shape (batch, height, width) gets its own
// CPUPlan, built on first use and cached. CPU is safe for concurrent use.
type CPU struct {
	graph *Graph

	mu    sync.Mutex
	packs map[Op]any // *cpukernels.PackedB, *cpukernels.WinogradWeights or [2][2]*cpukernels.PackedB
	plans map[planKey]*CPUPlan
}

// NewCPU prepares g for the CPU; it does no work until the first call.
func NewCPU(g *Graph) *CPU {
	return &CPU{graph: g, packs: map[Op]any{}, plans: map[planKey]*CPUPlan{}}
}

// Logits runs a batch of n NCHW RGB images of h×w pixels (normalized
// float32) and returns the n×Classes logits.
func (m *CPU) Logits(input []float32, n, h, w int) ([]float32, error) {
	if err := checkInputLen(input, n, h, w); err != nil {
		return nil, err
	}
	p, err := m.Plan(n, h, w)
	if err != nil {
		return nil, err
	}
	out := make([]float32, n*m.graph.Classes)
	if err := p.Run(out, input); err != nil {
		return nil, err
	}
	return out, nil
}

// Outputs runs a batch of n NCHW RGB images of h×w pixels and returns the
// NHWC activations of the values outs, in that order (Graph.Embedding,
// Graph.Stage, Graph.Logits give them), computing only the ops they
// depend on.
func (m *CPU) Outputs(input []float32, n, h, w int, outs []Value) ([][]float32, error) {
	if err := checkInputLen(input, n, h, w); err != nil {
		return nil, err
	}
	p, err := m.plan(n, h, w, outs)
	if err != nil {
		return nil, err
	}
	return p.RunOutputs(input)
}

// Plan returns the plan for a batch of n images of h×w pixels, building
// it on first use.
func (m *CPU) Plan(n, h, w int) (*CPUPlan, error) {
	return m.plan(n, h, w, []Value{m.graph.Logits()})
}

// plan returns the plan reading back outs, building it on first use.
func (m *CPU) plan(n, h, w int, outs []Value) (*CPUPlan, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.planLocked(n, h, w, outs)
}

// planLocked is plan, called with m.mu held. Any outputs but the logits
// get, where they can (prefixView), the prefix of the logits' plan rather
// than a plan of their own.
func (m *CPU) planLocked(n, h, w int, outs []Value) (*CPUPlan, error) {
	key := planKey{n, h, w, m.graph.outsKey(outs)}
	if p, ok := m.plans[key]; ok {
		return p, nil
	}
	if key.outs != "" {
		need, err := m.graph.needed(outs)
		if err != nil {
			return nil, err
		}
		full, err := m.planLocked(n, h, w, []Value{m.graph.Logits()})
		if err != nil {
			return nil, err
		}
		if p := full.prefixView(m.graph, outs, need); p != nil {
			m.plans[key] = p
			return p, nil
		}
	}
	p, err := m.newPlan(n, h, w, outs)
	if err != nil {
		return nil, err
	}
	m.plans[key] = p
	return p, nil
}

// packed returns op's packed weights, packing them with pack on first use.
// Called with m.mu held.
func (m *CPU) packed(op Op, pack func() any) any {
	if p, ok := m.packs[op]; ok {
		return p
	}
	p := pack()
	m.packs[op] = p
	return p
}

// MemoryBytes is the memory the model holds: its packed weights and every
// cached plan's arena and scratch (the graph's own weights not counted).
func (m *CPU) MemoryBytes() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var t int64
	for _, p := range m.packs {
		switch p := p.(type) {
		case *cpukernels.PackedB:
			t += p.Bytes()
		case *cpukernels.WinogradWeights:
			t += p.Bytes()
		case [2][2]*cpukernels.PackedB:
			for _, row := range p {
				for _, b := range row {
					t += b.Bytes()
				}
			}
		}
	}
	for _, p := range m.plans {
		t += p.MemoryBytes()
	}
	return t
}

// packedB is packed for a weight matrix of k rows and n columns.
func (m *CPU) packedB(op Op, w []float32, k, n int) *cpukernels.PackedB {
	return m.packed(op, func() any { return cpukernels.PackB(w, k, n) }).(*cpukernels.PackedB)
}
