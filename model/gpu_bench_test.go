//go:build js || cgo

package model

import (
	"sort"
	"testing"
	"time"

	"github.com/lowformer/lowformer-webgpu/internal/gputest"
)

// BenchmarkGPUVariants times one batch-1 224×224 forward pass of every
// released variant (synthetic weights: speed does not depend on values) on
// the WebGPU adapter, after one warm-up run, and reports the median over
// the benchmark's iterations and the GPU memory the model holds.
//
//	go test -run x -bench GPUVariants -benchtime 10x ./model
func BenchmarkGPUVariants(b *testing.B) {
	dev := gputest.Device(b)
	for _, c := range Configs() {
		b.Run(c.Name, func(b *testing.B) {
			m := synthGPU(b, dev, c)
			input := make([]float32, 3*224*224)
			if _, err := m.Logits(input, 1, 224, 224); err != nil {
				b.Fatal(err)
			}
			times := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				if _, err := m.Logits(input, 1, 224, 224); err != nil {
					b.Fatal(err)
				}
				times = append(times, time.Since(start))
			}
			b.StopTimer()
			sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "median-ms")
			b.ReportMetric(float64(m.MemoryBytes())/1e6, "gpu-MB")
		})
	}
}
