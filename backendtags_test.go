//go:build lowformer_nocpu || lowformer_nogpu

package lowformer

import (
	"context"
	"errors"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/lowformer/lowformer-webgpu/internal/ref"
	"github.com/lowformer/lowformer-webgpu/internal/refdata"
)

// TestMissingBackend runs in a build with one backend left out (the
// browser builds: TestBackendTagsInWasm runs it in Node for js/wasm, where
// there is no WebGPU). Opening the missing backend fails with its sentinel
// error, which names the build to use, and never panics; the backend that
// is there opens and computes the reference logits.
func TestMissingBackend(t *testing.T) {
	ctx := context.Background()
	tiny := safetensorsOf(t, synthStateDict(t, tinyConfig), "F32", nil)
	if GPUSupported == CPUSupported {
		t.Fatalf("GPUSupported %v, CPUSupported %v: one backend should be left out", GPUSupported, CPUSupported)
	}
	if !CPUSupported { // lowformer_nocpu: lowformer.wasm
		_, err := OpenBytes(ctx, tiny, Options{Backend: CPU})
		if !errors.Is(err, ErrNoCPUSupport) || !strings.Contains(err.Error(), "lowformer-cpu.wasm") {
			t.Errorf("Backend CPU: error %v, want ErrNoCPUSupport naming lowformer-cpu.wasm", err)
		}
		// No WebGPU in Node: Auto has no device and nothing to fall back to.
		if runtime.GOOS == "js" {
			var warnings []string
			_, err = OpenBytes(ctx, tiny, Options{Warn: func(s string) { warnings = append(warnings, s) }})
			// The device's error is kept (gpu.ErrNoAdapter, which the
			// cgo-free gpu package does not declare: its text here).
			if !errors.Is(err, ErrNoCPUSupport) || !strings.Contains(err.Error(), "no WebGPU device") || !strings.Contains(err.Error(), "navigator.gpu is missing") {
				t.Errorf("Auto without WebGPU: error %v, want ErrNoCPUSupport with the device's error (navigator.gpu is missing)", err)
			}
			if len(warnings) != 0 {
				t.Errorf("Auto without WebGPU warned %q; it should fail instead", warnings)
			}
		}
		return
	}
	// lowformer_nogpu: lowformer-cpu.wasm, lowformer-scalar.wasm.
	_, err := OpenBytes(ctx, tiny, Options{Backend: GPU})
	want := "CGO_ENABLED=1"
	if runtime.GOOS == "js" {
		want = "load lowformer.wasm"
	}
	if !errors.Is(err, ErrNoGPUSupport) || !strings.Contains(err.Error(), want) {
		t.Errorf("Backend GPU: error %v, want ErrNoGPUSupport saying %q", err, want)
	}
	dir := refdata.Dir(t, "b0")
	var warnings []string
	m, err := Open(ctx, filepath.Join(dir, "evalmodel.pt"), Options{Variant: "b0", Warn: func(s string) { warnings = append(warnings, s) }})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if in := m.Info(); in.Backend != CPU || len(warnings) != 0 {
		t.Errorf("Auto: backend %v, warnings %q; want cpu without a warning", in.Backend, warnings)
	}
	input, im := refdata.ReadBin(t, filepath.Join(dir, "input.bin"))
	wantLogits, _ := refdata.ReadBin(t, filepath.Join(dir, "logits.bin"))
	got, err := m.Logits(ctx, input, im.Shape[0], im.Shape[2], im.Shape[3])
	if err != nil {
		t.Fatal(err)
	}
	if d := ref.MaxAbsDiff(got, wantLogits); d > 2e-4 {
		t.Fatalf("b0 logits differ from the reference by %.3g > 2e-4", d)
	} else {
		t.Logf("b0 on the CPU: logits max-abs diff %.2e", d)
	}
}
