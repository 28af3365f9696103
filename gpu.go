//go:build js || cgo

package lowformer

import (
	"strings"

	"github.com/lowformer/lowformer-webgpu/gpu"
	"github.com/lowformer/lowformer-webgpu/kernels"
	"github.com/lowformer/lowformer-webgpu/model"
)

// GPUSupported reports whether this build has the WebGPU backend: true with
// cgo natively and in the browser (GOOS=js), false in a native build without
// cgo, which runs on the CPU only.
const GPUSupported = true

// deviceOptions select the WebGPU adapter of Options.device.
type deviceOptions = gpu.Options

// deviceModel is a model.GPU with the device it owns.
type deviceModel struct {
	*model.GPU
	dev *gpu.Device
}

// Close releases the model's GPU objects, then its device.
func (m *deviceModel) Close() {
	m.GPU.Close()
	m.dev.Close()
}

// openGPU opens the WebGPU device that opt asks for and prepares g on it
// with the kernel set kc asks for (chosen from the adapter when auto).
func openGPU(g *model.Graph, opt Options, kc kernelChoice) (gpuModel, openedDevice, error) {
	devOpt := opt.device
	if opt.DumpWGSL != nil {
		devOpt.DumpWGSL = opt.DumpWGSL
	}
	dev, err := gpu.Open(devOpt)
	if err != nil {
		return nil, openedDevice{}, err
	}
	t, reason := selectTarget(kernels.ProfileOf(dev), kc)
	return &deviceModel{model.NewGPU(dev, g, t), dev},
		openedDevice{adapter: dev.Info.Description, kernels: Kernels(t.Set), reason: reason}, nil
}

// selectTarget is kernels.SelectTarget for the choice kc, with the reason
// saying where a forced set came from ("forced by Options.Kernels") or
// that auto chose it ("auto: CPU adapter").
func selectTarget(p kernels.Profile, kc kernelChoice) (kernels.Target, string) {
	want := kernels.Set(kc.set) // the same names
	t, why := kernels.SelectTarget(p, want)
	if want == kernels.SetAuto {
		why = "auto: " + why
	} else {
		why = "forced by " + kc.from
	}
	if len(p.Features) > 0 {
		why += " (features: " + strings.Join(p.Features, ", ") + ")"
	}
	return t, why
}
