package lowformer

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestWithoutGPUSupport checks a build without GPU support (natively
// without cgo: CGO_ENABLED=0 go test .): Auto runs on the CPU without a
// warning and gives the CPU backend's logits, and GPU fails with
// ErrNoGPUSupport, which says how to get a build with it.
func TestWithoutGPUSupport(t *testing.T) {
	if GPUSupported {
		t.Skip("this build has GPU support; CGO_ENABLED=0 go test runs this test")
	}
	ctx := context.Background()
	file := safetensorsOf(t, synthStateDict(t, tinyConfig), "F32", nil)
	var warnings []string
	m, err := OpenBytes(ctx, file, Options{Warn: func(s string) { warnings = append(warnings, s) }})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if in := m.Info(); in.Backend != CPU || in.Adapter != "" || len(warnings) != 0 {
		t.Errorf("Auto: backend %v, adapter %q, warnings %q; want cpu, none, none", in.Backend, in.Adapter, warnings)
	}
	checkCPULogits(t, "Auto", m)
	if n := m.GPUMemoryBytes(); n != 0 {
		t.Errorf("Auto holds %d bytes of GPU memory", n)
	}
	_, err = OpenBytes(ctx, file, Options{Backend: GPU})
	if !errors.Is(err, ErrNoGPUSupport) || !strings.Contains(err.Error(), "CGO_ENABLED=1") {
		t.Errorf("Backend GPU: error %v, want ErrNoGPUSupport naming CGO_ENABLED=1", err)
	}
}
