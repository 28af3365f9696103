package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/gputest"
)

// TestKernelsFlagErrors checks that every command with -kernels refuses a
// bad value (and a bad LOWFORMER_KERNELS) before any work, listing the
// valid ones.
func TestKernelsFlagErrors(t *testing.T) {
	withoutDefaultWeights(t)
	weights, cat := tinyWeights(t), testImage(t, "chelsea_420.jpg")
	in := tmpFile(t, "in.bin", make([]byte, 4*3*32*32))
	out := filepath.Join(t.TempDir(), "out.bin")
	want := `-kernels "fast": want auto, cpu or gpu`
	checkErrors(t, []errCase{
		{"logits", []string{"logits", "-weights", weights, "-input", in, "-shape", "1,3,32,32", "-o", out, "-kernels", "fast"}, 1, want},
		{"classify", []string{"classify", "-weights", weights, "-kernels", "fast", cat}, 1, want},
		{"bench", []string{"bench", "-weights", weights, "-kernels", "fast"}, 1, want},
	})
	t.Setenv("LOWFORMER_KERNELS", "fastest")
	checkErrors(t, []errCase{
		{"environment", []string{"classify", "-weights", weights, "-backend", "cpu", cat}, 1,
			`LOWFORMER_KERNELS=fastest: unknown kernel set "fastest" (want auto, cpu or gpu)`},
	})
}

// TestBenchKernels runs bench with each -kernels value on the GPU and
// checks that the result names the set and why, in JSON and in text.
func TestBenchKernels(t *testing.T) {
	gputest.Require(t)
	for _, c := range []struct{ flag, set, why string }{
		{"gpu", "gpu", "forced by Options.Kernels"},
		{"cpu", "cpu", "forced by Options.Kernels"},
		{"auto", "", "auto: "},
	} {
		args := []string{"-weights", tinyWeights(t), "-backend", "gpu", "-size", "32", "-runs", "1", "-warmup", "0", "-kernels", c.flag}
		r := benchJSON(t, args...)
		if (c.set != "" && r.Kernels != c.set) || r.Kernels == "" || !strings.HasPrefix(r.KernelsReason, c.why) {
			t.Errorf("-kernels %s: kernels %q (%s), want %q because %q", c.flag, r.Kernels, r.KernelsReason, c.set, c.why)
		}
		text := mustCLI(t, append([]string{"bench"}, args...)...).stdout
		if !strings.Contains(text, "kernels "+r.Kernels+" ("+r.KernelsReason+")") {
			t.Errorf("-kernels %s: the report does not say the kernel set:\n%s", c.flag, text)
		}
	}
}
