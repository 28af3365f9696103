//go:build (!js && !cgo) || lowformer_nogpu

package lowformer

import "github.com/lowformer/lowformer-webgpu/model"

// GPUSupported reports whether this build has the WebGPU backend: true with
// cgo natively and in the browser (GOOS=js), false in a native build without
// cgo, which runs on the CPU only, and in a build with the lowformer_nogpu
// tag (the browser's CPU builds, lowformer-cpu.wasm and
// lowformer-scalar.wasm, which leave out the WebGPU code).
const GPUSupported = false

// deviceOptions stands for the adapter options, which need the GPU backend.
type deviceOptions struct{}

// sameDevice: there is no adapter to choose.
func sameDevice(deviceOptions, deviceOptions) bool { return true }

// openGPU is not reached: Open checks GPUSupported first.
func openGPU(model.Config, Options, kernelChoice, explicitTable, int) (finishGPU, func(), error) {
	return nil, nil, ErrNoGPUSupport
}
