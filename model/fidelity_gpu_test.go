//go:build js || cgo

package model

import (
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/gputest"
	"github.com/lowformer/lowformer-webgpu/kernels"
)

// TestFidelityDeepGPU checks the GPU path, with each kernel set and the
// generic kernels of a progressive start, on the
// deep variant(s) at 224×224 against PyTorch fp32 and the fp64 truth (see
// TestFidelityDeepCPU).
func TestFidelityDeepGPU(t *testing.T) {
	dev := gputest.Device(t)
	cases := fidelityCases(t)
	for _, set := range []kernels.Set{kernels.SetCPU, kernels.SetGPU} {
		for _, c := range cases {
			t.Run(string(set)+"/"+c.Variant, func(t *testing.T) {
				m := NewGPU(dev, c.Graph, kernels.Target{Set: set})
				defer m.Close()
				got, err := m.Logits(c.Input, 1, fidelitySize, fidelitySize)
				if err != nil {
					t.Fatal(err)
				}
				checkFidelity(t, c, "GPU ("+string(set)+" kernels)", got)
			})
		}
	}
	// A progressive model's first logits: the generic plan (the
	// specialization starts after that first run).
	for _, c := range cases {
		t.Run("generic/"+c.Variant, func(t *testing.T) {
			m := NewProgressiveGPU(dev, c.Graph, kernels.Target{}, nil)
			defer m.Close()
			got, err := m.Logits(c.Input, 1, fidelitySize, fidelitySize)
			if err != nil {
				t.Fatal(err)
			}
			checkFidelity(t, c, "GPU (generic kernels)", got)
		})
	}
}
