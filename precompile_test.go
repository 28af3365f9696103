//go:build (js || cgo) && !lowformer_nogpu

package lowformer

import (
	"context"
	"errors"
	"testing"

	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/internal/ref"
	"github.com/lowformer/lowformer-webgpu/model/checkpoint"
)

// TestOpenFailsCleanlyAfterPrecompile: a progressive GPU start opens the
// device and starts the generic pipelines before it builds the graph; a
// checkpoint whose configuration resolves but whose graph fails to build
// (an integer weight) must still fail as a bad checkpoint, and leave no
// device open; a good one opens on the same path, its first logits right.
func TestOpenFailsCleanlyAfterPrecompile(t *testing.T) {
	requireGPU(t)
	ctx := context.Background()
	sd := synthStateDict(t, tinyConfig)
	var key string
	for k, v := range sd.Tensors {
		if len(v.F32) > 1 {
			key = k
			break
		}
	}
	bad := &checkpoint.StateDict{Tensors: map[string]*checkpoint.Tensor{}, Meta: sd.Meta}
	for k, v := range sd.Tensors {
		bad.Tensors[k] = v
	}
	ints := *sd.Tensors[key]
	ints.F32, ints.DType = nil, checkpoint.DType("I64")
	ints.I64 = make([]int64, len(sd.Tensors[key].F32))
	bad.Tensors[key] = &ints
	before := gpu.OpenDevices()
	for _, start := range []Start{StartProgressive, StartSpecialized} {
		_, err := OpenBytes(ctx, safetensorsOf(t, bad, "F32", nil), Options{Backend: GPU, Start: start})
		if !errors.Is(err, ErrBadCheckpoint) {
			t.Fatalf("start %s: a checkpoint with an integer weight: error %v, want ErrBadCheckpoint", start, err)
		}
		if got := gpu.OpenDevices(); got != before {
			t.Fatalf("start %s: %d devices open after the failed open, %d before", start, got, before)
		}
	}
	m := openOn(t, safetensorsOf(t, sd, "F32", nil), GPU)
	if m.Info().Start != StartProgressive {
		t.Fatalf("start %s, want progressive", m.Info().Start)
	}
	cpu := openOn(t, safetensorsOf(t, sd, "F32", nil), CPU)
	defer cpu.Close()
	in := synthInput(1, 40, 40, 5)
	got, err := m.Logits(ctx, in, 1, 40, 40)
	if err != nil {
		t.Fatal(err)
	}
	want, err := cpu.Logits(ctx, in, 1, 40, 40)
	if err != nil {
		t.Fatal(err)
	}
	if d := ref.MaxAbsDiff(got, want); d > 2e-4 {
		t.Errorf("first logits after precompiling differ from the CPU's by %.3g > 2e-4", d)
	}
	m.Close()
	if got := gpu.OpenDevices(); got != before {
		t.Fatalf("%d devices open after Close, %d before", got, before)
	}
}
