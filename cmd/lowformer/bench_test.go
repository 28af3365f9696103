package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	lowformer "github.com/lowformer/lowformer-webgpu"
	"github.com/lowformer/lowformer-webgpu/internal/gputest"
)

// benchJSON runs bench with -json and decodes its result.
func benchJSON(t *testing.T, args ...string) benchResult {
	t.Helper()
	r := mustCLI(t, append([]string{"bench", "-json"}, args...)...)
	var res benchResult
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("bench -json printed %q: %v", r.stdout, err)
	}
	return res
}

// checkTimes checks the timing fields every result must have, of runs
// runs of the model variant.
func checkTimes(t *testing.T, r benchResult, variant string, runs int) {
	t.Helper()
	if r.Engine != "lowformer-native" || r.Model != variant || r.Adapter == "" || r.Runs != runs || len(r.TimesMs) != runs {
		t.Errorf("result %+v: want engine lowformer-native, model %s, an adapter and %d runs", r, variant, runs)
	}
	if !(r.MinMs > 0 && r.MinMs <= r.MedianMs && r.MedianMs <= r.MaxMs) {
		t.Errorf("times min %.3f, median %.3f, max %.3f are not ordered positive numbers", r.MinMs, r.MedianMs, r.MaxMs)
	}
	if !(r.ColdStartMs >= r.FirstRunMs && r.FirstRunMs > 0) || !strings.Contains(r.ColdStartFrom, "start") {
		t.Errorf("cold start %.1f ms (%s) must be at least the first run %.1f ms", r.ColdStartMs, r.ColdStartFrom, r.FirstRunMs)
	}
	if !(r.PeakMemoryMB > 0) || r.Load == "" {
		t.Errorf("peak memory %.1f MB, load %q: want both measured on Linux", r.PeakMemoryMB, r.Load)
	}
}

// TestBenchReference times B0 at 224×224 on the GPU, batch 2, and checks
// the logits against the reference batch in the same run.
func TestBenchReference(t *testing.T) {
	gputest.Require(t)
	r := benchJSON(t, "-weights", b0Weights(t), "-batch", "3", "-runs", "2", "-warmup", "0")
	checkTimes(t, r, "B0", 2)
	if r.MaxAbsErr == nil || *r.MaxAbsErr > 2e-4 || r.ArgmaxOK == nil || !*r.ArgmaxOK {
		t.Errorf("max_abs_err %v, argmax ok %v (%s): want ≤ 2e-4 against the reference", r.MaxAbsErr, r.ArgmaxOK, r.Check)
	}
	if r.Batch != 3 || r.Size != 224 || r.GPUMemoryMB < 56 {
		t.Errorf("batch %d, size %d, GPU memory %.1f MB: want 3, 224 and at least the 56 MB of weights", r.Batch, r.Size, r.GPUMemoryMB)
	}
}

// TestBenchCPUNoReference runs the CPU backend at a size the reference
// does not have: synthetic input, no check, said so.
func TestBenchCPUNoReference(t *testing.T) {
	r := benchJSON(t, "-weights", tinyWeights(t), "-backend", "cpu", "-size", "32", "-runs", "3", "-warmup", "1")
	checkTimes(t, r, "custom", 3)
	if r.Backend != "cpu" || r.MaxAbsErr != nil || !strings.Contains(r.Check, "not checked") {
		t.Errorf("backend %s, max_abs_err %v, check %q: want cpu, null and a note that nothing was checked", r.Backend, r.MaxAbsErr, r.Check)
	}
	if r.CPUMemoryMB <= 0 || r.GPUMemoryMB != 0 {
		t.Errorf("CPU memory %.2f MB, GPU memory %.2f MB: want the CPU model's packed weights and arena, and no GPU memory", r.CPUMemoryMB, r.GPUMemoryMB)
	}
}

// TestBenchInterleave drives -interleave as bench/ does: one timed run per
// stdin line, one JSON line per run, the result last.
func TestBenchInterleave(t *testing.T) {
	gputest.Require(t)
	benchStdin = strings.NewReader("run\n\nrun\nrun\n")
	defer func() { benchStdin = os.Stdin }()
	out := mustCLI(t, "bench", "-weights", tinyWeights(t), "-size", "32", "-warmup", "0", "-interleave").stdout
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) != 5 || !strings.HasPrefix(lines[0], `{"ready":true`) {
		t.Fatalf("want a ready line, 3 run lines and the result; got %q", lines)
	}
	for _, l := range lines[1:4] {
		var run struct{ Ms float64 }
		if err := json.Unmarshal([]byte(l), &run); err != nil || !(run.Ms > 0) {
			t.Errorf("run line %q: want {\"ms\": positive}", l)
		}
	}
	var r benchResult
	if err := json.Unmarshal([]byte(lines[4]), &r); err != nil {
		t.Fatal(err)
	}
	checkTimes(t, r, "custom", 3)
}

// TestSummarize checks median, minimum and maximum.
func TestSummarize(t *testing.T) {
	for _, c := range []struct {
		in            []float64
		med, min, max float64
	}{
		{[]float64{5}, 5, 5, 5},
		{[]float64{3, 1, 2}, 2, 1, 3},
		{[]float64{4, 1, 3, 2}, 2.5, 1, 4},
	} {
		med, lo, hi := summarize(c.in)
		if med != c.med || lo != c.min || hi != c.max {
			t.Errorf("summarize(%v) = %v, %v, %v; want %v, %v, %v", c.in, med, lo, hi, c.med, c.min, c.max)
		}
	}
}

// TestBenchErrors checks that bad flags fail before any model is loaded.
func TestBenchErrors(t *testing.T) {
	weights := tinyWeights(t)
	odd := tmpFile(t, "odd.bin", make([]byte, 4*3*100))
	// a reference pair shaped as b0's: [2,3,224,224] inputs, [2,1000] logits
	refDir := t.TempDir()
	refIn, refLogits := filepath.Join(refDir, "input.bin"), filepath.Join(refDir, "logits.bin")
	for name, data := range map[string][]byte{
		"input.bin": make([]byte, 4*2*3*224*224), "input.json": []byte(`{"shape":[2,3,224,224]}`),
		"logits.bin": make([]byte, 4*2*1000), "logits.json": []byte(`{"shape":[2,1000]}`),
	} {
		if err := os.WriteFile(filepath.Join(refDir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	base := func(extra ...string) []string { return append([]string{"bench", "-weights", weights}, extra...) }
	profileOnCPU := "-profile needs -backend gpu"
	if !lowformer.GPUSupported {
		profileOnCPU = "lowformer bench: this build has no GPU support"
	}
	checkErrors(t, []errCase{
		{"zero batch", base("-batch", "0"), 1, "-batch 0"},
		{"small size", base("-size", "16"), 1, "-size 16"},
		{"no runs", base("-runs", "0"), 1, "-runs 0"},
		{"negative warm-up", base("-warmup", "-1"), 1, "-warmup -1"},
		{"bad backend", base("-backend", "tpu"), 1, `-backend "tpu"`},
		{"input without logits", base("-ref-input", odd), 1, "-ref-input and -ref-logits go together"},
		{"profile on the CPU", base("-backend", "cpu", "-profile"), 1, profileOnCPU},
		{"bad ceiling", base("-ceiling-size", "30"), 1, "-ceiling-size 30"},
		{"zero profile reps", base("-profile-reps", "0"), 1, "-profile-reps 0"},
		{"reference of another size", base("-ref-input", odd, "-ref-logits", odd), 1, "not a whole number of [3,224,224] float32 images"},
		{"reference shape", base("-size", "64", "-ref-input", refIn, "-ref-logits", refLogits), 1, "has shape [2 3 224 224], not [k,3,64,64]"},
		{"missing weights", base("-weights", filepath.Join(t.TempDir(), "none.pt"), "-runs", "1"), 1, "opening weights"},
		{"positional argument", base("extra"), 1, `unexpected arguments ["extra"]`},
	})
}
