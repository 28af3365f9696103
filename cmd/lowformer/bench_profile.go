//go:build js || cgo

package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	lowformer "github.com/lowformer/lowformer-webgpu"
	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/kernels"
	"github.com/lowformer/lowformer-webgpu/model"
	"github.com/lowformer/lowformer-webgpu/model/checkpoint"
)

// profile is the -profile part of bench's result.
type profile struct {
	Method        string        `json:"method"`
	Reps          int           `json:"reps"`
	Dispatches    int           `json:"dispatches"`
	SumMs         float64       `json:"sum_ms"`     // the isolated dispatch times added up
	ForwardMs     float64       `json:"forward_ms"` // best of ceilingRounds forwards (upload, all dispatches, readback) alternating with the ceiling measurements
	MedianMs      float64       `json:"median_ms"`  // the bench's median timed run
	GFLOP         float64       `json:"gflop"`      // per forward
	ForwardGFLOPS float64       `json:"forward_gflops"`
	Ceiling       model.Ceiling `json:"ceiling"`
	CeilingPct    float64       `json:"ceiling_pct"` // forward GFLOP/s as % of the ceiling
	Families      []groupRow    `json:"families"`
	Blocks        []groupRow    `json:"blocks"`
	Top           []dispatchRow `json:"top"`
	FirstUse      firstUse      `json:"first_use"`
}

// firstUse is the cost of the plan's first forward beyond a warm one (see
// model.FirstUse): with an empty driver shader cache, mostly the JIT.
type firstUse struct {
	PlanMs    float64      `json:"plan_ms"`
	Pipelines int          `json:"pipelines"`
	Ms        float64      `json:"ms"`       // first dispatch of every pipeline, each alone
	Families  []groupRow   `json:"families"` // Count: pipelines; Ms: their first dispatches
	Top       []kernelTime `json:"top"`
}

// kernelTime is one pipeline's first dispatch.
type kernelTime struct {
	Kernel string  `json:"kernel"`
	Family string  `json:"family"`
	Ms     float64 `json:"ms"`
}

// groupRow is one group of dispatches in the report.
type groupRow struct {
	Name   string  `json:"name"`
	Count  int     `json:"count"`
	Ms     float64 `json:"ms"`
	Pct    float64 `json:"pct"` // of SumMs
	GFLOPS float64 `json:"gflops"`
	GBPS   float64 `json:"gbps"`
}

// dispatchRow is one dispatch in the report.
type dispatchRow struct {
	Index  int     `json:"index"`
	Layer  string  `json:"layer"`
	Kernel string  `json:"kernel"`
	Ms     float64 `json:"ms"`
	Pct    float64 `json:"pct"`
	GFLOPS float64 `json:"gflops"`
	GBPS   float64 `json:"gbps"`
}

// runProfile opens the weights on a device of its own and profiles the
// plan of n images of size×size. The forward's share of the GEMM ceiling
// compares the best forward with the best ceiling measurement, taken
// alternately (ceilingRounds of each), so that both see the same load.
func runProfile(weights string, input []float32, n, size int, f *profileFlags) (*profile, error) {
	sd, err := checkpoint.ReadFile(weights)
	if err != nil {
		return nil, err
	}
	cfg, err := model.ResolveConfig("", sd)
	if err != nil {
		return nil, err
	}
	g, err := model.Build(cfg, sd)
	if err != nil {
		return nil, err
	}
	dev, err := gpu.Open(gpu.Options{})
	if err != nil {
		return nil, err
	}
	defer dev.Close()
	t, _ := kernels.SelectTarget(kernels.ProfileOf(dev), kernels.Set(f.kernels))
	m := model.NewGPU(dev, g, t)
	if f.start == lowformer.StartProgressive {
		m = model.NewProgressiveGPU(dev, g, t, nil)
	}
	defer m.Close()
	// Builds the plan (the generic one of a progressive start) and
	// compiles its shaders.
	fu, err := m.MeasureFirstUse(n, size, size)
	if err != nil {
		return nil, err
	}
	if err := m.WaitSpecialized(context.Background()); err != nil { // the rest profiles the specialized plan
		return nil, err
	}
	p := &profile{Method: model.ProfileMethod, Reps: f.reps, FirstUse: firstUseReport(fu, f.top)}
	if p.Ceiling, p.ForwardMs, err = forwardAndCeiling(m, dev, input, n, size, f); err != nil {
		return nil, err
	}
	times, err := m.Profile(n, size, size, f.reps)
	if err != nil {
		return nil, err
	}
	p.Dispatches = len(times)
	for _, t := range times {
		p.SumMs += t.Ms
		p.GFLOP += t.FLOPs / 1e9
	}
	p.ForwardGFLOPS = p.GFLOP / p.ForwardMs * 1e3
	p.CeilingPct = 100 * p.ForwardGFLOPS / p.Ceiling.GFLOPS
	p.Families = groupRows(model.GroupTimes(times, func(d model.DispatchTime) string { return d.Family }), p.SumMs)
	p.Blocks = groupRows(model.GroupTimes(times, func(d model.DispatchTime) string { return model.Block(d.Layer) }), p.SumMs)
	for _, t := range model.TopDispatches(times, f.top) {
		p.Top = append(p.Top, dispatchRow{t.Index, t.Layer, t.Kernel, t.Ms, pct(t.Ms, p.SumMs), t.GFLOPS(), t.GBPS()})
	}
	return p, nil
}

// finish completes p with the bench's result r and attaches it to r.
func (p *profile) finish(r *benchResult) {
	p.MedianMs = r.MedianMs
	r.Profile = p
}

// firstUseReport groups fu's kernels by family and keeps the top slowest.
func firstUseReport(fu model.FirstUse, top int) firstUse {
	r := firstUse{PlanMs: fu.PlanMs, Pipelines: fu.Pipelines, Ms: fu.Ms}
	idx := map[string]int{}
	for _, k := range fu.Kernels {
		i, ok := idx[k.Family]
		if !ok {
			i = len(r.Families)
			idx[k.Family] = i
			r.Families = append(r.Families, groupRow{Name: k.Family})
		}
		r.Families[i].Count++
		r.Families[i].Ms += k.Ms
	}
	for i := range r.Families {
		r.Families[i].Pct = pct(r.Families[i].Ms, fu.Ms)
	}
	sort.SliceStable(r.Families, func(a, b int) bool { return r.Families[a].Ms > r.Families[b].Ms })
	for _, k := range fu.Kernels[:min(top, len(fu.Kernels))] {
		r.Top = append(r.Top, kernelTime{k.Kernel, k.Family, k.Ms})
	}
	return r
}

// ceilingRounds is how many times the forward and the ceiling kernel are
// timed, alternately; the best of each is kept.
const ceilingRounds = 5

// forwardAndCeiling picks the fastest GEMM kernel, then times it and the
// forward alternately, and returns the best of each.
func forwardAndCeiling(m *model.GPU, dev *gpu.Device, input []float32, n, size int, f *profileFlags) (model.Ceiling, float64, error) {
	reps := max(2, f.reps/2)
	gb, err := model.NewGEMMBench(dev, f.ceilingSize)
	if err != nil {
		return model.Ceiling{}, 0, err
	}
	defer gb.Release()
	best, err := gb.Best(reps)
	if err != nil {
		return model.Ceiling{}, 0, err
	}
	forward := 0.0
	for range ceilingRounds {
		t0 := time.Now()
		if _, err := m.Logits(input, n, size, size); err != nil {
			return model.Ceiling{}, 0, err
		}
		if t := ms(time.Since(t0)); forward == 0 || t < forward {
			forward = t
		}
		c, err := gb.Time(best.Pointwise, reps)
		if err != nil {
			return model.Ceiling{}, 0, err
		}
		if c.GFLOPS > best.GFLOPS {
			best = c
		}
	}
	return best, forward, nil
}

func groupRows(groups []model.Group, total float64) []groupRow {
	rows := make([]groupRow, len(groups))
	for i, g := range groups {
		rows[i] = groupRow{g.Key, g.Count, g.Ms, pct(g.Ms, total), g.GFLOPS(), g.GBPS()}
	}
	return rows
}

func pct(part, total float64) float64 {
	if total <= 0 {
		return 0
	}
	return 100 * part / total
}

// printProfile writes the -profile part of the human-readable report.
func printProfile(w io.Writer, p *profile, top int) {
	fmt.Fprintf(w, "\nProfile (%s; R ≥ %d)\n", p.Method, p.Reps)
	fmt.Fprintf(w, "  %d dispatches, %.1f ms summed in isolation; forward %.1f ms (best of %d, alternating with the ceiling kernel; median run %.1f ms)\n", p.Dispatches, p.SumMs, p.ForwardMs, ceilingRounds, p.MedianMs)
	fmt.Fprintf(w, "  forward at %.1f GFLOP/s (%.3f GFLOP) = %.0f %% of the measured ceiling %.1f GFLOP/s (%s, %d³, best of all its timings)\n",
		p.ForwardGFLOPS, p.GFLOP, p.CeilingPct, p.Ceiling.GFLOPS, p.Ceiling.Kernel, p.Ceiling.M)
	printGroups(w, "kernel family", p.Families)
	printGroups(w, "block", p.Blocks)
	if top > 0 {
		fmt.Fprintf(w, "\n  %-4s %8s %6s %8s %7s  %s\n", "#", "ms", "%", "GFLOP/s", "GB/s", "layer / kernel")
		for _, d := range p.Top {
			fmt.Fprintf(w, "  %-4d %8.3f %6.1f %8.2f %7.2f  %s\n  %37s %s\n", d.Index, d.Ms, d.Pct, d.GFLOPS, d.GBPS, d.Layer, "", d.Kernel)
		}
	}
	fu := p.FirstUse
	fmt.Fprintf(w, "\nFirst use (a fresh plan: building it, then each pipeline's first dispatch alone; on an empty driver shader cache, mostly shader compilation)\n")
	fmt.Fprintf(w, "  plan built in %.0f ms; %d pipelines, first dispatches %.0f ms in all\n", fu.PlanMs, fu.Pipelines, fu.Ms)
	fmt.Fprintf(w, "\n  %-40s %5s %8s %6s\n", "kernel family", "n", "ms", "%")
	for _, g := range fu.Families {
		fmt.Fprintf(w, "  %-40s %5d %8.1f %6.1f\n", g.Name, g.Count, g.Ms, g.Pct)
	}
	if len(fu.Top) > 0 {
		fmt.Fprintf(w, "\n  %8s  %s\n", "ms", "kernel")
		for _, k := range fu.Top {
			fmt.Fprintf(w, "  %8.1f  %s\n", k.Ms, k.Kernel)
		}
	}
}

func printGroups(w io.Writer, what string, rows []groupRow) {
	fmt.Fprintf(w, "\n  %-40s %5s %8s %6s %8s %7s\n", what, "n", "ms", "%", "GFLOP/s", "GB/s")
	for _, g := range rows {
		fmt.Fprintf(w, "  %-40s %5d %8.2f %6.1f %8.2f %7.2f\n", strings.TrimPrefix(g.Name, "backbone."), g.Count, g.Ms, g.Pct, g.GFLOPS, g.GBPS)
	}
}
