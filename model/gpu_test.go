//go:build js || cgo

package model

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/lowformer/lowformer-webgpu/internal/gputest"
	"github.com/lowformer/lowformer-webgpu/internal/ref"
	"github.com/lowformer/lowformer-webgpu/kernels"
)

// TestGPUMatchesReference runs the reference checkpoints on the WebGPU
// adapter with each kernel set and compares the logits with the official
// ones (≤ 2e-4). On a mismatch it reruns with every reference activation
// kept and reports the first stage/block whose activation diverges.
func TestGPUMatchesReference(t *testing.T) {
	dev := gputest.Device(t)
	for _, tc := range []struct {
		v   string
		set kernels.Set
	}{{"b0", kernels.SetCPU}, {"E1", kernels.SetCPU}, {"b0", kernels.SetGPU}, {"E1", kernels.SetGPU}} {
		v := tc.v
		t.Run(v+"/"+string(tc.set), func(t *testing.T) {
			g, cfg, dir := referenceGraph(t, v)
			m := NewGPU(dev, g, kernels.Target{Set: tc.set})
			defer m.Close()
			input, im := readBin(t, filepath.Join(dir, "input.bin"))
			want, _ := readBin(t, filepath.Join(dir, "logits.bin"))
			n, h, w := im.Shape[0], im.Shape[2], im.Shape[3]
			start := time.Now()
			got, err := m.Logits(input, n, h, w)
			if err != nil {
				t.Fatal(err)
			}
			first := time.Since(start)
			start = time.Now()
			again, err := m.Logits(input, n, h, w)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s on %s, batch %d at %dx%d: first run %v, second %v, GPU memory %.1f MB",
				cfg.Name, dev.Info, n, h, w, first.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), float64(m.MemoryBytes())/1e6)
			if !slices.Equal(got, again) {
				t.Errorf("two runs of the same plan differ by %.3g", ref.MaxAbsDiff(got, again))
			}
			diff := ref.MaxAbsDiff(got, want)
			t.Logf("%s GPU logits max-abs diff %.3e", cfg.Name, diff)
			if diff <= logitTol {
				return
			}
			t.Errorf("GPU logits differ by %.3g > %.0e; %s", diff, logitTol, firstDivergence(t, m, g, dir, input, n, h, w))
		})
	}
}

// firstDivergence reruns the graph keeping every tapped value and names the
// first reference activation (in execution order) that diverges.
func firstDivergence(t *testing.T, m *GPU, g *Graph, dir string, input []float32, n, h, w int) string {
	t.Helper()
	type tap struct {
		name string
		val  Value
	}
	var taps []tap
	var keep []Value
	for name, v := range g.Taps {
		if fileExists(filepath.Join(dir, "act", name+".bin")) {
			taps = append(taps, tap{name, v})
			keep = append(keep, v)
		}
	}
	slices.SortFunc(taps, func(a, b tap) int { return int(a.val - b.val) })
	_, acts, err := m.runActs(input, n, h, w, keep)
	if err != nil {
		return fmt.Sprintf("rerunning with activations kept failed: %v", err)
	}
	for _, tp := range taps {
		want, meta := readBin(t, filepath.Join(dir, "act", tp.name+".bin"))
		diff, scale := tapDiff(t, acts[tp.val], want, meta)
		if diff > actRel*scale {
			return fmt.Sprintf("first diverging activation: %s (max-abs diff %.3g, reference max-abs %.3g)", tp.name, diff, scale)
		}
	}
	return "every reference activation matches: the divergence is after the last one (the head)"
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
