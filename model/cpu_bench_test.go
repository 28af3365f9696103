package model

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/lowformer/lowformer-webgpu/internal/cputime"
)

// BenchmarkCPUPlan times 224×224 forward passes on a built CPU plan: B0
// at batch 1 and 4 and E1 at batch 1 with synthetic weights, and B0 with
// the reference checkpoint of ../shared (b0-ref, skipped when absent; the
// same weights as the PyTorch side of tools/bench_cpu.sh). With and without
// GOEXPERIMENT=simd it times the vector and the scalar kernels; take
// medians over -count runs.
//
//	GOEXPERIMENT=simd go test -run x -bench CPUPlan -count 5 ./model
func BenchmarkCPUPlan(b *testing.B) {
	for _, c := range []struct {
		name, variant string
		n             int
	}{{"b0/batch1", "b0", 1}, {"b0/batch4", "b0", 4}, {"E1/batch1", "E1", 1}, {"b0-ref/batch1", "", 1}} {
		b.Run(c.name, func(b *testing.B) {
			var g *Graph
			var p *CPUPlan
			if c.variant == "" {
				g, _, _ = referenceGraph(b, "b0")
				var err error
				if p, err = NewCPU(g).Plan(c.n, 224, 224); err != nil {
					b.Fatal(err)
				}
			} else {
				g, p = synthPlan(b, c.variant, c.n, 224, 224)
			}
			input, out := make([]float32, c.n*3*224*224), make([]float32, c.n*g.Classes)
			b.ReportAllocs()
			for b.Loop() {
				if err := p.Run(out, input); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(p.MemoryBytes())/1e6, "plan-MB")
		})
	}
}

// BenchmarkCPUPlanProfile runs B0 at batch 1 and 224×224 (synthetic
// weights) on a CPU plan and reports the time per inference of each kernel
// family (ms-<family>, summed over the family's ops) and its GFLOP/s
// (GFLOP/s-<family>, where the build can count the ops' FLOPs: js or cgo;
// 2 per multiply-add, Winograd credited with the direct convolution's)
// besides the total, to see where the time goes. The times are the
// process's CPU time where internal/cputime reads it (natively and in
// Node; cpu-ms/op is the whole inference's), which on a loaded machine
// stays near the idle machine's time where wall time does not; natively
// with several workers that is the CPU time of all of them. Under js/wasm
// in Node it profiles the browser's CPU path (--no-liftoff: V8 compiles
// every function with its optimizing compiler up front, as the browser's
// tier-up does for the hot ones after the first runs):
//
//	GOOS=js GOARCH=wasm GOEXPERIMENT=simd go test -c -o /tmp/model.wasm ./model
//	(cd model && node --no-liftoff --stack-size=8192 $(go env GOROOT)/lib/wasm/wasm_exec_node.js /tmp/model.wasm -test.run x -test.bench CPUPlanProfile -test.benchtime 10x)
func BenchmarkCPUPlanProfile(b *testing.B) {
	g, p := synthPlan(b, "b0", 1, 224, 224)
	input, out := make([]float32, 3*224*224), make([]float32, g.Classes)
	if err := p.Run(out, input); err != nil { // warm-up
		b.Fatal(err)
	}
	var clock func() time.Duration
	if _, ok := cputime.Process(); ok {
		clock = func() time.Duration { t, _ := cputime.Process(); return t }
	}
	flops := planFamilyFLOPs(b, g, p, 1, 224, 224)
	times := map[string]time.Duration{}
	var cpu0 time.Duration
	if clock != nil {
		cpu0 = clock()
	}
	for b.Loop() {
		if err := p.profile(out, input, times, clock); err != nil {
			b.Fatal(err)
		}
	}
	if clock != nil {
		b.ReportMetric(float64((clock()-cpu0).Microseconds())/1e3/float64(b.N), "cpu-ms/op")
	}
	families := slices.Sorted(maps.Keys(times))
	for _, f := range families {
		ms := float64(times[f].Microseconds()) / 1e3 / float64(b.N)
		b.ReportMetric(ms, "ms-"+f)
		if flops[f] > 0 && ms > 0 {
			b.ReportMetric(flops[f]/ms/1e6, "GFLOP/s-"+f)
		}
	}
}

// planFamilyFLOPs sums the FLOPs of the plan's ops per kernel family (none
// where the build cannot count them, or where the plan's steps are not the
// graph's ops one to one).
func planFamilyFLOPs(b *testing.B, g *Graph, p *CPUPlan, n, h, w int) map[string]float64 {
	b.Helper()
	shapes, err := g.Shapes(n, h, w)
	if err != nil {
		b.Fatal(err)
	}
	flops := map[string]float64{}
	if len(g.Ops) != len(p.families) {
		return flops
	}
	for i, op := range g.Ops {
		flops[p.families[i]] += opFLOPs(op, shapes)
	}
	return flops
}
