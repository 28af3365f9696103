//go:build js || cgo

package model

import (
	"path/filepath"
	"testing"

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
	fb := m.cache.Fallbacks()
	t.Logf("%d kernels with optional features, %d do not compile on %s; fallbacks: %q", optional, broken, m.dev.Info, fb)
	if len(fb) != broken {
		t.Errorf("%d fallbacks, but %d kernels do not compile", len(fb), broken)
	}
}
