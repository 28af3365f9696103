package lowformer

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/lowformer/lowformer-webgpu/internal/gputest"
	"github.com/lowformer/lowformer-webgpu/internal/refdata"
)

// BenchmarkEmbedVsLogits times, interleaved in every iteration, one batch-1
// 224×224 forward pass of the B0 reference checkpoint for the logits (what
// Classify runs after preprocessing), the embedding, the default feature
// stages (1-4) and stage 2 alone, on each backend, and reports each one's
// median and its ratio to the logits' median. Timings on this shared
// machine are noisy: compare the ratios.
//
//	go test -run x -bench EmbedVsLogits -benchtime 10x .
func BenchmarkEmbedVsLogits(b *testing.B) {
	dir := refdata.Dir(b, "b0")
	for _, be := range []Backend{CPU, GPU} {
		b.Run(be.String(), func(b *testing.B) {
			if be == GPU {
				gputest.Require(b)
			}
			ctx := context.Background()
			m, err := Open(ctx, filepath.Join(dir, "evalmodel.pt"), Options{Backend: be})
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			in := synthInput(1, 224, 224, 3)
			runs := []struct {
				name string
				f    func() error
			}{
				{"logits", func() error { _, err := m.Logits(ctx, in, 1, 224, 224); return err }},
				{"embed", func() error { _, err := m.Embeddings(ctx, in, 1, 224, 224); return err }},
				{"features", func() error { _, err := m.Features(ctx, in, 1, 224, 224, nil); return err }},
				{"stage2", func() error { _, err := m.Features(ctx, in, 1, 224, 224, []int{2}); return err }},
			}
			for _, r := range runs { // builds every plan
				if err := r.f(); err != nil {
					b.Fatal(err)
				}
			}
			times := make([][]time.Duration, len(runs))
			b.ResetTimer()
			for range b.N {
				for i, r := range runs {
					start := time.Now()
					if err := r.f(); err != nil {
						b.Fatal(err)
					}
					times[i] = append(times[i], time.Since(start))
				}
			}
			b.StopTimer()
			median := func(ts []time.Duration) float64 {
				ts = slices.Clone(ts)
				slices.Sort(ts)
				return float64(ts[len(ts)/2].Microseconds()) / 1000
			}
			base := median(times[0])
			for i, r := range runs {
				b.ReportMetric(median(times[i]), r.name+"-ms")
				if i > 0 {
					b.ReportMetric(median(times[i])/base, r.name+"/logits")
				}
			}
		})
	}
}
