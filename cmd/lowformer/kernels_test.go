package main

import (
	"encoding/json"
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

// TestLogitsKernels runs logits on B0's reference image with each -kernels
// value on the GPU and checks every result against the reference logits.
func TestLogitsKernels(t *testing.T) {
	gputest.Require(t)
	in, want := b0Input1(t)
	for _, k := range []string{"gpu", "cpu", "auto"} {
		out := filepath.Join(t.TempDir(), "logits.bin")
		mustCLI(t, "logits", "-weights", b0Weights(t), "-input", in, "-shape", "1,3,224,224", "-o", out, "-backend", "gpu", "-kernels", k)
		if d := maxAbsDiff(t, readOutput(t, out), want); d > 2e-4 {
			t.Errorf("-kernels %s: max |logits - reference| = %.3g, want ≤ 2e-4", k, d)
		} else {
			t.Logf("-kernels %s: max |logits - reference| = %.3g", k, d)
		}
	}
}

// TestInfoKernels checks that info -kernels names the adapter and the set
// a GPU model uses there, with why, in text and JSON, and that a bad value
// is refused.
func TestInfoKernels(t *testing.T) {
	weights := tinyWeights(t)
	checkErrors(t, []errCase{
		{"bad set", []string{"info", "-kernels", "fast", weights}, 1, `-kernels "fast": want auto, cpu or gpu`},
	})
	gputest.Require(t)
	for _, c := range []struct{ flag, set, why string }{
		{"gpu", "gpu", "forced by Options.Kernels"},
		{"auto", "", "auto: "},
	} {
		var rec infoRecord
		if err := json.Unmarshal([]byte(mustCLI(t, "info", "-json", "-kernels", c.flag, weights).stdout), &rec); err != nil {
			t.Fatal(err)
		}
		if (c.set != "" && rec.Kernels != c.set) || rec.Kernels == "" || rec.Adapter == "" || !strings.HasPrefix(rec.KernelsReason, c.why) {
			t.Errorf("info -kernels %s: kernels %q (%s) on %q, want %q because %q", c.flag, rec.Kernels, rec.KernelsReason, rec.Adapter, c.set, c.why)
		}
		text := mustCLI(t, "info", "-kernels", c.flag, weights).stdout
		if want := "kernels:         " + rec.Kernels + " on " + rec.Adapter + " (" + rec.KernelsReason + ")\n"; !strings.Contains(text, want) {
			t.Errorf("info -kernels %s: the text lacks %q:\n%s", c.flag, want, text)
		}
	}
	if strings.Contains(mustCLI(t, "info", weights).stdout, "kernels:") {
		t.Error("info without -kernels opened the adapter")
	}
}
