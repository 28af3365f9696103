package model

import (
	"fmt"
	"sync"
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/ref"
)

// patternInput returns a deterministic batch of n RGB images of h×w in
// [-1, 1].
func patternInput(n, h, w int) []float32 {
	input := make([]float32, n*3*h*w)
	for i := range input {
		input[i] = float32((i*7919)%2001)/1000 - 1
	}
	return input
}

// synthGraph builds a released variant with the synthetic weights.
func synthGraph(tb testing.TB, variant string) *Graph {
	tb.Helper()
	cfg := mustConfig(tb, variant)
	g, err := Build(cfg, synthStateDict(tb, cfg))
	if err != nil {
		tb.Fatal(err)
	}
	return g
}

// synthPlan builds the CPU plan of a synthetic-weight variant for n
// images of h×w.
func synthPlan(tb testing.TB, variant string, n, h, w int) (*Graph, *CPUPlan) {
	tb.Helper()
	g := synthGraph(tb, variant)
	p, err := NewCPU(g).Plan(n, h, w)
	if err != nil {
		tb.Fatal(err)
	}
	return g, p
}

// TestCPUPlanVariantsMatchRefPath runs every released variant with the
// synthetic weights on the CPU plan and on the internal/ref path, at sizes
// with odd stage sizes and cropped ConvTransposes, batch 1 and 2.
func TestCPUPlanVariantsMatchRefPath(t *testing.T) {
	sizes := []struct{ n, h, w int }{{2, 64, 64}, {1, 80, 56}, {1, 33, 47}}
	for _, c := range Configs() {
		t.Run(c.Name, func(t *testing.T) {
			g := synthGraph(t, c.Name)
			m := NewCPU(g)
			for _, s := range sizes {
				input := patternInput(s.n, s.h, s.w)
				want, _, err := runCPUActs(g, input, s.n, s.h, s.w, func(Value) bool { return false })
				if err != nil {
					t.Fatal(err)
				}
				got, err := m.Logits(input, s.n, s.h, s.w)
				if err != nil {
					t.Fatal(err)
				}
				diff := ref.MaxAbsDiff(got, want)
				t.Logf("%s %dx%dx%d: plan vs ref path logits max-abs diff %.3e (max-abs %.3f)", c.Name, s.n, s.h, s.w, diff, ref.MaxAbs(want))
				if diff > logitTol {
					t.Errorf("%dx%dx%d: logits differ by %.3g > %.0e", s.n, s.h, s.w, diff, logitTol)
				}
			}
		})
	}
}

// TestCPUPlanAllocatesNothing checks that an inference on a built plan
// allocates nothing.
func TestCPUPlanAllocatesNothing(t *testing.T) {
	g, p := synthPlan(t, "b0", 1, 64, 64)
	input, out := patternInput(1, 64, 64), make([]float32, g.Classes)
	allocs := testing.AllocsPerRun(5, func() {
		if err := p.Run(out, input); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("an inference allocates %v times", allocs)
	}
}

// TestCPUConcurrent runs shapes on one CPU model from many goroutines and
// checks each result against a serial run; plans are cached per shape.
func TestCPUConcurrent(t *testing.T) {
	g := synthGraph(t, "E1")
	sizes := []struct{ n, h, w int }{{1, 64, 64}, {2, 48, 40}, {1, 64, 64}, {1, 32, 32}}
	want := make([][]float32, len(sizes))
	var err error
	for i, s := range sizes {
		if want[i], err = NewCPU(g).Logits(patternInput(s.n, s.h, s.w), s.n, s.h, s.w); err != nil {
			t.Fatal(err)
		}
	}
	m := NewCPU(g)
	var wg sync.WaitGroup
	errs := make(chan error, 4*len(sizes))
	for rep := 0; rep < 4; rep++ {
		for i, s := range sizes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := m.Logits(patternInput(s.n, s.h, s.w), s.n, s.h, s.w)
				if err == nil && ref.MaxAbsDiff(got, want[i]) != 0 {
					err = fmt.Errorf("%+v: concurrent result differs from the serial one", s)
				}
				if err != nil {
					errs <- err
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	p1, _ := m.Plan(1, 64, 64)
	p2, _ := m.Plan(1, 64, 64)
	if p1 != p2 || len(m.plans) != 3 {
		t.Errorf("plans are not cached per shape: %d plans for 3 shapes", len(m.plans))
	}
}

// TestCPUPlanRunErrors checks the plan's argument checks.
func TestCPUPlanRunErrors(t *testing.T) {
	g, p := synthPlan(t, "E1", 1, 32, 32)
	if err := p.Run(make([]float32, 3), patternInput(1, 32, 32)); err == nil {
		t.Error("short logits buffer accepted")
	}
	if err := p.Run(make([]float32, g.Classes), make([]float32, 5)); err == nil {
		t.Error("short input accepted")
	}
}

// TestCPUMemoryBytes checks that a CPU model holds nothing before its
// first plan, then its packed weights (at least the weights of every conv
// and linear layer, padding included) and the arena and scratch of every
// cached plan.
func TestCPUMemoryBytes(t *testing.T) {
	g := synthGraph(t, "b0")
	m := NewCPU(g)
	if got := m.MemoryBytes(); got != 0 {
		t.Fatalf("MemoryBytes before any plan = %d, want 0", got)
	}
	var weights int64
	for _, op := range g.Ops {
		switch o := op.(type) {
		case *Conv:
			if !o.Depthwise {
				weights += 4 * int64(len(o.Weight))
			}
		case *Linear:
			weights += 4 * int64(len(o.Weight))
		case *ConvTranspose:
			weights += 4 * int64(len(o.Weight))
		}
	}
	p1, err := m.Plan(1, 64, 64)
	if err != nil {
		t.Fatal(err)
	}
	one := m.MemoryBytes()
	if packed := one - p1.MemoryBytes(); packed < weights {
		t.Errorf("packed weights %d bytes, want at least the %d bytes of the conv and linear weights", packed, weights)
	}
	p2, err := m.Plan(2, 96, 96)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.MemoryBytes(), one+p2.MemoryBytes(); got != want {
		t.Errorf("MemoryBytes with a second plan = %d, want %d (the first %d plus the plan's %d)", got, want, one, p2.MemoryBytes())
	}
}
