//go:build js || cgo

package lowformer

import (
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

// openGPU opens the WebGPU device that opt asks for and prepares g on it;
// it returns the adapter's description.
func openGPU(g *model.Graph, opt Options) (gpuModel, string, error) {
	devOpt := opt.device
	if opt.DumpWGSL != nil {
		devOpt.DumpWGSL = opt.DumpWGSL
	}
	dev, err := gpu.Open(devOpt)
	if err != nil {
		return nil, "", err
	}
	return &deviceModel{model.NewGPU(dev, g, kernels.Target{}), dev}, dev.Info.Description, nil
}
