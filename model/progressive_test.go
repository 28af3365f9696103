//go:build js || cgo

package model

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/lowformer/lowformer-webgpu/internal/gputest"
	"github.com/lowformer/lowformer-webgpu/internal/ref"
	"github.com/lowformer/lowformer-webgpu/kernels"
)

// TestProgressiveMatchesReference runs the reference checkpoints on a
// progressive model with each kernel set: the generic plan's logits, then
// after the swap the specialized plan's, each within the spec's tolerance
// of the reference logits; the phases go generic → specializing →
// specialized, and the generic plan compiles fewer pipelines.
func TestProgressiveMatchesReference(t *testing.T) {
	dev := gputest.Device(t)
	for _, tc := range []struct {
		v   string
		set kernels.Set
	}{{"b0", kernels.SetCPU}, {"E1", kernels.SetCPU}, {"b0", kernels.SetGPU}} {
		t.Run(tc.v+"/"+string(tc.set), func(t *testing.T) {
			g, cfg, dir := referenceGraph(t, tc.v)
			var mu sync.Mutex
			var phases []Phase
			m := NewProgressiveGPU(dev, g, kernels.Target{Set: tc.set}, func(p Phase) {
				mu.Lock()
				phases = append(phases, p)
				mu.Unlock()
			})
			defer m.Close()
			input, im := readBin(t, filepath.Join(dir, "input.bin"))
			want, _ := readBin(t, filepath.Join(dir, "logits.bin"))
			n, h, w := im.Shape[0], im.Shape[2], im.Shape[3]
			if ph := m.Phase(); ph != PhaseGeneric {
				t.Fatalf("phase %q before the first run, want %q", ph, PhaseGeneric)
			}
			start := time.Now()
			generic, err := m.Logits(input, n, h, w)
			if err != nil {
				t.Fatal(err)
			}
			firstMs := time.Since(start)
			genericPipes := m.cache.Len()
			if d := ref.MaxAbsDiff(generic, want); d > logitTol {
				t.Errorf("generic plan: logits differ by %.3g > %.0e", d, logitTol)
			} else {
				t.Logf("%s generic plan: %d pipelines, first logits in %v, max-abs diff %.3e", cfg.Name, genericPipes, firstMs.Round(time.Millisecond), d)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			start = time.Now()
			if err := m.WaitSpecialized(ctx); err != nil {
				t.Fatal(err)
			}
			t.Logf("specialized in %v more", time.Since(start).Round(time.Millisecond))
			if ph := m.Phase(); ph != PhaseSpecialized {
				t.Fatalf("phase %q after WaitSpecialized", ph)
			}
			for _, k := range m.Kernels() {
				if kernels.IsGeneric(k) {
					t.Errorf("generic pipeline %s kept after the swap", k.Label())
				}
			}
			p, err := m.Plan(n, h, w)
			if err != nil {
				t.Fatal(err)
			}
			if p.generic || p.params != nil {
				t.Errorf("the plan after the swap is generic")
			}
			if genericPipes >= m.cache.Len() {
				t.Errorf("generic plan: %d pipelines, not fewer than the specialized plan's %d", genericPipes, m.cache.Len())
			}
			spec, err := m.Logits(input, n, h, w)
			if err != nil {
				t.Fatal(err)
			}
			if d := ref.MaxAbsDiff(spec, want); d > logitTol {
				t.Errorf("specialized plan: logits differ by %.3g > %.0e", d, logitTol)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(phases) != 2 || phases[0] != PhaseSpecializing || phases[1] != PhaseSpecialized {
				t.Errorf("phases reported %v, want [specializing specialized]", phases)
			}
		})
	}
}

// TestCloseDuringSpecializationWarmUp closes a progressive model while its
// background specialization is between its check that the model is open
// and a warm-up dispatch: Close must wait for that dispatch instead of
// releasing the pipelines under it (which aborts the process in wgpu).
func TestCloseDuringSpecializationWarmUp(t *testing.T) {
	dev := gputest.Device(t)
	g, _, dir := referenceGraph(t, "E1")
	input, im := readBin(t, filepath.Join(dir, "input.bin"))
	n, h, w := im.Shape[0], im.Shape[2], im.Shape[3]
	m := NewProgressiveGPU(dev, g, kernels.Target{Set: kernels.SetCPU}, nil)
	closing := make(chan struct{})
	var once sync.Once
	warmHook = func(gm *GPU) {
		if gm != m {
			return
		}
		once.Do(func() {
			go func() { m.Close(); close(closing) }()
			for {
				gm.mu.Lock()
				closed := gm.closed
				gm.mu.Unlock()
				if closed {
					return
				}
				time.Sleep(time.Millisecond)
			}
		})
	}
	defer func() { warmHook = nil }()
	p, err := m.Plan(n, h, w)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(input); err != nil { // the first run starts the specialization
		t.Fatal(err)
	}
	select {
	case <-closing:
	case <-time.After(5 * time.Minute):
		t.Fatal("Close did not return")
	}
	if ph := m.Phase(); ph == PhaseSpecialized {
		t.Errorf("phase %s after Close during the warm-up; the swap should not have happened", ph)
	}
	if _, err := m.Plan(n, h, w); err == nil {
		t.Error("Plan after Close gave no error")
	}
}
