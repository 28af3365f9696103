package model

import (
	"slices"
	"testing"
)

// TestCPUPrefixViews checks that outputs whose ops are a prefix of the
// graph (the embedding, one stage) run as views of the logits' plan, in
// its arena and with no memory of their own, and give exactly what a
// plan of their own (newPlan) gives, before and after the logits' plan
// runs; and that outputs the logits' arena overwrites before the prefix
// ends (stages 1 and 4 together) get a plan of their own.
func TestCPUPrefixViews(t *testing.T) {
	g := synthGraph(t, "b0")
	emb, err := g.Embedding()
	if err != nil {
		t.Fatal(err)
	}
	s1, _ := g.Stage(1)
	s2, _ := g.Stage(2)
	s4, _ := g.Stage(4)
	in := patternInput(1, 64, 64)
	for _, c := range []struct {
		name string
		outs []Value
		view bool
	}{
		{"embedding", []Value{emb}, true},
		{"stage2", []Value{s2}, true},
		{"stage2+embedding", []Value{s2, emb}, false},
		{"stages1,4", []Value{s1, s4}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := NewCPU(g)
			p, err := m.plan(1, 64, 64, c.outs)
			if err != nil {
				t.Fatal(err)
			}
			full, err := m.Plan(1, 64, 64)
			if err != nil {
				t.Fatal(err)
			}
			if p.view != c.view || (p.view && (p.MemoryBytes() != 0 || &p.vals[0][0] != &full.vals[0][0] || p.mu != full.mu)) {
				t.Fatalf("view %v (want %v), %d bytes of its own, shares the arena %v, the lock %v", p.view, c.view,
					p.MemoryBytes(), &p.vals[0][0] == &full.vals[0][0], p.mu == full.mu)
			}
			m.mu.Lock()
			own, err := m.newPlan(1, 64, 64, c.outs)
			m.mu.Unlock()
			if err != nil {
				t.Fatal(err)
			}
			want, err := own.RunOutputs(in)
			if err != nil {
				t.Fatal(err)
			}
			logits := make([]float32, g.Classes)
			for round := range 2 {
				got, err := p.RunOutputs(in)
				if err != nil {
					t.Fatal(err)
				}
				for i := range want {
					if !slices.Equal(got[i], want[i]) {
						t.Fatalf("round %d: output %d differs from its own plan's", round, i)
					}
				}
				if err := full.Run(logits, in); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
