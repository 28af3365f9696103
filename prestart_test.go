//go:build js || cgo

package lowformer

import (
	"context"
	"errors"
	"testing"

	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/internal/ref"
)

// TestPrestart: a device prestarted before the checkpoint is at hand is
// the one the open takes (no second device opens), and the model's logits
// match the CPU's; an open with other GPU options, a failed open and an
// unused Prestarted all close it; on the CPU backend nothing starts.
func TestPrestart(t *testing.T) {
	requireGPU(t)
	ctx := context.Background()
	sd := synthStateDict(t, tinyConfig)
	weights := safetensorsOf(t, sd, "F32", nil)
	before := gpu.OpenDevices()
	devices := func(what string, want int) {
		t.Helper()
		if got := gpu.OpenDevices() - before; got != want {
			t.Fatalf("%s: %d devices open, want %d", what, got, want)
		}
	}
	cpu := openOn(t, weights, CPU)
	defer cpu.Close()
	in := synthInput(1, 40, 40, 5)
	want, err := cpu.Logits(ctx, in, 1, 40, 40)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		pre, use Options
		weights  []byte
		opened   int  // devices open after Prestart
		taken    bool // the open takes the prestarted device
		fails    bool // the open fails
	}{
		{name: "taken", pre: Options{Backend: GPU}, use: Options{Backend: GPU}, weights: weights, opened: 1, taken: true},
		{name: "taken, specialized", pre: Options{Backend: GPU, Start: StartSpecialized}, use: Options{Backend: GPU, Start: StartSpecialized}, weights: weights, opened: 1, taken: true},
		{name: "other kernels", pre: Options{Backend: GPU, Kernels: KernelsCPU}, use: Options{Backend: GPU, Kernels: KernelsGPU}, weights: weights, opened: 1},
		{name: "other variant", pre: Options{Backend: GPU, Variant: "B0"}, use: Options{Backend: GPU}, weights: weights, opened: 1},
		{name: "cpu backend", pre: Options{Backend: CPU}, use: Options{Backend: GPU}, weights: weights, opened: 0},
		{name: "bad checkpoint", pre: Options{Backend: GPU}, use: Options{Backend: GPU}, weights: weights[:len(weights)/2], opened: 1, fails: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := Prestart(tc.pre)
			devices("after Prestart", tc.opened)
			opt := tc.use
			opt.Prestarted = p
			m, err := OpenBytes(ctx, tc.weights, opt)
			if tc.fails {
				if !errors.Is(err, ErrBadCheckpoint) {
					t.Fatalf("error %v, want ErrBadCheckpoint", err)
				}
				devices("after the failed open", 0)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			devices("after the open", 1)
			if m.Info().Prestarted != tc.taken {
				t.Errorf("Info().Prestarted %v, want %v", m.Info().Prestarted, tc.taken)
			}
			got, err := m.Logits(ctx, in, 1, 40, 40)
			if err != nil {
				t.Fatal(err)
			}
			if d := ref.MaxAbsDiff(got, want); d > 2e-4 {
				t.Errorf("logits differ from the CPU's by %.3g > 2e-4", d)
			}
			if m.Info().Backend != GPU || m.Info().Start != tc.use.Start && tc.use.Start != "" {
				t.Errorf("backend %s, start %s", m.Info().Backend, m.Info().Start)
			}
			m.Close()
			p.Close() // used up: a no-op
			devices("after Close", 0)
		})
	}
	p := Prestart(Options{Backend: GPU})
	devices("unused Prestart", 1)
	p.Close()
	p.Close()
	devices("unused Prestart closed", 0)
	(*Prestarted)(nil).Close()
}
