//go:build js

package gpu

import (
	"syscall/js"
	"unsafe"

	"github.com/cogentcore/webgpu/wgpu"
)

// On js, cogentcore/webgpu v0.23.0's WriteBuffer and WriteTexture pass a
// view of the wasm memory and then convert their other arguments, which
// allocates; when that grows the memory, the view is detached and the upload
// silently writes nothing ("linear data size (0)"). These uploads copy the
// bytes into a JS-owned array first; texture uploads (load time only) also
// run inside an error scope.

// jsValue returns the JS object wrapped by a cogentcore wgpu js type: each
// (Buffer, Texture, PipelineLayout, ShaderModule, ComputePipeline) is a struct whose only field is that js.Value.
func jsValue[T wgpu.Buffer | wgpu.Texture | wgpu.PipelineLayout | wgpu.ShaderModule | wgpu.ComputePipeline](p *T) js.Value {
	return *(*js.Value)(unsafe.Pointer(p))
}

func jsBytes(data []byte) js.Value {
	arr := js.Global().Get("Uint8Array").New(len(data))
	js.CopyBytesToJS(arr, data)
	return arr
}

// writeBuffer uploads data into b at byte offset off.
func (d *Device) writeBuffer(b *wgpu.Buffer, off uint64, data []byte) error {
	d.native.device.Get("queue").Call("writeBuffer", jsValue(b), off, jsBytes(data))
	return nil
}

// writeTexture uploads width×height rgba32float texels into tex.
func (d *Device) writeTexture(tex *wgpu.Texture, data []byte, width, height int) error {
	arr := jsBytes(data)
	return d.scoped("texture upload", func() error {
		d.native.device.Get("queue").Call("writeTexture",
			map[string]any{"texture": jsValue(tex)}, arr,
			map[string]any{"offset": 0, "bytesPerRow": 16 * width, "rowsPerImage": height},
			map[string]any{"width": width, "height": height, "depthOrArrayLayers": 1})
		return nil
	})
}
