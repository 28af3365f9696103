package lowformer

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/lowformer/lowformer-webgpu/internal/cputime"
	"github.com/lowformer/lowformer-webgpu/internal/gputest"
	"github.com/lowformer/lowformer-webgpu/internal/refdata"
)

// BenchmarkEmbedVsLogits times, interleaved in every iteration, one batch-1
// 224×224 forward pass of the B0 reference checkpoint for the logits (what
// Classify runs after preprocessing), the embedding, the default feature
// stages (1-4) and stage 2 alone, in a random order every iteration, on
// each backend, and reports each one's
// median and its ratio to the logits' median, and (where the process's CPU
// time is known) the ratio of the medians of the CPU time each run used,
// all threads together, which other jobs on a shared machine stretch less
// than wall time. Timings on this shared machine are noisy: compare the
// ratios.
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
			m, err := Open(ctx, filepath.Join(dir, "evalmodel.pt"), Options{Backend: be, Start: StartSpecialized})
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
			cpu := make([][]time.Duration, len(runs))
			b.ResetTimer()
			// A new random order every iteration: in a fixed (or rotated)
			// order each run follows the same other run.
			rng := rand.New(rand.NewPCG(1, 2))
			for range b.N {
				for _, i := range rng.Perm(len(runs)) {
					r := runs[i]
					start := time.Now()
					c0, _ := cputime.Process()
					if err := r.f(); err != nil {
						b.Fatal(err)
					}
					c1, _ := cputime.Process()
					times[i] = append(times[i], time.Since(start))
					cpu[i] = append(cpu[i], c1-c0)
				}
			}
			b.StopTimer()
			median := func(ts []time.Duration) float64 {
				ts = slices.Clone(ts)
				slices.Sort(ts)
				return float64(ts[len(ts)/2].Microseconds()) / 1000
			}
			_, cpuKnown := cputime.Process()
			base, cpuBase := median(times[0]), median(cpu[0])
			for i, r := range runs {
				b.ReportMetric(median(times[i]), r.name+"-ms")
				if i > 0 {
					b.ReportMetric(median(times[i])/base, r.name+"/logits")
				}
				if cpuKnown && i > 0 && cpuBase > 0 {
					b.ReportMetric(median(cpu[i])/cpuBase, r.name+"/logits-cpu")
				}
			}
		})
	}
}
