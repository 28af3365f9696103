package model

import (
	"sort"
	"testing"
	"time"
)

// BenchmarkCPUPlan times one 224×224 forward pass of B0 (synthetic
// weights: speed does not depend on values) on the CPU plan, batch 1 and
// 4, after one warm-up run that builds the plan, and reports the median
// over the iterations; with and without GOEXPERIMENT=simd it times the
// vector and the scalar kernels.
//
//	GOEXPERIMENT=simd go test -run x -bench CPUPlan -benchtime 20x ./model
func BenchmarkCPUPlan(b *testing.B) {
	for _, v := range []struct {
		name string
		n    int
	}{{"b0/batch1", 1}, {"b0/batch4", 4}, {"E1/batch1", 1}} {
		b.Run(v.name, func(b *testing.B) {
			cfg := mustConfig(b, v.name[:2])
			g, err := Build(cfg, synthStateDict(b, cfg))
			if err != nil {
				b.Fatal(err)
			}
			m := NewCPU(g)
			input := make([]float32, v.n*3*224*224)
			p, err := m.Plan(v.n, 224, 224)
			if err != nil {
				b.Fatal(err)
			}
			out := make([]float32, v.n*g.Classes)
			if err := p.Run(out, input); err != nil {
				b.Fatal(err)
			}
			times := make([]time.Duration, 0, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				if err := p.Run(out, input); err != nil {
					b.Fatal(err)
				}
				times = append(times, time.Since(start))
			}
			b.StopTimer()
			sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "median-ms")
			b.ReportMetric(float64(p.MemoryBytes())/1e6, "plan-MB")
		})
	}
}
