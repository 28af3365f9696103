//go:build js || cgo

package model

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/internal/gputest"
	"github.com/lowformer/lowformer-webgpu/internal/ref"
	"github.com/lowformer/lowformer-webgpu/kernels"
)

// TestGPUKernelSetMatchesReference runs b0 and E1 with the GPU-shaped
// kernel set against the reference logits (≤ 2e-4): plain, and claiming
// shader-f16 and subgroups, which the test adapter (lavapipe) does not
// offer, so that each kernel using them must fall back to its twin at load
// instead of failing it.
func TestGPUKernelSetMatchesReference(t *testing.T) {
	dev := gputest.Device(t)
	for name, target := range map[string]kernels.Target{
		"gpu":               {Set: kernels.SetGPU},
		"gpu_f16_subgroups": {Set: kernels.SetGPU, F16: true, Subgroups: true},
	} {
		for _, v := range []string{"b0", "E1"} {
			t.Run(name+"/"+v, func(t *testing.T) {
				g, cfg, dir := referenceGraph(t, v)
				m := NewGPU(dev, g, target)
				defer m.Close()
				input, im := readBin(t, filepath.Join(dir, "input.bin"))
				want, _ := readBin(t, filepath.Join(dir, "logits.bin"))
				n, h, w := im.Shape[0], im.Shape[2], im.Shape[3]
				got, err := m.Logits(input, n, h, w)
				if err != nil {
					t.Fatalf("%+v: %v", target, err)
				}
				checkFallbacks(t, m, target)
				diff := ref.MaxAbsDiff(got, want)
				t.Logf("%s, target %+v, batch %d at %dx%d: max-abs diff %.3e", cfg.Name, target, n, h, w, diff)
				if diff > logitTol {
					t.Errorf("%+v: logits differ by %.3g > %.0e; %s", target, diff, logitTol, firstDivergence(t, m, g, dir, input, n, h, w))
				}
			})
		}
	}
}

// checkFallbacks checks that m used kernels with optional features where
// target offers them, and that its cache built the fallback twin of
// exactly those whose WGSL does not compile on m's device.
func checkFallbacks(t *testing.T, m *GPU, target kernels.Target) {
	t.Helper()
	optional, broken := 0, 0
	for _, k := range m.Kernels() {
		o, ok := k.(kernels.Optional)
		if !ok {
			continue
		}
		if _, has := o.Fallback(); !has {
			continue
		}
		optional++
		src, err := k.Source()
		if err != nil {
			t.Fatal(err)
		}
		kinds := make([]gpu.BindingKind, 0, len(k.Bindings()))
		for _, b := range k.Bindings() {
			kinds = append(kinds, b.Kind)
		}
		p, err := m.dev.CreatePipeline(k.Label(), src, kinds)
		p.Release()
		if err != nil {
			broken++
		}
	}
	if target.Subgroups && optional == 0 {
		t.Errorf("%+v: the model uses no kernel with an optional feature", target)
	}
	fb := m.Fallbacks()
	t.Logf("%d kernels with optional features, %d do not compile on %s; fallbacks: %q", optional, broken, m.dev.Info, fb)
	if len(fb) != broken {
		t.Errorf("%d fallbacks, but %d kernels do not compile", len(fb), broken)
	}
}

// BenchmarkKernelSetsB0 times b0 (batch 1, 224×224) with the CPU and the
// GPU kernel set on the test adapter, interleaved (one run of each per
// round, after a warm-up), and reports each set's median and the GPU set's
// median over the CPU set's (gpu/cpu; < 1: the GPU set is faster).
//
//	go test -run x -bench KernelSetsB0 -benchtime 10x ./model
func BenchmarkKernelSetsB0(b *testing.B) {
	dev := gputest.Device(b)
	g, _, _ := referenceGraph(b, "b0")
	input := make([]float32, 3*224*224)
	var ms []*GPU
	for _, t := range []kernels.Target{{Set: kernels.SetCPU}, {Set: kernels.SetGPU}} {
		m := NewGPU(dev, g, t)
		b.Cleanup(m.Close)
		if _, err := m.Logits(input, 1, 224, 224); err != nil {
			b.Fatal(err)
		}
		ms = append(ms, m)
	}
	times := make([][]float64, len(ms))
	for b.Loop() {
		for i, m := range ms {
			start := time.Now()
			if _, err := m.Logits(input, 1, 224, 224); err != nil {
				b.Fatal(err)
			}
			times[i] = append(times[i], time.Since(start).Seconds()*1e3)
		}
	}
	med := func(s []float64) float64 { s = slices.Sorted(slices.Values(s)); return s[len(s)/2] }
	b.ReportMetric(med(times[0]), "cpu-set-median-ms")
	b.ReportMetric(med(times[1]), "gpu-set-median-ms")
	b.ReportMetric(med(times[1])/med(times[0]), "gpu/cpu")
	b.ReportMetric(0, "ns/op")
}

// TestGPUKernelSetVariants runs the deepest variants, B3 and E3 (no
// GroupNorm), with the GPU kernel set (claiming subgroups too, so that
// their kernels fall back on an adapter without them) and the synthetic
// weights of gen_variants.py at 64×64 and 80×56 (odd stage sizes, cropped
// ConvTranspose), as a batch of 3 copies of the input, against the fp64
// reference forward's logits. (All seven variants were within 3.1e-6 to
// 6.3e-6 of it when this was written; the other five add minutes of
// lavapipe shader compiles on a cold cache.)
func TestGPUKernelSetVariants(t *testing.T) {
	if testing.Short() {
		t.Skip("shader compiles on lavapipe")
	}
	dev := gputest.Device(t)
	cases := variantCases(t)
	for _, name := range []string{"b3", "E3"} {
		c := mustConfig(t, name)
		t.Run(c.Name, func(t *testing.T) {
			g, err := Build(c, synthStateDict(t, c))
			if err != nil {
				t.Fatal(err)
			}
			m := NewGPU(dev, g, kernels.Target{Set: kernels.SetGPU, Subgroups: true})
			defer m.Close()
			for _, vc := range cases {
				if vc.Variant != c.OfficialName() {
					continue
				}
				one := readF32(t, filepath.Join("testdata", "variants", vc.Input))
				want := readF32(t, filepath.Join("testdata", "variants", vc.Logits))
				const batch = 3
				got, err := m.Logits(slices.Repeat(one, batch), batch, vc.H, vc.W)
				if err != nil {
					t.Fatal(err)
				}
				diff := ref.MaxAbsDiff(got, slices.Repeat(want, batch))
				t.Logf("%s %dx%d, batch %d, GPU kernel set: logits max-abs diff %.3e", c.Name, vc.H, vc.W, batch, diff)
				if diff > logitTol {
					t.Errorf("%dx%d: logits differ by %.3g > %.0e", vc.H, vc.W, diff, logitTol)
				}
			}
		})
	}
}
