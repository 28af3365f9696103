//go:build js || cgo

package main

import (
	"math"
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/gputest"
)

// TestBenchProfile profiles B0 at 32×32 and checks that the report adds up.
func TestBenchProfile(t *testing.T) {
	gputest.Require(t)
	r := benchJSON(t, "-weights", b0Weights(t), "-size", "32", "-runs", "1", "-warmup", "0",
		"-profile", "-profile-reps", "1", "-top", "3", "-ceiling-size", "64")
	p := r.Profile
	if p == nil {
		t.Fatal("no profile in the result")
	}
	if p.Dispatches < 50 || len(p.Top) != 3 || p.Top[0].Ms < p.Top[2].Ms || p.Ceiling.GFLOPS <= 0 || p.Ceiling.M != 64 {
		t.Errorf("profile %+v: want ≥ 50 dispatches, the 3 slowest first and a 64³ ceiling", p)
	}
	if !(p.ForwardGFLOPS > 0) || math.Abs(p.CeilingPct-100*p.ForwardGFLOPS/p.Ceiling.GFLOPS) > 1e-6 || math.Abs(p.MedianMs-r.MedianMs) > 1e-9 || !(p.ForwardMs > 0) {
		t.Errorf("forward %.2f GFLOP/s at %.2f %% of %.2f: inconsistent", p.ForwardGFLOPS, p.CeilingPct, p.Ceiling.GFLOPS)
	}
	for _, groups := range [][]groupRow{p.Families, p.Blocks} {
		var ms, share float64
		n := 0
		for _, g := range groups {
			ms += g.Ms
			share += g.Pct
			n += g.Count
		}
		if n != p.Dispatches || math.Abs(ms-p.SumMs) > 1e-6*p.SumMs || math.Abs(share-100) > 1e-6 {
			t.Errorf("groups hold %d dispatches, %.3f ms, %.3f %%; want %d, %.3f ms, 100 %%", n, ms, share, p.Dispatches, p.SumMs)
		}
	}
	fu := p.FirstUse
	pipelines, ms := 0, 0.0
	for _, g := range fu.Families {
		pipelines += g.Count
		ms += g.Ms
	}
	if fu.Pipelines < 10 || pipelines != fu.Pipelines || math.Abs(ms-fu.Ms) > 1e-6*fu.Ms || len(fu.Top) != 3 || fu.Top[0].Ms < fu.Top[2].Ms || !(fu.PlanMs > 0) {
		t.Errorf("first use %+v: want ≥ 10 pipelines, families adding up to the total and the 3 slowest first", fu)
	}
	var buf strings.Builder
	printBench(&buf, &r, 3)
	text := buf.String()
	for _, want := range []string{"% of the measured ceiling", "kernel family", "block", "isolated dispatches", "First use", "pipelines, first dispatches"} {
		if !strings.Contains(text, want) {
			t.Errorf("the text report lacks %q:\n%s", want, text)
		}
	}
}
