package lowformer

import (
	"context"
	"errors"
	"image"
	"math"
	"os"
	"testing"

	"github.com/lowformer/lowformer-webgpu/model/checkpoint"
)

// TestErrorKinds: every refusal of the public API matches exactly one of
// the error kinds a caller tells apart, and keeps its cause reachable.
func TestErrorKinds(t *testing.T) {
	ctx := context.Background()
	tiny, err := os.ReadFile("testdata/tiny.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	m, err := OpenBytes(ctx, tiny, Options{Backend: CPU})
	if err != nil {
		t.Fatal(err)
	}
	closed, err := OpenBytes(ctx, tiny, Options{Backend: CPU})
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	nan := synthInput(1, 32, 32, 1)
	nan[5] = float32(math.NaN())
	open := func(b []byte, o Options) error { _, err := OpenBytes(ctx, b, o); return err }
	classify := func(img image.Image, o ClassifyOptions) error { _, err := m.Classify(ctx, img, o); return err }
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	type kindCase struct {
		name  string
		err   error
		kind  error
		cause error // also reachable, when set
	}
	tests := []kindCase{
		{"truncated checkpoint", open(tiny[:len(tiny)/2], Options{}), ErrBadCheckpoint, checkpoint.ErrTruncated},
		{"not a checkpoint", open([]byte("hello, world, not a checkpoint at all"), Options{}), ErrBadCheckpoint, checkpoint.ErrNotCheckpoint},
		{"another variant", open(tiny, Options{Backend: CPU, Variant: "B0"}), ErrBadCheckpoint, nil},
		{"unknown variant name", open(tiny, Options{Backend: CPU, Variant: "Z9"}), ErrBadInput, nil},
		{"directory", func() error { _, err := Open(ctx, t.TempDir(), Options{}); return err }(), ErrBadCheckpoint, nil},
		{"wrong input length", func() error { _, err := m.Logits(ctx, make([]float32, 10), 1, 32, 32); return err }(), ErrBadInput, nil},
		{"input too small", func() error { _, err := m.Logits(ctx, make([]float32, 3*8*8), 1, 8, 8); return err }(), ErrBadInput, nil},
		{"NaN input", func() error { _, err := m.Logits(ctx, nan, 1, 32, 32); return err }(), ErrBadInput, nil},
		{"nil image", classify(nil, ClassifyOptions{TopK: 1}), ErrBadInput, nil},
		{"empty image", classify(image.NewRGBA(image.Rect(0, 0, 0, 0)), ClassifyOptions{TopK: 1}), ErrBadInput, nil},
		{"negative TopK", classify(img, ClassifyOptions{TopK: -1}), ErrBadInput, nil},
		{"Side too large", classify(img, ClassifyOptions{Side: MaxClassifySide + 1}), ErrBadInput, nil},
		{"bad warm-up", m.Warmup(ctx, 0, 0), ErrBadInput, nil},
		{"closed model", func() error { _, err := closed.Logits(ctx, synthInput(1, 32, 32, 1), 1, 32, 32); return err }(), ErrClosed, nil},
	}
	if !GPUSupported {
		tests = append(tests, kindCase{"GPU in a build without GPU support", open(tiny, Options{Backend: GPU}), ErrNoGPUSupport, nil})
	}
	if !CPUSupported {
		tests = append(tests, kindCase{"CPU in a build without the CPU backend", open(tiny, Options{Backend: CPU}), ErrNoCPUSupport, nil})
	}
	kinds := []error{ErrClosed, ErrDeviceLost, ErrBadCheckpoint, ErrBadInput, ErrNoGPUSupport, ErrNoCPUSupport}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err == nil {
				t.Fatal("no error")
			}
			for _, k := range kinds {
				if got, want := errors.Is(tc.err, k), k == tc.kind; got != want {
					t.Errorf("errors.Is(%q, %v) = %v, want %v", tc.err, k, got, want)
				}
			}
			if tc.cause != nil && !errors.Is(tc.err, tc.cause) {
				t.Errorf("%q does not wrap %v", tc.err, tc.cause)
			}
		})
	}
}
