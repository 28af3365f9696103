package main

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	lowformer "github.com/lowformer/lowformer-webgpu"
)

func TestUserError(t *testing.T) {
	lost := fmt.Errorf("gpu: map staging: %w: Device was destroyed.", lowformer.ErrDeviceLost)
	tests := []struct {
		name string
		in   error
		want string // exact message; "" for nil
	}{
		{"nil", nil, ""},
		{"already prefixed", errors.New("lowformer: input value 0 is NaN"), "lowformer: input value 0 is NaN"},
		{"unprefixed", errors.New("model: planning x"), "lowformer: model: planning x"},
		{"lost device", lost, "lowformer: the model's GPU device was lost or closed (gpu: map staging: " + lowformer.ErrDeviceLost.Error() +
			": Device was destroyed.); dispose the model and load it again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := userError(tt.in)
			if tt.want == "" {
				if got != nil {
					t.Fatalf("userError(nil) = %v", got)
				}
				return
			}
			if got == nil || got.Error() != tt.want {
				t.Fatalf("userError(%v) = %v\nwant %s", tt.in, got, tt.want)
			}
			if !errors.Is(got, tt.in) {
				t.Errorf("userError(%v) no longer wraps its input", tt.in)
			}
		})
	}
	c := coded{"unsupported-format", errors.New("preprocess: unsupported format")}
	var back coded
	if got := userError(c); !errors.As(got, &back) || back.code != c.code || !strings.HasPrefix(got.Error(), "lowformer: ") {
		t.Errorf("userError(coded) = %v: lost the code or the prefix", got)
	}
}

// TestBackendError codes the errors of a backend this build lacks, which
// lowformer.js reads (backend 'auto' in lowformer.wasm without a device
// loads a CPU build on "no-cpu-backend"), and leaves others alone.
func TestBackendError(t *testing.T) {
	other := errors.New("lowformer: something else")
	for _, tt := range []struct {
		name string
		in   error
		code string // "" for an uncoded error
	}{
		{"no CPU backend", lowformer.ErrNoCPUSupport, "no-cpu-backend"},
		{"no CPU backend, wrapped", fmt.Errorf("lowformer: no WebGPU device: %w", lowformer.ErrNoCPUSupport), "no-cpu-backend"},
		{"no GPU backend", lowformer.ErrNoGPUSupport, "no-gpu-backend"},
		{"another error", other, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := backendError(tt.in)
			var c coded
			if ok := errors.As(got, &c); ok != (tt.code != "") || c.code != tt.code {
				t.Errorf("backendError(%v): code %q (coded %v), want %q", tt.in, c.code, ok, tt.code)
			}
			if !errors.Is(got, tt.in) {
				t.Errorf("backendError(%v) = %v no longer wraps its input", tt.in, got)
			}
		})
	}
}
