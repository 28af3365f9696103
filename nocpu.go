//go:build lowformer_nocpu

package lowformer

import "github.com/lowformer/lowformer-webgpu/model"

// CPUSupported reports whether this build has the CPU backend (model.CPU
// and its kernels): true except in a build with the lowformer_nocpu tag,
// such as the browser's WebGPU build, lowformer.wasm, where Backend CPU
// fails with ErrNoCPUSupport and so does Auto without a WebGPU device.
const CPUSupported = false

// newCPU fails: the CPU kernels are not in this build (nothing here refers
// to model.CPU, so the linker leaves them out).
func newCPU(*model.Graph) (cpuModel, error) { return nil, ErrNoCPUSupport }
