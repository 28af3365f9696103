package model

import (
	"maps"
	"slices"
	"testing"
	"time"
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
// family (ms-<family>, summed over the family's ops) besides the total, to
// see where the time goes; under js/wasm in Node it profiles the browser's
// CPU path:
//
//	GOOS=js GOARCH=wasm GOEXPERIMENT=simd go test -c -o /tmp/model.wasm ./model
//	(cd model && $(go env GOROOT)/lib/wasm/go_js_wasm_exec /tmp/model.wasm -test.run x -test.bench CPUPlanProfile -test.benchtime 10x)
func BenchmarkCPUPlanProfile(b *testing.B) {
	g, p := synthPlan(b, "b0", 1, 224, 224)
	input, out := make([]float32, 3*224*224), make([]float32, g.Classes)
	if err := p.Run(out, input); err != nil { // warm-up
		b.Fatal(err)
	}
	times := map[string]time.Duration{}
	for b.Loop() {
		if err := p.profile(out, input, times); err != nil {
			b.Fatal(err)
		}
	}
	families := slices.Sorted(maps.Keys(times))
	for _, f := range families {
		b.ReportMetric(float64(times[f].Microseconds())/1e3/float64(b.N), "ms-"+f)
	}
}
