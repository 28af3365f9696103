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
// bytes into a JS-owned array first (for buffers one per device, reused);
// texture uploads (load time only) also run inside an error scope.

// jsValue returns the JS object wrapped by a cogentcore wgpu js type: each
// (Buffer, Texture, PipelineLayout, ShaderModule, ComputePipeline) is a struct whose only field is that js.Value.
func jsValue[T wgpu.Buffer | wgpu.Texture | wgpu.PipelineLayout | wgpu.ShaderModule | wgpu.ComputePipeline](p *T) js.Value {
	return *(*js.Value)(unsafe.Pointer(p))
}

// staged copies data into the device's reusable JS-owned staging array
// (grown as needed) and returns that array and the byte count to upload.
// The queue copies the bytes before writeBuffer returns, so one array
// serves every buffer upload, and an inference's input allocates none.
func (d *Device) staged(data []byte) (js.Value, int) {
	if d.native.staging.IsUndefined() || d.native.staging.Get("length").Int() < len(data) {
		d.native.staging = js.Global().Get("Uint8Array").New(max(len(data), 1<<16))
	}
	js.CopyBytesToJS(d.native.staging, data)
	return d.native.staging, len(data)
}

// writeBuffer uploads data into b at byte offset off.
func (d *Device) writeBuffer(b *wgpu.Buffer, off uint64, data []byte) error {
	arr, n := d.staged(data)
	d.native.device.Get("queue").Call("writeBuffer", jsValue(b), off, arr, 0, n)
	return nil
}

// writeTexture uploads width×height rgba32float texels into tex.
func (d *Device) writeTexture(tex *wgpu.Texture, data []byte, width, height int) error {
	return d.writeTextureBytes(tex, data, 16*width, width, height)
}

// writeTextureBytes uploads width×height texels of rowBytes a row into tex.
func (d *Device) writeTextureBytes(tex *wgpu.Texture, data []byte, rowBytes, width, height int) error {
	arr := js.Global().Get("Uint8Array").New(len(data)) // not kept
	js.CopyBytesToJS(arr, data)
	return d.scoped("texture upload", func() error {
		d.native.device.Get("queue").Call("writeTexture",
			map[string]any{"texture": jsValue(tex)}, arr,
			map[string]any{"offset": 0, "bytesPerRow": rowBytes, "rowsPerImage": height},
			map[string]any{"width": width, "height": height, "depthOrArrayLayers": 1})
		return nil
	})
}
