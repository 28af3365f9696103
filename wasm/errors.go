package main

import (
	"errors"
	"fmt"
	"strings"

	lowformer "github.com/lowformer/lowformer-webgpu"
)

// userError rewrites an error of an exported call for JavaScript: a lost
// (or destroyed) GPU device says so and what to do about it, and every
// message starts with "lowformer:". Wrapped errors (such as coded ones)
// stay reachable with errors.As.
func userError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, lowformer.ErrDeviceLost):
		return fmt.Errorf("lowformer: the model's GPU device was lost or closed (%w); dispose the model and load it again", err)
	case !strings.HasPrefix(err.Error(), "lowformer:"):
		return fmt.Errorf("lowformer: %w", err)
	}
	return err
}

// coded is an error with a machine-readable code, set as error.code on the
// JavaScript Error.
type coded struct {
	code string
	err  error
}

func (c coded) Error() string { return c.err.Error() }
func (c coded) Unwrap() error { return c.err }

// backendError codes an error that names a backend this build lacks:
// error.code "no-cpu-backend" (lowformer.ErrNoCPUSupport: the WebGPU build,
// lowformer.wasm, asked for the CPU, or Auto without a WebGPU device; the
// page loads lowformer-cpu.wasm or lowformer-scalar.wasm instead) or
// "no-gpu-backend" (lowformer.ErrNoGPUSupport: a CPU build asked for the
// GPU). Other errors are returned as they are.
func backendError(err error) error {
	switch {
	case errors.Is(err, lowformer.ErrNoCPUSupport):
		return coded{"no-cpu-backend", err}
	case errors.Is(err, lowformer.ErrNoGPUSupport):
		return coded{"no-gpu-backend", err}
	}
	return err
}
