//go:build js || cgo

package kernels

import (
	"slices"
	"testing"
	"time"

	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/internal/gputest"
)

// denseBenchFLOPs is the target work of one benchmark submit (about 50 ms
// at 20 GFLOP/s), so that launch and wait costs stay small.
const denseBenchFLOPs = 1e9

// benchStep is one kernel of a benchmarked chain with its resources.
type benchStep struct {
	k   Kernel
	res []gpu.Resource
}

// benchRun is a chain of dispatches (one layer, possibly several kernels)
// repeated reps times in one submit.
type benchRun struct {
	label string
	flops float64 // per chain
	reps  int
	ds    []gpu.Dispatch
}

// benchBuffer is a buffer of n random floats released after the benchmark.
func benchBuffer(b *testing.B, n int, seed uint64) gpu.Resource {
	buf, err := gputest.Device(b).NewBufferFloats("bench", randomFloats(n, seed))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(buf.Release)
	return gpu.BufferRes(buf)
}

// newBenchRun binds the steps, repeats the chain so that a submit does
// about denseBenchFLOPs of work, and runs it once (the JIT compiles on
// first use). The cache is released with the benchmark.
func newBenchRun(b *testing.B, c *Cache, label string, flops float64, steps ...benchStep) *benchRun {
	b.Cleanup(c.Release)
	var chain []gpu.Dispatch
	for _, s := range steps {
		dp, err := c.Dispatch(s.k, s.res...)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(dp.Group.Release)
		chain = append(chain, dp)
	}
	reps := min(max(int(denseBenchFLOPs/flops), 4), 400)
	r := &benchRun{label: label, flops: flops, reps: reps, ds: slices.Repeat(chain, reps)}
	if _, err := gputest.Device(b).Run(chain, nil, 0, 0); err != nil {
		b.Fatal(err)
	}
	return r
}

// time submits the repeated chain once and returns the wall and process
// CPU seconds per chain.
func (r *benchRun) time(b *testing.B) (wall, cpu float64) {
	c0, t0 := processCPU(), time.Now()
	if _, err := gputest.Device(b).Run(r.ds, nil, 0, 0); err != nil {
		b.Fatal(err)
	}
	return time.Since(t0).Seconds() / float64(r.reps), (processCPU() - c0) / float64(r.reps)
}

// benchCompare times runs alternately (round i times every run once, so
// that all see the same load on the shared machine) for rounds rounds and
// reports, per run after the first, the ratio of its best and median time
// to the first run's (< 1: faster than the first), and logs each run's
// best and median GFLOP/s.
func benchCompare(b *testing.B, rounds int, runs ...*benchRun) {
	walls := make([][]float64, len(runs))
	for b.Loop() {
		for range rounds {
			for i, r := range runs {
				w, _ := r.time(b)
				walls[i] = append(walls[i], w)
			}
		}
	}
	best := func(i int) float64 { return slices.Min(walls[i]) }
	median := func(i int) float64 {
		s := slices.Sorted(slices.Values(walls[i]))
		return s[len(s)/2]
	}
	for i, r := range runs {
		b.Logf("%-70s best %7.1f µs %6.2f GFLOP/s, median %7.1f µs %6.2f GFLOP/s", r.label,
			best(i)*1e6, r.flops/best(i)/1e9, median(i)*1e6, r.flops/median(i)/1e9)
		if i > 0 {
			b.ReportMetric(best(i)/best(0), "best-ratio"+string(rune('0'+i)))
			b.ReportMetric(median(i)/median(0), "median-ratio"+string(rune('0'+i)))
		}
	}
	b.ReportMetric(0, "ns/op")
}
