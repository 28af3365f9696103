//go:build js || cgo

package model

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/gputest"
	"github.com/lowformer/lowformer-webgpu/kernels"
)

// TestOpMACsMatchSpec compares the multiply-adds counted from the graph at
// 224×224 with the MMACs of shared/spec/lowformer.md §4 (a hook counter
// over the official PyTorch models).
func TestOpMACsMatchSpec(t *testing.T) {
	for _, c := range []struct {
		variant string
		mmacs   float64
	}{{"b0", 944.0}, {"b1", 1411.0}, {"b15", 2573.7}, {"b3", 6098.7}, {"E1", 1348.2}, {"E2", 3789.3}, {"E3", 4865.6}} {
		t.Run(c.variant, func(t *testing.T) {
			cfg := mustConfig(t, c.variant)
			g, err := Build(cfg, synthStateDict(t, cfg))
			if err != nil {
				t.Fatal(err)
			}
			got, err := OpMACs(g, 1, 224, 224)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got/1e6-c.mmacs) > 0.05 {
				t.Errorf("%s: %.2f MMACs, the spec says %.1f", c.variant, got/1e6, c.mmacs)
			}
			if two, _ := OpMACs(g, 2, 224, 224); two != 2*got {
				t.Errorf("%s: batch 2 counts %.0f MACs, want twice %.0f", c.variant, two, got)
			}
		})
	}
	if _, err := OpMACs(&Graph{}, 1, 224, 224); err == nil {
		t.Error("an empty graph has no MACs: want an error")
	}
}

// TestProfile profiles B0 at 64×56 (synthetic weights; stage 3 is 4×4, so
// its stride-1 3×3 convs run as Winograd): costs that agree
// with the kernels' own counts, one time per step, costs that add up to the
// graph's MACs, groups that add up to the total,
// and a plan that still gives the same logits afterwards.
func TestProfile(t *testing.T) {
	dev := gputest.Device(t)
	m := synthGPU(t, dev, mustConfig(t, "b0"))
	const h, w = 64, 56
	input := make([]float32, 3*h*w)
	for i := range input {
		input[i] = float32(i%23)/11 - 1
	}
	before, err := m.Logits(input, 1, h, w)
	if err != nil {
		t.Fatal(err)
	}
	checkStepCosts(t, m, 1, h, w)
	times, err := m.Profile(1, h, w, 1)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := m.Plan(1, h, w)
	if !slices.ContainsFunc(p.Steps, func(s Step) bool { _, ok := s.Kernel.(kernels.WinogradGemm); return ok }) {
		t.Error("no Winograd conv in the plan: the test no longer covers its cost split")
	}
	if len(times) != len(p.Steps) {
		t.Fatalf("%d dispatch times for %d steps", len(times), len(p.Steps))
	}
	var total, flops float64
	for i, d := range times {
		if d.Index != i || d.Layer != p.Steps[i].Layer || d.Kernel != p.Steps[i].Kernel.Label() || d.Family == "" {
			t.Errorf("time %d describes %+v, want step %d (%s)", i, d, i, p.Steps[i].Layer)
		}
		if !(d.Ms > 0) || d.GBPS() <= 0 {
			t.Errorf("%s: %.4f ms, %.2f GB/s: want positive", d.Layer, d.Ms, d.GBPS())
		}
		total += d.Ms
		flops += d.FLOPs
	}
	macs, _ := OpMACs(m.graph, 1, h, w)
	if flops < 2*macs || flops > 1.01*2*macs {
		t.Errorf("profiled FLOPs %.0f, want 2×MACs %.0f plus at most 1%% for norms and pool", flops, 2*macs)
	}
	for _, key := range []func(DispatchTime) string{func(d DispatchTime) string { return d.Family }, func(d DispatchTime) string { return Block(d.Layer) }} {
		groups := GroupTimes(times, key)
		var sum float64
		count := 0
		for i, g := range groups {
			sum += g.Ms
			count += g.Count
			if i > 0 && g.Ms > groups[i-1].Ms {
				t.Errorf("groups not sorted slowest first: %s %.3f after %s %.3f", g.Key, g.Ms, groups[i-1].Key, groups[i-1].Ms)
			}
		}
		if count != len(times) || math.Abs(sum-total) > 1e-9*total {
			t.Errorf("groups hold %d dispatches, %.4f ms; want %d, %.4f ms", count, sum, len(times), total)
		}
	}
	top := TopDispatches(times, 5)
	if len(top) != 5 || top[0].Ms < top[4].Ms || !slices.ContainsFunc(times, func(d DispatchTime) bool { return d == top[0] }) {
		t.Errorf("top 5 dispatches %+v: want 5, slowest first", top)
	}
	after, err := m.Logits(input, 1, h, w)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(before, after) {
		t.Error("the plan gives other logits after profiling")
	}
	if _, err := m.Profile(1, h, w, 0); err == nil {
		t.Error("0 repetitions: want an error")
	}
}

// TestMeasureGEMMCeiling times a small square GEMM and rejects bad sizes.
func TestMeasureGEMMCeiling(t *testing.T) {
	dev := gputest.Device(t)
	c, err := MeasureGEMMCeiling(dev, 64, 2)
	if err != nil {
		t.Fatal(err)
	}
	if c.Kernel == "" || c.M != 64 || !(c.GFLOPS > 0) || math.Abs(c.GFLOPS-2*64*64*64/c.Ms/1e6) > 1e-9*c.GFLOPS {
		t.Errorf("ceiling %+v: want a named kernel, 64³ and GFLOP/s = 2·64³/time", c)
	}
	gb, err := NewGEMMBench(dev, 64)
	if err != nil {
		t.Fatal(err)
	}
	defer gb.Release()
	if again, err := gb.Time(c.Pointwise, 1); err != nil || again.Kernel != c.Kernel {
		t.Errorf("timing the ceiling kernel again: %+v, %v", again, err)
	}
	if _, err := gb.Time(kernels.ChoosePointwise(32, 32, 32, kernels.Epilogue{}), 1); err == nil {
		t.Error("timing a 32³ kernel on the 64³ operands: want an error")
	}
	for _, bad := range []struct{ size, reps int }{{30, 2}, {0, 2}, {64, 0}} {
		if _, err := MeasureGEMMCeiling(dev, bad.size, bad.reps); err == nil {
			t.Errorf("size %d, %d repetitions: want an error", bad.size, bad.reps)
		}
	}
}

// flopser is implemented by the kernel families that count their own work.
type flopser interface{ FLOPs() float64 }

// checkStepCosts checks the op-derived FLOPs of every step of m's plan
// against the kernels' own counts where a kernel has one (the stem conv
// pads RGB to 4 channels and ConvTranspose counts its uncropped output, so
// those two are compared with that correction), and that the traffic is at
// least the input and output.
func checkStepCosts(t *testing.T, m *GPU, n, h, w int) {
	t.Helper()
	p, err := m.Plan(n, h, w)
	if err != nil {
		t.Fatal(err)
	}
	costs, err := StepCosts(m.graph, p.Steps, n, h, w)
	if err != nil {
		t.Fatal(err)
	}
	shapes, _ := m.graph.Shapes(n, h, w)
	checked := map[string]int{}
	for i, s := range p.Steps {
		op := m.graph.Ops[s.Op]
		min := 4 * float64(shapes[op.Inputs()[0]].Numel()+shapes[op.Output()].Numel())
		if _, stats := s.Kernel.(kernels.GroupNormStats); stats {
			min = 4 * float64(shapes[op.Inputs()[0]].Numel()) // writes only the statistics
		}
		if costs[i].Bytes < min {
			t.Errorf("%s: %.0f bytes of traffic, less than its input and output (%.0f)", s.Layer, costs[i].Bytes, min)
		}
		f, ok := s.Kernel.(flopser)
		if !ok {
			continue
		}
		want := f.FLOPs()
		switch k := s.Kernel.(type) {
		case kernels.Conv:
			if k.Cin == InputChannels && op.Inputs()[0] == 0 {
				want = want * 3 / 4
			}
		case kernels.ConvTranspose:
			out := shapes[op.Output()]
			want = want * float64(out.H*out.W) / float64(4*k.H*k.W)
		}
		if math.Abs(costs[i].FLOPs-want) > 1e-9*want {
			t.Errorf("%s (%s): %.0f FLOPs from the op, the kernel counts %.0f", s.Layer, s.Kernel.Label(), costs[i].FLOPs, want)
		}
		checked[Family(s.Kernel)]++
	}
	for _, f := range []string{"Conv", "Depthwise", "ConvTranspose", "Attention", "Linear"} {
		if checked[f] == 0 {
			t.Errorf("no %s step was compared with its kernel's FLOP count (compared: %v)", f, checked)
		}
	}
	if _, err := StepCosts(m.graph, []Step{{Op: len(m.graph.Ops)}}, n, h, w); err == nil {
		t.Error("a step naming a missing op: want an error")
	}
}

// TestMeasureFirstUse times the first dispatch of every pipeline of a
// fresh plan, refuses to measure a plan that exists, and leaves a plan
// that computes the right logits.
func TestMeasureFirstUse(t *testing.T) {
	g := epilogueGraph()
	m := NewGPU(gputest.Device(t), g, kernels.Target{})
	defer m.Close()
	fu, err := m.MeasureFirstUse(1, 32, 32)
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Plan(1, 32, 32)
	if err != nil {
		t.Fatal(err)
	}
	distinct := map[string]bool{}
	for _, s := range p.Steps {
		distinct[s.Kernel.Label()] = true
	}
	if fu.Pipelines != len(distinct) || len(fu.Kernels) != len(distinct) {
		t.Errorf("%d pipelines, %d kernels measured; the plan has %d distinct kernels", fu.Pipelines, len(fu.Kernels), len(distinct))
	}
	sum := 0.0
	for i, k := range fu.Kernels {
		if !distinct[k.Kernel] || k.Ms <= 0 || k.Family == "" {
			t.Errorf("kernel %+v: not a measured kernel of the plan", k)
		}
		if i > 0 && k.Ms > fu.Kernels[i-1].Ms {
			t.Errorf("kernels not slowest first at %d", i)
		}
		sum += k.Ms
	}
	if math.Abs(sum-fu.Ms) > 1e-6*sum || fu.PlanMs <= 0 {
		t.Errorf("first-use total %.3f ms, kernels add up to %.3f; plan %.3f ms", fu.Ms, sum, fu.PlanMs)
	}
	if _, err := m.MeasureFirstUse(1, 32, 32); !errors.Is(err, ErrPlanExists) {
		t.Errorf("measuring an existing plan: %v, want ErrPlanExists", err)
	}
	checkAgainstCPU(t, m, g, randomWeights(3*32*32, 7, 2), 1, 32, 32, "after MeasureFirstUse")
}
