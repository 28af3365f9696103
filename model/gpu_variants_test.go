//go:build js || cgo

package model

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/internal/gputest"
	"github.com/lowformer/lowformer-webgpu/internal/ref"
	"github.com/lowformer/lowformer-webgpu/kernels"
)

// TestGPUVariants runs every released variant on the WebGPU adapter with
// the deterministic synthetic weights of testdata/gen_variants.py and
// compares with the fp64 reference forward's logits at 64×64 and 80×56
// (odd stage sizes, cropped ConvTranspose).
func TestGPUVariants(t *testing.T) {
	dev := gputest.Device(t)
	cases := variantCases(t)
	for _, c := range Configs() {
		t.Run(c.Name, func(t *testing.T) {
			m := synthGPU(t, dev, c)
			for _, vc := range cases {
				if vc.Variant != c.OfficialName() {
					continue
				}
				input := readF32(t, filepath.Join("testdata", "variants", vc.Input))
				want := readF32(t, filepath.Join("testdata", "variants", vc.Logits))
				start := time.Now()
				got, err := m.Logits(input, 1, vc.H, vc.W)
				if err != nil {
					t.Fatal(err)
				}
				diff := ref.MaxAbsDiff(got, want)
				t.Logf("%s %dx%d on the GPU: logits max-abs diff %.3e (%v with plan build)", c.Name, vc.H, vc.W, diff, time.Since(start).Round(time.Millisecond))
				if diff > logitTol {
					t.Errorf("%dx%d: GPU logits differ by %.3g > %.0e", vc.H, vc.W, diff, logitTol)
				}
			}
		})
	}
}

// TestGPUOtherSizes checks B1 at the sizes the issue names (240×240 and
// 256×256, and a non-square 256×200) against the CPU path, which
// TestVariantsSynthetic ties to the fp64 reference.
func TestGPUOtherSizes(t *testing.T) {
	dev := gputest.Device(t)
	m := synthGPU(t, dev, mustConfig(t, "b1"))
	g := m.graph
	for _, s := range []struct{ h, w int }{{240, 240}, {256, 256}, {256, 200}} {
		input := make([]float32, 3*s.h*s.w)
		for i := range input {
			input[i] = float32((i*7919)%2001)/1000 - 1
		}
		want, err := NewCPU(g).Logits(input, 1, s.h, s.w)
		if err != nil {
			t.Fatal(err)
		}
		got, err := m.Logits(input, 1, s.h, s.w)
		if err != nil {
			t.Fatal(err)
		}
		diff := ref.MaxAbsDiff(got, want)
		t.Logf("B1 %dx%d: GPU vs CPU logits max-abs diff %.3e (max-abs %.3f)", s.h, s.w, diff, ref.MaxAbs(want))
		if diff > logitTol {
			t.Errorf("%dx%d: GPU logits differ from the CPU path by %.3g > %.0e", s.h, s.w, diff, logitTol)
		}
	}
}

// synthGPU builds c with the synthetic weights of gen_variants.py on dev;
// the model is closed at the end of the test.
func synthGPU(t testing.TB, dev *gpu.Device, c Config) *GPU {
	t.Helper()
	g, err := Build(c, synthStateDict(t, c))
	if err != nil {
		t.Fatal(err)
	}
	m := NewGPU(dev, g, kernels.Target{})
	t.Cleanup(m.Close)
	return m
}
