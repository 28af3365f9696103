//go:build js && lowformer_nogpu

package main

import (
	"github.com/hack-pad/safejs"

	lowformer "github.com/lowformer/lowformer-webgpu"
)

// frameExports, in a build without the GPU backend (lowformer-cpu.wasm,
// lowformer-scalar.wasm): frame, frameRect and device reject with
// lowformer.ErrNoGPUSupport (error.code "no-gpu-backend"), as no model of
// this build is on a GPU.
func (a *api) frameExports() map[string]func([]safejs.Value) (work, error) {
	noGPU := func([]safejs.Value) (work, error) { return nil, backendError(lowformer.ErrNoGPUSupport) }
	return map[string]func([]safejs.Value) (work, error){"frame": noGPU, "frameRect": noGPU, "device": noGPU}
}
