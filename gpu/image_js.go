//go:build js

package gpu

import (
	"fmt"
	"syscall/js"
	"unsafe"

	"github.com/cogentcore/webgpu/wgpu"
)

// JSDevice is the device's GPUDevice, for JavaScript that shares it (its
// textures and buffers can be given to the model; those of another device
// cannot).
func (d *Device) JSDevice() js.Value { return d.native.device }

// CopyExternalImage copies source (an ImageBitmap, VideoFrame,
// HTMLVideoElement, HTMLCanvasElement, OffscreenCanvas, HTMLImageElement
// or ImageData of t's size) into t with copyExternalImageToTexture: not
// premultiplied, not flipped, as a canvas's getImageData gives the pixels.
func (d *Device) CopyExternalImage(t *ImageTexture, source js.Value) error {
	if err := d.check(); err != nil {
		return err
	}
	return jsCall("copyExternalImageToTexture", func() {
		d.native.device.Get("queue").Call("copyExternalImageToTexture",
			map[string]any{"source": source},
			map[string]any{"texture": jsValue(t.Texture), "premultipliedAlpha": false},
			map[string]any{"width": t.Width, "height": t.Height})
	})
}

// CopyJSTexture copies the GPUTexture src (rgba8unorm, usage COPY_SRC,
// created on this device, at least t's size) into t.
func (d *Device) CopyJSTexture(t *ImageTexture, src js.Value) error {
	if err := d.check(); err != nil {
		return err
	}
	return jsCall("copyTextureToTexture", func() {
		enc := d.native.device.Call("createCommandEncoder")
		enc.Call("copyTextureToTexture", map[string]any{"texture": src}, map[string]any{"texture": jsValue(t.Texture)},
			map[string]any{"width": t.Width, "height": t.Height})
		d.native.device.Get("queue").Call("submit", []any{enc.Call("finish")})
	})
}

// WrapJSBuffer views the GPUBuffer v (of this device) as a *wgpu.Buffer to
// bind; the caller keeps it alive and never releases the wrapper.
func WrapJSBuffer(v js.Value) *wgpu.Buffer {
	p := new(js.Value)
	*p = v
	return (*wgpu.Buffer)(unsafe.Pointer(p))
}

// jsCall runs f, turning a JavaScript exception into an error.
func jsCall(what string, f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("gpu: %s: %v", what, r)
		}
	}()
	f()
	return nil
}

// SameBuffer says whether a and b are the same buffer: the same
// JavaScript GPUBuffer, even through two wrappers (WrapJSBuffer).
func SameBuffer(a, b *wgpu.Buffer) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a == b || (*js.Value)(unsafe.Pointer(a)).Equal(*(*js.Value)(unsafe.Pointer(b)))
}
