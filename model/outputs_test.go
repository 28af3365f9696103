package model

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/ref"
)

// outputsRunner is the Outputs method of the CPU and GPU models.
type outputsRunner func(input []float32, n, h, w int, outs []Value) ([][]float32, error)

// checkOutputsMatchReference runs the embedding and every stage output of
// the reference checkpoint v through run, in one call and one per output,
// and compares each with PyTorch's activation of the same layer (max-abs
// within actRel of the reference's max-abs), then checks that the logits
// still come out right from the same model (plans are cached per output
// set).
func checkOutputsMatchReference(t *testing.T, v string, g *Graph, dir string, run outputsRunner, logits func([]float32, int, int, int) ([]float32, error)) {
	t.Helper()
	input, im := readBin(t, filepath.Join(dir, "input.bin"))
	n, h, w := im.Shape[0], im.Shape[2], im.Shape[3]
	shapes, err := g.Shapes(n, h, w)
	if err != nil {
		t.Fatal(err)
	}
	emb, err := g.Embedding()
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"head.fc1"}
	outs := []Value{emb}
	for s := 0; s < Stages; s++ {
		val, err := g.Stage(s)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, fmt.Sprintf("stage%d", s))
		outs = append(outs, val)
	}
	check := func(what string, got [][]float32, names []string, outs []Value) {
		t.Helper()
		if len(got) != len(outs) {
			t.Fatalf("%s: %d outputs for %d values", what, len(got), len(outs))
		}
		for i, name := range names {
			want, meta := readBin(t, filepath.Join(dir, "act", name+".bin"))
			s := shapes[outs[i]]
			diff, scale := tapDiff(t, &ref.Tensor{N: s.N, H: s.H, W: s.W, C: s.C, Data: got[i]}, want, meta)
			t.Logf("%s %s %-9s %v: max-abs diff %.2e (reference max-abs %.3g, %.1e of it)", v, what, name, meta.Shape, diff, scale, diff/scale)
			if diff > actRel*scale {
				t.Errorf("%s %s: max-abs diff %.3g > %.0e × reference max-abs %.3g", what, name, diff, actRel, scale)
			}
		}
	}
	all, err := run(input, n, h, w, outs)
	if err != nil {
		t.Fatal(err)
	}
	check("together", all, names, outs)
	for i := range outs {
		one, err := run(input, n, h, w, outs[i:i+1])
		if err != nil {
			t.Fatal(err)
		}
		check("alone", one, names[i:i+1], outs[i:i+1])
	}
	got, err := logits(input, n, h, w)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := readBin(t, filepath.Join(dir, "logits.bin"))
	if diff := ref.MaxAbsDiff(got, want); diff > logitTol {
		t.Errorf("logits after output runs differ by %.3g > %.0e", diff, logitTol)
	}
}

// TestCPUOutputsMatchReference checks the CPU plan's embeddings and stage
// outputs against PyTorch's activations.
func TestCPUOutputsMatchReference(t *testing.T) {
	for _, v := range []string{"b0", "E1"} {
		t.Run(v, func(t *testing.T) {
			g, _, dir := referenceGraph(t, v)
			m := NewCPU(g)
			checkOutputsMatchReference(t, v, g, dir, m.Outputs, m.Logits)
		})
	}
}

// TestCPUOutputsSkipUnusedOps checks that a plan for the embedding or an
// early stage runs fewer steps than the logits plan, and one for the
// logits all of them.
func TestCPUOutputsSkipUnusedOps(t *testing.T) {
	g := synthGraph(t, "b0")
	m := NewCPU(g)
	full, err := m.Plan(1, 64, 64)
	if err != nil {
		t.Fatal(err)
	}
	if len(full.steps) != len(g.Ops) {
		t.Fatalf("logits plan has %d steps for %d ops", len(full.steps), len(g.Ops))
	}
	emb, _ := g.Embedding()
	s2, _ := g.Stage(2)
	for _, c := range []struct {
		name string
		outs []Value
		want int // ops skipped at least
	}{
		{"embedding", []Value{emb}, 1}, // the classifier linear
		{"stage2", []Value{s2}, 10},    // stages 3, 4 and the head
		{"stage2+embedding", []Value{s2, emb}, 1},
	} {
		p, err := m.plan(1, 64, 64, c.outs)
		if err != nil {
			t.Fatal(err)
		}
		if skipped := len(g.Ops) - len(p.steps); skipped < c.want {
			t.Errorf("%s: plan skips %d ops, want at least %d", c.name, skipped, c.want)
		}
		if p == full {
			t.Errorf("%s: got the logits plan", c.name)
		}
	}
}

// TestOutputsErrors checks the errors of bad output requests.
func TestOutputsErrors(t *testing.T) {
	g := synthGraph(t, "b0")
	for _, s := range []int{-1, Stages} {
		if _, err := g.Stage(s); err == nil {
			t.Errorf("Stage(%d) gave no error", s)
		}
	}
	m := NewCPU(g)
	in := patternInput(1, 64, 64)
	for _, outs := range [][]Value{nil, {Value(len(g.Ops) + 100)}, {-1}} {
		if _, err := m.Outputs(in, 1, 64, 64, outs); err == nil {
			t.Errorf("Outputs(%v) gave no error", outs)
		}
	}
}
